"""Does refusal training in one language transfer to others? LoRA fine-tuning, before and after.

For each training set (one row of the matrix: e.g. English only, or English + German) a fresh
LoRA adapter is trained on the same base model (`peft` + `trl`: SFT on refusal data, or DPO on
preference pairs), and the merged model is evaluated on the same prompts as the base model in
every evaluation language. A cell of the train × eval matrix is the change in harmlessness (share
of harmful prompts refused, points) with a paired bootstrap 95% interval and a McNemar p-value;
over-refusal (harmless prompts refused) is reported the same way.

Everything slow is cached under the output folder, so a run killed half-way resumes: the base
evaluation, each row's adapter (written with a done marker after `save_pretrained`) and each row's
evaluation after training. Cached parts carry a fingerprint of what decided them; a changed
setting recomputes them. The base model's replies used as training targets are cached in
langgap's user cache, never in the output folder, which holds ids and outcomes only.

>>> config = TransferConfig(train_sets=(("en",),), eval_languages="all")  # doctest: +SKIP
>>> experiment = run_transfer(config)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import importlib
import json
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from langgap._io import atomic_write_text, cache_dir
from langgap.analyze.activations import Prompt, find_layers
from langgap.analyze.behaviour import RefusalEval, Reply, evaluate_refusal, paired_change
from langgap.analyze.directions import canonical_language
from langgap.analyze.experiment import digest, versions
from langgap.analyze.interventions import generate
from langgap.analyze.models import LoadedModel
from langgap.analyze.refusal_data import (
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

METHODS = ("auto", "sft", "dpo")
METRICS = {"harmlessness": True, "over_refusal": False}  # metric -> harmful prompts?
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


class TransferConfigError(ValueError):
    """A setting of the transfer experiment is out of range or inconsistent."""


@dataclass(frozen=True)
class TransferConfig:
    """Everything that decides a transfer experiment's numbers (saved with the results).

    train_sets: one tuple of languages per matrix row (codes or names; canonicalised).
    eval_languages: codes, or "all" for every language of the benchmark.
    n_train / n_train_harmless: training prompts per language (harmful / harmless; harmless
    defaults to n_train, 0 trains on refusals only). n_eval: evaluation prompts per language and
    class. method: "sft", "dpo", or "auto" (DPO when train_file holds pairs, else SFT).
    """

    model: str = "smollm2"
    train_sets: tuple[tuple[str, ...], ...] = (("eng",),)
    eval_languages: tuple[str, ...] | str = "all"
    benchmark: str = "polyrefuse"
    data_dir: str | None = None
    train_file: str | None = None
    method: str = "auto"
    n_train: int = 48
    n_train_harmless: int | None = None
    n_eval: int = 32
    epochs: float = 2.0
    learning_rate: float = 3e-4
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.0
    lora_targets: tuple[str, ...] | None = None
    train_batch_size: int = 8
    eval_batch_size: int = 16
    max_new_tokens: int = 24
    reply_tokens: int = 40
    max_length: int = 256
    dpo_beta: float = 0.1
    n_boot: int = 1000
    seed: int = 0
    device: str = "cpu"
    out_dir: str = "transfer"

    @property
    def harmless_per_language(self) -> int:
        """Harmless training prompts per language."""
        return self.n_train if self.n_train_harmless is None else self.n_train_harmless

    def resolved_method(self, file_kind: str | None) -> str:
        """The method to train: "sft" or "dpo", once the training file's kind is known."""
        if self.method == "auto":
            return "dpo" if file_kind == "dpo" else "sft"
        if self.method == "dpo" and file_kind == "sft":
            raise TransferConfigError(
                f"{self.train_file}: holds SFT rows (no rejected replies), so it cannot train DPO; "
                "use --method sft, or a DPO file (prompt/chosen/rejected)"
            )
        return self.method

    def validate(self) -> None:
        """Raise TransferConfigError naming every bad setting."""
        bad: list[str] = []
        if self.method not in METHODS:
            bad.append(f"method {self.method!r}: not one of {', '.join(METHODS)}")
        if not self.train_sets or any(not s for s in self.train_sets):
            bad.append("train_sets: give at least one non-empty set of training languages")
        positive = {
            "n_eval": self.n_eval,
            "train_batch_size": self.train_batch_size,
            "eval_batch_size": self.eval_batch_size,
            "max_new_tokens": self.max_new_tokens,
            "reply_tokens": self.reply_tokens,
            "max_length": self.max_length,
            "lora_r": self.lora_r,
            "lora_alpha": self.lora_alpha,
            "n_boot": self.n_boot,
        }
        bad += [f"{k} must be at least 1, got {v}" for k, v in positive.items() if v < 1]
        if self.n_train < 0 or self.harmless_per_language < 0:
            bad.append("n_train and n_train_harmless must not be negative")
        if self.n_train == 0 and self.train_file is None:
            bad.append("n_train is 0 and no train_file: nothing to train on")
        if not self.epochs > 0:
            bad.append(f"epochs must be positive, got {self.epochs}")
        if not 0 < self.learning_rate < 1:
            bad.append(f"learning_rate must be in (0, 1), got {self.learning_rate}")
        if not 0 <= self.lora_dropout < 1:
            bad.append(f"lora_dropout must be in [0, 1), got {self.lora_dropout}")
        if not self.dpo_beta > 0:
            bad.append(f"dpo_beta must be positive, got {self.dpo_beta}")
        if bad:
            raise TransferConfigError("invalid transfer settings: " + "; ".join(bad))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        out = asdict(self)
        out["train_sets"] = [list(s) for s in self.train_sets]
        if not isinstance(self.eval_languages, str):
            out["eval_languages"] = list(self.eval_languages)
        if self.lora_targets is not None:
            out["lora_targets"] = list(self.lora_targets)
        return out


