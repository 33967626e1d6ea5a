"""LoRA fine-tuning for the transfer experiment (peft + trl SFT or DPO) and greedy evaluation."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import importlib
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import torch
from torch import nn

from langgap._io import cache_dir
from langgap.analyze.common.activations import Prompt, find_layers
from langgap.analyze.common.behaviour import RefusalEval, Reply, evaluate_refusal
from langgap.analyze.common.experiment import digest, read_json, write_json
from langgap.analyze.common.generation import generate
from langgap.analyze.common.refusal_data import TrainExample, TransferDataError
from langgap.analyze.common.transfer_config import TransferConfig, TransferConfigError

if TYPE_CHECKING:
    from langgap.analyze.common.models import LoadedModel


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


def sequence_length(tokenizer: Any, example: TrainExample) -> int:
    """Tokens of the longest templated prompt+reply the trainer sees for this example."""
    replies = [example.chosen] + ([example.rejected] if example.rejected is not None else [])
    return max(len(_chat_pair(tokenizer, example.prompt, reply)[1]) for reply in replies)


def check_lengths(tokenizer: Any, examples: Sequence[TrainExample], max_length: int) -> None:
    """Refuse to train when a sequence is longer than max_length.

    The trainer cuts sequences at their end, so an over-long example loses its reply, the very
    tokens the loss is on: a model taught on cut refusals learns to echo the prompt instead (a
    96-token limit cut 31 of 32 Arabic refusal targets of the refusal model that way).
    """
    lengths = [sequence_length(tokenizer, e) for e in examples]
    over = [(n, e.id) for n, e in zip(lengths, examples, strict=True) if n > max_length]
    if over:
        longest, example_id = max(over)
        raise TransferDataError(
            f"{len(over)} of {len(examples)} training examples are longer than max_length="
            f"{max_length} tokens (longest: {example_id}, {longest} tokens with the chat "
            f"template): their replies would be cut. Raise --max-length to {longest} or more."
        )


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
    group_by_length: bool = False,
) -> TrainResult:
    """Wrap `model` (modified in place: pass a copy) in a fresh LoRA adapter and train it.

    `group_by_length` batches examples of similar length (less padding: prompts of languages
    with long tokenisations, such as Arabic, otherwise pad every batch they land in)."""
    import transformers
    from peft import LoraConfig

    if not examples:
        raise TransferDataError("no training examples")
    check_lengths(tokenizer, examples, config.max_length)
    transformers.set_seed(config.seed)
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=list(targets),
        task_type="CAUSAL_LM",
    )
    common = _training_args(config, work_dir)
    if group_by_length:
        common["train_sampling_strategy"] = "group_by_length"
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
    history = _loss_history(trainer.state.log_history)
    peft_model: nn.Module = trainer.model
    peft_model.eval()
    return TrainResult(peft_model, history, seconds)


def _training_args(config: TransferConfig, work_dir: Path) -> dict[str, Any]:
    """The trainer's settings shared by SFT and DPO: plain, logged every step, nothing saved."""
    import transformers

    args: dict[str, Any] = {
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
    args[switch] = False
    return args


def _loss_history(log_history: list[dict[str, Any]]) -> list[dict[str, float]]:
    """The trainer's logged training losses, with their step and epoch."""
    return [
        {"step": float(h["step"]), "epoch": float(h.get("epoch", 0.0)), "loss": float(h["loss"])}
        for h in log_history
        if "loss" in h
    ]


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


def length_batches(tokenizer: Any, prompts: Sequence[Prompt], size: int) -> list[list[int]]:
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
    for batch in length_batches(tokenizer, prompts, config.eval_batch_size):
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
    key = digest(
        [model_key, max_new_tokens, sorted((p.id, hashlib.sha256(p.text.encode()).hexdigest())
                                           for p in prompts)],
        length=16,
    )  # fmt: skip
    path = cache_dir("transfer-replies") / f"{key}.json"
    cached = read_json(path)
    if cached is not None and all(p.id in cached for p in prompts):
        return {p.id: str(cached[p.id]) for p in prompts}
    replies: dict[str, str] = {}
    for batch in length_batches(loaded.tokenizer, prompts, batch_size):
        chunk = [prompts[i] for i in batch]
        texts = generate(loaded.model, loaded.tokenizer, chunk, max_new_tokens, batch_size)
        replies.update((p.id, t) for p, t in zip(chunk, texts, strict=True))
    write_json(path, replies)
    return replies
