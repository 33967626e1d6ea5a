"""Does refusal training in one language transfer to others? LoRA fine-tuning, before and after.

For each training set (one row of the matrix: e.g. English only, or English + German) a fresh
LoRA adapter is trained on the same base model (`peft` + `trl`: SFT on refusal data, or DPO on
preference pairs), and the merged model is evaluated on the same prompts as the base model in
every evaluation language. A cell of the train × eval matrix is the change in harmlessness (share
of harmful prompts refused, points) with a paired bootstrap 95% interval and a McNemar p-value;
over-refusal (harmless prompts refused) is reported the same way.

Everything slow is cached under the output folder, so a run killed half-way resumes: the base
evaluation, each row's adapter (written with a done marker after `save_pretrained`) and each row's
evaluation after training. Cached parts carry a fingerprint of what decided them (the model's
weights, or its files when it is given by spec, the prompts and the settings); a change
recomputes them. The base model's replies used as training targets are cached in
langgap's user cache, never in the output folder, which holds ids and outcomes only.

>>> config = TransferConfig(train_sets=(("en",),), eval_languages="all")  # doctest: +SKIP
>>> experiment = run_transfer(config)  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from torch import nn

from langgap.analyze.common.activations import Prompt
from langgap.analyze.common.behaviour import JUDGE, RefusalEval, judge_version, prompt_digest
from langgap.analyze.common.experiment import versions
from langgap.analyze.common.lora_training import (
    base_replies,
    completion_nll,
    evaluate,
    lora_targets,
    train_adapter,
)
from langgap.analyze.common.models import LoadedModel, source_fingerprint
from langgap.analyze.common.models import fingerprint as weights_fingerprint
from langgap.analyze.common.refusal_data import (
    PromptPools,
    TrainExample,
    TransferDataError,
    build_examples,
    check_disjoint,
    load_pools,
    needs_replies,
    read_train_file,
    select_user_examples,
)
from langgap.analyze.common.transfer_config import TransferConfig, TransferConfigError
from langgap.analyze.transfer.cache import (
    AdapterRecord,
    cached_eval,
    digest16,
    file_digest16,
    store_eval,
)
from langgap.analyze.transfer.results import (
    TransferExperiment,
    TransferMatrix,
    TransferRow,
    row_from_evals,
)
from langgap.languages import counting_code

Log = Callable[[str], None]
__all__ = [
    "TransferConfig",
    "TransferConfigError",
    "TransferDataError",
    "TransferExperiment",
    "TransferMatrix",
    "TransferRow",
    "completion_nll",
    "lora_targets",
    "row_from_evals",
    "run_transfer",
    "train_adapter",
]


class _Base:
    """The base model, loaded only when something has to be computed."""

    def __init__(self, config: TransferConfig, loaded: LoadedModel | None, log: Log) -> None:
        self.config, self._loaded, self.log = config, loaded, log
        self.seconds = 0.0

    def get(self) -> LoadedModel:
        if self._loaded is None:
            from langgap.analyze.common.models import load_model, resolve_dtype

            start = time.perf_counter()
            self.log(f"loading model {self.config.model}")
            dtype = resolve_dtype(self.config.dtype, self.config.device)
            self._loaded = load_model(
                self.config.model,
                device=self.config.device,
                dtype=dtype,
                data_dir=self.config.data_dir,
            )
            self.seconds = time.perf_counter() - start
        return self._loaded


def _merged(loaded: LoadedModel, adapter_dir: Path) -> nn.Module:
    from peft import PeftModel

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*is_gradient_checkpointing", FutureWarning)
        model = PeftModel.from_pretrained(copy.deepcopy(loaded.model), str(adapter_dir))
    merged: nn.Module = model.merge_and_unload()
    return merged.eval()


# --- the experiment, step by step -------------------------------------------------------------


@dataclass
class _Run:
    """One transfer run: its inputs, resolved once, and what the steps gather on the way."""

    config: TransferConfig
    say: Log
    out: Path
    pools: PromptPools
    user: tuple[list[TrainExample], str] | None  # a --train-file's rows and kind
    method: str
    train_sets: list[tuple[str, ...]]
    base: _Base
    model_key: str  # the weights: keys every cache
    eval_key: list[Any]  # what decides an evaluation's outcomes
    train_file_digest: str | None
    targets: list[str] = field(default_factory=list)  # LoRA targets, resolved before training
    timings: dict[str, float] = field(default_factory=dict)
    cached: list[str] = field(default_factory=list)


def run_transfer(
    config: TransferConfig,
    *,
    loaded: LoadedModel | None = None,
    pools: PromptPools | None = None,
    log: Log | None = None,
) -> TransferExperiment:
    """Evaluate the base model, train one fresh LoRA per training set, evaluate each after.

    `loaded` replaces loading config.model (its name then keys the caches); `pools` replaces
    loading the benchmark. Finished parts found under config.out_dir are reused.
    """
    config.validate()
    t_start = time.perf_counter()
    run = _prepare(config, loaded, pools, log or (lambda _msg: None))
    before = _base_eval(run)
    rows = [_row(run, langs, before) for langs in run.train_sets]
    run.timings["model_load"] = run.base.seconds
    for row in rows:
        for phase, value in row.seconds.items():
            run.timings[f"{row.name}/{phase}"] = value
    run.timings["total"] = time.perf_counter() - t_start
    return TransferExperiment(
        config=replace(config, train_sets=tuple(run.train_sets)),
        eval_languages=run.pools.eval_languages,
        before=before,
        rows=rows,
        data=run.pools.summary(),
        versions=versions(),
        timings=run.timings,
        lora_targets=run.targets,
        cached=run.cached,
    )


def _prepare(
    config: TransferConfig, loaded: LoadedModel | None, pools: PromptPools | None, say: Log
) -> _Run:
    """Read the data and the training file, and check them, before anything slow runs."""
    start = time.perf_counter()
    train_sets = [tuple(dict.fromkeys(counting_code(x) for x in s)) for s in config.train_sets]
    if pools is None:
        pools = load_pools(
            config.benchmark,
            train_languages=list(dict.fromkeys(x for s in config.train_sets for x in s)),
            eval_languages=config.eval_languages,
            n_train=config.n_train if config.train_file is None else 0,
            n_train_harmless=config.harmless_per_language if config.train_file is None else 0,
            n_eval=config.n_eval,
            seed=config.seed,
            data_dir=config.data_dir,
        )
    user = read_train_file(config.train_file) if config.train_file else None
    method = config.resolved_method(user[1] if user else None)
    data_seconds = time.perf_counter() - start
    say(
        f"data: {len(pools.eval_prompts)} eval prompts in {', '.join(pools.eval_languages)}; "
        f"rows: {', '.join('+'.join(s) for s in train_sets)}; method {method}"
    )
    if user is not None:  # fail before the slow parts: every row needs rows in its languages
        for langs in train_sets:
            picked = select_user_examples(user[0], langs, None, config.seed, str(config.train_file))
            check_disjoint(
                pools.eval_prompts, [Prompt(e.prompt, e.id, e.language, e.harmful) for e in picked]
            )
    # the weights key every cache: a given model by its parameters, a spec by its files
    model_key = (
        weights_fingerprint(loaded.model, loaded.tokenizer)  # the dtype is part of it
        if loaded is not None
        else source_fingerprint(config.model)
        + ("" if config.dtype == "float32" else f":{config.dtype}")
    )
    run = _Run(
        config=config,
        say=say,
        out=Path(config.out_dir).expanduser(),
        pools=pools,
        user=user,
        method=method,
        train_sets=train_sets,
        base=_Base(config, loaded, say),
        model_key=model_key,
        # the prompts (texts included), decoding and the judge
        eval_key=[prompt_digest(pools.eval_prompts), config.max_new_tokens, JUDGE, judge_version()],
        train_file_digest=file_digest16(config.train_file),
    )
    run.timings["data"] = data_seconds
    return run


def _base_eval(run: _Run) -> RefusalEval:
    """The base model's evaluation, cached; LoRA targets are resolved (and checked) first."""
    config = run.config
    path = run.out / "cache" / "base_eval.json"
    fingerprint = digest16(["base", run.model_key, run.eval_key])
    start = time.perf_counter()
    before = cached_eval(path, fingerprint, config)
    if before is None:
        b = run.base.get()
        run.targets = lora_targets(b.model, config.lora_targets)  # a bad name fails here
        run.say(f"evaluating the base model on {len(run.pools.eval_prompts)} prompts")
        before = evaluate(b.model, b.tokenizer, run.pools.eval_prompts, name=b.name, config=config)
        store_eval(path, before, fingerprint)
    else:
        run.cached.append("base_eval")
        run.say("base evaluation: cached")
    run.timings["base_eval"] = time.perf_counter() - start
    return before


