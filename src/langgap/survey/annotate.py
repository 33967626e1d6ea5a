"""Annotators: give each screened paper its labels (related, languages, group, topic, documented).

The default `RuleAnnotator` is transparent: every label carries the spans that decided it. Other
annotators (an LLM, a person's sheet) implement the same `Annotator` protocol.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Protocol, cast

import yaml

from langgap.languages import Mention, find_mentions
from langgap.survey.cues import Cue, build_cues
from langgap.survey.models import TOPICS, Evidence, Group, Labels, Paper, Topic

ENGLISH = "eng"
_CONTEXT = 80  # characters either side of a keyword hit that decide its sense
# A paper "spans several subtopics" (topic alignment) when the runner-up scores at least
# _CLOSE_SHARE of the best, or when _SPAN_TOPICS topics each reach _SPAN_SHARE of it.
_CLOSE_SHARE = 0.8
_SPAN_SHARE = 0.4
_SPAN_TOPICS = 3
_WEAK_CLAIM = re.compile(r"resource|cross-?lingual", re.IGNORECASE)
_MODEL_KIND = "0"  # the first related_weak pattern names models (LLM, chatbot…), not a harm


class Annotator(Protocol):
    """Anything that labels papers; `name` and `version` key the annotation cache."""

    name: str
    version: str

    def annotate_many(self, papers: Sequence[Paper]) -> list[Labels]:
        """Labels for each paper, in order."""
        ...


@dataclass(frozen=True)
class _CompiledRules:
    version: str
    unrelated: re.Pattern[str]
    strong: tuple[Cue, ...]
    content_harms: tuple[Cue, ...]
    people_content: tuple[Cue, ...]
    model_terms: re.Pattern[str]
    weak: tuple[Cue, ...]
    topics: tuple[Cue, ...]


def _compile(fragments: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{f})" for f in fragments), re.IGNORECASE)


@cache
def load_rules() -> _CompiledRules:
    """The packaged rule file, compiled once."""
    text = resources.files("langgap.survey").joinpath("rules.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    unknown = set(data["topics"]) - set(TOPICS)
    if unknown:
        raise ValueError(f"rules.yaml: unknown topic(s) {sorted(unknown)}; topics are {TOPICS}")
    return _CompiledRules(
        version=str(data["version"]),
        unrelated=_compile(data["unrelated_contexts"]),
        strong=build_cues(("strong", p) for p in data["related_strong"]),
        content_harms=build_cues(("content", p) for p in data["content_harms"]),
        people_content=build_cues(("people", p) for p in data["people_content"]),
        model_terms=_compile(rf"\b(?:{p})" for p in data["model_terms"]),
        weak=build_cues((str(i), p) for i, p in enumerate(data["related_weak"])),
        topics=build_cues(
            (topic, p) for topic, patterns in data["topics"].items() for p in patterns
        ),
    )


def _fields(paper: Paper) -> list[tuple[str, str, str]]:
    """(field, text, lower-cased text) for the title and the abstract."""
    return [
        (name, text, text.lower())
        for name, text in (("title", paper.title), ("abstract", paper.abstract))
        if text
    ]


def _evidence(field: str, match: re.Match[str], note: str = "") -> Evidence:
    return Evidence(field, match.start(), match.end(), match.group(), note)


def _first_match(
    fields: list[tuple[str, str, str]], cues: Sequence[Cue]
) -> tuple[str, re.Match[str]] | None:
    """(field, match) of the first cue found in the title, then the abstract."""
    for field, text, lowered in fields:
        for cue in cues:
            if match := cue.search(text, lowered):
                return field, match
    return None


def judge_related(paper: Paper, keyword: re.Pattern[str]) -> tuple[bool, list[Evidence]]:
    """Is the paper about the safety of language models / NLP systems, or another kind of safety?

    Strong signals (jailbreaks, unsafe responses, safety alignment…) decide alone. Harms in text
    (hate speech, toxic comments) count only beside a model term, and never when the paper
    studies people's posts without any model-side signal (content moderation). A keyword hit
    beside "LLM" counts only when the paper has some other safety signal besides the model.
    """
    rules = load_rules()
    evidence: list[Evidence] = []
    other_sense = 0
    hits = 0
    near_model_hits: list[tuple[str, re.Match[str]]] = []
    fields = _fields(paper)
    for field, text, _ in fields:
        for hit in keyword.finditer(text):
            hits += 1
            window_start = max(0, hit.start() - _CONTEXT)
            window_end = hit.end() + _CONTEXT
            context = rules.unrelated.search(text, window_start, window_end)
            if context:
                other_sense += 1
                evidence.append(_evidence(field, context, "keyword used in another sense"))
            elif near_model := rules.model_terms.search(text, window_start, window_end):
                near_model_hits.append((field, near_model))
    strong = [(f, m) for f, t, low in fields for cue in rules.strong for m in cue.finditer(t, low)]
    weak_kinds = {cue.label for _, t, low in fields for cue in rules.weak if cue.search(t, low)}
    content = [
        (f, t, m) for f, t, low in fields for c in rules.content_harms for m in c.finditer(t, low)
    ]
    people = _first_match(fields, rules.people_content)
    if content and people and not strong:
        # Hate speech, toxicity… in what people post: content moderation, not a model's harm.
        f, _, m = content[0]
        evidence.append(_evidence(f, m, "harm in people's content"))
        evidence.append(_evidence(people[0], people[1], "people's content, not model output"))
        return False, evidence
    for f, t, m in content:
        near = rules.model_terms.search(t, max(0, m.start() - _CONTEXT), m.end() + _CONTEXT)
        if near:
            strong.append((f, m))  # "toxicity of ChatGPT", "detoxifying language models"
    if content:
        weak_kinds.add("content")
    # "safety" right beside "LLM", "chatbot", "model outputs"… counts only with another signal:
    # the model term itself is weak kind 0.
    if near_model_hits and weak_kinds - {_MODEL_KIND}:
        strong += near_model_hits
    evidence.extend(_evidence(f, m, "LM-safety signal") for f, m in strong[:5])
    if strong:
        # A strong signal wins unless every keyword hit is clearly another sense and it is alone.
        related = not (hits and other_sense == hits and len(strong) < 2)
    elif people:
        # Only weak signals, in a study of people's posts: not a model's harm.
        related = False
        evidence.append(_evidence(people[0], people[1], "people's content, not model output"))
    else:
        related = len(weak_kinds) >= 2 and other_sense < max(hits, 1)
        if related:
            evidence.append(Evidence("abstract", 0, 0, "", f"{len(weak_kinds)} weak signal kinds"))
    return related, evidence


_TITLE_WEIGHT = 2.0  # a topic cue in the title counts twice


TopicCues = tuple[dict[Topic, float], dict[Topic, list[Evidence]]]  # scores, their matches


def topic_cue_scores(paper: Paper) -> TopicCues:
    """Each topic's cue score (a cue in the title counts 2, in the abstract 1) and the matches
    behind it; topics without a cue are absent. The rules' topic and the learned annotator's
    topic features both read these scores."""
    scores: dict[Topic, float] = {}
    evidence: dict[Topic, list[Evidence]] = {}
    for field, text, lowered in _fields(paper):
        weight = _TITLE_WEIGHT if field == "title" else 1.0
        for cue in load_rules().topics:
            # Each cue counts once per field, so one repeated word cannot outvote the rest.
            match = cue.search(text, lowered)
            if match:
                topic = cast(Topic, cue.label)
                scores[topic] = scores.get(topic, 0.0) + weight
                evidence.setdefault(topic, []).append(_evidence(field, match, topic))
    return scores, evidence


def judge_topic(
    paper: Paper, related: bool, cues: TopicCues | None = None
) -> tuple[Topic, list[Evidence]]:
    """The dominant safety subtopic; several strong ones at once, or none, is `alignment`
    (`cues`: the paper's `topic_cue_scores`, when the caller has them already)."""
    if not related:
        return "not_safety", []
    return topic_from_cues(*(cues or topic_cue_scores(paper)))


def topic_from_cues(
    scores: dict[Topic, float], evidence: dict[Topic, list[Evidence]]
) -> tuple[Topic, list[Evidence]]:
    """The topic of a related paper from its `topic_cue_scores`, with the evidence shown."""
    if not scores:
        return "alignment", [Evidence("abstract", 0, 0, "", "no subtopic cue: general safety")]
    ranked = sorted(scores, key=lambda t: (-scores[t], TOPICS.index(t)))
    best = ranked[0]
    strong = [t for t in ranked if scores[t] >= max(2.0, _SPAN_SHARE * scores[best])]
    # Two specific topics neck and neck span several; a specific topic just ahead of the general
    # alignment cues (red-teaming, guardrails) stays specific.
    close = (
        len(ranked) > 1
        and ranked[1] != "alignment"
        and scores[ranked[1]] >= max(2.0, _CLOSE_SHARE * scores[best])
    )
    if best != "alignment" and (len(strong) >= _SPAN_TOPICS or close):
        spanned = strong if len(strong) >= _SPAN_TOPICS else ranked[:2]
        note = "spans " + ", ".join(f"{t} ({scores[t]:g})" for t in spanned)
        trail = [e for t in spanned for e in evidence[t][:2]]
        return "alignment", [*trail, Evidence("abstract", 0, 0, "", note)]
    return best, evidence[best][:5]


@dataclass(frozen=True, slots=True)
class LanguageLabels:
    """The language part of an annotation."""

    languages: tuple[str, ...]
    group: Group
    documented: bool
    multilingual_unlisted: bool
    evidence: list[Evidence]


def _mentions(paper: Paper) -> list[tuple[str, Mention]]:
    return [(field, m) for field, text, _ in _fields(paper) for m in find_mentions(text)]


def judge_languages(paper: Paper) -> LanguageLabels:
    """Languages studied, the group, and whether the text names them at all.

    English named only as a contrast ("unlike English", "benchmarks mostly in English") is not
    studied when the paper names another language or claims several. A count without names
    ("across 30 languages", FLORES) is multilingual with the languages unlisted: no English is
    assumed then.
    """
    mentions = _mentions(paper)
    codes: set[str] = set()
    contrast: set[str] = set()
    named = contrast_named = False
    claim_count: int | None = None
    claimed = False
    weak_claim = False  # "low-resource languages", "cross-lingual": weak beside a named language
    evidence: list[Evidence] = []
    for field, mention in mentions:
        note = f"{mention.kind} (contrast: not studied)" if mention.contrast else mention.kind
        evidence.append(Evidence(field, mention.start, mention.end, mention.text, note))
        if mention.contrast:
            contrast.update(mention.languages)
            contrast_named = True
            continue
        codes.update(mention.languages)
        if mention.kind in ("name", "code"):
            named = True
        elif mention.kind == "claim" and not mention.count and _WEAK_CLAIM.search(mention.text):
            weak_claim = True
        elif mention.kind == "claim" or (mention.kind == "dataset" and not mention.languages):
            # a dataset known only by its size (FLORES-200) claims that many languages
            claimed = claimed or mention.kind == "claim" or (mention.count or 0) >= 2
            if mention.count and mention.count >= 2:
                claim_count = max(claim_count or 0, mention.count)
    # "Cantonese, a low-resource language", "cross-lingual transfer to Finnish": one language
    claimed = claimed or (weak_claim and not codes)
    if not codes and not claimed and contrast:
        # only the "contrast" was named: nothing else to study, so it is the language after all
        codes, named = contrast, contrast_named
    unlisted = claimed and len(codes) < max(2, claim_count or 2)
    if not codes and not claimed:
        codes = {ENGLISH}
    group = _group(codes, claimed)
    return LanguageLabels(tuple(sorted(codes)), group, named, unlisted, evidence)


def _group(codes: set[str], claimed_multilingual: bool) -> Group:
    if len(codes) >= 2 or claimed_multilingual:
        return "multilingual"
    return "english_only" if codes == {ENGLISH} else "non_english"


class RuleAnnotator:
    """Transparent keyword/pattern annotator; the default."""

    name = "rules"

    def __init__(self, keywords: re.Pattern[str] | None = None) -> None:
        self.keywords = keywords or re.compile(r"\b(?:safety|safe)\b", re.IGNORECASE)
        self.version = f"{load_rules().version}.{_rules_fingerprint()}"

    def prepare(self) -> None:
        """Build the rule and language tables now rather than on the first paper."""
        load_rules()
        find_mentions("English")

    def annotate(self, paper: Paper, cues: TopicCues | None = None) -> Labels:
        """Labels for one paper, with evidence (`cues`: its `topic_cue_scores`, if at hand)."""
        related, related_evidence = judge_related(paper, self.keywords)
        topic, topic_evidence = judge_topic(paper, related, cues)
        langs = judge_languages(paper)
        return Labels(
            related=related,
            languages=langs.languages,
            group=langs.group,
            topic=topic,
            documented=langs.documented,
            multilingual_unlisted=langs.multilingual_unlisted,
            annotator=f"{self.name}/{self.version}",
            evidence={
                "related": related_evidence,
                "topic": topic_evidence,
                "languages": langs.evidence,
            },
        )

    def annotate_many(self, papers: Sequence[Paper]) -> list[Labels]:
        """Labels for each paper, in order."""
        return [self.annotate(p) for p in papers]


@cache
def _rules_fingerprint() -> str:
    """A hash of everything the rule annotator's labels depend on, so caches follow any edit."""
    digest = hashlib.blake2b(digest_size=6)
    for package, name in _LABEL_SOURCES:
        digest.update(resources.files(package).joinpath(name).read_bytes())
    return digest.hexdigest()


_LABEL_SOURCES = (
    ("langgap.survey", "rules.yaml"),
    ("langgap.survey", "annotate.py"),
    ("langgap.survey", "cues.py"),
    ("langgap.survey", "models.py"),
    ("langgap.languages", "mentions.py"),
    ("langgap.languages", "registry.py"),
    ("langgap.languages", "aliases.yaml"),
    ("langgap.languages", "datasets.yaml"),
)
