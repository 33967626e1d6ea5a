"""Code-switching from parallel translations: one prompt mixed from its own translations.

The first language of `languages` is the matrix (the base text); a `ratio` of its units (words,
phrases of `phrase_words` words, or clauses) is replaced by the aligned part of another
language's translation. Without a word aligner offline, alignment is positional and documented:

- clause level: both sides are split into clauses at punctuation; clause k is taken from the
  other language when every language has the same clause count (else the pair is skipped);
- word and phrase level: a monotonic, length-proportional map of token positions (matrix span
  [a, b) of m tokens -> other span [a*n/m, b*n/m) of n tokens), anchored clause by clause when
  the clause counts agree, else over the whole prompt. Languages without spaces are segmented
  (`jieba` for Chinese, `pykakasi` for Japanese); Thai, Lao, Khmer and Burmese have no offline
  segmenter here, so a pair with one of them falls back to clause level (recorded per sample).

At least one unit is switched and one kept, so every output really mixes. The realised mix is
measured by segment-level language identification (py3langid, restricted to the mix's
languages) and stored beside the target ratio; the report gives the mean absolute deviation.
"""

from __future__ import annotations

import logging
import math
import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, partial
from importlib import import_module
from itertools import accumulate
from typing import Any, Literal

from inspect_ai.dataset import Sample

from langgap.evaluate.probes import romanized_lid
from langgap.evaluate.probes._kakasi import original_items
from langgap.evaluate.probes.base import (
    PROBES,
    ProbeError,
    ProbeReport,
    library_versions,
    params_digest,
    register_probe,
    stable_seed,
    variant_sample,
)
from langgap.languages import Language, lookup, try_lookup

Level = Literal["word", "phrase", "clause"]
LEVELS: tuple[Level, ...] = ("word", "phrase", "clause")
PACKAGES = ("jieba", "pykakasi", "py3langid")
SPACELESS = frozenset({"zho", "jpn", "tha", "lao", "khm", "mya", "yue", "bod"})
UNSEGMENTED = frozenset({"tha", "lao", "khm", "mya", "bod"})  # no offline word segmenter here
_PUNCT = ".,;:!?。，、；：！？،؟؛।॥"
_CLAUSE = re.compile(f"[^{_PUNCT}]+[{_PUNCT}]*|[{_PUNCT}]+")
_SPACE = re.compile(r"\s+")
# Languages written in their own script that people also type in Latin letters (chat, Arabizi).
ROMANISED = frozenset({"hin", "ben", "urd", "ara"})


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of the output taken from one language, with the matrix units it stands for."""

    language_tag: str
    text: str
    units: int


def clauses(text: str, language: Language) -> list[str]:
    """The text's clauses (punctuation kept at the end; Thai also splits at spaces)."""
    parts = [c.strip() for c in _CLAUSE.findall(text) if c.strip()]
    if language.code in UNSEGMENTED:  # Thai marks clause breaks with spaces
        parts = [p for c in parts for p in _SPACE.split(c) if p]
    return parts


def tokens(text: str, language: Language) -> list[str]:
    """Word tokens of a clause (whitespace, or a segmenter for Chinese and Japanese)."""
    if language.code in ("zho", "yue"):
        return [t for t in _jieba().lcut(text) if t.strip()]
    if language.code == "jpn":
        return [word for word in original_items(text) if word.strip()]  # pykakasi's, faster
    return text.split()


@cache
def _jieba() -> Any:
    jieba = import_module("jieba")
    jieba.setLogLevel(logging.WARNING)  # it announces its dictionary load on stderr
    return jieba


@cache
def _identifier() -> Any:
    # Own instance: `rank` over the whole model, then restricted to the mix's languages.
    langid = import_module("py3langid.langid")
    return langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)


def identify(text: str, candidates: Sequence[str]) -> str | None:
    """The candidate language tag that best fits `text`.

    Latin-script text among candidates that include a language people romanise (Hindi, Bengali,
    Urdu, Arabic as Arabizi) goes to the romanised character models (py3langid knows these
    languages only in their own scripts); everything else to py3langid restricted to the
    candidates (ISO 639-1 as it knows them).
    """
    if not any(ch.isalpha() for ch in text):
        return None
    romanized = _romanized_codes(tuple(candidates))
    if romanized is not None and _mostly_latin(text):
        code = romanized_lid.best_language(text, list(romanized))
        return None if code is None else romanized[code]
    allowed = {tag.split("-")[0]: tag for tag in candidates}
    for code, _ in _identifier().rank(text):
        if code in allowed:
            return allowed[code]
    return None


