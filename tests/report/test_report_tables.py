"""Tests for cell formatting shared by the HTML and Markdown builders."""

from __future__ import annotations

import pytest

from langgap.report import Link, Share, format_number, format_share
from langgap.report.tables import cell_text, is_numeric


@pytest.mark.parametrize(
    ("value", "text"),
    [(1080, "1,080"), (0.279, "0.28"), (float("nan"), "n/a"), (True, "yes"), (0, "0")],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


def test_format_share() -> None:
    assert format_share(0.2795) == "28.0%"
    assert format_share(0.28, 0) == "28%"
    assert format_share(None) == "n/a"
    assert format_share(float("nan")) == "n/a"


def test_cells() -> None:
    assert cell_text(None) == "n/a"
    assert cell_text(Share(None)) == "n/a"
    assert cell_text(Link("a", "https://x")) == "a"
    assert is_numeric(3) and is_numeric(Share(0.1)) and not is_numeric(True)
    assert not is_numeric("3")


@pytest.mark.parametrize(
    ("href", "safe"),
    [
        ("https://aclanthology.org/x", "https://aclanthology.org/x"),
        (" HTTPS://A.org ", "HTTPS://A.org"),
        ("http://a.org", None),
        ("javascript:alert(1)", None),
        ("../local.pdf", None),
        ("", None),
    ],
)
def test_link_safe_href(href: str, safe: str | None) -> None:
    assert Link("t", href).safe_href == safe
