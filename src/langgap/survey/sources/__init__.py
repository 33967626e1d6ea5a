"""Read papers from any supported file: BibTeX, RIS, CSV/TSV/Excel or an ACL Anthology folder."""

from __future__ import annotations

from pathlib import Path

from langgap.data.anthology import has_anthology_xml
from langgap.survey.models import Paper
from langgap.survey.sources.errors import SourceError, SourceIssue

__all__ = ["SUPPORTED", "SourceError", "SourceIssue", "has_anthology_xml", "read_papers"]

SUPPORTED = (
    ".bib, .bib.gz, .bibtex (BibTeX, e.g. the Anthology's anthology+abstracts.bib.gz), "
    ".ris, .csv, .tsv, .xlsx, or a folder of ACL Anthology XML (data/xml, xml/ or *.xml)"
)


def read_papers(path: Path) -> tuple[list[Paper], list[SourceIssue]]:
    """Read papers from path, choosing the reader by its suffix (or folder layout)."""
    # Readers are imported where they are used so that one format's dependencies do not
    # burden the others, and `langgap --help` stays fast.
    if path.is_dir():
        if not has_anthology_xml(path):
            raise SourceError(
                f"{path}: this folder holds no ACL Anthology XML (looked in data/xml, xml/ and "
                f"the folder itself). Fix: pass one of: {SUPPORTED}."
            )
        from langgap.survey.sources.anthology import read_anthology

        return read_anthology(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder. Fix: check the path.")
    name = path.name.lower()
    if name.endswith((".bib", ".bib.gz", ".bibtex", ".bibtex.gz")):
        from langgap.survey.sources.bibtex import read_bibtex

        return read_bibtex(path)
    if name.endswith(".ris"):
        from langgap.survey.sources.ris import read_ris

        return read_ris(path)
    if name.endswith((".csv", ".tsv", ".xlsx")):
        from langgap.survey.sources.table import read_table

        return read_table(path)
    raise SourceError(
        f"{path}: unknown file type {''.join(path.suffixes) or '(no suffix)'!r}. "
        f"Fix: pass one of: {SUPPORTED}."
    )
