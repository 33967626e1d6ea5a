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
import hashlib
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from torch import nn

from langgap.analyze.common.activations import Prompt
from langgap.analyze.common.behaviour import JUDGE, RefusalEval, Reply, judge_version, prompt_digest
from langgap.analyze.common.experiment import digest, read_json, versions, write_json
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
from langgap.analyze.directions.run import canonical_language
from langgap.analyze.transfer.results import (
    TransferExperiment,
    TransferMatrix,
    TransferRow,
    row_from_evals,
)

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


# --- caching ----------------------------------------------------------------------------------


def _file_digest16(path: str | None) -> str | None:
    if path is None:
        return None
    return hashlib.sha256(Path(path).expanduser().read_bytes()).hexdigest()[:16]


def eval_to_json(evaluation: RefusalEval, fingerprint: str) -> dict[str, Any]:
    """A RefusalEval as stored in the cache: outcomes by id, no text."""
    return {
        "fingerprint": fingerprint,
        "model": evaluation.model,
        "max_new_tokens": evaluation.max_new_tokens,
        "replies": [asdict(r) for r in evaluation.replies],
    }


def eval_from_json(data: dict[str, Any], n_boot: int, seed: int) -> RefusalEval:
    """Inverse of eval_to_json (intervals recomputed with n_boot and seed)."""
    replies = [Reply(**r) for r in data["replies"]]
    return RefusalEval(str(data["model"]), replies, int(data["max_new_tokens"]), n_boot, seed)


def _cached_eval(path: Path, fingerprint: str, config: TransferConfig) -> RefusalEval | None:
    data = read_json(path)
    if data is None or data.get("fingerprint") != fingerprint:
        return None
    try:
        return eval_from_json(data, config.n_boot, config.seed)
    except (KeyError, TypeError, ValueError):
        return None


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
            self._loaded = load_model(self.config.model, device=self.config.device, dtype=dtype)
            self.seconds = time.perf_counter() - start
        return self._loaded


def _merged(loaded: LoadedModel, adapter_dir: Path) -> nn.Module:
    from peft import PeftModel

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*is_gradient_checkpointing", FutureWarning)
        model = PeftModel.from_pretrained(copy.deepcopy(loaded.model), str(adapter_dir))
    merged: nn.Module = model.merge_and_unload()
    return merged.eval()


# --- the experiment ---------------------------------------------------------------------------


