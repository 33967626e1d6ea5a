"""The packaged reference annotation: complete, consistent, usable as gold through the CLI."""

from __future__ import annotations

import doctest
import hashlib
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

import langgap.survey.reference as reference_module
from langgap.survey.adjudicate import read_gold
from langgap.survey.annotations import group_for
from langgap.survey.cli import app
from langgap.survey.reference import (
    SPLITS,
    load_reference,
    reference_path,
    reference_split,
    resolve_gold,
)
from langgap.survey.sheet_import import parse_labels

SNAPSHOT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "acl-anthology"


def test_reference_has_every_paper_once_with_consistent_labels() -> None:
    gold = load_reference()
    assert len(gold) == 360 == len({a.paper_id for a in gold})
    assert Counter(a.decided_by for a in gold) == {"agreement": 342, "C": 18}
    for a in gold:
        assert a.related or a.topic == "not_safety", a.paper_id
        implied = "multilingual" if a.unlisted else group_for(a.languages)
        assert not a.related or a.group == implied, a.paper_id


def test_two_independent_annotations_per_paper() -> None:
    annotations = read_gold(reference_path("annotations"))
    by_paper = Counter(a.paper_id for a in annotations)
    assert set(by_paper.values()) == {2}
    assert {a.annotator for a in annotations} == {"A", "B"}


def test_reference_name_resolves_and_other_paths_pass_through(tmp_path: Path) -> None:
    assert resolve_gold("reference") == reference_path()
    assert resolve_gold(tmp_path / "gold.csv") == tmp_path / "gold.csv"


def test_unnamed_languages_keep_the_group_multilingual() -> None:
    values = {"paper_id": "p1", "related": "yes", "languages": "eng;+9", "group": "multilingual",
              "topic": "alignment", "documented": "no"}  # fmt: skip
    annotation, problems = parse_labels("s.csv", 2, "A", values)
    assert not problems and annotation is not None
    assert annotation.languages == ("eng",) and annotation.unlisted == ("+9",)
    assert annotation.as_row()["languages"] == "eng;+9"
    values |= {"languages": "+?", "group": "english_only"}
    annotation, problems = parse_labels("s.csv", 2, "A", values)
    assert annotation is None and "multilingual" in problems[0].fix


def test_score_rules_against_the_reference_through_the_cli(tmp_path: Path) -> None:
    pred = tmp_path / "papers.csv"
    gold = load_reference()[:3]
    rows = ["id,related,languages,group,topic,documented"]
    rows += [f"{a.paper_id},true,eng,english_only,alignment,false" for a in gold]
    pred.write_text("\n".join(rows) + "\n")
    result = CliRunner().invoke(
        app, ["score", "--gold", "reference", "--pred", str(pred), "--n-boot", "20"]
    )
    assert result.exit_code == 0, result.output
    assert "3 of 360 gold papers scored" in result.output.replace("\n", " ")


def test_a_run_covering_the_reference_is_scored_against_it_by_default(tmp_path: Path) -> None:
    from langgap.survey.models import Paper
    from langgap.survey.pipeline import REFERENCE_MIN_OVERLAP, SurveyConfig, _reference_gold

    ids = [a.paper_id for a in load_reference()]
    papers = [Paper(i, "t", "a", 2024) for i in ids[:REFERENCE_MIN_OVERLAP]]
    config = SurveyConfig(anthology=None, out=tmp_path)
    assert _reference_gold(config, papers) == reference_path()
    assert _reference_gold(config, papers[:-1]) is None  # too few of its papers: no line
    off = SurveyConfig(anthology=None, out=tmp_path, reference_quality=False)
    assert _reference_gold(off, papers) is None


def test_reference_split_is_a_fixed_60_20_20_hash_split() -> None:
    # buckets worked out by hand from blake2b(id, digest_size=8) % 100
    assert reference_split("a") == "train"  # bucket 43
    assert reference_split("x") == "test"  # bucket 83
    for paper_id in ("2020.acl-main.188", "2024.findings-acl.1", "z"):
        digest = hashlib.blake2b(paper_id.encode(), digest_size=8).digest()
        bucket = int.from_bytes(digest, "big") % 100
        expected = "train" if bucket < 60 else "dev" if bucket < 80 else "test"
        assert reference_split(paper_id) == expected
    counts = Counter(reference_split(a.paper_id) for a in load_reference())
    assert set(counts) == set(SPLITS)
    assert counts == {"train": 228, "dev": 64, "test": 68}


def test_reference_module_doctests_pass() -> None:
    failed, tried = doctest.testmod(reference_module)
    assert tried >= 3 and failed == 0
