"""Tests for the survey report: escaping, self-containment, figures, determinism, bad input."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from langgap.survey.models import TOPICS
from langgap.survey.report import FIGURES, _code_label, _coincident, write_survey_report

LANGS = ["eng", "zho", "ara", "hin", "spa", "fra", "deu", "jpn", "kor", "rus", "ben", "swa", "tha"]


def realistic_stats() -> dict[str, Any]:
    """A stats.json-shaped dict about the size the full Anthology run produces."""
    groups = ("english_only", "non_english", "multilingual")
    return {
        "inputs": {"anthology": "/data/acl-anthology", "files": 798, "errors": 1},
        "config": {
            "years": [2020, 2024],
            "keywords": ["safe", "safety"],
            "fields": ["abstract"],
            "annotator": "rules/1",
        },
        "total_papers": 45000,
        "screened": 1500,
        "kept": 1080,
        "no_abstract": 3200,
        "by_year": {
            str(y): {"english_only": 10 * 2**i, "non_english": 1 + i, "multilingual": 2 + 2 * i}
            for i, y in enumerate(range(2020, 2025))
        },
        "languages": {c: max(1, 900 // (i + 1) ** 2) for i, c in enumerate(LANGS)},
        "language_names": {"eng": "English", "zho": "Chinese", "ara": "Arabic"},
        "avg_multilinguality": {c: 1.4 + i * 0.7 for i, c in enumerate(LANGS)},
        "topics": {
            t: {"english_only": 10 + i, "non_english": i % 2, "multilingual": 3}
            for i, t in enumerate(TOPICS)
        },
        "venue_types": {
            g: {"conference": 500 // (i + 1), "workshop": 200, "journal": 10, "unknown": 0}
            for i, g in enumerate(groups)
        },
        "workshop_share": {"english_only": 0.28, "non_english": 0.4, "multilingual": 0.35},
        "documented": {"english_only": 0.35, "non_english": 0.9, "multilingual": 0.95},
        "documented_counts": {"english_only": {"documented": 300, "total": 850}},
        "english_only_share": 0.79,
        "multilingual_unlisted": 12,
        "issues": [{"file": "x.xml", "line": 3, "message": "bad <tag>", "fix": "re-download"}],
    }


EVIL = "<script>alert(1)</script>"
PAPERS = [
    {
        "id": "2024.acl-long.1",
        "year": "2024",
        "title": EVIL + " \"&'",
        "venue": "acl",
        "venue_type": "conference",
        "url": "https://aclanthology.org/2024.acl-long.1",
        "related": "true",
        "languages": "eng;zho",
        "group": "multilingual",
        "topic": "jailbreaking",
        "documented": "true",
        "evidence": "",
    },
    {
        "id": "local-1",
        "year": "2023",
        "title": "A | pipe\nand newline",
        "url": "file:///etc/passwd",
        "related": "true",
        "languages": "ara",
        "group": "non_english",
        "topic": "privacy",
    },
    {"id": "dropped", "title": "Not kept", "related": "false", "url": "javascript:alert(1)"},
]


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_survey_report(realistic_stats(), out, PAPERS)
    return out


def test_writes_every_file(report_dir: Path) -> None:
    for spec in FIGURES:
        for ext in ("png", "svg"):
            path = report_dir / "figures" / f"{spec.stem}.{ext}"
            assert path.stat().st_size > 1000, path
    assert (report_dir / "report.html").stat().st_size > 0
    assert (report_dir / "report.md").stat().st_size > 0


def test_returns_the_paths_it_wrote(tmp_path: Path) -> None:
    paths = write_survey_report(realistic_stats(), tmp_path)
    assert len(paths) == 2 * len(FIGURES) + 2
    assert all(p.exists() for p in paths)
    assert {p.name for p in paths} >= {"report.html", "report.md"}


def test_html_escapes_untrusted_text(report_dir: Path) -> None:
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&amp;&#x27;" in html
    assert "bad &lt;tag&gt;" in html
    assert "<script" not in html.lower()


def test_html_is_self_contained(report_dir: Path) -> None:
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    srcs = re.findall(r'\bsrc="([^"]*)"', html)
    assert len(srcs) == len(FIGURES)
    assert all(s.startswith("data:image/") for s in srcs)
    hrefs = re.findall(r'\bhref="([^"]*)"', html)
    assert hrefs == ["https://aclanthology.org/2024.acl-long.1"]
    assert "<link" not in html and "url(" not in html and "@import" not in html


def test_only_kept_papers_are_listed(report_dir: Path) -> None:
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert "local-1" in html
    assert "Not kept" not in html and "javascript:" not in html
    assert "file:///" not in html


def test_html_names_inputs_and_summary(report_dir: Path) -> None:
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert "/data/acl-anthology" in html and "rules/1" in html
    assert "28.0%" in html  # 1 - 1080/1500 of keyword hits were unrelated
    assert "45,000" in html


def test_markdown_escapes_cells_and_links_figures(report_dir: Path) -> None:
    md = (report_dir / "report.md").read_text(encoding="utf-8")
    assert r"A \| pipe and newline" in md
    assert EVIL not in md
    for spec in FIGURES:
        assert f"(figures/{spec.stem}.png)" in md
    assert "[2024.acl-long.1](<https://aclanthology.org/2024.acl-long.1>)" in md
    assert "file:///" not in md


def test_rerun_gives_identical_files(tmp_path: Path) -> None:
    first = write_survey_report(realistic_stats(), tmp_path / "a", PAPERS)
    second = write_survey_report(realistic_stats(), tmp_path / "b", PAPERS)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


@pytest.mark.parametrize(
    "stats",
    [
        {},
        {"by_year": {}, "languages": {}, "topics": {}, "venue_types": {}},
        {"kept": 0, "screened": 0, "by_year": {"2021": {"english_only": 3}}},
        {"by_year": {"2020": {"english_only": 1}, "oops": "x"}, "languages": {"eng": "many"}},
        {"venue_types": {"english_only": {"conference": 0}}, "issues": ["not a dict", None]},
        {"topics": {"new_topic": {"english_only": 2}}, "avg_multilinguality": {"eng": None}},
        {"inputs": None, "config": [], "documented_counts": {"non_english": {"total": 0}}},
    ],
)
def test_partial_stats_do_not_crash(tmp_path: Path, stats: dict[str, Any]) -> None:
    paths = write_survey_report(stats, tmp_path, papers=[])
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "n/a" in html or "No " in html
    assert len(paths) == 2 * len(FIGURES) + 2


def test_stats_values_win_over_recomputation(tmp_path: Path) -> None:
    stats = realistic_stats() | {
        "unrelated_share": 0.3,
        "group_counts": {"english_only": 850, "non_english": 80, "multilingual": 150},
    }
    write_survey_report(stats, tmp_path)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "About 30% of keyword hits were unrelated" in md
    assert "| Non-English papers | 80 |" in md


def test_coincident_languages_share_one_label() -> None:
    points = [("swa", 1, 12.0), ("yor", 1, 12.0), ("eng", 900, 1.4)]
    assert _coincident(points) == {(1, 12.0): ["swa", "yor"], (900, 1.4): ["eng"]}
    assert _code_label(["a", "b", "c", "d", "e", "f"]) == "a, b, c, d +2"


def test_crowded_language_labels_do_not_overlap() -> None:
    """Languages a few pixels apart get labels one below the other (the offset rule)."""
    from matplotlib.text import Text

    from langgap.survey.report import figure_language_frequency
    from langgap.survey.run_stats import RunStats

    close = {"deu": 7.0, "fra": 6.95, "spa": 6.9, "ita": 6.92, "nld": 6.97, "eng": 1.1}
    stats = RunStats.from_mapping(
        {
            "languages": {"deu": 2, "fra": 2, "spa": 2, "ita": 3, "nld": 2, "eng": 200},
            "avg_multilinguality": close,
        }
    ).stats
    fig = figure_language_frequency(stats)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    texts = [t for t in fig.axes[0].texts if t.get_text()]
    assert {t.get_text() for t in texts} == {"deu", "fra", "spa", "ita", "nld", "eng"}
    boxes = [Text.get_window_extent(t, renderer) for t in texts]  # the text, not the leader
    overlapping = [
        (texts[i].get_text(), texts[j].get_text())
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes[i].overlaps(boxes[j])
    ]
    assert overlapping == []
