"""`langgap judge`: measure judges against human labels per language and calibrate them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from langgap._io import atomic_write_text
from langgap.cli_options import (
    DEFAULT_N_BOOT,
    MODEL_UNDER_TEST,
    JudgeModelOption,
    NBootOption,
    OldModelOption,
    renamed,
)
from langgap.evaluate.judge_registry import choices_text, judge_names

# Judges import Inspect, which takes seconds: commands import them when they run, not at --help.
if TYPE_CHECKING:
    from langgap.evaluate.judge_eval.data import Columns, LabelledItem
    from langgap.evaluate.judge_eval.runner import Judge

app = typer.Typer(
    help="Measure judges against human labels per language (agreement, unclear, judge cards).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
console = Console()
DataOpt = Annotated[
    str,
    typer.Option(
        "--data",
        help="dna-harm, dna-refusal-strict, dna-refusal-broad, rtp-lx, xstest, square-ko, "
        "polyguard-refusal, polyguard-harm, msts-refusal, msts-harm, or a labelled CSV/JSONL "
        "(see --text-col …).",
    ),
]
JudgeOpt = Annotated[
    list[str],
    typer.Option(
        "--judge",
        help=f"{choices_text(judge_names(meta_evaluable=True))}; guard/NAME picks a guard; "
        "repeat for an ensemble (see --ensemble).",
    ),
]
LangOpt = Annotated[
    list[str] | None, typer.Option("--languages", help="Only these languages (repeat or a,b).")
]
LimitOpt = Annotated[int | None, typer.Option("--limit", help="First N items per language.")]
OutOpt = Annotated[Path, typer.Option("--out", help="Output folder.")]
SharedOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Folder holding the data sets (default: $LANGGAP_DATA_DIR, ../shared/data, the "
        "user data directory; fetched on first use).",
    ),
]


TextColOpt = Annotated[str, typer.Option("--text-col", help="Table column with the response.")]
LabelColOpt = Annotated[str, typer.Option("--label-col", help="Table column with the label.")]
LanguageColOpt = Annotated[
    str, typer.Option("--language-col", help="Table column with the language (name or code).")
]
PromptColOpt = Annotated[str, typer.Option("--prompt-col", help="Table column with the prompt.")]
IdColOpt = Annotated[
    str | None, typer.Option("--id-col", help="Table column with an id (default: row number).")
]
FixedLanguageOpt = Annotated[
    str | None, typer.Option("--language", help="One language for the whole table.")
]
PositiveOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--positive",
        help="Table label value(s) of the positive class (refused, or unsafe with --view harm); "
        "repeat or a,b.",
    ),
]
NegativeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--negative",
        help="Label value(s) of the other class; a value in neither is an error (default: every "
        "other value).",
    ),
]
ViewOpt = Annotated[
    str, typer.Option("--view", help="What --positive means: refusal (refused) or harm (unsafe).")
]
SplitOpt = Annotated[
    str,
    typer.Option(
        "--split",
        help="all, or train/dev/test (60/20/20 by question, stable): report on test when the "
        "judge was tuned on train/dev.",
    ),
]


def _values(values: list[str] | None) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def _columns(
    text_col: str,
    label_col: str,
    language_col: str,
    prompt_col: str,
    id_col: str | None,
    positive: list[str] | None,
    negative: list[str] | None,
    view: str,
) -> Columns:
    from langgap.evaluate.judge_eval.data import Columns, LabelledDataError

    if view not in ("refusal", "harm"):
        raise LabelledDataError(f"--view {view!r}: use refusal or harm")
    if negative and not positive:
        raise LabelledDataError("--negative needs --positive (the labels of the positive class)")
    return Columns(
        prompt=prompt_col,
        response=text_col,
        label=label_col,
        language=language_col,
        id=id_col,
        positive=tuple(_values(positive)),
        negative=tuple(_values(negative)),
        view=view,  # type: ignore[arg-type]
    )


def _items(
    data: str,
    data_dir: Path | None,
    languages: list[str] | None,
    limit: int | None,
    columns: Columns | None = None,
    language: str | None = None,
    split: str = "all",
) -> list[LabelledItem]:
    from langgap.evaluate.judge_eval.data import (
        LabelledDataError,
        filter_languages,
        load_dataset,
        load_labelled,
    )
    from langgap.evaluate.judge_eval.learn_response import in_split

    path = Path(data)
    items = (
        load_labelled(path, columns, language) if path.is_file() else load_dataset(data, data_dir)
    )
    skipped = max((int(i.extra.get("skipped_rows", 0)) for i in items), default=0)
    if skipped:  # rows without a reply to judge (an API error, an empty reply): said, not hidden
        Console(stderr=True, soft_wrap=True).print(
            f"note: {data}: {skipped} row(s) hold no reply to judge (an API error or an empty "
            "reply) and are left out; see the data set's notes in docs/judges.md",
            markup=False,
            highlight=False,
        )
    items = in_split(items, split)
    wanted = _values(languages)
    if wanted:
        items = filter_languages(items, wanted)
    if limit is not None:
        seen: dict[str, int] = {}
        kept = []
        for item in items:
            seen[item.language] = seen.get(item.language, 0) + 1
            if seen[item.language] <= limit:
                kept.append(item)
        items = kept
    if not items:
        raise LabelledDataError(f"{data}: no labelled items (after --split/--languages/--limit)")
    return items


def _judge(names: list[str], model: str | None, strategy: str, concurrency: int) -> Judge:
    from langgap.evaluate.judge_eval.ensemble import ensemble
    from langgap.evaluate.judge_eval.runner import make_judge

    options: dict[str, Any] = {"concurrency": concurrency}
    judges = [make_judge(n, model, **(options if n != "refusal" else {})) for n in names]
    if len(judges) == 1:
        return judges[0]
    if strategy not in ("cascade", "majority"):
        raise ValueError(f"unknown --ensemble {strategy!r}; use cascade or majority")
    return ensemble(judges, "cascade" if strategy == "cascade" else "majority")


def _fail(exc: Exception) -> None:
    # soft_wrap: one line, so a URL or path in the message is never split at the 80th column
    Console(stderr=True, soft_wrap=True).print(
        f"error: {exc}", style="red", markup=False, highlight=False
    )
    raise typer.Exit(2)


@app.command("eval")
def eval_command(
    judge: JudgeOpt,
    data: DataOpt,
    judge_model: JudgeModelOption = None,
    model: OldModelOption = None,
    languages: LangOpt = None,
    limit: LimitOpt = None,
    out: OutOpt = Path("judge-eval"),
    data_dir: SharedOpt = None,
    text_col: TextColOpt = "response",
    label_col: LabelColOpt = "label",
    language_col: LanguageColOpt = "language",
    prompt_col: PromptColOpt = "prompt",
    id_col: IdColOpt = "id",
    language: FixedLanguageOpt = None,
    positive: PositiveOpt = None,
    negative: NegativeOpt = None,
    view: ViewOpt = "refusal",
    split: SplitOpt = "all",
    predictions: Annotated[
        Path | None,
        typer.Option(
            "--predictions",
            help="Write one row per item (id, language, human label, decision, verdict) here, "
            "CSV or JSONL, so anyone can recompute the figures.",
        ),
    ] = None,
    ensemble_strategy: Annotated[
        str, typer.Option("--ensemble", help="cascade or majority (with several --judge).")
    ] = "cascade",
    n_boot: NBootOption = DEFAULT_N_BOOT,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    concurrency: Annotated[int, typer.Option(help="Model requests in flight.")] = 8,
    min_kappa: Annotated[float, typer.Option(help="Card: trusted from this kappa.")] = 0.6,
    min_n: Annotated[int, typer.Option(help="Card: trusted from this many items.")] = 50,
) -> None:
    """Run a judge over a labelled set; per-language agreement, judge_eval.json and a judge card."""
    model = renamed(
        judge_model, model, old_name="--model", new_name="--judge-model", why=MODEL_UNDER_TEST
    )
    from langgap.evaluate.judge_eval.cards import write_judge_card
    from langgap.evaluate.judge_eval.data import LabelledDataError, item_view
    from langgap.evaluate.judge_eval.metrics import meta_evaluate
    from langgap.evaluate.judge_eval.predictions import write_predictions
    from langgap.evaluate.judge_eval.report import rich_table, write_outputs
    from langgap.evaluate.judge_eval.runner import JudgeViewError, judge_verdicts

    try:
        columns = _columns(
            text_col, label_col, language_col, prompt_col, id_col, positive, negative, view
        )
        items = _items(data, data_dir, languages, limit, columns, language, split)
        chosen = _judge(judge, model, ensemble_strategy, concurrency)
        verdicts, judged = judge_verdicts(chosen, items)
    except (LabelledDataError, JudgeViewError, ValueError) as exc:
        _fail(exc)
        return
    result = meta_evaluate(chosen.name, item_view(items), judged, chosen.supports, n_boot, seed)
    result.extra.update(
        model=chosen.model, judge_version=chosen.version, prompt_version=chosen.prompt_version,
        split=split, calls=_calls(chosen),
    )  # fmt: skip
    console.print(rich_table(result, data))
    paths = write_outputs(result, out, data, n_boot=n_boot, seed=seed)
    paths += write_judge_card(result, out, data, min_kappa, min_n)
    if predictions is not None:
        paths.append(write_predictions(predictions, items, verdicts, judged))
    console.print(
        f"worst language: {result.worst}; split: {split}; wrote " + ", ".join(map(str, paths)),
        markup=False,
    )


def _calls(chosen: Judge) -> dict[str, int]:
    """Model requests made and cached, per member judge that calls a model."""
    members = getattr(chosen, "judges", (chosen,))
    return {m.name: m.usage.requests for m in members if hasattr(m, "usage")}


@app.command()
def calibrate(
    judge: JudgeOpt,
    data: DataOpt,
    judge_model: JudgeModelOption = None,
    model: OldModelOption = None,
    languages: LangOpt = None,
    limit: LimitOpt = None,
    out: OutOpt = Path("judge-calibrate"),
    data_dir: SharedOpt = None,
    dev_fraction: Annotated[float, typer.Option(help="Share of items for development.")] = 0.5,
    seed: Annotated[int, typer.Option(help="Split and bootstrap seed.")] = 0,
    min_dev: Annotated[int, typer.Option(help="Per-language rule from this many items.")] = 50,
    n_boot: NBootOption = DEFAULT_N_BOOT,
) -> None:
    """Calibrate the judge's abstention rule per language on a dev split; report held-out."""
    model = renamed(
        judge_model, model, old_name="--model", new_name="--judge-model", why=MODEL_UNDER_TEST
    )
    from langgap.evaluate.judge_eval.calibrate import calibrate_abstention, split_items
    from langgap.evaluate.judge_eval.data import LabelledDataError, item_view
    from langgap.evaluate.judge_eval.metrics import meta_evaluate
    from langgap.evaluate.judge_eval.report import rich_table
    from langgap.evaluate.judge_eval.runner import JudgeViewError, judge_items

    try:
        items = _items(data, data_dir, languages, limit)
        chosen = _judge(judge, model, "cascade", 8)
        dev, test = split_items(items, dev_fraction, seed)
        rule = calibrate_abstention(judge_items(chosen, dev), min_dev)
        held_out = judge_items(chosen, test)
    except (LabelledDataError, JudgeViewError, ValueError) as exc:
        _fail(exc)
        return
    view = item_view(items)
    before = meta_evaluate(chosen.name, view, held_out, chosen.supports, n_boot, seed)
    after = meta_evaluate(
        f"{chosen.name}+abstention", view, rule.apply(held_out), chosen.supports, n_boot, seed
    )
    console.print(rich_table(before, f"{data} held-out, before"))
    console.print(rich_table(after, f"{data} held-out, calibrated"))
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "data": data,
        "judge": chosen.name,
        "note": "no judge exposes a continuous score, so the abstention rule is calibrated",
        "split": {"dev": len(dev), "held_out": len(test), "seed": seed, "by": "item group"},
        "rule": rule.to_dict(),
        "held_out_before": before.to_dict(),
        "held_out_after": after.to_dict(),
    }
    path = out / "calibration.json"
    atomic_write_text(path, json.dumps(payload, indent=2, ensure_ascii=False))
    console.print(f"wrote {path}")


