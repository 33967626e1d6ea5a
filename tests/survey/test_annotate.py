from __future__ import annotations

from pathlib import Path

import pytest

from langgap.survey.annotate import RuleAnnotator
from langgap.survey.models import Labels, Paper
from langgap.survey.sources.anthology import read_anthology


@pytest.fixture
def labels(anthology_fixture: Path) -> dict[str, Labels]:
    papers, _ = read_anthology(anthology_fixture)
    annotator = RuleAnnotator()
    return {p.id: annotator.annotate(p) for p in papers if p.abstract}


def test_multilingual_jailbreak_paper(labels: dict[str, Labels]) -> None:
    lab = labels["2023.acl-long.1"]
    assert lab.related
    assert set(lab.languages) == {"ben", "swa", "eng"}
    assert lab.group == "multilingual"
    assert lab.topic == "jailbreaking"
    assert lab.documented
    spans = {e.text for e in lab.evidence["languages"]}
    assert {"Bengali", "Swahili", "English"} <= spans


def test_english_default_is_undocumented(labels: dict[str, Labels]) -> None:
    lab = labels["2023.acl-long.2"]
    assert lab.related and lab.topic == "toxicity_bias"
    assert lab.languages == ("eng",)
    assert lab.group == "english_only"
    assert not lab.documented


def test_food_safety_is_unrelated(labels: dict[str, Labels]) -> None:
    lab = labels["2023.acl-long.3"]
    assert not lab.related
    assert lab.topic == "not_safety"
    assert any("food safety" in e.text.lower() for e in lab.evidence["related"])


def test_non_english_paper(labels: dict[str, Labels]) -> None:
    lab = labels["2022.woah-1.1"]
    assert lab.group == "non_english"
    assert lab.languages == ("zho",)
    # Rules v2: hate-speech detection in social-media posts is content moderation of people's
    # writing, not LLM safety (the guide: harms caused by the language model itself).
    assert not lab.related and lab.topic == "not_safety"
    notes = {e.note for e in lab.evidence["related"]}
    assert "people's content, not model output" in notes


def test_topics_hallucination_and_privacy(labels: dict[str, Labels]) -> None:
    assert labels["2021.tacl-1.1"].topic == "hallucination"
    assert labels["2021.mystery-1.1"].topic == "privacy"


def test_count_claim_without_list(labels: dict[str, Labels]) -> None:
    lab = labels["2024.trustnlp-1.1"]
    assert lab.group == "multilingual"
    assert lab.multilingual_unlisted
    assert not lab.documented
    # rules v2: red-teaming in general is alignment by the guide, not jailbreaking
    assert lab.topic == "alignment"


@pytest.mark.parametrize(
    ("abstract", "related"),
    [
        ("We detect adverse drug events to improve drug safety surveillance.", False),
        (
            "It is safe to say that parsers improved; we evaluate safety-critical control code.",
            False,
        ),
        ("We align LLMs to refuse harmful requests, improving safety without over-refusal.", True),
        ("Dialogue systems can produce unsafe responses; we propose a safety classifier.", True),
    ],
)
def test_related_rule(abstract: str, related: bool) -> None:
    paper = Paper(id="x", title="T", abstract=abstract, year=2023)
    assert RuleAnnotator().annotate(paper).related is related


def test_several_strong_topics_make_alignment() -> None:
    paper = Paper(
        id="x",
        title="Safety of LLMs: toxicity, jailbreaks, privacy leakage and hallucination",
        abstract=(
            "We benchmark LLM safety across toxic content, jailbreak attacks, privacy leakage "
            "and hallucination, covering toxicity, red-teaming, memorization and factuality."
        ),
        year=2024,
    )
    assert RuleAnnotator().annotate(paper).topic == "alignment"
