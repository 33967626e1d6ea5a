from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from langgap.cli import app
from langgap.survey.pipeline import SurveyConfig, run_survey
from langgap.survey.run_stats import RunStats
from langgap.survey.screen import ScreenConfig

STATS_KEYS = {
    "screened", "kept", "no_abstract", "by_year", "languages", "avg_multilinguality", "topics",
    "workshop_share", "documented", "english_only_share",
}  # fmt: skip


def test_run_writes_all_outputs_and_second_run_is_cached(
    anthology_fixture: Path, tmp_path: Path
) -> None:
    config = SurveyConfig(
        anthology=anthology_fixture, out=tmp_path / "out", screen=ScreenConfig(years=(2020, 2024)),
        cache_root=tmp_path / "cache",
    )  # fmt: skip
    first = run_survey(config)
    text = (tmp_path / "out" / "stats.json").read_text()
    stats = json.loads(text)
    assert stats.keys() >= STATS_KEYS
    # the typed object the report reads is the file, key order included
    assert RunStats.from_mapping(stats) == first.stats
    assert json.dumps(first.stats.to_dict(), indent=2, ensure_ascii=False) == text
    assert stats["screened"] == 7  # six with an abstract hit, the food-safety one included
    # rules v2: the Chinese social-media hate-speech paper (2022.woah-1.1) is content moderation
    assert stats["kept"] == 5
    assert stats["no_abstract"] == 1
    assert stats["by_year"]["2023"] == {"english_only": 1, "non_english": 0, "multilingual": 1}
    # rules v2: the 30-language red-teaming paper is alignment (red-teaming in general)
    assert stats["topics"]["jailbreaking"]["multilingual"] == 1
    assert stats["topics"]["alignment"]["multilingual"] == 1
    assert stats["languages"]["eng"] >= 4
    assert stats["avg_multilinguality"]["ben"] == 3
    assert len(stats["issues"]) == 1 and "2023.broken.xml" in stats["issues"][0]["file"]
    with (tmp_path / "out" / "papers.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == stats["screened"]
    assert {r["related"] for r in rows} == {"true", "false"}
    assert all(r["screen_hits"] for r in rows)
    no_abstract = (tmp_path / "out" / "no_abstract.csv").read_text()
    assert "2023.acl-long.4" in no_abstract
    for name in ("report.html", "report.md"):
        assert (tmp_path / "out" / name).stat().st_size > 0
    assert first.annotated == 7 and not first.report_reused

    second = run_survey(config)
    assert second.annotated == 0
    assert second.parsed_files == 1  # only the malformed file is retried
    assert second.report_reused
    assert second.stats == first.stats


def test_cli_run_and_bad_input(anthology_fixture: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli-out"
    result = runner.invoke(
        app, ["survey", "run", "--anthology", str(anthology_fixture), "--years", "2020-2024",
              "--out", str(out), "--no-report"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "stats.json").exists()
    bad = runner.invoke(app, ["survey", "run", "--anthology", str(tmp_path), "--out", str(out)])
    assert bad.exit_code == 2
    assert "--anthology PATH" in bad.output
    years = runner.invoke(
        app, ["survey", "run", "--anthology", "x", "--years", "20x", "--out", "o"]
    )
    assert years.exit_code == 2


def test_shared_anthology_end_to_end(shared_anthology: Path, tmp_path: Path) -> None:
    config = SurveyConfig(
        anthology=shared_anthology, out=tmp_path / "out", cache_root=tmp_path / "c"
    )
    result = run_survey(config)
    stats = result.stats.to_dict()
    assert set(stats["by_year"]) == {str(y) for y in range(2020, 2025)}
    assert 0 < stats["kept"] < stats["screened"] < stats["total_papers"]
    assert stats["no_abstract"] > 0
    assert max(stats["languages"], key=stats["languages"].get) == "eng"
    assert 0.5 < stats["english_only_share"] < 1.0
    assert stats["by_year"]["2024"]["english_only"] > stats["by_year"]["2020"]["english_only"]
    assert set(stats["topics"]) == {
        "jailbreaking", "toxicity_bias", "hallucination", "privacy", "policy", "alignment",
        "not_safety",
    }  # fmt: skip
    assert stats["topics"]["not_safety"] == {"english_only": 0, "non_english": 0, "multilingual": 0}
    assert all(0 <= v <= 1 for v in stats["documented"].values() if v is not None)
    assert stats["issues"] == []
    for name in ("report.html", "report.md", "papers.csv", "no_abstract.csv"):
        assert (tmp_path / "out" / name).stat().st_size > 0


def test_exports_from_other_venues_join_the_survey(tmp_path: Path) -> None:
    test_data = Path(__file__).resolve().parents[1] / "data"
    config = SurveyConfig(
        anthology=None,
        out=tmp_path / "out",
        extra_sources=(test_data / "papers.bib", test_data / "papers.ris"),
        cache_root=tmp_path / "cache",
        write_report=False,
    )
    stats = run_survey(config).stats.to_dict()
    assert stats["inputs"]["files"] == 2
    assert stats["screened"] >= 4  # the same papers arrive from both files
    assert stats["issues"], "broken BibTeX/RIS entries are reported, not silently dropped"
    assert all(issue["file"].endswith((".bib", ".ris")) for issue in stats["issues"])
    assert stats["languages"]["ben"] >= 2


def test_fulltext_falls_back_to_abstracts_offline(anthology_fixture: Path, tmp_path: Path) -> None:
    config = SurveyConfig(
        anthology=anthology_fixture,
        out=tmp_path / "out",
        cache_root=tmp_path / "cache",
        pdf_dir=tmp_path / "pdfs",
        write_report=False,
        fulltext=True,
    )
    stats = run_survey(config).stats.to_dict()
    # Offline (CI, this machine) every kept paper keeps its abstract labels and the run says why;
    # online some would come from their PDFs. Either way every kept paper has a source.
    assert sum(stats["fulltext"]["label_sources"].values()) == stats["kept"]
    assert stats["fulltext"]["message"]
    with (tmp_path / "out" / "papers.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["label_source"] for r in rows} <= {"abstract", "fulltext"}


def test_llm_annotator_run_lists_disagreements_with_rules(
    anthology_fixture: Path, tmp_path: Path
) -> None:
    """`survey run --annotator llm`: the LLM labels drive the stats; rules vs LLM are listed."""
    from inspect_ai.model import ModelOutput, ModelUsage

    from langgap.survey.annotate import RuleAnnotator
    from langgap.survey.llm_annotator import LLMAnnotator

    answer = json.dumps(
        {"related": True, "languages": ["Hindi"], "topic": "privacy", "documented": True,
         "rationale": "mock"}
    )  # fmt: skip

    def reply(*_: object) -> ModelOutput:
        output = ModelOutput.from_content("mockllm/model", answer)
        output.usage = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)
        return output

    annotator = LLMAnnotator(
        "mockllm/model", custom_outputs=reply, cache_root=tmp_path / "llm", fallback=RuleAnnotator()
    )
    config = SurveyConfig(
        anthology=anthology_fixture, out=tmp_path / "out", cache_root=tmp_path / "cache",
        write_report=False, compare_with_rules=True,
    )  # fmt: skip
    stats = run_survey(config, annotator=annotator).stats.to_dict()
    assert stats["kept"] == stats["screened"]  # the mock calls every paper related
    assert stats["languages"] == {"hin": stats["kept"]}
    assert stats["config"]["annotator"].startswith("llm/")
    with (tmp_path / "out" / "disagreements.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {"related", "languages", "topic"} <= {r["field"] for r in rows}
    assert annotator.usage.requests == stats["screened"]
