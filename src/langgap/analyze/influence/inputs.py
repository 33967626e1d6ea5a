"""Where the influence analysis gets its inputs: training and query examples from a JSONL file
or drawn from PolyRefuse (training prompts disjoint from the queries), and the model to score.

The benchmark reader is looked up when called, so a test can replace it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from langgap.analyze.influence.data import (
    InfluenceError,
    TrainExample,
    load_examples,
    refusal_queries,
)
from langgap.languages import counting_code


def training_examples(
    train: Path | None,
    train_languages: str | None,
    n_train: int,
    query_set: list[TrainExample],
    data_dir: Path | None,
    seed: int,
) -> list[TrainExample]:
    """The training set: a JSONL file, or refusal examples drawn from PolyRefuse."""
    if (train is None) == (train_languages is None):
        raise InfluenceError("give either --train FILE or --train-languages (not both)")
    if train is not None:
        return load_examples(train)
    languages = split_list(train_languages or "")
    if not languages or n_train < 1:
        raise InfluenceError("--train-languages needs languages (e.g. eng,deu) and --n-train >= 1")
    from langgap.analyze.common.data import benchmark_prompts, read_benchmark

    taken = {q.id for q in query_set} | {" ".join(q.prompt.split()) for q in query_set}
    try:
        loaded = read_benchmark(data_dir=data_dir)  # once, for every language and split
    except (ValueError, KeyError, FileNotFoundError) as exc:
        raise InfluenceError(f"PolyRefuse prompts for training: {exc}") from None
    examples: list[TrainExample] = []
    for language in languages:
        # the train split where the benchmark has one, else test prompts the queries do not use
        for split in ("train", "test"):
            try:
                drawn = benchmark_prompts([language], 4 * n_train, split=split, seed=seed + 1,
                                          required=(True,), loaded=loaded)  # fmt: skip
            except ValueError as exc:
                if split == "test":
                    raise InfluenceError(f"training prompts in {language}: {exc}") from None
                continue
            fresh = [
                p for p in drawn
                if p.harmful and p.id not in taken and " ".join(p.text.split()) not in taken
            ]  # fmt: skip
            if fresh:
                examples += refusal_queries(fresh[:n_train])
                break
        else:  # a language must never vanish from the training set without a word
            raise InfluenceError(
                f"no harmful {language} prompts left for training once the queries are set aside; "
                "lower --n-queries or leave the language out of --train-languages"
            )
    return examples


def query_examples(
    queries: Path | None,
    query_languages: str | None,
    n_queries: int,
    data_dir: Path | None,
    seed: int,
) -> list[TrainExample]:
    """The queries: a JSONL file, or harmful PolyRefuse prompts with their language's refusal."""
    if (queries is None) == (query_languages is None):
        raise InfluenceError("give either --queries FILE or --query-languages (not both)")
    if queries is not None:
        return load_examples(queries, response_optional=True)
    languages = split_list(query_languages or "")
    if not languages:
        raise InfluenceError("--query-languages is empty; e.g. --query-languages eng,deu")
    if n_queries < 1:
        raise InfluenceError(f"--n-queries must be at least 1, got {n_queries}")
    from langgap.analyze.common.data import benchmark_prompts

    try:
        prompts = benchmark_prompts(
            languages, n_queries, data_dir=data_dir, seed=seed, required=(True,)
        )
    except (ValueError, KeyError, FileNotFoundError) as exc:
        raise InfluenceError(f"PolyRefuse prompts for {', '.join(languages)}: {exc}") from None
    harmful = [p for p in prompts if p.harmful]
    found = {p.language for p in harmful}
    missing = [lang for lang in languages if counting_code(lang) not in found]
    if missing:
        raise InfluenceError(
            f"no PolyRefuse prompts in {', '.join(missing)}; found languages: "
            f"{', '.join(sorted(str(x) for x in found)) or '(none)'}"
        )
    return refusal_queries(harmful)


def parse_blocks(text: str) -> list[int] | None:
    """--layers: 'all' → None (every decoder block), else the block numbers."""
    from langgap.analyze.common.cli import LayerSpecError, parse_layer_spec

    try:
        return parse_layer_spec(text)
    except LayerSpecError as exc:
        raise InfluenceError(str(exc)) from None


def split_list(text: str) -> list[str]:
    """The comma-separated items of an option, blanks dropped."""
    return [part.strip() for part in text.split(",") if part.strip()]


def load_model_and_tokenizer(
    spec: str, device: str, dtype: Any, data_dir: Path | None = None
) -> tuple[Any, Any]:
    """A causal LM and its tokenizer: a local folder, a hub name (offline cache), `smollm2` or
    `smollm2-refusal` (which reads its tuning prompts from `data_dir`)."""
    from langgap.analyze.common.models import ModelLoadError, load_model

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        loaded = load_model(spec, device=device, dtype=dtype, data_dir=data_dir)
    except ModelLoadError as exc:
        raise InfluenceError(str(exc)) from None
    return loaded.model, loaded.tokenizer