def _row_examples(
    config: TransferConfig,
    langs: tuple[str, ...],
    pools: PromptPools,
    user: tuple[list[TrainExample], str] | None,
    method: str,
    base: _Base,
    model_key: str,
    seconds: dict[str, float],
) -> tuple[list[TrainExample], dict[str, Any]]:
    if user is not None:
        total = config.n_train + config.harmless_per_language
        per_language = None if config.n_train == 0 else total
        label = str(config.train_file)
        rows = select_user_examples(user[0], langs, per_language, config.seed, label)
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
        loaded = base.get()
        replies = base_replies(
            loaded,
            wanted,
            max_new_tokens=config.reply_tokens,
            batch_size=config.eval_batch_size,
            model_key=model_key,
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
    say: Log = log or (lambda _msg: None)
    config.validate()
    t_start = time.perf_counter()
    out = Path(config.out_dir).expanduser()
    cache = out / "cache"
    timings: dict[str, float] = {}
    cached: list[str] = []

    start = time.perf_counter()
    train_sets = [tuple(dict.fromkeys(canonical_language(x) for x in s)) for s in config.train_sets]
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
    timings["data"] = time.perf_counter() - start
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

    base = _Base(config, loaded, say)
    # the weights key every cache: a given model by its parameters, a spec by its files
    model_key = (
        weights_fingerprint(loaded.model, loaded.tokenizer)  # the dtype is part of it
        if loaded is not None
        else source_fingerprint(config.model)
        + ("" if config.dtype == "float32" else f":{config.dtype}")
    )
    # what decides an evaluation's outcomes: the prompts (texts included), decoding and the judge
    eval_key = [prompt_digest(pools.eval_prompts), config.max_new_tokens, JUDGE, judge_version()]
    base_fp = _digest16(["base", model_key, eval_key])

    start = time.perf_counter()
    targets: list[str] = []  # resolved against the model (and checked) before anything trains
    before = _cached_eval(cache / "base_eval.json", base_fp, config)
    if before is None:
        b = base.get()
        targets = lora_targets(b.model, config.lora_targets)  # a bad name fails before the eval
        say(f"evaluating the base model on {len(pools.eval_prompts)} prompts")
        before = evaluate(b.model, b.tokenizer, pools.eval_prompts, name=b.name, config=config)
        write_json(cache / "base_eval.json", eval_to_json(before, base_fp))
    else:
        cached.append("base_eval")
        say("base evaluation: cached")
    timings["base_eval"] = time.perf_counter() - start

    train_file_digest = _file_digest16(config.train_file)
    rows: list[TransferRow] = []
    for langs in train_sets:
        name = "+".join(langs)
        row_dir = out / "rows" / name
        adapter_dir = row_dir / "adapter"
        seconds: dict[str, float] = {}
        row_cached: list[str] = []
        train_prompts = (
            prompt_digest([p for lang in langs for p in pools.train_prompts.get(lang, [])])
            if user is None
            else None
        )
        # training depends on the weights, data and training settings, not on the evaluation
        row_fp = _digest16(
            [
                model_key, name, method, train_prompts, train_file_digest,
                config.n_train, config.harmless_per_language, config.epochs,
                config.learning_rate, config.lora_r, config.lora_alpha, config.lora_dropout,
                config.lora_targets, config.train_batch_size, config.max_length,
                config.reply_tokens, config.dpo_beta, config.seed,
            ]
        )  # fmt: skip
        done = read_json(adapter_dir / "done.json")
        if done is None or done.get("fingerprint") != row_fp:
            examples, info = _row_examples(
                config, langs, pools, user, method, base, model_key, seconds
            )
            b = base.get()
            if not targets:
                targets = lora_targets(b.model, config.lora_targets)
            say(f"row {name}: training {method} on {len(examples)} examples")
            start = time.perf_counter()
            nll_before = completion_nll(
                b.model, b.tokenizer, examples, max_length=config.max_length
            )
            seconds["train_nll"] = time.perf_counter() - start
            result = train_adapter(
                copy.deepcopy(b.model),
                b.tokenizer,
                examples,
                method=method,
                config=config,
                targets=targets,
                work_dir=row_dir,
            )
            seconds["train"] = result.seconds
            result.model.save_pretrained(str(adapter_dir))  # type: ignore[operator]
            merged: nn.Module | None = result.model.merge_and_unload().eval()  # type: ignore[operator]
            assert merged is not None
            start = time.perf_counter()
            nll_after = completion_nll(merged, b.tokenizer, examples, max_length=config.max_length)
            seconds["train_nll"] += time.perf_counter() - start
            done = {
                "fingerprint": row_fp,
                "adapter_id": uuid.uuid4().hex,  # a retrained adapter invalidates its old eval
                "method": method,
                "n_examples": len(examples),
                "data": info,
                "lora_targets": targets,
                "loss_history": result.loss_history,
                "train_nll_before": nll_before,
                "train_nll_after": nll_after,
                "seconds": dict(seconds),
            }
            write_json(adapter_dir / "done.json", done)  # written last: marks the adapter done
        else:
            merged = None
            row_cached.append("adapter")
            seconds.update(done.get("seconds", {}))
            targets = targets or list(done.get("lora_targets", []))
            say(f"row {name}: adapter cached")

        after_fp = _digest16([row_fp, done.get("adapter_id"), eval_key])
        after_path = row_dir / "after_eval.json"
        start = time.perf_counter()
        after = _cached_eval(after_path, after_fp, config)
        if after is None:
            b = base.get()
            if merged is None:
                merged = _merged(b, adapter_dir)
            say(f"row {name}: evaluating the fine-tuned model")
            after = evaluate(
                merged,
                b.tokenizer,
                pools.eval_prompts,
                name=f"{b.name}+lora[{name}]",
                config=config,
            )
            write_json(after_path, eval_to_json(after, after_fp))
            seconds["after_eval"] = time.perf_counter() - start
        else:
            row_cached.append("after_eval")
            say(f"row {name}: evaluation after training cached")
        del merged
        rows.append(
            row_from_evals(
                langs,
                before,
                after,
                method=str(done.get("method", method)),
                n_boot=config.n_boot,
                seed=config.seed,
                n_examples=int(done.get("n_examples", 0)),
                data=dict(done.get("data", {})),
                loss_history=list(done.get("loss_history", [])),
                train_nll_before=done.get("train_nll_before"),
                train_nll_after=done.get("train_nll_after"),
                seconds=seconds,
                cached=row_cached,
            )
        )
        cached += [f"{name}/{c}" for c in row_cached]

    timings["model_load"] = base.seconds
    for row in rows:
        for phase, value in row.seconds.items():
            timings[f"{row.name}/{phase}"] = value
    timings["total"] = time.perf_counter() - t_start
    data = pools.summary()
    return TransferExperiment(
        config=replace(config, train_sets=tuple(train_sets)),
        eval_languages=pools.eval_languages,
        before=before,
        rows=rows,
        data=data,
        versions=versions(),
        timings=timings,
        lora_targets=targets,
        cached=cached,
    )


def _digest16(obj: Any) -> str:
    return digest(obj, length=16)
