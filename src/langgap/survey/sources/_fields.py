"""Field clean-up shared by the BibTeX, RIS and table readers."""

from __future__ import annotations

import re
from pathlib import Path

from langgap.survey.models import VenueType
from langgap.survey.sources.errors import SourceError

_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_SPACES = re.compile(r"\s+")
# Anthology URLs carry the volume: new ids "2024.findings-emnlp.12", old ids "P19-1001".
_SITE = r"(?:aclanthology\.org|aclweb\.org/anthology)/"
_NEW_ID = re.compile(_SITE + r"((\d{4})\.([a-z0-9]+)-[a-z0-9]+)\.")
_OLD_ID = re.compile(_SITE + r"([A-Z]\d{2})-(\d{4})")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


def squash(text: str | None) -> str:
    """Collapse runs of whitespace (line breaks inside fields included) to single spaces."""
    return _SPACES.sub(" ", text or "").strip()


def optional(text: str | None) -> str | None:
    """Return the squashed text, or None when it is empty."""
    return squash(text) or None


def parse_year(text: str | None) -> int | None:
    """Read a four-digit year from text such as "2024", "{2024}" or RIS "2024/05/01/"."""
    match = _YEAR.search(text or "")
    return int(match.group(1)) if match else None


def clean_doi(text: str | None) -> str | None:
    """Return a bare DOI ("10.18653/v1/x"), without any "https://doi.org/" or "doi:" prefix."""
    doi = _DOI_PREFIX.sub("", squash(text))
    return doi or None


def person_name(name: str) -> str:
    """Turn "Last, First" (or "von Last, Jr, First") into "First Last" so every source agrees."""
    parts = [squash(p) for p in name.split(",")]
    if len(parts) == 2 and all(parts):
        return f"{parts[1]} {parts[0]}"
    if len(parts) == 3 and all(parts):
        return f"{parts[2]} {parts[0]} {parts[1]}"
    return squash(name)


def proceedings_type(booktitle: str) -> VenueType:
    """Proceedings are a workshop's when their title says so, else a conference's."""
    return "workshop" if "workshop" in booktitle.lower() else "conference"


def check_file(path: Path) -> None:
    """Raise SourceError unless path is an existing file."""
    if not path.is_file():
        raise SourceError(f"{path}: no such file. Fix: check the path (it is read as a file).")


def anthology_volume(url: str) -> tuple[str, tuple[str, ...]]:
    """Volume id and venue from an Anthology URL ("2024.acl-long", ("acl",)); empty if none."""
    if match := _NEW_ID.search(url):
        return match.group(1), (match.group(3),)
    if match := _OLD_ID.search(url):
        collection, number = match.groups()
        # Old workshop volumes take two digits ("W19-34"), all others one ("P19-1").
        return f"{collection}-{number[:2] if collection[0] == 'W' else number[0]}", ()
    return "", ()
