"""Selection: languages, categories, harmfulness, split, paired limits and paired sampling."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from inspect_ai.dataset import Sample

from langgap.data import user_data_dir
from langgap.evaluate.benchmarks import (
    DATA_ENV,
    BenchmarkError,
    DataNotFoundError,
    LoadReport,
    load_benchmark,
    resolve_data_dir,
    select,
)
from langgap.languages import UnknownLanguageError

Loaded = tuple[list[Sample], LoadReport]


def _pairs_by_language(samples: list[Sample]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for s in samples:
        assert s.metadata is not None
        out[s.metadata["language_tag"]].add(s.metadata["pair_id"])
    return dict(out)


@pytest.mark.slow
def test_languages_are_normalised(multijail_data: Loaded) -> None:
    chosen = select(multijail_data[0], languages=["Bangla", "swa", "English"])
    assert set(_pairs_by_language(chosen)) == {"bn", "sw", "en"}
    assert len(chosen) == 3 * 315


@pytest.mark.slow
def test_unknown_language_offers_close_matches(multijail_data: Loaded) -> None:
    with pytest.raises(UnknownLanguageError, match="Swahili"):
        select(multijail_data[0], languages=["Swahilli"])


@pytest.mark.slow
def test_language_the_benchmark_lacks_lists_its_languages(multijail_data: Loaded) -> None:
    with pytest.raises(BenchmarkError, match=r"multijail has no German .*its languages: ar, bn"):
        select(multijail_data[0], benchmark="multijail", languages=["de"])


@pytest.mark.slow
def test_categories(xsafety_data: Loaded) -> None:
    chosen = select(xsafety_data[0], categories=["insult", "Mental_Health"])
    assert {s.metadata["category"] for s in chosen if s.metadata} == {"Insult", "Mental_Health"}
    with pytest.raises(BenchmarkError, match=r"no category 'Weather'; available: .*Insult"):
        select(xsafety_data[0], categories=["Weather"])


@pytest.mark.slow
def test_limit_keeps_translations_together(multijail_data: Loaded) -> None:
    chosen = select(multijail_data[0], limit=7)
    pairs = _pairs_by_language(chosen)
    assert len(pairs) == 10 and all(p == {str(i) for i in range(7)} for p in pairs.values())


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["multijail_data", "xsafety_data"])
def test_sampling_is_paired_and_deterministic(fixture: str, request: pytest.FixtureRequest) -> None:
    samples = request.getfixturevalue(fixture)[0]
    first = select(samples, sample_per_language=20, seed=3)
    again = select(samples, sample_per_language=20, seed=3)
    other = select(samples, sample_per_language=20, seed=4)
    assert [s.id for s in first] == [s.id for s in again]
    pairs = _pairs_by_language(first)
    assert len({frozenset(p) for p in pairs.values()}) == 1  # the same prompts in every language
    assert all(len(p) == 20 for p in pairs.values())
    assert _pairs_by_language(other) != pairs


@pytest.mark.slow
def test_sampling_pairs_as_far_as_the_data_allow(polyrefuse_data: Loaded) -> None:
    chosen = select(polyrefuse_data[0], split="train", harmful=False, sample_per_language=5)
    pairs = _pairs_by_language(chosen)
    assert "en" not in pairs and all(len(p) == 5 for p in pairs.values())
    aligned = {frozenset(p) for lang, p in pairs.items() if lang != "zh"}
    assert len(aligned) == 1  # the 12 aligned languages share their pair ids; zh cannot


@pytest.mark.slow
def test_harmful_and_split(polyrefuse_data: Loaded) -> None:
    chosen = select(polyrefuse_data[0], harmful=False, split="val")
    assert {(s.metadata["harmful"], s.metadata["split"]) for s in chosen if s.metadata} == {
        (False, "val")
    }
    with pytest.raises(BenchmarkError, match=r"no split 'dev'; available: test, train, val"):
        select(polyrefuse_data[0], split="dev")


def test_bad_sizes_are_rejected() -> None:
    with pytest.raises(BenchmarkError, match="limit must be a positive integer"):
        select([], limit=0)


@pytest.mark.slow
def test_load_benchmark_reports_selection(shared_data: Path) -> None:
    samples, report = load_benchmark(
        "CSRT", data_dir=shared_data, languages=["mul"], sample_per_language=4
    )
    assert report.selected == len(samples) == 4 and report.samples_made == 630


def test_data_dir_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "env"))
    assert resolve_data_dir(tmp_path) == tmp_path
    assert resolve_data_dir(None) == tmp_path / "env"
    monkeypatch.delenv(DATA_ENV)
    (tmp_path / "p" / "work").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "p" / "work")  # no ../shared/data beside it: user data dir
    assert resolve_data_dir(None) == user_data_dir()
    (tmp_path / "p" / "shared" / "data").mkdir(parents=True)
    assert resolve_data_dir(None) == (tmp_path / "p" / "shared" / "data").resolve()
    with pytest.raises(
        DataNotFoundError, match=r"MultiJail \(multijail\) is not in .*user data directory"
    ):
        load_benchmark("multijail")  # the conftest turns downloads off
