"""Translate any benchmark into any language with an Inspect model or a local MT model, checked.

Every translation is checked and the checks are kept in the sample's metadata (`quality`), never
used to drop it: the identified language (`wrong_language` when it is not the target), the length
ratio to the source (`too_short` / `too_long` outside a band) and, with back-translation, the chrF
of the back-translation against the source (`low_chrf`). Translations are cached as they arrive
(key: backend and model, prompt version, source text hash, target), so a rerun only asks for what
is missing.

>>> probe = TranslateProbe("bn", InspectTranslator("openai/gpt-4o-mini"))  # doctest: +SKIP
>>> translated, report = probe.apply(samples, seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from inspect_ai.dataset import Sample
from inspect_ai.model import Model

from langgap.evaluate.probes._rewrite import Job, RewriteReport, run_jobs
from langgap.evaluate.probes.base import (
    ProbeError,
    register_probe,
    sample_texts,
    variant_sample,
)
from langgap.evaluate.probes.lid import detect_language, supported_languages
from langgap.languages import Language, UnknownLanguageError, lookup
from langgap.models import ModelClient, ModelReplyError, ReplyCache, Usage, run_sync, text_key

PROMPT_VERSION = "translate-v1"
VARIANT = "translated"

# Versioned with PROMPT_VERSION: changing the wording must change the version (and the cache).
TRANSLATE_PROMPT = """\
Translate the text below from {source} into {target}.
Reply with the {target} translation only: no explanation, no notes, no quotation marks, no \
transliteration. Translate it faithfully even when it asks for something harmful: it is test \
material for a safety evaluation and will not be answered.

Text:
{text}"""

# NLLB names a macrolanguage by the individual language it was trained on; these are NLLB's own
# choices (its FLORES-200 codes), not a langgap language table. Scripts come from the registry.
_NLLB_INDIVIDUAL = {
    "ara": "arb",
    "aze": "azj",
    "est": "est",
    "fas": "pes",
    "kur": "ckb",
    "lav": "lvs",
    "mon": "khk",
    "msa": "zsm",
    "nep": "npi",
    "orm": "gaz",
    "ori": "ory",
    "pus": "pbt",
    "sqi": "als",
    "swa": "swh",
    "uzb": "uzn",
    "yid": "ydd",
}


class TranslationError(ProbeError):
    """A translation cannot be set up: unknown language, missing model, unusable input."""


def target_language(name: str) -> Language:
    """The registry's language for a user's name or code; unknown names list close matches."""
    try:
        return lookup(name)
    except UnknownLanguageError as err:
        raise TranslationError(f"{err}. Fix: use a language name or ISO code") from err


def nllb_code(language: Language) -> str:
    """NLLB's FLORES-200 code for a language, e.g. `ben_Beng`, `arb_Arab`, `zho_Hans`."""
    subtags = language.tag.split("-")
    script = next((s for s in subtags[1:] if len(s) == 4), None) or language.scripts[0]
    base = _NLLB_INDIVIDUAL.get(language.code, language.individual)
    return f"{base}_{script}"


def m2m_code(language: Language) -> str:
    """M2M100's code for a language: the primary BCP-47 subtag (`bn`, `zh`)."""
    return language.tag.split("-")[0]


class Translator(Protocol):
    """A translation backend: a model behind an async call, named for the cache."""

    backend: str  # "inspect" or "hf"
    model_name: str
    prompt_version: str  # what else, besides the model, changes its output
    concurrency: int
    usage: Usage

    async def translate(self, text: str, source: Language, target: Language) -> str:
        """The translation of `text`; ModelReplyError when there is none."""
        ...


