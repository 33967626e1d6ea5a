"""Which training examples, in which language, make a model refuse: influence functions (EK-FAC).

Training examples (prompt, response, language) are scored against query prompts with kronfluence:
each score estimates how much training on that example raises the probability of the query's
target reply (for a harmful query, a refusal in the query's language). Scores are aggregated by
training-example language into a training-language × query-language matrix, and the most
influential examples are listed per query.

Loss and measurement are the summed token cross-entropy of the response given the prompt (the
chat-templated conversation), so a positive score marks a *proponent* (training on it lowers the
query reply's loss, i.e. makes the reply more likely) and a negative one an *opponent*.

    >>> result = influence_scores(model, tok, train, queries, out_dir="runs/influence")
    >>> result.by_language().mean  # [n_train_languages, n_query_languages]
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from langgap._gc import long_lived_objects_frozen
from langgap.analyze.common.activations import find_layers
from langgap.analyze.common.experiment import digest
from langgap.analyze.common.models import fingerprint as model_fingerprint
from langgap.analyze.influence.data import (
    IGNORE,
    Collate,
    Encoded,
    EncodedDataset,
    InfluenceError,
    TrainExample,
    encode_example,
    has_chat_template,
)
from langgap.analyze.influence.modules import (
    ModuleSelection,
    check_block_layers,
    linearised,
    prepared_for,
    select_modules,
)
from langgap.analyze.influence.results import InfluenceResult
from langgap.languages import counting_code

Strategy = Literal["ekfac", "kfac", "diagonal", "identity"]
STRATEGIES: tuple[str, ...] = ("ekfac", "kfac", "diagonal", "identity")
KRONFLUENCE_DIR = "kronfluence"  # under out_dir: fitted factors and raw scores, reused by reruns
ANALYSIS_NAME = "influence"
MEASUREMENT = (
    "summed token cross-entropy of the response given the prompt; "
    "positive score = training on the example lowers it (makes the reply more likely)"
)


def _response_loss(
    model: nn.Module,
    batch: dict[str, torch.Tensor],
    sample: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """Summed cross-entropy of the response tokens; with `sample`, of labels drawn from the model.

    Sampled labels give the true Fisher that kronfluence fits its factors on.
    """
    out = model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False
    )
    labels = batch["labels"][:, 1:]
    keep = labels != IGNORE
    logits = out.logits[:, :-1][keep].float()  # [n response tokens, vocab]
    target = labels[keep]
    if sample is not None:
        with torch.no_grad():
            target = sample(logits.detach())
    loss: torch.Tensor = nn.functional.cross_entropy(logits, target, reduction="sum")
    return loss


def _make_task(modules: list[str], seed: int) -> Any:
    from kronfluence.task import Task  # type: ignore[import-untyped]

    class CausalLMTask(Task):  # type: ignore[misc]  # kronfluence ships no type information
        """Loss and measurement: summed cross-entropy on the response tokens."""

        def __init__(self) -> None:
            self.modules = modules
            self.generators: dict[torch.device, torch.Generator] = {}

        def _sample(self, logits: torch.Tensor) -> torch.Tensor:
            gen = self.generators.get(logits.device)
            if gen is None:
                gen = self.generators[logits.device] = torch.Generator(logits.device)
                gen.manual_seed(seed)
            probs = torch.softmax(logits, dim=-1)
            return torch.multinomial(probs, 1, generator=gen).squeeze(-1)

        def compute_train_loss(
            self, batch: dict[str, torch.Tensor], model: nn.Module, sample: bool = False
        ) -> torch.Tensor:
            return _response_loss(model, batch, self._sample if sample else None)

        def compute_measurement(
            self, batch: dict[str, torch.Tensor], model: nn.Module
        ) -> torch.Tensor:
            return _response_loss(model, batch)

        def get_influence_tracked_modules(self) -> list[str]:
            return self.modules

        def get_attention_mask(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
            return batch["attention_mask"]

    return CausalLMTask()


def influence_scores(
    model: nn.Module,
    tokenizer: Any,
    train: Sequence[TrainExample],
    queries: Sequence[TrainExample],
    *,
    out_dir: str | Path,
    strategy: Strategy = "ekfac",
    modules: ModuleSelection | Sequence[str] = "mlp",
    layers: Sequence[int] | None = None,
    max_length: int = 512,
    train_batch_size: int = 8,
    query_batch_size: int = 8,
    damping: float | None = None,
    seed: int = 0,
) -> InfluenceResult:
    """Influence of each training example on each query's reply, with kronfluence.

    Factors (covariances, eigendecomposition, EK-FAC corrections) are fitted on `train` with the
    true Fisher (labels sampled from the model, seeded by `seed`), then pairwise scores
    g_query · H⁻¹ g_train are computed. Everything kronfluence writes lives under
    `out_dir/kronfluence`, named by a hash of the model, config and data: a rerun with the same
    inputs reuses the fitted factors and scores, and an interrupted run resumes from the last
    finished stage. `damping=None` uses kronfluence's heuristic (0.1 × mean eigenvalue).
    The model runs where it is (CPU or CUDA) and is left as it was found.
    """
    _check_inputs(strategy, train, queries, train_batch_size, query_batch_size)
    selected = select_modules(model, modules, layers)
    names = [c.name for c in selected]
    train_rows = [encode_example(tokenizer, e, max_length) for e in train]
    query_rows = [encode_example(tokenizer, e, max_length) for e in queries]

    from kronfluence import FactorArguments, ScoreArguments  # type: ignore[import-untyped]

    factor_args = FactorArguments(strategy=strategy)
    score_args = ScoreArguments(damping_factor=damping)
    config = _settings(
        model, tokenizer, names, (train_rows, query_rows), (factor_args, score_args),
        strategy=strategy, modules=modules, layers=layers, max_length=max_length,
        batch_sizes=(train_batch_size, query_batch_size), damping=damping, seed=seed,
    )  # fmt: skip
    conv1d = [c.name for c in selected if c.conv1d]  # GPT-2 Conv1D: tracked as nn.Linear
    loaded = _pairwise_scores(
        model, tokenizer, conv1d, train_rows, query_rows, config, factor_args, score_args, out_dir
    )
    scores = loaded["all_modules"].double().cpu().numpy()
    return InfluenceResult(
        scores=scores,
        train_ids=[e.id for e in train],
        train_languages=[counting_code(e.language) for e in train],
        query_ids=[e.id for e in queries],
        query_languages=[counting_code(e.language) for e in queries],
        config=config,
        train=list(train),
        queries=list(queries),
    )


def _settings(
    model: nn.Module,
    tokenizer: Any,
    names: list[str],
    rows: tuple[list[Encoded], list[Encoded]],
    arguments: tuple[Any, Any],
    *,
    strategy: Strategy,
    modules: ModuleSelection | Sequence[str],
    layers: Sequence[int] | None,
    max_length: int,
    batch_sizes: tuple[int, int],
    damping: float | None,
    seed: int,
) -> dict[str, Any]:
    """The run's record: what was asked, what was tracked, versions, truncation, cache names.

    The cache names hash the model, the tracked modules, kronfluence's arguments (`arguments`:
    factor, score) and the encoded rows (`rows`: train, query), so a rerun finds its files.
    """
    train_rows, query_rows = rows
    factor_args, score_args = arguments
    config: dict[str, Any] = {
        "model": _model_name(model),
        "strategy": strategy,
        "modules": modules if isinstance(modules, str) else list(modules),
        "layers": None if layers is None else check_block_layers(layers, len(find_layers(model))),
        "tracked_modules": names,
        "max_length": max_length,
        "train_batch_size": batch_sizes[0],
        "query_batch_size": batch_sizes[1],
        "damping": damping,
        "seed": seed,
        "chat_template": has_chat_template(tokenizer),
        "fisher": "true (labels sampled from the model)",
        "measurement": MEASUREMENT,
        "kronfluence_version": importlib.metadata.version("kronfluence"),
        "torch_version": str(torch.__version__).split("+")[0],
        "n_train": len(train_rows),
        "n_queries": len(query_rows),
        "n_truncated_train": sum(r.truncated for r in train_rows),
        "n_truncated_queries": sum(r.truncated for r in query_rows),
    }
    factors_key = digest(
        model_fingerprint(model, tokenizer),
        strategy,
        names,
        factor_args.to_dict(),
        seed,
        [_row_key(r) for r in train_rows],
    )
    scores_key = digest(factors_key, score_args.to_dict(), [_row_key(r) for r in query_rows])
    config["factors_name"] = f"{strategy}-{factors_key[:16]}"
    config["scores_name"] = f"{strategy}-{scores_key[:16]}"
    return config


def _check_inputs(
    strategy: str,
    train: Sequence[TrainExample],
    queries: Sequence[TrainExample],
    train_batch_size: int,
    query_batch_size: int,
) -> None:
    """Raise InfluenceError for settings or examples that cannot be scored."""
    if strategy not in STRATEGIES:
        raise InfluenceError(f"unknown strategy {strategy!r}; available: {', '.join(STRATEGIES)}")
    if not train:
        raise InfluenceError("the training set is empty; give at least one training example")
    if not queries:
        raise InfluenceError("no queries; give at least one query prompt")
    for name, value in [
        ("train_batch_size", train_batch_size),
        ("query_batch_size", query_batch_size),
    ]:
        if value < 1:
            raise InfluenceError(f"{name} must be at least 1, got {value}")
    _check_examples(train, "training")
    _check_examples(queries, "query")


def _pairwise_scores(
    model: nn.Module,
    tokenizer: Any,
    conv_names: list[str],
    train_rows: list[Encoded],
    query_rows: list[Encoded],
    config: dict[str, Any],
    factor_args: Any,
    score_args: Any,
    out_dir: str | Path,
) -> Any:
    """Fit the factors on the training rows and score every query against every training row
    (kronfluence; reused from out_dir when the names match). The model is left where it was."""
    from kronfluence import Analyzer
    from kronfluence.utils.dataset import DataLoaderKwargs  # type: ignore[import-untyped]

    device = next(model.parameters()).device
    pad_id = _pad_id(tokenizer)
    loader_kwargs = DataLoaderKwargs(num_workers=0, collate_fn=Collate(pad_id))
    task = _make_task(config["tracked_modules"], config["seed"])
    with (
        _quiet(),
        long_lived_objects_frozen(),
        linearised(model, conv_names),
        prepared_for(model, task) as prepared,
    ):
        _reset_kronfluence_state()
        analyzer = Analyzer(
            analysis_name=ANALYSIS_NAME,
            model=prepared,
            task=task,
            cpu=device.type == "cpu",
            log_level=logging.WARNING,
            disable_tqdm=True,
            output_dir=str(Path(out_dir) / KRONFLUENCE_DIR),
        )
        analyzer.set_dataloader_kwargs(loader_kwargs)
        analyzer.fit_all_factors(
            factors_name=config["factors_name"],
            dataset=EncodedDataset(train_rows),
            per_device_batch_size=config["train_batch_size"],
            factor_args=factor_args,
        )
        analyzer.compute_pairwise_scores(
            scores_name=config["scores_name"],
            factors_name=config["factors_name"],
            query_dataset=EncodedDataset(query_rows),
            train_dataset=EncodedDataset(train_rows),
            per_device_query_batch_size=config["query_batch_size"],
            per_device_train_batch_size=config["train_batch_size"],
            score_args=score_args,
        )
        loaded = analyzer.load_pairwise_scores(config["scores_name"])
    if next(model.parameters()).device != device:
        model.to(device)
    if next(model.parameters()).device != device:
        model.to(device)
    return loaded


@contextmanager
def _quiet() -> Iterator[None]:
    # kronfluence 1.0 builds torch.cuda.amp.GradScaler, deprecated in torch 2.4+: not ours to fix.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*GradScaler", category=FutureWarning)
        yield


def _check_examples(examples: Sequence[TrainExample], what: str) -> None:
    seen: set[str] = set()
    for example in examples:
        if not example.language or not example.language.strip():
            raise InfluenceError(f"{what} example {example.id!r} has no language")
        if example.id in seen:
            raise InfluenceError(f"{what} id {example.id!r} appears twice; ids must be unique")
        seen.add(example.id)


def _pad_id(tokenizer: Any) -> int:
    for attr in ("pad_token_id", "eos_token_id"):
        value = getattr(tokenizer, attr, None)
        if isinstance(value, int):
            return value
    return 0  # padding is masked out of attention and loss, so any id will do


def _reset_kronfluence_state() -> None:
    # kronfluence keeps its device in a process-wide singleton fixed at first use; a run on
    # another device than the previous one must start it afresh (not under torchrun).
    from kronfluence.utils.state import State  # type: ignore[import-untyped]

    if int(os.environ.get("LOCAL_RANK", -1)) == -1:
        State._reset_state()


def _row_key(row: Encoded) -> list[list[int]]:
    return [row.input_ids, row.labels]


def _model_name(model: nn.Module) -> str:
    config = getattr(model, "config", None)
    name = getattr(config, "_name_or_path", "") or ""
    return str(name) or type(model).__name__
