"""Validators run on every item; results go into `item.validation` and a summary.

Checks: language identification with a confidence floor (prompt, chosen, rejected), script
against the registry's expected script, degenerate repetition (`repetition.py`), translation
length ratio, back-translation chrF (when one exists), the response classifier on the chosen side
(a benign prompt's chosen must not refuse; a harmful prompt's chosen must not comply), culture
terms (lexicon terms present in the source must survive translation) and near-duplicates (a
prompt whose character-shingle Jaccard with an earlier prompt of the same language is ≥ the
threshold; the duplicate names the item it duplicates). A check that cannot run records
`ok: None`, never a pass. Every failed check is a flag, and a flagged item is kept out of the
exports (`export.py`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NotRequired, TypedDict

from langgap.datagen.config import Validation
from langgap.datagen.constitution import Constitution, CultureTerm
from langgap.datagen.items import DataItem
from langgap.datagen.repetition import RepetitionLimits, check_repetition
from langgap.evaluate.judges.refusal import judge_refusal
from langgap.evaluate.probes.lid import detect_language, supported_languages
from langgap.languages import Language, lookup
from langgap.languages.scripts import SCRIPTS, script_classes


class ValidationSummary(TypedDict):
    """Counts of one validation run (summary.json's `validation`); export adds what it wrote."""

    n_validated: int
    checks: dict[str, dict[str, int]]  # check -> pass / fail / not_checked -> items
    flags: dict[str, int]  # flag -> items
    n_sft: NotRequired[int]
    n_dpo: NotRequired[int]
    n_rejected: NotRequired[int]
    keep_flagged: NotRequired[bool]


_LETTERS = re.compile(r"[^\W\d_]")
_ANY_SCRIPT = re.compile("[" + "".join(SCRIPTS.values()) + "]")  # includes combining vowel signs
_SPACE = re.compile(r"\s+")
TEXT_FIELDS = ("prompt", "chosen", "rejected")


@dataclass(frozen=True, slots=True)
class ValidationSettings:
    """Thresholds of the validators."""

    length_band: tuple[float, float] = (0.25, 4.0)
    min_chrf: float = 30.0
    dedup_threshold: float = 0.85  # Jaccard ≥ this is a near-duplicate
    min_script_share: float = 0.5
    min_language_confidence: float = 0.5
    repetition: RepetitionLimits = field(default_factory=RepetitionLimits)
    shingle: int = 5

    @classmethod
    def from_config(cls, config: Validation) -> ValidationSettings:
        """The settings of a run config's `validation` section."""
        return cls(
            length_band=config.length_band,
            min_chrf=config.min_chrf,
            dedup_threshold=config.dedup_threshold,
            min_script_share=config.min_script_share,
            min_language_confidence=config.min_language_confidence,
            repetition=RepetitionLimits(
                max_run=config.max_repeat_run, min_distinct_share=config.min_distinct_share
            ),
        )


def check_language(text: str, expected: Language, min_confidence: float = 0.5) -> dict[str, Any]:
    """The identified language of `text`, which must be `expected` with at least `min_confidence`.

    ok is None when the identifier lacks the language (unknown, not wrong).
    """
    detected, confidence = detect_language(text)
    checkable = expected.code in supported_languages()
    return {
        "detected": detected,
        "confidence": round(confidence, 3),
        "expected": expected.code,
        "min_confidence": min_confidence,
        "ok": (detected == expected.code and confidence >= min_confidence) if checkable else None,
    }


@cache
def _script_pattern(script: str) -> re.Pattern[str]:
    parts = script_classes(script)
    chars = "".join(SCRIPTS.get(p, "") for p in parts)
    return re.compile(f"[{chars}]") if chars else re.compile(r"(?!)")


def check_script(text: str, expected: Language, min_share: float = 0.5) -> dict[str, Any]:
    """The share of letters written in the language's expected script (from the registry)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # letters of the known scripts (with their marks) plus letters of any other script
    letters = len(_ANY_SCRIPT.findall(folded)) + len(_LETTERS.findall(_ANY_SCRIPT.sub("", folded)))
    if not letters:
        return {"expected": list(expected.scripts), "share": None, "ok": None}
    known = [s for s in expected.scripts if script_classes(s)[0] in SCRIPTS]
    if not known:
        return {"expected": list(expected.scripts), "share": None, "ok": None}
    share = max(len(_script_pattern(s).findall(folded)) for s in known) / letters
    return {"expected": known, "share": round(share, 3), "ok": share >= min_share}


def check_length(source: str, translation: str, band: tuple[float, float]) -> dict[str, Any]:
    """Translation length over source length, in characters, against a band."""
    ratio = len(translation) / max(len(source), 1)
    return {"ratio": round(ratio, 3), "band": list(band), "ok": band[0] <= ratio <= band[1]}


def check_chrf(source: str, back_translation: str, minimum: float) -> dict[str, Any]:
    """chrF (0-100) of the back-translation against the source."""
    from sacrebleu.metrics.chrf import CHRF

    score = float(_chrf(CHRF).sentence_score(back_translation, [source]).score)
    return {"chrf": round(score, 2), "min": minimum, "ok": score >= minimum}


@cache
def _chrf(kind: Any) -> Any:
    return kind()


# What the chosen side of a harmful prompt may not do: answer it (in full, or after a decline).
COMPLIANCE = frozenset({"complied", "partial"})


def check_refusal(item: DataItem) -> dict[str, Any]:
    """The response classifier on the chosen response (undecided: ok None, never a pass).

    A benign prompt's chosen must not decline; a harmful prompt's chosen must not comply (a
    refusal, a refutation, a cautious or redirecting answer pass).
    """
    verdict = judge_refusal(item.chosen, item.language)
    outcome = verdict.outcome or "unclear"
    action = verdict.action or outcome
    ok: bool | None
    if outcome == "unclear":
        ok = None
    elif item.harmful:
        ok = action not in COMPLIANCE
    else:
        ok = outcome != "refused"
    return {
        "outcome": outcome,
        "action": action,
        "rationale": verdict.rationale,
        "harmful": item.harmful,
        "ok": ok,
    }


def check_terms(source: str, translation: str, terms: Sequence[CultureTerm]) -> dict[str, Any]:
    """Lexicon terms in the source (as themselves or a source form) that the translation lost."""
    src, out = source.casefold(), translation.casefold()
    present = [t for t in terms if _mentions(src, t)]
    lost = [t.term for t in present if t.term.casefold() not in out]
    if not present:
        return {"present": [], "lost": [], "ok": None}
    return {"present": [t.term for t in present], "lost": lost, "ok": not lost}


def _mentions(text: str, term: CultureTerm) -> bool:
    if term.term.casefold() in text:
        return True
    return any(
        re.search(rf"(?<!\w){re.escape(form.casefold())}(?!\w)", text) for form in term.source_forms
    )


def validate_item(
    item: DataItem, terms: Sequence[CultureTerm], settings: ValidationSettings
) -> dict[str, Any]:
    """Every per-item check of one item (the duplicate check runs over all items)."""
    language = lookup(item.language_tag)
    checks: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        text = getattr(item, name)
        checks[f"language:{name}"] = check_language(
            text, language, settings.min_language_confidence
        )
        checks[f"script:{name}"] = check_script(text, language, settings.min_script_share)
        checks[f"repetition:{name}"] = check_repetition(text, settings.repetition)
    if item.source_prompt is not None:
        checks["length:prompt"] = check_length(
            item.source_prompt, item.prompt, settings.length_band
        )
        checks["culture_terms:prompt"] = check_terms(item.source_prompt, item.prompt, terms)
    if item.source_chosen is not None:
        checks["length:chosen"] = check_length(
            item.source_chosen, item.chosen, settings.length_band
        )
        checks["culture_terms:chosen"] = check_terms(item.source_chosen, item.chosen, terms)
    if item.back_translation is not None and item.source_prompt is not None:
        checks["chrf:prompt"] = check_chrf(
            item.source_prompt, item.back_translation, settings.min_chrf
        )
    checks["refusal:chosen"] = check_refusal(item)
    flags = sorted(name for name, check in checks.items() if check.get("ok") is False)
    # not a check: an unrevised item has no pair to prefer and goes to SFT only
    return {"checks": checks, "flags": flags, "duplicate_of": None, "revised": item.revised}


def shingles(text: str, size: int) -> set[bytes]:
    """Character n-grams of the NFKC-normalised (full-width ？ = ?), casefolded, space-collapsed
    text (works without word spaces)."""
    norm = _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    if len(norm) <= size:
        return {norm.encode("utf-8")}
    return {norm[i : i + size].encode("utf-8") for i in range(len(norm) - size + 1)}


def jaccard(a: set[bytes], b: set[bytes]) -> float:
    """|a ∩ b| / |a ∪ b| (1.0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def find_duplicates(
    items: Sequence[DataItem], threshold: float, *, shingle: int = 5
) -> dict[str, str]:
    """Item id -> id of the earliest kept item (same language) whose prompt it nearly duplicates.

    Near-duplicate means: the exact Jaccard similarity of the two prompts' character shingles
    is ≥ `threshold` (0.851 at threshold 0.85 is a duplicate, 0.849 is not). Exact, not
    estimated: prefix filtering (Chaudhuri et al. 2006; Bayardo et al. 2007) proposes every pair
    that can reach the threshold, since two sets with Jaccard ≥ t share a token among their
    first |x| - ⌈t·|x|⌉ + 1 tokens in one global order (rarest first), and each candidate's
    Jaccard is computed.
    """
    grams = [shingles(item.prompt, shingle) for item in items]
    frequency = Counter(g for found in grams for g in found)
    indexes: dict[str, dict[bytes, list[int]]] = {}
    found: dict[str, str] = {}
    for i, (item, mine) in enumerate(zip(items, grams, strict=True)):
        ordered = sorted(mine, key=lambda g: (frequency[g], g))
        prefix = ordered[: len(mine) - math.ceil(threshold * len(mine)) + 1]
        index = indexes.setdefault(item.language_tag, {})
        candidates = sorted({j for g in prefix for j in index.get(g, ())})
        close = [
            j
            for j in candidates
            if threshold * len(mine) <= len(grams[j]) <= len(mine) / threshold
            and jaccard(grams[j], mine) >= threshold
        ]
        if close:
            found[item.id] = items[close[0]].id
            continue
        for g in prefix:
            index.setdefault(g, []).append(i)
    return found


def validate_items(
    items: Sequence[DataItem], constitution: Constitution, settings: ValidationSettings
) -> ValidationSummary:
    """Validate items in place (`item.validation`) and return counts per check and flag."""
    terms = {tag: constitution.terms(tag) for tag in {i.language_tag for i in items}}
    for item in items:
        item.validation = validate_item(item, terms[item.language_tag], settings)
    duplicates = find_duplicates(items, settings.dedup_threshold, shingle=settings.shingle)
    for item in items:
        if item.id in duplicates:
            item.validation["duplicate_of"] = duplicates[item.id]
            item.validation["flags"].append("duplicate")
    return summarise(items)


def summarise(items: Iterable[DataItem]) -> ValidationSummary:
    """Pass / fail / not-checked counts per check, and counts per flag."""
    outcomes: dict[str, Counter[str]] = {}
    flags: Counter[str] = Counter()
    n = 0
    for item in items:
        n += 1
        for name, check in item.validation.get("checks", {}).items():
            ok = check.get("ok")
            key = "not_checked" if ok is None else "pass" if ok else "fail"
            outcomes.setdefault(name, Counter())[key] += 1
        flags.update(item.validation.get("flags", []))
    return {
        "n_validated": n,
        "checks": {k: dict(v) for k, v in sorted(outcomes.items())},
        "flags": dict(sorted(flags.items())),
    }