class InspectTranslator:
    """Translation by any Inspect model (an LLM) with the versioned TRANSLATE_PROMPT."""

    backend = "inspect"
    prompt_version = PROMPT_VERSION

    def __init__(
        self,
        model: str | Model,
        *,
        concurrency: int = 8,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = None,
        **model_args: Any,
    ) -> None:
        self._llm = ModelClient(
            model,
            concurrency=concurrency,
            max_tokens=max_tokens,
            temperature=temperature,
            seed=seed,
            **model_args,
        )
        self.model_name = self._llm.model_name
        self.concurrency = concurrency
        self.usage = self._llm.usage

    async def translate(self, text: str, source: Language, target: Language) -> str:
        """Ask the model for the translation only."""
        prompt = TRANSLATE_PROMPT.format(source=source.name, target=target.name, text=text)
        return await self._llm.complete(prompt)


class HFTranslator:
    """Translation by a local NLLB, M2M100 or Marian folder through `transformers` (no download).

    NLLB and M2M100 get the registry's codes mapped to theirs (`nllb_code`, `m2m_code`); a
    Marian model translates one fixed pair, so its languages are the user's responsibility.
    """

    backend = "hf"
    prompt_version = "mt-v1"

    def __init__(
        self, model_path: str | Path, *, max_new_tokens: int = 256, device: str = "cpu"
    ) -> None:
        path = Path(model_path).expanduser()
        if not (path / "config.json").is_file():
            raise TranslationError(
                f"{path}: no local translation model here (config.json missing). langgap never "
                "downloads a model at run time. Fix: pass the folder of a downloaded NLLB, "
                "M2M100 or Marian model (e.g. one saved with `save_pretrained`)"
            )
        self.path = path.resolve()
        self.model_name = str(self.path)
        self.max_new_tokens = max_new_tokens
        self.device = device
        self.concurrency = 1  # one model in memory: calls are serialised, not parallel
        self.usage = Usage()
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any, str] | None = None

    def _load(self) -> tuple[Any, Any, str]:
        if self._loaded is None:
            try:
                from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
            except ImportError as err:
                raise TranslationError("local MT models need torch and transformers") from err
            tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
            model = AutoModelForSeq2SeqLM.from_pretrained(self.path, local_files_only=True)
            kind = type(tokenizer).__name__.lower()
            family = "nllb" if "nllb" in kind else "m2m" if "m2m" in kind else "marian"
            self._loaded = (tokenizer, model.to(self.device).eval(), family)
        return self._loaded

    def _code(self, tokenizer: Any, family: str, language: Language) -> str:
        code = nllb_code(language) if family == "nllb" else m2m_code(language)
        token = code if family == "nllb" else f"__{code}__"
        if tokenizer.convert_tokens_to_ids(token) == tokenizer.unk_token_id:
            raise TranslationError(
                f"{self.path.name} ({family}) has no language code {code!r} for {language.name}"
            )
        return code

    def _translate(self, text: str, source: Language, target: Language) -> str:
        with self._lock:
            tokenizer, model, family = self._load()
            extra: dict[str, Any] = {}
            if family != "marian":
                tokenizer.src_lang = self._code(tokenizer, family, source)
                tgt = self._code(tokenizer, family, target)
                token = tgt if family == "nllb" else f"__{tgt}__"
                extra["forced_bos_token_id"] = tokenizer.convert_tokens_to_ids(token)
            batch = tokenizer(text, return_tensors="pt", truncation=True).to(self.device)
            out = model.generate(**batch, max_new_tokens=self.max_new_tokens, **extra)
            self.usage.requests += 1
            return str(tokenizer.batch_decode(out, skip_special_tokens=True)[0]).strip()

    async def translate(self, text: str, source: Language, target: Language) -> str:
        """Translate in a worker thread, so the event loop stays free."""
        result = await asyncio.to_thread(self._translate, text, source, target)
        if not result:
            raise ModelReplyError("the MT model returned an empty translation")
        return result


def as_translator(spec: Translator | str) -> Translator:
    """A translator from a spec: `hf:PATH` for a local MT folder, else an Inspect model name."""
    if not isinstance(spec, str):
        return spec
    if spec.startswith("hf:"):
        return HFTranslator(spec[3:])
    return InspectTranslator(spec)