@app.command("learn-response")
def learn_response(
    data: Annotated[
        str, typer.Option("--data", help="A data set with Do-Not-Answer action labels.")
    ] = "dna-refusal-strict",
    out: Annotated[Path, typer.Option("--out", help="Where to write the model (JSON).")] = Path(
        "response_model.json"
    ),
    data_dir: SharedOpt = None,
    split: SplitOpt = "train",
    c: Annotated[
        float, typer.Option("--c", help="Inverse regularisation strength (logistic regression C).")
    ] = 0.1,
    lexical_terms: Annotated[
        int | None,
        typer.Option(
            "--lexical-terms",
            min=0,
            help="Words and word pairs the English lexical model keeps (default: the number "
            "chosen on the dev split; 0: no lexical model). Replies in other languages always "
            "use the cue model.",
        ),
    ] = None,
    decline_data: Annotated[
        str | None,
        typer.Option(
            "--decline-data",
            help="A refusal-labelled data set beyond English (msts-refusal) to learn the "
            "per-language decline models from, on the same split (default: none).",
        ),
    ] = None,
    decline_data_dir: Annotated[
        Path | None,
        typer.Option(
            "--decline-data-dir",
            help="Folder holding --decline-data's set (default: as --data-dir).",
        ),
    ] = None,
) -> None:
    """Learn the response classifier's model from human action labels (train split by
    default), and with --decline-data its per-language decline models; says whether it matches
    the packaged `response_model.json`."""
    from langgap.evaluate.judge_eval.data import LabelledDataError, load_dataset
    from langgap.evaluate.judge_eval.learn_decline import decline_items, with_decline_models
    from langgap.evaluate.judge_eval.learn_response import LEXICAL_TERMS, fit_response_model
    from langgap.evaluate.judges.response import packaged_model

    if decline_data_dir is not None and not decline_data:
        _fail(ValueError("--decline-data-dir names the folder of --decline-data: give both"))
        return
    terms = LEXICAL_TERMS if lexical_terms is None else lexical_terms
    try:
        # both data sets (and the decline labels) are read and checked before any fitting
        items = load_dataset(data, data_dir)
        others = None
        if decline_data:
            where = "--decline-data-dir" if decline_data_dir else "--data-dir"
            others = load_dataset(decline_data, decline_data_dir or data_dir, where)
            decline_items(others, decline_data, split)
        model = fit_response_model(items, c, data, split, terms)
        if others is not None and decline_data:
            model = with_decline_models(model, others, decline_data, split)
    except (LabelledDataError, ValueError) as exc:
        _fail(exc)
        return
    same = model.to_json() == packaged_model().to_json()  # before `out` may replace it
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, model.to_json() + "\n")
    lexical = model.lexical
    parts = f", English lexical model of {len(lexical.terms)} terms" if lexical else ""
    if model.decliners:
        parts += f", decline models for {', '.join(sorted(model.decliners))}"
    console.print(
        f"wrote {out}: {len(model.classes)} classes x {len(model.features)} features{parts} "
        f"from {model.meta['n_items']} items ({split} split); "
        f"{'identical to' if same else 'differs from'} the packaged model",
        markup=False,
    )
