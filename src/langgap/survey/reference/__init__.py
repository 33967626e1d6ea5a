"""The reference annotation: every keyword hit 2020-2024 of the ACL Anthology snapshot (360
papers), labelled from title and abstract by two independent annotators and adjudicated
(`DATA_CARD.md` says who, how and how well they agreed).

`gold.csv` holds the adjudicated labels, `annotations.csv` the two independent annotations;
ids and labels only (titles and abstracts stay with the Anthology).

>>> len(load_reference())
360
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from langgap.survey.annotations import Annotation

NAME = "reference"  # `--gold reference` in the CLI means the packaged gold set
GUIDE_VERSION = "1.0"


def reference_path(kind: str = "gold") -> Path:
    """The packaged `gold.csv` (or `annotations.csv` with kind="annotations")."""
    if kind not in ("gold", "annotations"):
        raise ValueError(f"unknown reference file {kind!r}; use gold or annotations")
    with as_file(files(__name__).joinpath(f"{kind}.csv")) as path:
        return Path(path)


def load_reference() -> list[Annotation]:
    """The adjudicated reference labels."""
    from langgap.survey.adjudicate import read_gold

    return read_gold(reference_path())


def resolve_gold(value: Path | str) -> Path:
    """A gold path as given, or the packaged reference for the name `reference`."""
    return reference_path() if str(value) == NAME else Path(value)