def _row(run: _Run, langs: tuple[str, ...], before: RefusalEval) -> TransferRow:
    """One matrix row: its adapter (trained or cached) and the evaluation after training."""
    name = "+".join(langs)
    row_dir = run.out / "rows" / name
    seconds: dict[str, float] = {}
    row_cached: list[str] = []
    row_fp = _row_fingerprint(run, langs)
    record = AdapterRecord.load(row_dir / "adapter", row_fp, run.method)
    merged: nn.Module | None = None
    if record is None:
        record, merged = _train_row(run, langs, row_dir, row_fp, seconds)
    else:
        row_cached.append("adapter")
        seconds.update(record.seconds)
        run.targets = run.targets or list(record.lora_targets)
        run.say(f"row {name}: adapter cached")
    after_fp = digest16([row_fp, record.adapter_id, run.eval_key])
    after = _after_eval(run, name, row_dir, after_fp, merged, seconds, row_cached)
    del merged
    run.cached += [f"{name}/{c}" for c in row_cached]
    return row_from_evals(
        langs,
        before,
        after,
        method=record.method,
        n_boot=run.config.n_boot,
        seed=run.config.seed,
        n_examples=record.n_examples,
        data=record.data,
        loss_history=record.loss_history,
        train_nll_before=record.train_nll_before,
        train_nll_after=record.train_nll_after,
        seconds=seconds,
        cached=row_cached,
    )


