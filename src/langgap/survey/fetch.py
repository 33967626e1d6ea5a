"""`--anthology PATH|auto` for the survey: a path the user gives, or the data set's copy.

Finding and downloading the Anthology is `langgap.data.anthology`'s work; this layer checks a
given path and reports the data layer's failures as the `SourceError` the survey CLI prints.
"""

from __future__ import annotations

from pathlib import Path

from langgap.data import anthology
from langgap.data.anthology import OFFLINE_FIX, AnthologyUnavailableError, has_anthology_xml
from langgap.survey.sources.errors import SourceError


def resolve_anthology(spec: str | None, data_dir: str | Path | None = None) -> Path:
    """--anthology's value as a readable Anthology folder or .bib file: a path is checked; none
    (or "auto") is the data set's copy, found through the data folders (`data_dir` first) and
    downloaded there on first use.

    >>> resolve_anthology("~/acl-anthology")  # doctest: +SKIP
    PosixPath('/home/me/acl-anthology')
    """
    if spec is None or spec == "auto":
        return locate_anthology(data_dir)
    return _check_path(Path(spec).expanduser())


def locate_anthology(data_dir: str | Path | None = None) -> Path:
    """`langgap.data.anthology.locate_anthology`, its failure raised as a SourceError."""
    try:
        return anthology.locate_anthology(data_dir)
    except AnthologyUnavailableError as error:
        raise SourceError(str(error)) from None


def _check_path(path: Path) -> Path:
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder. {OFFLINE_FIX}")
    if path.is_dir():
        if has_anthology_xml(path):
            return path
        raise SourceError(
            f"{path}: no Anthology XML here (looked in data/xml, xml/ and the folder itself). "
            + OFFLINE_FIX
        )
    if path.name.lower().endswith((".bib", ".bib.gz", ".bibtex", ".bibtex.gz")):
        return path
    raise SourceError(f"{path}: neither an Anthology folder nor a .bib file. {OFFLINE_FIX}")
