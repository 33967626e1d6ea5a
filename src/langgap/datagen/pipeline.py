"""The datagen pipeline: seeds → translate/generate → respond → critique + revise → pairs.

Every model call is cached (stage, model, prompt version, prompt hash) and every finished item is
appended to `items.jsonl` at once, so a killed run resumes where it stopped and nothing generated
is lost. A failed item is recorded with its error; the run goes on and a rerun retries it. After
the loop the items are validated and exported (`export.py`).

>>> result = run_datagen(load_config("datagen.yaml"))  # doctest: +SKIP
>>> print(result.summary())  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_ai.model import Model

from langgap.datagen import prompts as P
from langgap.datagen._llm import StageModels
from langgap.datagen.config import STAGES, DatagenConfig
from langgap.datagen.constitution import (
    Constitution,
    applicable,
    load_constitution,
    locale_name,
)
from langgap.datagen.export import export_all
from langgap.datagen.items import DataItem, ItemStore, Seed, Step
from langgap.datagen.seeds import load_seeds
from langgap.datagen.validate import ValidationSettings, ValidationSummary, validate_items
from langgap.languages import Language, lookup
from langgap.models.runner import run_sync
from langgap.models.usage import StageUsage


@dataclass
class RunResult:
    """What a run made and cost; counts only, safe to print."""

    output_dir: Path
    items: list[DataItem]
    made: int = 0  # items finished in this run
    resumed: int = 0  # items already finished by an earlier run
    failed: int = 0
    usage: StageUsage = field(default_factory=StageUsage)
    validation: ValidationSummary = field(
        default_factory=lambda: ValidationSummary(n_validated=0, checks={}, flags={})
    )
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def exported(self) -> dict[str, int]:
        """Rows written per export (n_sft, n_dpo, n_rejected)."""
        counts = {
            "n_sft": self.validation.get("n_sft"),
            "n_dpo": self.validation.get("n_dpo"),
            "n_rejected": self.validation.get("n_rejected"),
        }
        return {key: n for key, n in counts.items() if n is not None}

    def summary(self) -> str:
        """A plain account for the CLI (no prompt or response text)."""
        ok = sum(1 for i in self.items if i.status == "ok")
        lines = [
            f"{ok} items ok, {self.failed} failed ({self.made} made now, {self.resumed} resumed)",
            f"model usage ({self.usage.requests} requests):",
            self.usage.summary() or "  none",
            "exported: " + ", ".join(f"{k} {v}" for k, v in self.exported.items()),
        ]
        return "\n".join(lines)


class Pipeline:
    """One configured run (use `run_datagen`)."""

    def __init__(self, config: DatagenConfig, *, models: Mapping[str, Model] | None = None) -> None:
        self.config = config
        self.out = Path(config.output_dir)
        self.constitution: Constitution = load_constitution(config.constitution)
        self.source = lookup(config.source_language)
        # the prompts name the region too ("Spanish (Mexico)" for es-MX)
        self.targets = [
            (tag, dataclasses.replace(lookup(tag), name=locale_name(tag)))
            for tag in config.languages
        ]
        self.models = StageModels(
            {stage: config.stage_model(stage) for stage in STAGES},
            self.out / "cache.jsonl",
            concurrency=config.concurrency,
            max_tokens=config.max_tokens,
            overrides=dict(models or {}),
        )
        self.store = ItemStore(self.out / "items.jsonl")

    async def run_async(self) -> RunResult:
        """Make every missing item, then validate and export."""
        result = RunResult(self.out, [], usage=self.models.usage)
        seeds = load_seeds(self.config.seeds, self.source.code)
        jobs = await self._generated_seeds(result) if self.config.seeds.kind == "generate" else []
        jobs += [(seed, tag, lang) for seed in seeds for tag, lang in self.targets]
        async with asyncio.TaskGroup() as group:
            for seed, tag, lang in jobs:
                item_id = f"{seed.id}@{tag}"
                if self.store.done(item_id):
                    result.resumed += 1
                    continue
                group.create_task(self._one(item_id, seed, tag, lang, result))
        wanted = {f"{seed.id}@{tag}" for seed, tag, _ in jobs} | {
            i for i, it in self.store.items.items() if it.seed_id.startswith("gen:")
        }
        result.items = [it for i, it in self.store.items.items() if i in wanted]
        result.failed = sum(1 for i in result.items if i.status == "failed")
        self.store.compact()
        self._finish(result)
        return result

    def _finish(self, result: RunResult) -> None:
        settings = ValidationSettings.from_config(self.config.validation)
        ok = [i for i in result.items if i.status == "ok"]
        result.validation = validate_items(ok, self.constitution, settings)
        stage_models = {s: self.models.model_name(s) for s in STAGES}
        result.files = export_all(
            result.items,
            self.out,
            self.constitution,
            stage_models,
            result.validation,
            keep_flagged=self.config.validation.keep_flagged,
        )

    async def _generated_seeds(self, result: RunResult) -> list[tuple[Seed, str, Language]]:
        """Seeds written natively in each language for each harm category (one call each)."""
        spec = self.config.seeds
        jobs: list[tuple[Seed, str, Language]] = []

        async def one(tag: str, lang: Language, category: str) -> None:
            principles = applicable(self.constitution, tag)
            prompt = P.SEED_PROMPT.format(
                n=spec.per_culture,
                language=lang.name,
                category=category,
                principles=P.principles_block(principles, tag),
            )
            try:
                reply = await self.models.ask("seed", "generator", prompt, P.VERSIONS["seed"])
            except Exception as err:  # recorded as a failed item; the run goes on
                item = DataItem(
                    id=f"gen:{tag}:{category}@{tag}",
                    seed_id=f"gen:{tag}:{category}",
                    language=lang.code,
                    language_tag=tag,
                    category=category,
                    mode="generated",
                    status="failed",
                    error=f"seed: {err}",
                )
                self.store.add(item)
                return
            for i, text in enumerate(P.parse_seed_lines(reply, spec.per_culture)):
                seed = Seed(
                    id=f"gen:{tag}:{category}:{i}",
                    prompt=text,
                    language=lang.code,
                    category=category,
                    source="generated",
                )
                jobs.append((seed, tag, lang))

        async with asyncio.TaskGroup() as group:
            for tag, lang in self.targets:
                for category in spec.categories:
                    group.create_task(one(tag, lang, category))
        # a category that failed before now may have succeeded: its failure line is superseded
        for tag, _ in self.targets:
            for category in spec.categories:
                key = f"gen:{tag}:{category}@{tag}"
                if any(s.id.startswith(f"gen:{tag}:{category}:") for s, _, _ in jobs):
                    self.store.items.pop(key, None)
        return jobs

    async def _one(
        self, item_id: str, seed: Seed, tag: str, lang: Language, result: RunResult
    ) -> None:
        item = DataItem(
            id=item_id,
            seed_id=seed.id,
            language=lang.code,
            language_tag=tag,
            category=seed.category,
            harmful=seed.harmful,
            principles=[p.id for p in applicable(self.constitution, tag)],
            models={s: self.models.model_name(s) for s in STAGES},
        )
        try:
            await self._build(item, seed, tag, lang)
        except Exception as err:  # recorded with its error; the run goes on
            item.status, item.error = "failed", f"{type(err).__name__}: {err}"
        self.store.add(item)
        result.made += 1

    async def _build(self, item: DataItem, seed: Seed, tag: str, lang: Language) -> None:
        if seed.language == lang.code:
            item.mode = "generated" if seed.source == "generated" else "native"
            item.prompt = seed.prompt
        else:
            src = lookup(seed.language)
            item.source_language, item.source_prompt = src.code, seed.prompt
            item.mode = "mt-repair" if seed.chosen else "translated"
            item.prompt = await self._translate_and_repair(
                item, seed.prompt, src, tag, lang, "prompt"
            )
            if self.config.back_translate:
                item.back_translation = await self._translate(item.prompt, lang, src)
        if seed.chosen and seed.language != lang.code:
            src = lookup(seed.language)
            item.source_chosen = seed.chosen
            item.chosen = await self._translate_and_repair(
                item, seed.chosen, src, tag, lang, "chosen"
            )
            item.rejected = (
                await self._translate(seed.rejected, src, lang) if seed.rejected else item.chosen
            )
            return
        if seed.chosen:  # a native pair: keep it and critique-revise the chosen side
            item.rejected = seed.rejected or seed.chosen
            item.chosen = await self._critique_loop(item, seed.chosen, tag, lang)
            return
        respond = P.VERSIONS["respond"]
        item.rejected = await self.models.ask("respond", "generator", item.prompt, respond)
        item.chosen = await self._critique_loop(item, item.rejected, tag, lang)

    async def _translate(self, text: str, source: Language, target: Language) -> str:
        prompt = P.translate_prompt(text, source.name, target.name)
        return await self.models.ask("translate", "translator", prompt, P.VERSIONS["translate"])

    async def _translate_and_repair(
        self, item: DataItem, text: str, src: Language, tag: str, lang: Language, part: str
    ) -> str:
        """Translate, then run the critique loop on the translation; record what it changed."""
        first = await self._translate(text, src, lang)
        principles = P.principles_block(applicable(self.constitution, tag), tag)
        terms = P.terms_block(self.constitution.terms(tag))

        def critique_prompt(current: str) -> str:
            return P.REPAIR_CRITIQUE_PROMPT.format(
                source=src.name,
                language=lang.name,
                principles=principles,
                terms=terms,
                text=text,
                translation=current,
            )

        def revise_prompt(current: str, critique: str) -> str:
            return P.REPAIR_REVISE_PROMPT.format(
                source=src.name,
                language=lang.name,
                text=text,
                translation=current,
                critique=critique,
            )

        stages = ("repair-critique", "repair-revise")
        current = await self._critique_revise(
            item, first, stages, f":{part}", critique_prompt, revise_prompt
        )
        item.changes[part] = {"machine_translation": first, **diff_summary(first, current)}
        return current

    async def _critique_loop(self, item: DataItem, response: str, tag: str, lang: Language) -> str:
        """Critique the response against the applicable principles and revise, `rounds` times."""
        principles = P.principles_block(applicable(self.constitution, tag), tag)
        terms = P.terms_block(self.constitution.terms(tag))

        def critique_prompt(current: str) -> str:
            return P.CRITIQUE_PROMPT.format(
                language=lang.name,
                principles=principles,
                terms=terms,
                prompt=item.prompt,
                response=current,
            )

        def revise_prompt(current: str, critique: str) -> str:
            return P.REVISE_PROMPT.format(
                language=lang.name,
                principles=principles,
                prompt=item.prompt,
                response=current,
                critique=critique,
            )

        return await self._critique_revise(
            item, response, ("critique", "revise"), "", critique_prompt, revise_prompt
        )

    async def _critique_revise(
        self,
        item: DataItem,
        text: str,
        stages: tuple[str, str],
        label: str,
        critique_prompt: Callable[[str], str],
        revise_prompt: Callable[[str, str], str],
    ) -> str:
        """Up to `rounds` critique → revise rounds; stops at an "ok" verdict.

        `stages` names the (critique, revise) cache stages; each trail step is labelled with the
        stage plus `label`. An unreadable verdict counts as "revise" (`P.verdict`), never "ok".
        """
        critique_stage, revise_stage = stages
        current = text
        for round_ in range(1, self.config.rounds + 1):
            critique = await self.models.ask(
                critique_stage, "critic", critique_prompt(current), P.VERSIONS[critique_stage]
            )
            said = P.verdict(critique)
            self._trail(item, critique_stage + label, round_, critique, "critic", said)
            if said == "ok":
                break
            current = await self.models.ask(
                revise_stage, "reviser", revise_prompt(current, critique), P.VERSIONS[revise_stage]
            )
            self._trail(item, revise_stage + label, round_, current, "reviser")
        return current

    def _trail(
        self,
        item: DataItem,
        stage: str,
        round_: int,
        text: str,
        role: str,
        verdict: str | None = None,
    ) -> None:
        model = self.models.model_name(role)
        item.trail.append(Step(stage=stage, round=round_, text=text, model=model, verdict=verdict))


def diff_summary(before: str, after: str) -> dict[str, Any]:
    """How much a revision changed a text: word-level similarity and words added/removed."""
    a, b = before.split(), after.split()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    added = removed = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("replace", "delete"):
            removed += i2 - i1
        if op in ("replace", "insert"):
            added += j2 - j1
    return {
        "changed": before.strip() != after.strip(),
        "similarity": round(matcher.ratio(), 4),
        "words_added": added,
        "words_removed": removed,
    }


def run_datagen(config: DatagenConfig, *, models: Mapping[str, Model] | None = None) -> RunResult:
    """Run (or resume) a datagen config; `models` replaces stage models (e.g. mocks in tests)."""

    async def main() -> RunResult:
        # the semaphore and models belong to the loop that runs them
        return await Pipeline(config, models=models).run_async()

    return run_sync(main())