def _row_fingerprint(run: _Run, langs: tuple[str, ...]) -> str:
    """What training depends on: the weights, data and training settings, not the evaluation."""
    config = run.config
    train_prompts = (
        prompt_digest([p for lang in langs for p in run.pools.train_prompts.get(lang, [])])
        if run.user is None
        else None
    )
    return digest16(
        [
            run.model_key, "+".join(langs), run.method, train_prompts, run.train_file_digest,
            config.n_train, config.harmless_per_language, config.epochs,
            config.learning_rate, config.lora_r, config.lora_alpha, config.lora_dropout,
            config.lora_targets, config.train_batch_size, config.max_length,
            config.reply_tokens, config.dpo_beta, config.seed,
        ]
    )  # fmt: skip


def _train_row(
    run: _Run, langs: tuple[str, ...], row_dir: Path, row_fp: str, seconds: dict[str, float]
) -> tuple[AdapterRecord, nn.Module]:
    """Train the row's adapter, save it with its record, and return the merged model."""
    config = run.config
    examples, info = _row_examples(run, langs, seconds)
    b = run.base.get()
    if not run.targets:
        run.targets = lora_targets(b.model, config.lora_targets)
    run.say(f"row {'+'.join(langs)}: training {run.method} on {len(examples)} examples")
    start = time.perf_counter()
    nll_before = completion_nll(b.model, b.tokenizer, examples, max_length=config.max_length)
    seconds["train_nll"] = time.perf_counter() - start
    result = train_adapter(
        copy.deepcopy(b.model),
        b.tokenizer,
        examples,
        method=run.method,
        config=config,
        targets=run.targets,
        work_dir=row_dir,
    )
    seconds["train"] = result.seconds
    result.model.save_pretrained(str(row_dir / "adapter"))  # type: ignore[operator]
    merged: nn.Module = result.model.merge_and_unload().eval()  # type: ignore[operator]
    start = time.perf_counter()
    nll_after = completion_nll(merged, b.tokenizer, examples, max_length=config.max_length)
    seconds["train_nll"] += time.perf_counter() - start
    record = AdapterRecord(
        fingerprint=row_fp,
        adapter_id=uuid.uuid4().hex,  # a retrained adapter invalidates its old eval
        method=run.method,
        n_examples=len(examples),
        data=info,
        lora_targets=run.targets,
        loss_history=result.loss_history,
        train_nll_before=nll_before,
        train_nll_after=nll_after,
        seconds=dict(seconds),
    )
    record.save(row_dir / "adapter")  # written last: marks the adapter done
    return record, merged


