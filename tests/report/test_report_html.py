"""Tests for HtmlReport: escaping, self-contained images, tables and atomic writes."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from langgap.report import HtmlReport, Link, Share

EVIL = "<script>alert(1)</script>\"&'"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#x27;"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>'


def test_every_string_is_escaped() -> None:
    report = HtmlReport(EVIL)
    report.heading(EVIL, 3)
    report.paragraph(EVIL)
    report.table([EVIL], [[EVIL], [Link(EVIL, 'https://x.org/?a=1&b="2"')]], caption=EVIL)
    report.figure(SVG, caption=EVIL, alt=EVIL)
    html = report.render()
    assert "<script" not in html
    # title, h1, h3, paragraph, th, td, link text, caption, figcaption, alt
    assert html.count(ESCAPED) == 10
    assert 'href="https://x.org/?a=1&amp;b=&quot;2&quot;"' in html


@pytest.mark.parametrize(
    "href", ["file:///etc/passwd", "javascript:alert(1)", "/local", "http://x"]
)
def test_only_https_links_are_kept(href: str) -> None:
    report = HtmlReport("t")
    report.table(["id"], [[Link("paper", href)]])
    html = report.render()
    assert "href=" not in html
    assert "<td>paper</td>" in html


def test_figure_is_a_data_uri(tmp_path: Path) -> None:
    png = tmp_path / "f.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    svg = tmp_path / "f.svg"
    svg.write_text(SVG)
    report = HtmlReport("t")
    report.figure(png, "png")
    report.figure(svg, "svg file")
    report.figure(SVG, "svg text")
    srcs = re.findall(r'src="([^"]*)"', report.render())
    assert [s.split(";")[0] for s in srcs] == ["data:image/png", *["data:image/svg+xml"] * 2]
    assert base64.b64decode(srcs[0].split(",", 1)[1]) == png.read_bytes()
    assert base64.b64decode(srcs[2].split(",", 1)[1]).decode() == SVG


def test_unknown_image_type_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unsupported image type '\.bmp'"):
        HtmlReport("t").figure(tmp_path / "x.bmp", "")


def test_numbers_are_formatted_and_right_aligned() -> None:
    report = HtmlReport("t")
    report.table(["a", "b", "c", "d", "e"], [[1234567, 0.5, None, Share(0.279), True]])
    html = report.render()
    assert '<td class="num">1,234,567</td>' in html
    assert '<td class="num">0.50</td>' in html
    assert "<td>n/a</td>" in html
    assert '<td class="num">27.9%</td>' in html
    assert "<td>yes</td>" in html


def test_page_forbids_external_loads() -> None:
    html = HtmlReport("t").render()
    assert "default-src 'none'" in html
    assert "http" not in html.replace('http-equiv="Content-Security-Policy"', "")


def test_raw_trusted_is_verbatim() -> None:
    report = HtmlReport("t")
    report.raw_trusted("<hr>")
    assert "<hr>" in report.render()


def test_write_is_atomic_and_readable(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "r.html"
    report = HtmlReport("ünïcode ✓")
    assert report.write(target) == target
    assert target.read_text(encoding="utf-8") == report.render()
    assert target.stat().st_mode & 0o044 == 0o044
    assert [p.name for p in target.parent.iterdir()] == ["r.html"]
