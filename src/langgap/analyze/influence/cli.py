"""`langgap analyze influence`: which training examples, in which language, drive refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from langgap.analyze.common.cli import ModelOption, fail, require_data
from langgap.cli_options import DEFAULT_DEVICE, DEFAULT_DTYPE, DeviceOption, DtypeOption

console = Console()
errors = Console(stderr=True, soft_wrap=True)  # warnings stay whole lines


def register(app: typer.Typer) -> None:
    """Add the `influence` command to a Typer app."""
    app.command("influence")(influence)


def influence(
    model: ModelOption,
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
    controls: Annotated[
        bool,
        typer.Option(
            help="Also score two controls (shuffled prompts, one target for all) into "
            "controls/ and compare same- vs cross-language influence (3 × the time)."
        ),
    ] = False,
) -> None:
    """Score training examples against query prompts with influence functions (kronfluence).

    Writes influence.json, influence_by_language.png/.svg, influence_top_share.png/.svg,
    influence.md and config.json to --out (with --controls also controls.json and controls.md).
    Examples are reported by id and language; text stays out unless --include-text.
    """
    settings: dict[str, Any] = {  # config.json: every option but --out, paths as text
        k: str(v) if isinstance(v, Path) else v for k, v in locals().items() if k != "out"
    }
    from langgap.analyze.common.activations import ActivationError
    from langgap.analyze.common.experiment import write_config
    from langgap.analyze.common.models import ModelLoadError, resolve_device, resolve_dtype
    from langgap.analyze.influence.data import InfluenceError
    from langgap.analyze.influence.inputs import (
        load_model_and_tokenizer,
        parse_blocks,
        query_examples,
        split_list,
        training_examples,
    )
    from langgap.analyze.influence.report import write_influence_report
    from langgap.analyze.influence.run import STRATEGIES, influence_scores

    if strategy not in STRATEGIES:
        raise fail(f"--strategy {strategy!r}: choose one of {', '.join(STRATEGIES)}")
    if query_languages is not None or train_languages is not None:  # prompts from PolyRefuse
        require_data("polyrefuse", data_dir)
    try:
        settings["device"] = device = resolve_device(device)
        weights = resolve_dtype(dtype, device)
    except ModelLoadError as exc:
        raise fail(str(exc)) from None
    try:
        blocks = parse_blocks(layers)  # a bad --layers fails before the model loads
        query_set = query_examples(queries, query_languages, n_queries, data_dir, seed)
        train_set = training_examples(train, train_languages, n_train, query_set, data_dir, seed)
        loaded, tokenizer = load_model_and_tokenizer(model, device, weights, data_dir)
        selection: Any = modules if modules in ("mlp", "all") else split_list(modules)
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
        if controls:
            paths += _controls(loaded, tokenizer, train_set, query_set, result, out, top, seed,
                               strategy=strategy, modules=selection, layers=blocks,
                               max_length=max_length, train_batch_size=batch_size,
                               query_batch_size=batch_size, damping=damping)  # fmt: skip
        settings["influence"] = result.config
        paths.append(write_config(out, "langgap analyze influence", settings))
    except (InfluenceError, ActivationError, OSError) as exc:
        raise fail(str(exc)) from None
    for warning in result.warnings(top):
        errors.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    _print_summary(result, top)
    for path in paths:
        console.print(str(path), markup=False, highlight=False)


def _controls(
    model: Any,
    tokenizer: Any,
    train: Any,
    queries: Any,
    main: Any,
    out: Path,
    top: int,
    seed: int,
    **options: Any,
) -> list[Path]:
    """Score each control like the main run (its own factors under out/controls/NAME)."""
    from langgap.analyze.influence.controls import control_sets, write_controls_report
    from langgap.analyze.influence.run import influence_scores

    by_name = {}
    for name, (train_c, queries_c) in control_sets(train, queries, seed).items():
        errors.print(f"control {name}", markup=False, highlight=False)
        scored = influence_scores(
            model, tokenizer, train_c, queries_c, out_dir=out / "controls" / name, seed=seed,
            **options,
        )  # fmt: skip
        by_name[name] = scored.by_language(top)
    return write_controls_report(main.by_language(top), by_name, out)


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