@dataclass(frozen=True, slots=True)
class QualitySettings:
    """Thresholds of the per-item checks (a check outside them flags the item)."""

    length_band: tuple[float, float] = (0.25, 4.0)  # translation / source, in characters
    min_chrf: float = 30.0  # back-translation chrF (0-100) below this flags `low_chrf`

    def __post_init__(self) -> None:
        low, high = self.length_band
        if not 0 <= low < high:
            raise TranslationError(
                f"length_band must be (low, high) with 0 ≤ low < high, got {self.length_band}"
            )


def quality_checks(
    source: str,
    translation: str | None,
    target: Language,
    settings: QualitySettings,
    back_translation: str | None = None,
) -> dict[str, Any]:
    """The checks of one translation: language, length ratio, chrF; failures listed in `flags`."""
    flags: list[str] = []
    if translation is None:
        return {"flags": ["failed"]}
    detected, confidence = detect_language(translation)
    checkable = target.code in supported_languages()
    wrong = checkable and detected != target.code
    if wrong:
        flags.append("wrong_language")
    ratio = len(translation) / max(len(source), 1)
    low, high = settings.length_band
    if ratio < low:
        flags.append("too_short")
    elif ratio > high:
        flags.append("too_long")
    quality: dict[str, Any] = {
        "language": {
            "detected": detected,
            "confidence": round(confidence, 4),
            "expected": target.code,
            "checked": checkable,  # False: the identifier does not know the target language
            "ok": not wrong,
        },
        "length_ratio": round(ratio, 4),
        "length_band": list(settings.length_band),
    }
    if back_translation is not None:
        from sacrebleu.metrics.chrf import CHRF

        chrf = CHRF().sentence_score(back_translation, [source]).score
        quality["chrf"] = round(float(chrf), 2)
        quality["min_chrf"] = settings.min_chrf
        if chrf < settings.min_chrf:
            flags.append("low_chrf")
    quality["flags"] = flags
    return quality


@dataclass
class TranslationReport(RewriteReport):
    """A ProbeReport with the translation's quality flags, failures and model usage."""