@dataclass
class TransferRow:
    """One matrix row: a fresh adapter trained on `train_languages`, evaluated everywhere."""

    train_languages: tuple[str, ...]
    method: str
    after: RefusalEval
    harmlessness: dict[str, dict[str, Any]]  # paired_change(before, after, harmful=True)
    over_refusal: dict[str, dict[str, Any]]  # paired_change(..., harmful=False)
    n_examples: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    loss_history: list[dict[str, float]] = field(default_factory=list)
    train_nll_before: float | None = None
    train_nll_after: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    cached: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """Row label and folder name: the training languages joined by '+'."""
        return "+".join(self.train_languages)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: outcomes by id, changes with intervals, losses; no text."""
        return {
            "name": self.name,
            "train_languages": list(self.train_languages),
            "method": self.method,
            "n_examples": self.n_examples,
            "data": self.data,
            "harmlessness_change": self.harmlessness,
            "over_refusal_change": self.over_refusal,
            "train_loss_history": self.loss_history,
            "train_nll_before": self.train_nll_before,
            "train_nll_after": self.train_nll_after,
            "seconds": self.seconds,
            "cached": self.cached,
            "after": self.after.to_dict(),
        }


def row_from_evals(
    train_languages: Sequence[str],
    before: RefusalEval,
    after: RefusalEval,
    *,
    method: str = "sft",
    n_boot: int = 1000,
    seed: int = 0,
    **extra: Any,
) -> TransferRow:
    """A matrix row from the base and fine-tuned evaluations of the same prompts."""
    return TransferRow(
        train_languages=tuple(train_languages),
        method=method,
        after=after,
        harmlessness=paired_change(before, after, harmful=True, n_boot=n_boot, seed=seed),
        over_refusal=paired_change(before, after, harmful=False, n_boot=n_boot, seed=seed),
        **extra,
    )


@dataclass
class TransferMatrix:
    """Train × eval arrays of one metric (NaN where a cell has no prompts)."""

    metric: str
    rows: list[str]
    columns: list[str]
    change: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]
    before: NDArray[np.float64]
    after: NDArray[np.float64]
    p_value: NDArray[np.float64]
    n: NDArray[np.float64]


@dataclass
class TransferExperiment:
    """The base evaluation, one row per training set, and what produced them."""

    config: TransferConfig
    eval_languages: list[str]
    before: RefusalEval
    rows: list[TransferRow]
    data: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str | None] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    lora_targets: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)

    def matrix(self, metric: str = "harmlessness") -> TransferMatrix:
        """The change (points), its interval, before/after rates, p-values and n per cell."""
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; available: {', '.join(METRICS)}")
        shape = (len(self.rows), len(self.eval_languages))
        arrays = {k: np.full(shape, np.nan) for k in ("change", "low", "high", "before", "after")}
        arrays |= {"p_value": np.full(shape, np.nan), "n": np.full(shape, np.nan)}
        for i, row in enumerate(self.rows):
            cells = row.harmlessness if metric == "harmlessness" else row.over_refusal
            for j, lang in enumerate(self.eval_languages):
                cell = cells.get(lang)
                if cell is None:
                    continue
                arrays["change"][i, j] = cell["change"]
                arrays["low"][i, j], arrays["high"][i, j] = cell["interval"]
                arrays["before"][i, j] = cell["before"]
                arrays["after"][i, j] = cell["after"]
                arrays["p_value"][i, j] = cell["p_value"]
                arrays["n"][i, j] = cell["n"]
        return TransferMatrix(metric, [r.name for r in self.rows], self.eval_languages, **arrays)

    def to_dict(self) -> dict[str, Any]:
        """Config, seeds, versions, data summary, base evaluation and every row."""
        matrices = {}
        for metric in METRICS:
            m = self.matrix(metric)
            matrices[metric] = {
                "rows": m.rows,
                "columns": m.columns,
                "change": _nan_to_none(m.change),
                "interval_low": _nan_to_none(m.low),
                "interval_high": _nan_to_none(m.high),
                "p_value": _nan_to_none(m.p_value),
            }
        return {
            "experiment": "crosslingual refusal-training transfer (LoRA)",
            "config": self.config.to_dict(),
            "seeds": {
                "data": self.config.seed,
                "training": self.config.seed,
                "bootstrap": self.config.seed,
            },
            "versions": self.versions,
            "lora_targets": self.lora_targets,
            "eval_languages": self.eval_languages,
            "data": self.data,
            "judge": self.before.to_dict()["judge"],
            "decoding": {"greedy": True, "max_new_tokens": self.config.max_new_tokens},
            "matrix": matrices,
            "before": self.before.to_dict(),
            "rows": [r.to_dict() for r in self.rows],
            "timings_seconds": self.timings,
            "cached": self.cached,
        }


def _nan_to_none(a: NDArray[np.float64]) -> list[list[float | None]]:
    return [[None if not np.isfinite(v) else float(v) for v in row] for row in a]


# --- model pieces -----------------------------------------------------------------------------


def lora_targets(model: nn.Module, requested: Sequence[str] | None = None) -> list[str]:
    """Names (last component) of the linear layers inside the decoder blocks, for LoRA.

    Found generically: every nn.Linear (or GPT-2 Conv1D) in the blocks, so Llama gives
    q/k/v/o_proj and gate/up/down_proj. `requested` names are checked against what exists.
    """
    try:
        blocks = find_layers(model)
    except ValueError as exc:
        raise TransferConfigError(f"{exc}; pass --lora-targets with module names") from exc
    found: list[str] = []
    for name, module in blocks[0].named_modules():
        if name and (isinstance(module, nn.Linear) or type(module).__name__ == "Conv1D"):
            leaf = name.rsplit(".", 1)[-1]
            if leaf not in found:
                found.append(leaf)
    all_names = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules() if n}
    if requested:
        missing = [r for r in requested if r not in all_names]
        if missing:
            raise TransferConfigError(
                f"LoRA target(s) {', '.join(missing)} not in {type(model).__name__}; linear "
                f"layers of its blocks: {', '.join(found) or '(none)'}"
            )
        return list(requested)
    if not found:
        raise TransferConfigError(
            f"no linear layers found in the blocks of {type(model).__name__} (unknown "
            "architecture); pass --lora-targets with the module names to adapt"
        )
    return found


def _chat_pair(tokenizer: Any, prompt: str, reply: str) -> tuple[list[int], list[int]]:
    """(prompt ids, prompt+reply ids) as the chat template renders them for training."""
    user = [{"role": "user", "content": prompt}]
    head = tokenizer.apply_chat_template(user, tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(
        [*user, {"role": "assistant", "content": reply}], tokenize=False
    )
    a = tokenizer(str(head), add_special_tokens=False)["input_ids"]
    b = tokenizer(str(full), add_special_tokens=False)["input_ids"]
    return list(a), list(b)


def completion_nll(
    model: nn.Module,
    tokenizer: Any,
    examples: Sequence[TrainExample],
    *,
    batch_size: int = 8,
    max_length: int = 256,
) -> float:
    """Mean negative log-likelihood per token of the chosen replies given their prompts.

    The completion starts where the templated prompt and prompt+reply diverge, as in trl.
    """
    if not examples:
        return float("nan")
    device = next(model.parameters()).device
    seqs: list[tuple[list[int], int]] = []
    for e in examples:
        head, full = _chat_pair(tokenizer, e.prompt, e.chosen)
        start = 0
        while start < min(len(head), len(full)) and head[start] == full[start]:
            start += 1
        seqs.append((full[:max_length], start))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    total, count = 0.0, 0
    was_training = model.training
    model.eval()
    try:
        for i in range(0, len(seqs), batch_size):
            chunk = seqs[i : i + batch_size]
            width = max(len(s) for s, _ in chunk)
            ids = torch.full((len(chunk), width), pad, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            labels = torch.full((len(chunk), width), -100, dtype=torch.long)
            for r, (s, start) in enumerate(chunk):
                ids[r, : len(s)] = torch.tensor(s)
                mask[r, : len(s)] = 1
                labels[r, start : len(s)] = torch.tensor(s[start:])
            with torch.inference_mode():
                logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
            shift = logits[:, :-1].float()
            target = labels[:, 1:].to(device)
            loss = torch.nn.functional.cross_entropy(
                shift.reshape(-1, shift.shape[-1]), target.reshape(-1), reduction="sum"
            )
            total += float(loss)
            count += int((target != -100).sum())
    finally:
        model.train(was_training)
    return total / max(count, 1)


@dataclass
class TrainResult:
    """A trained PEFT model and its loss curve."""

    model: nn.Module
    loss_history: list[dict[str, float]]
    seconds: float


def train_adapter(
    model: nn.Module,
    tokenizer: Any,
    examples: Sequence[TrainExample],
    *,
    method: str,
    config: TransferConfig,
    targets: Sequence[str],
    work_dir: Path,
) -> TrainResult:
    """Wrap `model` (modified in place: pass a copy) in a fresh LoRA adapter and train it."""
    import transformers
    from peft import LoraConfig

    if not examples:
        raise TransferDataError("no training examples")
    transformers.set_seed(config.seed)
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=list(targets),
        task_type="CAUSAL_LM",
    )
    common: dict[str, Any] = {
        "output_dir": str(work_dir / "trainer"),
        "num_train_epochs": config.epochs,
        "learning_rate": config.learning_rate,
        "per_device_train_batch_size": config.train_batch_size,
        "lr_scheduler_type": "linear",
        "warmup_steps": 0,
        "weight_decay": 0.0,
        "logging_strategy": "steps",
        "logging_steps": 1,
        "save_strategy": "no",
        "eval_strategy": "no",
        "report_to": "none",
        "seed": config.seed,
        "data_seed": config.seed,
        "bf16": False,
        "fp16": False,
        "use_cpu": config.device == "cpu",
        "disable_tqdm": True,
        "log_level": "error",
        "dataloader_num_workers": 0,
        "max_length": config.max_length,
        "optim": "adamw_torch",
    }
    # Recomputing activations only saves memory, and costs time on a CPU. transformers 5.x
    # renamed the switch (trl's default turns the old name on).
    names = {f.name for f in dataclasses.fields(transformers.TrainingArguments)}
    switch = (
        "activation_checkpointing"
        if "activation_checkpointing" in names
        else "gradient_checkpointing"
    )
    common[switch] = False
    tokenizer = copy.deepcopy(tokenizer)  # the trainer may set pad/eos tokens: keep the caller's
    from transformers.trainer_callback import PrinterCallback

    with _quiet_datasets(), warnings.catch_warnings():
        # transformers' own internals still call the renamed checkpointing property
        warnings.filterwarnings("ignore", ".*is_gradient_checkpointing", FutureWarning)
        trainer = _trainer(model, tokenizer, examples, method, config, lora, common)
        trainer.remove_callback(PrinterCallback)  # the loss history is kept, not printed
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
    with contextlib.suppress(OSError):
        (work_dir / "trainer").rmdir()  # empty: checkpoints are off, the adapter is saved apart
    history = [
        {"step": float(h["step"]), "epoch": float(h.get("epoch", 0.0)), "loss": float(h["loss"])}
        for h in trainer.state.log_history
        if "loss" in h
    ]
    peft_model: nn.Module = trainer.model
    peft_model.eval()
    return TrainResult(peft_model, history, seconds)


@contextlib.contextmanager
def _quiet_datasets() -> Iterator[None]:
    """No `datasets` progress bars while the trainer tokenizes (restored afterwards)."""
    datasets = importlib.import_module("datasets")  # untyped; trl depends on it

    enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if enabled:
            datasets.enable_progress_bars()


def _trainer(
    model: nn.Module,
    tokenizer: Any,
    examples: Sequence[TrainExample],
    method: str,
    config: TransferConfig,
    lora: Any,
    common: dict[str, Any],
) -> Any:
    dataset_cls = importlib.import_module("datasets").Dataset

    if method == "dpo":
        from trl.trainer.dpo_config import DPOConfig
        from trl.trainer.dpo_trainer import DPOTrainer

        rows = [e.dpo_row() for e in examples]
        return DPOTrainer(
            model=cast(Any, model),
            args=DPOConfig(beta=config.dpo_beta, **common),
            train_dataset=dataset_cls.from_list(rows),
            processing_class=tokenizer,
            peft_config=lora,
        )
    from trl.trainer.sft_config import SFTConfig
    from trl.trainer.sft_trainer import SFTTrainer

    rows = [e.sft_row() for e in examples]
    return SFTTrainer(
        model=cast(Any, model),
        args=SFTConfig(completion_only_loss=True, **common),
        train_dataset=dataset_cls.from_list(rows),
        processing_class=tokenizer,
        peft_config=lora,
    )


def _token_lengths(tokenizer: Any, prompts: Sequence[Prompt]) -> list[int]:
    """Chat-templated prompt length in tokens (what a generation batch is padded to)."""
    lengths = []
    for p in prompts:
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": p.text}], tokenize=False, add_generation_prompt=True
        )
        lengths.append(len(tokenizer(str(text), add_special_tokens=False)["input_ids"]))
    return lengths


def _length_batches(tokenizer: Any, prompts: Sequence[Prompt], size: int) -> list[list[int]]:
    """Prompt indices in batches of similar token length, longest first.

    Sorting by characters mixes scripts whose tokens per character differ several-fold, and a
    batch is padded to its longest prompt: on a CPU the padded prefill is most of the cost.
    """
    lengths = _token_lengths(tokenizer, prompts)
    order = sorted(range(len(prompts)), key=lambda i: (-lengths[i], prompts[i].id))
    return [order[i : i + size] for i in range(0, len(order), size)]


def evaluate(
    model: nn.Module,
    tokenizer: Any,
    prompts: Sequence[Prompt],
    *,
    name: str,
    config: TransferConfig,
) -> RefusalEval:
    """`evaluate_refusal` over batches of similar token length; replies in prompt order."""
    replies: dict[str, Reply] = {}
    for batch in _length_batches(tokenizer, prompts, config.eval_batch_size):
        part = evaluate_refusal(
            model,
            tokenizer,
            [prompts[i] for i in batch],
            name=name,
            max_new_tokens=config.max_new_tokens,
            batch_size=config.eval_batch_size,
            n_boot=config.n_boot,
            seed=config.seed,
        )
        replies.update((r.id, r) for r in part.replies)
    ordered = [replies[p.id] for p in prompts]
    return RefusalEval(name, ordered, config.max_new_tokens, config.n_boot, config.seed)


# --- caching ----------------------------------------------------------------------------------


def _file_digest16(path: str | None) -> str | None:
    if path is None:
        return None
    return hashlib.sha256(Path(path).expanduser().read_bytes()).hexdigest()[:16]


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


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
    data = _read_json(path)
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
            from langgap.analyze.models import load_model

            start = time.perf_counter()
            self.log(f"loading model {self.config.model}")
            self._loaded = load_model(self.config.model, device=self.config.device)
            self.seconds = time.perf_counter() - start
        return self._loaded

    @property
    def name(self) -> str:
        return self._loaded.name if self._loaded is not None else self.config.model


def base_replies(
    loaded: LoadedModel,
    prompts: Sequence[Prompt],
    *,
    max_new_tokens: int,
    batch_size: int,
    model_key: str,
) -> dict[str, str]:
    """Greedy base-model replies by prompt id, cached in langgap's user cache (not the outputs)."""
    if not prompts:
        return {}
    key = _digest16(
        [model_key, max_new_tokens, sorted((p.id, hashlib.sha256(p.text.encode()).hexdigest())
                                           for p in prompts)]
    )  # fmt: skip
    path = cache_dir("transfer-replies") / f"{key}.json"
    cached = _read_json(path)
    if cached is not None and all(p.id in cached for p in prompts):
        return {p.id: str(cached[p.id]) for p in prompts}
    replies: dict[str, str] = {}
    for batch in _length_batches(loaded.tokenizer, prompts, batch_size):
        chunk = [prompts[i] for i in batch]
        texts = generate(loaded.model, loaded.tokenizer, chunk, max_new_tokens, batch_size)
        replies.update((p.id, t) for p, t in zip(chunk, texts, strict=True))
    _write_json(path, replies)
    return replies


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
    model_key = loaded.name if loaded is not None else config.model
    eval_ids = sorted(p.id for p in pools.eval_prompts)
    base_fp = _digest16(["base", model_key, eval_ids, config.max_new_tokens])

    start = time.perf_counter()
    targets: list[str] = list(config.lora_targets or [])
    before = _cached_eval(cache / "base_eval.json", base_fp, config)
    if before is None:
        b = base.get()
        targets = lora_targets(b.model, config.lora_targets)  # a bad name fails before the eval
        say(f"evaluating the base model on {len(pools.eval_prompts)} prompts")
        before = evaluate(b.model, b.tokenizer, pools.eval_prompts, name=b.name, config=config)
        _write_json(cache / "base_eval.json", eval_to_json(before, base_fp))
    else:
        cached.append("base_eval")
        say("base evaluation: cached")
    timings["base_eval"] = time.perf_counter() - start

    rows: list[TransferRow] = []
    for langs in train_sets:
        name = "+".join(langs)
        row_dir = out / "rows" / name
        adapter_dir = row_dir / "adapter"
        seconds: dict[str, float] = {}
        row_cached: list[str] = []
        train_ids = (
            [p.id for lang in langs for p in pools.train_prompts.get(lang, [])]
            if user is None
            else None
        )
        row_fp = _digest16(
            [
                base_fp, name, method, train_ids, _file_digest16(config.train_file),
                config.n_train, config.harmless_per_language, config.epochs,
                config.learning_rate, config.lora_r, config.lora_alpha, config.lora_dropout,
                config.lora_targets, config.train_batch_size, config.max_length,
                config.reply_tokens, config.dpo_beta, config.seed,
            ]
        )  # fmt: skip
        done = _read_json(adapter_dir / "done.json")
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
            _write_json(adapter_dir / "done.json", done)  # written last: marks the adapter done
        else:
            merged = None
            row_cached.append("adapter")
            seconds.update(done.get("seconds", {}))
            targets = targets or list(done.get("lora_targets", []))
            say(f"row {name}: adapter cached")

        after_fp = _digest16([row_fp, done.get("adapter_id"), eval_ids, config.max_new_tokens])
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
            _write_json(after_path, eval_to_json(after, after_fp))
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