def _row_examples(
    run: _Run, langs: tuple[str, ...], seconds: dict[str, float]
) -> tuple[list[TrainExample], dict[str, Any]]:
    """The row's training examples (from the training file, or the pools with the base model's
    replies as targets) and what to record about them."""
    config, pools, method = run.config, run.pools, run.method
    if run.user is not None:
        total = config.n_train + config.harmless_per_language
        per_language = None if config.n_train == 0 else total
        label = str(config.train_file)
        rows = select_user_examples(run.user[0], langs, per_language, config.seed, label)
        if method == "dpo" and any(e.rejected is None for e in rows):
            raise TransferConfigError(f"{label}: DPO needs rejected replies in every row")
        as_prompts = [Prompt(e.prompt, e.id, e.language, e.harmful) for e in rows]
        check_disjoint(pools.eval_prompts, as_prompts)
        info: dict[str, Any] = {
            "source": f"user file {Path(label).name}",
            "ids": [e.id for e in rows],
        }
        return rows, info
    prompts = [p for lang in langs for p in pools.train_prompts[lang]]
    start = time.perf_counter()
    wanted = needs_replies(prompts, method)
    replies = {}
    if wanted:
        loaded = run.base.get()
        replies = base_replies(
            loaded,
            wanted,
            max_new_tokens=config.reply_tokens,
            batch_size=config.eval_batch_size,
            model_key=run.model_key,
        )
    seconds["replies"] = time.perf_counter() - start
    examples, dropped = build_examples(prompts, replies, method=method)
    if not examples:
        lost = ", ".join(f"{n} {why}" for why, n in dropped.items() if n) or "none dropped"
        raise TransferDataError(
            f"row {'+'.join(langs)}: no training examples from {len(prompts)} prompts ({lost}); "
            "raise --n-train / --n-train-harmless, or use --method sft (DPO drops prompts the "
            "base model already refuses)"
        )
    info = {
        "source": {lang: pools.sources[lang] for lang in langs},
        "dropped": dropped,
        "ids": [e.id for e in examples],
        "harmful": sum(bool(e.harmful) for e in examples),
        "harmless": sum(e.harmful is False for e in examples),
    }
    return examples, info


def _after_eval(
    run: _Run,
    name: str,
    row_dir: Path,
    fingerprint: str,
    merged: nn.Module | None,
    seconds: dict[str, float],
    row_cached: list[str],
) -> RefusalEval:
    """The row's evaluation after training, cached (the adapter is merged again if needed)."""
    path = row_dir / "after_eval.json"
    start = time.perf_counter()
    after = cached_eval(path, fingerprint, run.config)
    if after is not None:
        row_cached.append("after_eval")
        run.say(f"row {name}: evaluation after training cached")
        return after
    b = run.base.get()
    model = merged if merged is not None else _merged(b, row_dir / "adapter")
    run.say(f"row {name}: evaluating the fine-tuned model")
    after = evaluate(
        model,
        b.tokenizer,
        run.pools.eval_prompts,
        name=f"{b.name}+lora[{name}]",
        config=run.config,
    )
    store_eval(path, after, fingerprint)
    seconds["after_eval"] = time.perf_counter() - start
    return after