@register_probe("translate")
class TranslateProbe:
    """Translate samples of one source language into target languages (variant `translated`)."""

    name = "translate"

    def __init__(
        self,
        targets: str | Sequence[str],
        translator: Translator | str,
        *,
        source: str = "eng",
        back_translate: bool = False,
        quality: QualitySettings | None = None,
        use_cache: bool = True,
        cache_root: Path | None = None,
    ) -> None:
        names = [targets] if isinstance(targets, str) else list(targets)
        if not names:
            raise TranslationError("no target language given")
        self.targets = [target_language(t) for t in names]
        self.source = target_language(source)
        self.translator = as_translator(translator)
        self.back_translate = back_translate
        self.quality = quality or QualitySettings()
        scope = f"{self.translator.backend}:{self.translator.model_name}|"
        scope += self.translator.prompt_version
        self.cache = ReplyCache.for_scope("translations", scope, cache_root, use_cache)

    @property
    def params(self) -> dict[str, Any]:
        """The settings recorded with every sample and the report."""
        return {
            "backend": self.translator.backend,
            "model": self.translator.model_name,
            "prompt_version": self.translator.prompt_version,
            "source_language": self.source.code,
            "targets": [t.code for t in self.targets],
            "back_translation": self.back_translate,
            "length_band": list(self.quality.length_band),
            "min_chrf": self.quality.min_chrf,
        }

    def apply(
        self, samples: Sequence[Sample], *, seed: int = 0
    ) -> tuple[list[Sample], TranslationReport]:
        """Translated copies of the source-language samples, in input order then target order."""
        return run_sync(self.apply_async(samples, seed=seed))

    async def apply_async(
        self, samples: Sequence[Sample], *, seed: int = 0
    ) -> tuple[list[Sample], TranslationReport]:
        """The async form of `apply` (for callers already in an event loop)."""
        report = TranslationReport(self.name, {**self.params, "seed": seed}, seen=len(samples))
        report.usage = self.translator.usage
        texts: dict[int, str] = {}
        for sample, text in sample_texts(self._sources(samples)):
            if text is None:
                report.skip(sample, "chat-message input (translate single prompts)")
            else:
                texts[id(sample)] = text
        chosen = [s for s in samples if id(s) in texts]
        forward = await self._rewrite(
            {
                (texts[id(s)], self.source.tag, t.tag): (self.source, t)
                for s in chosen
                for t in self.targets
            }
        )
        backward: dict[tuple[str, str, str], str | ModelReplyError] = {}
        if self.back_translate:
            back_jobs = {
                (out, t.tag, self.source.tag): (t, self.source)
                for (_, _, tag), out in forward.items()
                if isinstance(out, str)
                for t in self.targets
                if t.tag == tag
            }
            backward = await self._rewrite(back_jobs)
        out = [
            self._sample(sample, texts[id(sample)], target, forward, backward, seed, report)
            for sample in chosen
            for target in self.targets
        ]
        report.made = len(out)
        return out, report

    def _sources(self, samples: Sequence[Sample]) -> list[Sample]:
        chosen = [
            s
            for s in samples
            if (s.metadata or {}).get("language") == self.source.code
            and (s.metadata or {}).get("variant", "original") == "original"
        ]
        if samples and not chosen:
            found = sorted({str((s.metadata or {}).get("language")) for s in samples})
            raise TranslationError(
                f"no original samples in the source language {self.source.code!r} to translate; "
                f"the samples are in {', '.join(found)}. Fix: pass source= one of those"
            )
        return chosen

    async def _rewrite(
        self, requests: dict[tuple[str, str, str], tuple[Language, Language]]
    ) -> dict[tuple[str, str, str], str | ModelReplyError]:
        """Translate each distinct (text, source, target) once, through the cache."""
        jobs: dict[str, Job] = {}
        keys: dict[tuple[str, str, str], str] = {}
        for request, (src, tgt) in requests.items():
            key = text_key(request[0], src.code, tgt.tag)
            keys[request] = key
            jobs[key] = _job(self.translator, request[0], src, tgt)
        done = await run_jobs(jobs, self.cache, self.translator.usage, self.translator.concurrency)
        return {request: done[key] for request, key in keys.items()}

    def _sample(
        self,
        sample: Sample,
        text: str,
        target: Language,
        forward: dict[tuple[str, str, str], str | ModelReplyError],
        backward: dict[tuple[str, str, str], str | ModelReplyError],
        seed: int,
        report: TranslationReport,
    ) -> Sample:
        result = forward[(text, self.source.tag, target.tag)]
        translation = result if isinstance(result, str) else None
        back = None
        if translation is not None and self.back_translate:
            got = backward.get((translation, target.tag, self.source.tag))
            back = got if isinstance(got, str) else None
        quality = quality_checks(text, translation, target, self.quality, back)
        if self.back_translate and translation is not None and back is None:
            quality["flags"].append("back_translation_failed")
        if isinstance(result, ModelReplyError):
            report.n_failed += 1
            quality["error"] = str(result)
            report.errors.append(f"{sample.id}: {result}")
        for flag in quality["flags"]:
            report.flags[flag] = report.flags.get(flag, 0) + 1
        params = {**self.params, "seed": seed, "target_language": target.code}
        params.pop("targets")
        # a failed item keeps the source text, flagged: nothing is dropped, nothing is invented
        return variant_sample(
            sample,
            translation or text,
            variant=VARIANT,
            params=params,
            language=target.code,
            language_tag=target.tag,
            extra={"resource_level": None, "quality": quality},
        )


def _job(translator: Translator, text: str, source: Language, target: Language) -> Job:
    async def call() -> str:
        return await translator.translate(text, source, target)

    return call


def translate_samples(
    samples: Sequence[Sample],
    targets: str | Sequence[str],
    translator: Translator | str,
    *,
    seed: int = 0,
    **options: Any,
) -> tuple[list[Sample], TranslationReport]:
    """Translate the samples into the targets (see TranslateProbe for the options)."""
    return TranslateProbe(targets, translator, **options).apply(samples, seed=seed)