@cache
def _romanized_codes(candidates: tuple[str, ...]) -> dict[str, str] | None:
    """ISO 639-3 -> tag, when the romanised models cover every candidate and one is romanised."""
    codes: dict[str, str] = {}
    for tag in candidates:
        lang = try_lookup(tag)
        if lang is None or lang.code not in romanized_lid.languages():
            return None
        codes[lang.code] = tag
    return codes if any(code in ROMANISED for code in codes) else None


def _mostly_latin(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(ch.isascii() for ch in letters) * 2 > len(letters)


def join(pieces: Sequence[Piece], spaceless: frozenset[str]) -> str:
    """Pieces joined by spaces, except between two pieces of languages written without them."""
    out = ""
    previous: str | None = None
    for piece in pieces:
        if out and not (previous in spaceless and piece.language_tag in spaceless):
            out += " "
        out += piece.text
        previous = piece.language_tag
    return out


def _proportional(a: int, b: int, m: int, n: int) -> tuple[int, int]:
    """The other side's span for matrix span [a, b) of m tokens, over n tokens (never empty)."""
    start = min(n - 1, math.floor(a * n / m))
    end = max(start + 1, math.floor(b * n / m)) if b < m else n
    return start, end


@dataclass(frozen=True, slots=True)
class _Plan:
    level: str
    anchored: bool
    units: list[list[list[str]]]  # matrix: clause -> unit -> tokens
    others: dict[str, list[list[str]]]  # language tag -> clause -> tokens (or clauses, 1 each)


def _plan(texts: dict[str, str], langs: dict[str, Language], level: Level, size: int) -> _Plan:
    matrix = next(iter(texts))
    split = {tag: clauses(texts[tag], langs[tag]) for tag in texts}
    counts = {len(c) for c in split.values()}
    if level != "clause" and any(langs[t].code in UNSEGMENTED for t in texts):
        level = "clause"
    if level == "clause":
        if len(counts) != 1:
            raise _Skip("clause counts differ between the translations")
        if counts == {1}:
            raise _Skip("a single clause: nothing to switch at clause level")
        units = [[[c]] for c in split[matrix]]
        return _Plan("clause", True, units, {t: [[c] for c in split[t]] for t in texts})
    anchored = len(counts) == 1
    if not anchored:
        split = {tag: [texts[tag]] for tag in texts}
    toks = {tag: [tokens(c, langs[tag]) for c in split[tag]] for tag in texts}
    step = 1 if level == "word" else size
    units = [[clause[i : i + step] for i in range(0, len(clause), step)] for clause in toks[matrix]]
    return _Plan(level, anchored, units, {t: toks[t] for t in texts if t != matrix})


class _Skip(Exception):
    """A pair the probe cannot mix, with the reason."""


def _mix(plan: _Plan, matrix: str, others: list[str], ratio: float, rng: random.Random,
         spaceless: frozenset[str]) -> list[Piece]:  # fmt: skip
    flat = [(c, u) for c, clause in enumerate(plan.units) for u in range(len(clause))]
    n = len(flat)
    if n < 2:
        raise _Skip(f"fewer than two {plan.level} units")
    k = min(n - 1, max(1, round(ratio * n)))
    chosen = sorted(rng.sample(range(n), k))
    order = [others[i % len(others)] for i in range(k)]
    rng.shuffle(order)
    assigned = {flat[i]: lang for i, lang in zip(chosen, order, strict=True)}
    pieces: list[Piece] = []
    for c, clause in enumerate(plan.units):
        before = list(accumulate((len(unit) for unit in clause), initial=0))  # tokens before u
        u = 0
        while u < len(clause):
            lang = assigned.get((c, u), matrix)
            end = u + 1
            while end < len(clause) and assigned.get((c, end), matrix) == lang:
                end += 1
            pieces.append(_piece(plan, c, clause, before, u, end, matrix, lang, spaceless))
            u = end
    return pieces


def _piece(plan: _Plan, c: int, clause: list[list[str]], before: list[int], u: int, end: int,
           matrix: str, lang: str, spaceless: frozenset[str]) -> Piece:  # fmt: skip
    sep = "" if lang in spaceless else " "
    if lang == matrix:
        words = [t for unit in clause[u:end] for t in unit]
        return Piece(lang, sep.join(words), end - u)
    other = plan.others[lang][c]
    start, stop = _proportional(before[u], before[end], before[-1], len(other))
    return Piece(lang, sep.join(other[start:stop]), end - u)


@register_probe("codeswitch")
class CodeSwitchProbe:
    """Mix each prompt from its parallel translations at word, phrase or clause level."""

    name = "codeswitch"

    def __init__(
        self,
        languages: Sequence[str] = ("en", "bn"),
        ratio: float = 0.5,
        level: Level = "word",
        phrase_words: int = 3,
        measure: bool = True,
    ) -> None:
        if level not in LEVELS:
            raise ProbeError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
        if not 0.0 < ratio < 1.0:
            raise ProbeError(f"ratio must be strictly between 0 and 1, got {ratio}")
        if phrase_words < 1:
            raise ProbeError(f"phrase_words must be ≥ 1, got {phrase_words}")
        self.languages = [lookup(name) for name in languages]
        tags = [lang.tag for lang in self.languages]
        if len(set(tags)) < 2 or len(set(tags)) != len(tags):
            raise ProbeError(f"give two or more distinct languages, got {', '.join(tags)}")
        self.ratio, self.level, self.phrase_words = ratio, level, phrase_words
        self.measure = measure
        self.name = f"codeswitch-{level}"

    @property
    def params(self) -> dict[str, Any]:
        """Languages (matrix first), ratio, level, phrase size and library versions."""
        return {
            "languages": [lang.tag for lang in self.languages],
            "ratio": self.ratio,
            "level": self.level,
            "phrase_words": self.phrase_words,
            "versions": library_versions(*PACKAGES),
        }

    def apply(self, samples: Sequence[Sample], *, seed: int) -> tuple[list[Sample], ProbeReport]:
        """One mixed sample per pair that has every language; skips say what was missing."""
        params = {**self.params, "seed": seed}
        report = ProbeReport(probe=self.name, params=params)
        tags = [lang.tag for lang in self.languages]
        langs = dict(zip(tags, self.languages, strict=True))
        spaceless = frozenset(t for t in tags if langs[t].code in SPACELESS)
        groups: dict[tuple[str, str], dict[str, Sample]] = defaultdict(dict)
        for sample in samples:
            report.seen += 1
            meta = sample.metadata or {}
            found = try_lookup(str(meta.get("language_tag", "")))
            if found is None or found.tag not in langs or not isinstance(sample.input, str):
                continue  # other languages are inputs of other mixes, not losses
            groups[(str(meta.get("benchmark")), str(meta.get("pair_id")))][found.tag] = sample
        out: list[Sample] = []
        deviations: list[float] = []
        digests: dict[tuple[str, bool], str] = {}  # per (level used, anchored): hashed once
        for (benchmark, pair_id), group in groups.items():
            sid = f"{benchmark}:{pair_id}"
            missing = [t for t in tags if t not in group]
            if missing:
                report.skip(None, f"pair lacks {', '.join(missing)}", sample_id=sid)
                continue
            texts = {t: str(group[t].input) for t in tags}
            rng = random.Random(stable_seed(seed, benchmark, pair_id, self.name))
            try:
                plan = _plan(texts, langs, self.level, self.phrase_words)
                pieces = _mix(plan, tags[0], tags[1:], self.ratio, rng, spaceless)
            except _Skip as why:
                report.skip(group[tags[0]], str(why), sample_id=sid)
                continue
            mix = self._mix_metadata(pieces, tags, plan)
            if mix["measured"] is not None:
                measured_other = 1.0 - mix["measured"].get(tags[0], 0.0)
                deviations.append(abs(measured_other - self.ratio))
            sample_params = {**params, "level_used": plan.level, "anchored": plan.anchored}
            key = (plan.level, plan.anchored)
            if key not in digests:
                digests[key] = params_digest(sample_params)
            extra = {"mix": mix, "languages": tags}
            out.append(
                variant_sample(group[tags[0]], join(pieces, spaceless), variant=self.name,
                               params=sample_params, language="mul", language_tag="mul",
                               extra=extra, digest=digests[key])
            )  # fmt: skip
        report.made = len(out)
        if deviations:
            report.stats["mix_mean_abs_deviation"] = sum(deviations) / len(deviations)
            report.stats["mix_measured_samples"] = float(len(deviations))
        levels = [s.metadata["params"]["level_used"] for s in out if s.metadata]
        for level in sorted(set(levels)):
            report.stats[f"level_used_{level}"] = float(levels.count(level))
        return out, report

    def _mix_metadata(self, pieces: list[Piece], tags: list[str], plan: _Plan) -> dict[str, Any]:
        total = sum(p.units for p in pieces)
        planned = {t: sum(p.units for p in pieces if p.language_tag == t) / total for t in tags}
        measured: dict[str, float] | None = None
        if self.measure:
            measured = dict.fromkeys(tags, 0.0)
            for piece in pieces:
                found = identify(piece.text, tags)
                if found is not None:
                    measured[found] += piece.units / total
        return {"target_ratio": self.ratio, "planned": planned, "measured": measured,
                "unit": plan.level}  # fmt: skip


for _level in LEVELS:
    PROBES[f"codeswitch-{_level}"] = partial(CodeSwitchProbe, level=_level)
