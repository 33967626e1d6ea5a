"""stats.json, typed: the pipeline's RunStats writes the file the report reads back unchanged."""

from __future__ import annotations

import json

from langgap.survey.run_stats import RunStats
from langgap.survey.sources.errors import SourceIssue


def test_a_written_stats_file_reads_back_to_the_same_object() -> None:
    from .test_report import realistic_stats

    written = realistic_stats()
    run = RunStats.from_mapping(written)
    again = RunStats.from_mapping(json.loads(json.dumps(run.to_dict())))
    assert again == run
    assert run.stats.kept == written["kept"]


def test_a_malformed_file_is_read_without_failing() -> None:
    run = RunStats.from_mapping(
        {
            "screened": "ten",
            "kept": 3,
            "by_year": {"2021": {"english_only": "2"}, "x": {}, "2019": None},
            "issues": [{"file": "a.bib", "line": "7", "message": "no title"}, "junk"],
            "future_key": [1],
        }
    )
    assert run.stats.screened == 0 and run.stats.unrelated_share is None
    assert list(run.stats.by_year) == ["2019", "2021", "x"]  # numeric years first, in order
    assert run.stats.by_year["2021"] == {"english_only": 2}
    assert run.issues == [SourceIssue("a.bib", 7, "no title", "")]
    assert run.to_dict()["future_key"] == [1]  # an unknown key survives a round trip
