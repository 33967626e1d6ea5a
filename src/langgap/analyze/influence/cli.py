"""`langgap analyze influence`: which training examples, in which language, drive refusals."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from langgap.cli_options import DEFAULT_DEVICE, DEFAULT_DTYPE, DeviceOption, DtypeOption

console = Console()
errors = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add the `influence` command to a Typer app."""
    app.command("influence")(influence)


def _fail(message: str) -> typer.Exit:
    errors.print(f"error: {message}", style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def influence(
    model: Annotated[
        str, typer.Option("--model", "-m", help="Local HF folder, hub name, or 'smollm2'.")
    ],
    out: Annotated[Path, typer.Option(help="Output folder: report, figures, kronfluence cache.")],
    train: Annotated[
        Path | None,
        typer.Option(help="JSONL of training examples: prompt, response, language, id."),
    ] = None,
    train_languages: Annotated[
        str | None,
        typer.Option(
            help="Instead of --train: refusal training examples (harmful PolyRefuse prompt -> "
            "a refusal in its language) in these languages, disjoint from the queries."
        ),
    ] = None,
    n_train: Annotated[int, typer.Option(help="Training examples per --train-languages.")] = 16,
    queries: Annotated[
        Path | None,
        typer.Option(
            help="JSONL of queries (same fields; without a response the target is the refusal "
            "reply of the query's language)."
        ),
    ] = None,
    query_languages: Annotated[
        str | None,
        typer.Option(help="Instead of --queries: harmful PolyRefuse prompts in these languages."),
    ] = None,
    n_queries: Annotated[
        int, typer.Option(help="Harmful PolyRefuse prompts per query language.")
    ] = 8,
    data_dir: Annotated[
        Path | None, typer.Option(help="Benchmark data folder (default: the shared data).")
    ] = None,
    top: Annotated[int, typer.Option(help="Examples listed per query; k of the top-k share.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of query sampling and Fisher sampling.")] = 0,
    strategy: Annotated[
        str, typer.Option(help="Hessian approximation: ekfac, kfac, diagonal or identity.")
    ] = "ekfac",
    max_length: Annotated[int, typer.Option(help="Tokens per example, at most.")] = 512,
    modules: Annotated[
        str,
        typer.Option(help="Tracked layers: mlp, all, or comma-separated module names/patterns."),
    ] = "mlp",
    layers: Annotated[
        str, typer.Option(help="Decoder blocks to track: 'all' or numbers like -2,-1.")
    ] = "all",
    batch_size: Annotated[int, typer.Option(help="Examples per batch (train and query).")] = 8,
    damping: Annotated[
        float | None, typer.Option(help="Damping of the inverse; default: kronfluence heuristic.")
    ] = None,
    device: DeviceOption = DEFAULT_DEVICE,
    dtype: DtypeOption = DEFAULT_DTYPE,
    include_text: Annotated[
        bool, typer.Option(help="Also write prompt/response text into influence.json.")
    ] = False,
) -> None:
    """Score training examples against query prompts with influence functions (kronfluence).

    Writes influence.json, influence_by_language.png/.svg, influence_top_share.png/.svg,
    influence.md and config.json to --out. Examples are reported by id and language; text
    stays out unless --include-text.
    """
    from langgap.analyze.common.activations import ActivationError
    from langgap.analyze.common.experiment import write_config
    from langgap.analyze.common.models import ModelLoadError, resolve_device, resolve_dtype
    from langgap.analyze.influence.data import InfluenceError
    from langgap.analyze.influence.report import write_influence_report
    from langgap.analyze.influence.run import STRATEGIES, influence_scores

    if strategy not in STRATEGIES:
        raise _fail(f"--strategy {strategy!r}: choose one of {', '.join(STRATEGIES)}")
    try:
        device = resolve_device(device)
        weights = resolve_dtype(dtype, device)
    except ModelLoadError as exc:
        raise _fail(str(exc)) from None
    try:
        query_set = _read_queries(queries, query_languages, n_queries, data_dir, seed)
        train_set = _read_train(train, train_languages, n_train, query_set, data_dir, seed)
        loaded, tokenizer = _load_model(model, device, weights)
        selection: Any = modules if modules in ("mlp", "all") else _split(modules)
        blocks = _parse_layers(layers)
        result = influence_scores(
            loaded,
            tokenizer,
            train_set,
            query_set,
            out_dir=out,
            strategy=strategy,  # type: ignore[arg-type]  # checked against STRATEGIES above
            modules=selection,
            layers=blocks,
            max_length=max_length,
            train_batch_size=batch_size,
            query_batch_size=batch_size,
            damping=damping,
            seed=seed,
        )
        paths = write_influence_report(result, out, k=top, include_text=include_text)
        settings = {
            "model": model, "train": None if train is None else str(train),
            "train_languages": train_languages, "n_train": n_train,
            "queries": None if queries is None else str(queries),
            "query_languages": query_languages, "n_queries": n_queries,
            "data_dir": None if data_dir is None else str(data_dir),
            "top": top, "seed": seed, "strategy": strategy, "max_length": max_length,
            "modules": modules, "layers": layers, "batch_size": batch_size, "damping": damping,
            "device": device, "dtype": dtype, "include_text": include_text,
            "influence": result.config,
        }  # fmt: skip
        paths.append(write_config(out, "langgap analyze influence", settings))
    except (InfluenceError, ActivationError, OSError) as exc:
        raise _fail(str(exc)) from None
    for warning in result.warnings(top):
        errors.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    _print_summary(result, top)
    for path in paths:
        console.print(str(path), markup=False, highlight=False)


def _read_train(
    train: Path | None,
    train_languages: str | None,
    n_train: int,
    query_set: list[Any],
    data_dir: Path | None,
    seed: int,
) -> list[Any]:
    """The training set: a JSONL file, or refusal examples drawn from PolyRefuse."""
    from langgap.analyze.influence.data import InfluenceError, load_examples, refusal_queries

    if (train is None) == (train_languages is None):
        raise InfluenceError("give either --train FILE or --train-languages (not both)")
    if train is not None:
        return load_examples(train)
    languages = _split(train_languages or "")
    if not languages or n_train < 1:
        raise InfluenceError("--train-languages needs languages (e.g. eng,deu) and --n-train >= 1")
    from langgap.analyze.common.data import benchmark_prompts

    taken = {q.id for q in query_set} | {" ".join(q.prompt.split()) for q in query_set}
    examples = []
    for language in languages:
        # the train split where the benchmark has one, else test prompts the queries do not use
        for split in ("train", "test"):
            try:
                drawn = benchmark_prompts([language], 4 * n_train, split=split, data_dir=data_dir,
                                          seed=seed + 1, required=(True,))  # fmt: skip
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


def _read_queries(
    queries: Path | None,
    query_languages: str | None,
    n_queries: int,
    data_dir: Path | None,
    seed: int,
) -> list[Any]:
    from langgap.analyze.influence.data import InfluenceError, load_examples, refusal_queries

    if (queries is None) == (query_languages is None):
        raise InfluenceError("give either --queries FILE or --query-languages (not both)")
    if queries is not None:
        return load_examples(queries, response_optional=True)
    languages = _split(query_languages or "")
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
    from langgap.analyze.directions.run import canonical_language

    missing = [lang for lang in languages if canonical_language(lang) not in found]
    if missing:
        raise InfluenceError(
            f"no PolyRefuse prompts in {', '.join(missing)}; found languages: "
            f"{', '.join(sorted(str(x) for x in found)) or '(none)'}"
        )
    return refusal_queries(harmful)


def _parse_layers(text: str) -> list[int] | None:
    from langgap.analyze.influence.data import InfluenceError

    if text.strip() in ("", "all"):
        return None
    try:
        return [int(x) for x in _split(text)]
    except ValueError:
        raise InfluenceError(f"--layers {text!r}: use 'all' or numbers like -2,-1") from None


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _load_model(spec: str, device: str, dtype: Any) -> tuple[Any, Any]:
    """A causal LM and its tokenizer: a local folder, a hub name (offline cache) or `smollm2`."""
    from langgap.analyze.common.models import ModelLoadError, load_model
    from langgap.analyze.influence.data import InfluenceError

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        loaded = load_model(spec, device=device, dtype=dtype)
    except ModelLoadError as exc:
        raise InfluenceError(str(exc)) from None
    return loaded.model, loaded.tokenizer


def _print_summary(result: Any, k: int) -> None:
    langs = result.by_language(k)
    table = Table(title=f"Mean influence (rows: training language; top-{langs.k} share)")
    table.add_column("training \\ query")
    for lang in langs.query_languages:
        table.add_column(lang, justify="right")
    for i, lang in enumerate(langs.train_languages):
        cells = [
            f"{langs.mean[i, j]:.3g} ({langs.top_share[i, j]:.0%})"
            for j in range(len(langs.query_languages))
        ]
        table.add_row(lang, *cells)
    console.print(table)
