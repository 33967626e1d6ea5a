"""Tests for inter-annotator agreement: library equality, intervals, determinism, edge cases."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from typer import Typer
from typer.testing import CliRunner

from langgap.survey import estimates
from langgap.survey.agreement import (
    AGREEMENT_FIELDS,
    agreement,
    jaccard_per_paper,
    mean_jaccard,
)
from langgap.survey.annotations import Annotation, group_for, write_annotations
from langgap.survey.models import TOPICS


@contextmanager
def quiet() -> Iterator[None]:
    """Silence sklearn's undefined-kappa warnings (NaN is the expected answer there)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def paper(paper_id: str, annotator: str, **labels: object) -> Annotation:
    """An annotation with plausible defaults; keyword arguments override labels."""
    languages = tuple(sorted(labels.pop("languages", ("eng",))))  # type: ignore[call-overload]
    base = {
        "related": True,
        "languages": languages,
        "group": group_for(languages),
        "topic": "jailbreaking",
        "documented": True,
    }
    base.update(labels)
    return Annotation(paper_id=paper_id, annotator=annotator, **base)  # type: ignore[arg-type]


def synthetic(
    n_papers: int, annotators: tuple[str, ...], rate: float, seed: int = 0
) -> list[Annotation]:
    """Every annotator labels every paper; each keeps the true topic with probability `rate`."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_papers):
        truth = TOPICS[rng.integers(len(TOPICS))]
        related = bool(rng.random() < 0.7)
        langs = ("eng",) if rng.random() < 0.6 else ("eng", "zho")
        for name in annotators:
            topic = truth if rng.random() < rate else TOPICS[rng.integers(len(TOPICS))]
            rel = related if rng.random() < rate else not related
            out.append(paper(f"p{i}", name, topic=topic, related=rel, languages=langs))
    return out


# --- the batched statistics equal the libraries --------------------------------------------


@pytest.mark.parametrize("k", [2, 3, 7])
@pytest.mark.parametrize("n", [2, 5, 40])
def test_batched_kappa_equals_sklearn_on_random_data(k: int, n: int) -> None:
    rng = np.random.default_rng(k * 100 + n)
    for _ in range(6):
        a, b = rng.integers(0, k, n), rng.integers(0, k, n)
        if rng.random() < 0.3:  # often identical: the kappa = 1 and degenerate corners
            b = a.copy()
        weights = estimates.resample_weights(rng, n, 25)
        batched = estimates.kappa_from_tables(estimates.pair_tables(a, b, k, weights))
        draws = [np.repeat(np.arange(n), w.astype(int)) for w in weights]
        with quiet():
            expected = [cohen_kappa_score(a[d], b[d]) for d in draws]
        np.testing.assert_allclose(batched, expected, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_kappa_degenerate_cases_match_sklearn_and_never_crash() -> None:
    ones = np.ones((1, 4))
    same = np.zeros(4, dtype=np.int64)
    # Both sides one identical label: undefined (sklearn gives NaN too).
    assert math.isnan(estimates.kappa_from_tables(estimates.pair_tables(same, same, 2, ones))[0])
    e = estimates.kappa(["a"] * 4, ["a"] * 4, ["a", "b"], estimates.resample_weights(
        np.random.default_rng(0), 4, 10))  # fmt: skip
    assert math.isnan(e.value) and math.isnan(e.low) and "undefined" in e.note
    # One side constant, the other not: defined and 0, as in sklearn.
    other = np.array([0, 0, 1, 0])
    got = estimates.kappa_from_tables(estimates.pair_tables(same, other, 2, ones))[0]
    with quiet():
        assert got == pytest.approx(cohen_kappa_score(same, other)) == 0.0


def test_alpha_equals_krippendorff_with_missing_values() -> None:
    rng = np.random.default_rng(3)
    for k in (2, 3, 7):
        codes = rng.integers(0, k, size=(4, 60))
        codes[rng.random(codes.shape) < 0.3] = -1  # annotators skip papers
        got = estimates.alpha(codes, k, 100, np.random.default_rng(0))
        data = np.where(codes >= 0, codes, np.nan)
        want = krippendorff.alpha(
            reliability_data=data, value_domain=np.arange(k), level_of_measurement="nominal"
        )
        assert got.value == pytest.approx(want)
        # The batched formula on unit weights equals the library too.
        units = estimates.AlphaUnits.from_codes(codes, k)
        batched = estimates.alpha_from_weights(units, np.ones((1, units.pairable.size)))
        assert batched[0] == pytest.approx(want)


def test_batched_alpha_equals_krippendorff_on_resamples() -> None:
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 3, size=(3, 25))
    codes[0, :5] = -1
    units = estimates.AlphaUnits.from_codes(codes, 3)
    pairable = codes[:, (codes >= 0).sum(axis=0) >= 2]
    weights = estimates.resample_weights(rng, units.pairable.size, 20)
    batched = estimates.alpha_from_weights(units, weights)
    for w, got in zip(weights, batched, strict=True):
        cols = np.repeat(np.arange(pairable.shape[1]), w.astype(int))
        data = np.where(pairable[:, cols] >= 0, pairable[:, cols], np.nan)
        want = krippendorff.alpha(
            reliability_data=data, value_domain=np.arange(3), level_of_measurement="nominal"
        )
        assert got == pytest.approx(want)


def test_alpha_degenerate_cases_are_nan_with_a_note() -> None:
    rng = np.random.default_rng(0)
    same = estimates.alpha(np.zeros((3, 10), dtype=np.int64), 2, 50, rng)
    assert math.isnan(same.value) and same.note == estimates.ALPHA_UNDEFINED
    single = np.full((3, 10), -1)
    single[0] = 1  # one annotator per paper: nothing to compare
    unpaired = estimates.alpha(single, 2, 50, rng)
    assert math.isnan(unpaired.value) and unpaired.n == 0 and "two annotators" in unpaired.note


def test_jaccard_hand_checked() -> None:
    a = [("eng",), ("eng", "zho"), (), ("ara",)]
    b = [("eng",), ("zho",), (), ("hin",)]
    # 1, 1/2, empty/empty = 1, 0
    assert list(jaccard_per_paper(a, b)) == [1.0, 0.5, 1.0, 0.0]
    assert mean_jaccard(a, b) == pytest.approx(2.5 / 4)
    assert mean_jaccard([(), ()], [(), ()]) == 1.0
    assert mean_jaccard([("eng",), ()], [("eng",), ("eng",)]) == 0.5  # one language in all


# --- agreement() ---------------------------------------------------------------------------


def paired_design() -> list[Annotation]:
    """Four pairs, each labelling its own 20 papers (the published survey's design)."""
    out: list[Annotation] = []
    pairs = [("A", "B"), ("C", "D"), ("A", "C"), ("B", "D")]
    for j, (x, y) in enumerate(pairs):
        labels = synthetic(20, (x, y), rate=0.8, seed=j)
        out += [replace(a, paper_id=f"s{j}-{a.paper_id}") for a in labels]
    return out


def test_pairs_fields_and_library_values() -> None:
    records = paired_design()
    report = agreement(records, n_boot=200)
    assert [p.annotators for p in report.pairs] == [("A", "B"), ("A", "C"), ("B", "D"), ("C", "D")]
    assert {(a, b) for a, b, _ in report.skipped} == {("A", "D"), ("B", "C")}
    for pair in report.pairs:
        assert pair.n == 20
        assert set(pair.fields) == set(AGREEMENT_FIELDS)
        x, y = pair.annotators
        left = {a.paper_id: a.topic for a in records if a.annotator == x}
        right = {a.paper_id: a.topic for a in records if a.annotator == y}
        shared = sorted(left.keys() & right.keys())
        want = cohen_kappa_score([left[p] for p in shared], [right[p] for p in shared])
        assert pair.fields["topic"].value == pytest.approx(want)
    # Alpha runs over all annotators, missing where an annotator did not label a paper.
    papers = sorted({a.paper_id for a in records})
    names = sorted({a.annotator for a in records})
    index = {t: i for i, t in enumerate(TOPICS)}
    by = {(a.annotator, a.paper_id): index[a.topic] for a in records}
    data = np.array([[by.get((n, p), np.nan) for p in papers] for n in names], dtype=float)
    want_alpha = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    alpha = report.summary["topic"].alpha
    assert alpha is not None and alpha.value == pytest.approx(want_alpha)
    assert alpha.n == 80
    # Mean ± sd over pairs.
    values = [p.fields["topic"].value for p in report.pairs]
    assert report.summary["topic"].mean == pytest.approx(np.mean(values))
    assert report.summary["topic"].sd == pytest.approx(np.std(values, ddof=1))
    assert report.summary["languages"].alpha is None


def test_interval_contains_estimate_and_narrows_with_n() -> None:
    names = ("A", "B")
    small = agreement(synthetic(30, names, 0.8, seed=1), n_boot=500).pairs[0].fields["topic"]
    large = agreement(synthetic(600, names, 0.8, seed=1), n_boot=500).pairs[0].fields["topic"]
    for e in (small, large):
        assert e.low <= e.value <= e.high
    assert (large.high - large.low) < (small.high - small.low) / 2


def test_deterministic_for_a_seed() -> None:
    records = synthetic(50, ("A", "B", "C"), 0.7)
    first = agreement(records, n_boot=100, seed=7).to_dict()
    assert agreement(records, n_boot=100, seed=7).to_dict() == first
    assert agreement(records, n_boot=100, seed=8).to_dict() != first


def test_degenerate_field_reports_nan_with_note_and_valid_json() -> None:
    records = [paper(f"p{i}", n, documented=True) for i in range(10) for n in ("A", "B")]
    report = agreement(records, n_boot=50)
    documented = report.pairs[0].fields["documented"]
    assert math.isnan(documented.value) and "undefined" in documented.note
    assert report.summary["documented"].pairs == 0
    data = report.to_dict()
    json.dumps(data, allow_nan=False)  # NaN was turned into null
    assert data["pairs"][0]["fields"]["documented"]["value"] is None
    headers, rows = report.table()
    assert headers[1] == "A–B" and headers[-2:] == ["Mean ± sd", "Krippendorff's α"]
    row = next(r for r in rows if r[0].startswith("Languages documented"))
    assert row[1].startswith("n/a") and row[2] == "n/a"


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no annotations"):
        agreement([])
    twice = [paper("p1", "A"), paper("p1", "A")]
    with pytest.raises(ValueError, match="labelled paper 'p1' twice"):
        agreement(twice)
    with pytest.raises(ValueError, match="n_boot"):
        agreement([paper("p1", "A")], n_boot=-1)


def test_no_bootstrap_gives_points_without_intervals() -> None:
    report = agreement(synthetic(20, ("A", "B"), 0.8), n_boot=0)
    topic = report.pairs[0].fields["topic"]
    assert topic.defined and math.isnan(topic.low) and "no bootstrap" in topic.note


def test_cli_agree_writes_json_and_markdown(tmp_path: Path) -> None:
    from langgap.survey.cli_quality import register

    app = Typer()
    register(app)
    records = synthetic(25, ("A", "[bold]B"), 0.8)
    path = write_annotations(tmp_path / "annotations.csv", records)
    result = CliRunner().invoke(app, ["agree", str(path), "--n-boot", "100"])
    assert result.exit_code == 0, result.output
    assert "[bold]B" in result.output  # a name is text, not markup
    data = json.loads((tmp_path / "agreement.json").read_text())
    assert data["pairs"][0]["n"] == 25
    assert "Inter-annotator agreement" in (tmp_path / "agreement.md").read_text()
