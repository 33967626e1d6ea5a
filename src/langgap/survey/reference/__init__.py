"""The reference annotation: every keyword hit 2020-2024 of the ACL Anthology snapshot (360
papers), labelled from title and abstract by two independent annotators and adjudicated
(`DATA_CARD.md` says who, how and how well they agreed).

`gold.csv` holds the adjudicated labels, `annotations.csv` the two independent annotations;
ids and labels only (titles and abstracts stay with the Anthology).

>>> len(load_reference())
360

Tuning the rule annotator on the reference uses `reference_split`: a fixed 60/20/20
train/dev/test split by a hash of the paper id, so test papers stay unseen while tuning.

>>> reference_split("2020.acl-main.188") in SPLITS
True
"""

from __future__ import annotations

import hashlib
from importlib.resources import as_file, files
from pathlib import Path

from langgap.survey.annotations import Annotation

NAME = "reference"  # `--gold reference` in the CLI means the packaged gold set
GUIDE_VERSION = "1.0"
SPLITS = ("train", "dev", "test")
_TRAIN_BELOW, _DEV_BELOW = 60, 80  # buckets 0-59 train, 60-79 dev, 80-99 test


def reference_split(paper_id: str) -> str:
    """'train', 'dev' or 'test' for a paper id: a stable 60/20/20 split by blake2b hash.

    Tune rules on train and dev only; score test in aggregate, once, at the end.

    >>> [reference_split(i) for i in ("a", "b", "c")] == [reference_split(i) for i in "abc"]
    True
    """
    digest = hashlib.blake2b(paper_id.encode(), digest_size=8).digest()
    bucket = int.from_bytes(digest, "big") % 100
    if bucket < _TRAIN_BELOW:
        return "train"
    return "dev" if bucket < _DEV_BELOW else "test"


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
