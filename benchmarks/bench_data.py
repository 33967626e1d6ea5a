"""Where the benchmark scripts find their data: the resolution langgap's commands use.

Order: the script's own option (--data-dir, --anthology), $LANGGAP_DATA_DIR, ../shared/data from
the current directory when present (read, never written), then the user data directory, fetched
into on first use. So a script works in a clone without ../shared and writes only into a data
directory; beside ../shared it reads the same files it always has.
"""

from __future__ import annotations

import sys
from pathlib import Path

from langgap.data import roots


def data_root(given: Path | None) -> Path:
    """The folder named for data sets in a script's printed command: given, or the first
    searched (../shared/data when present)."""
    return given if given is not None else roots()[0].path


def anthology_xml(given: Path | None) -> Path:
    """The folder whose xml/ holds the ACL Anthology: given, or found (fetched on first use)
    through langgap.data; exits with the one-line reason when there is none."""
    from langgap.data import DataUnavailableError
    from langgap.data.anthology import locate_anthology

    try:
        root = given if given is not None else locate_anthology()
    except DataUnavailableError as error:
        sys.exit(f"error: {error}")
    if (root / "data" / "xml").is_dir():  # a checkout `langgap data fetch` made
        root = root / "data"
    if not (root / "xml").is_dir():
        sys.exit(f"no Anthology XML snapshot at {root} (pass --anthology PATH)")
    return root
