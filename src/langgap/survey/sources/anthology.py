"""Read the ACL Anthology's own XML (`data/xml`) and venue metadata (`data/yaml/venues`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from langgap._io import gc_paused
from langgap.survey.models import Paper, VenueType
from langgap.survey.sources.errors import SourceError, SourceIssue

ANTHOLOGY_URL = "https://aclanthology.org/"
PARSER_VERSION = 1  # bump when the parse result changes, so caches are rebuilt


@dataclass(frozen=True, slots=True)
class VenueInfo:
    """What the Anthology says about one venue id."""

    acronym: str
    name: str
    is_toplevel: bool
    is_journal: bool


@dataclass(frozen=True, slots=True)
class AnthologyLayout:
    """Where the XML files and the venue YAML live inside an Anthology checkout or snapshot."""

    xml_dir: Path
    venues_dir: Path | None


def locate(root: Path) -> AnthologyLayout:
    """Find `xml/` and `yaml/venues/` in an Anthology checkout (`data/`), snapshot or XML folder."""
    for base in (root / "data", root):
        if (base / "xml").is_dir():
            venues = base / "yaml" / "venues"
            return AnthologyLayout(base / "xml", venues if venues.is_dir() else None)
    if root.is_dir() and any(root.glob("*.xml")):
        venues = root.parent / "yaml" / "venues"
        return AnthologyLayout(root, venues if venues.is_dir() else None)
    raise SourceError(
        f"{root}: no Anthology XML found (looked for data/xml, xml and *.xml there). "
        "Pass the Anthology data folder (the one holding xml/ and yaml/) with --anthology PATH."
    )


def xml_files(layout: AnthologyLayout, years: tuple[int, int] | None = None) -> list[Path]:
    """The collection files, optionally only those whose id starts with a year in range."""
    files = sorted(layout.xml_dir.glob("*.xml"))
    if years is None:
        return files
    low, high = years

    def in_range(path: Path) -> bool:
        prefix = path.name.split(".", 1)[0]
        # Old-style ids (P19, W18…) carry no four-digit year: keep them, the paper year decides.
        return not prefix.isdigit() or low <= int(prefix) <= high

    return [f for f in files if in_range(f)]


def read_venues(venues_dir: Path | None) -> dict[str, VenueInfo]:
    """Venue id → metadata from `yaml/venues/*.yaml`; empty when the folder is absent."""
    if venues_dir is None:
        return {}
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    venues: dict[str, VenueInfo] = {}
    for path in sorted(venues_dir.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
        venues[path.stem] = VenueInfo(
            acronym=str(data.get("acronym", path.stem)),
            name=str(data.get("name", path.stem)),
            is_toplevel=bool(data.get("is_toplevel", False)),
            is_journal=data.get("type") == "journal",
        )
    return venues


def venue_type(venue_ids: Iterable[str], venues: dict[str, VenueInfo]) -> VenueType:
    """Workshop, conference, journal or unknown, from the volume's venue ids."""
    ids = list(venue_ids)
    if "ws" in ids:
        return "workshop"
    known = [venues[v] for v in ids if v in venues]
    if not known:
        return "unknown"
    if any(v.is_journal for v in known):
        return "journal"
    if any(v.is_toplevel for v in known):
        return "conference"
    # A venue the Anthology lists but not as top-level (WOAH, TrustNLP…) is a workshop.
    return "workshop"


def _text(element: ET.Element | None) -> str:
    """All inner text (markup such as <fixed-case> or <tex-math> dropped), whitespace folded."""
    if element is None:
        return ""
    text = "".join(element.itertext())
    # Folding costs more than the whole parse when done blindly; almost no text needs it.
    if "  " in text or "\n" in text or "\t" in text or "\r" in text:
        return " ".join(text.split())
    return text.strip() if text[:1].isspace() or text[-1:].isspace() else text


def _papers_in_volume(
    volume: ET.Element, collection_id: str, source: str, venues: dict[str, VenueInfo]
) -> Iterator[Paper]:
    meta = volume.find("meta")
    venue_ids = tuple(v.text or "" for v in meta.iterfind("venue")) if meta is not None else ()
    year_text = meta.findtext("year") if meta is not None else None
    booktitle = _text(meta.find("booktitle")) if meta is not None else ""
    kind = venue_type(venue_ids, venues)
    volume_id = f"{collection_id}-{volume.get('id', '')}"
    for paper in volume.iterfind("paper"):
        # One pass over the children is about twice as fast as a find() per field. Authors are
        # left out on purpose: reading ~200k names costs more than the rest of the parse together.
        title = ""
        abstract = url = doi = None
        year = year_text
        for child in paper:
            tag = child.tag
            if tag == "title":
                title = _text(child)
            elif tag == "abstract":
                abstract = _text(child) or None
            elif tag == "url":
                url = child.text
            elif tag == "doi":
                doi = child.text
            elif tag == "year":
                year = child.text
        paper_id = url or f"{volume_id}.{paper.get('id', '')}"
        yield Paper(
            id=paper_id,
            title=title,
            abstract=abstract,
            year=int(year) if year and year.isdigit() else None,
            venues=venue_ids,
            venue_type=kind,
            volume=volume_id,
            booktitle=booktitle,
            url=ANTHOLOGY_URL + paper_id if url else None,
            doi=doi,
            source=f"{source}#{paper_id}",
        )


def read_collection(path: Path, venues: dict[str, VenueInfo]) -> list[Paper]:
    """Every paper of one collection file; raises SourceError (with the line) on malformed XML."""
    # The stdlib's C ElementTree: its elements are far cheaper to walk than lxml's proxies, and
    # expat neither fetches external entities nor expands entity bombs.
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        line = error.position[0]
        raise SourceError(
            f"{path}:{line}: malformed XML ({error}); fix or re-download the file, "
            "or leave out --strict to skip it"
        ) from error
    collection_id = root.get("id", path.stem)
    papers: list[Paper] = []
    for volume in root.iterfind("volume"):
        papers.extend(_papers_in_volume(volume, collection_id, path.name, venues))
    return papers


def read_anthology(
    root: Path, *, years: tuple[int, int] | None = None, strict: bool = False
) -> tuple[list[Paper], list[SourceIssue]]:
    """All papers under an Anthology folder; malformed files are reported and skipped."""
    layout = locate(root)
    venues = read_venues(layout.venues_dir)
    papers: list[Paper] = []
    issues: list[SourceIssue] = []
    with gc_paused():
        for path in xml_files(layout, years):
            try:
                papers.extend(read_collection(path, venues))
            except SourceError as error:
                if strict:
                    raise
                issues.append(issue_from_error(path, error))
    return papers, issues


def issue_from_error(path: Path, error: SourceError) -> SourceIssue:
    """A skipped file as a reportable issue."""
    cause = error.__cause__
    line = cause.position[0] if isinstance(cause, ET.ParseError) else None
    return SourceIssue(
        file=str(path),
        line=line,
        message=str(error),
        fix="fix or re-download the file; --strict makes this fatal",
    )
