"""The full refusal loop on a CPU (claim: ≤ 20 minutes on a 2-core CPU).

1. build a refusal-tuned SmolLM2 (LoRA on the `tune` role of PolyRefuse's parallel test split;
   cached by base weights + settings; --cold rebuilds that one build in place);
2. fit difference-in-means directions per language and layer on the `fit` role;
3. select one layer by causal effect on the `select` role (ablation lowers refusal, addition
   induces it, harmless KL ≤ --max-kl); each layer's candidate is the direction of the mean over
   the last 3 prompt tokens (fitted on every fit prompt), and with --position-candidates also
   each of those tokens' own (4 candidates per layer: about 4 × the selection time); ablation
   acts on the candidate's layer output (--ablation-scope one-layer, the default) or on every
   residual write at every layer (every-layer, Arditi et al.); it projects the direction out
   (--ablation-kind zero, the default) or sets its component to the harmless prompts' mean
   (affine: ACE, Marshall et al. 2024), at every position or (--ablation-tail K) at the last K
   prompt positions and the generated tokens only, optionally leaving the attention sink's
   massive activation alone (--ablation-keep-sink);
4. report on the `report` role: refusal of harmful prompts in the trained languages before and
   after ablation (and after the other scope's ablation of the same direction), harmless-prompt
   KL under both, and refusal of harmless prompts in other languages before and after addition
   (alpha relative to the residual norm at that layer).

Roles are disjoint by pair id (langgap.analyze.common.lab_splits): no prompt is used in two steps.
Refusal is judged by the response classifier (langgap.evaluate.judges), never by a phrase match
written for the training refusals. Prints every figure and each phase's time.

    python benchmarks/bench_refusal_loop.py [--languages eng,deu,ara] [--others fra,spa,rus,jpn]
        [--n-harmful N] [--n-harmless N] [--epochs E]
        [--ablation-scope one-layer|every-layer] [--ablation-kind zero|affine] [--ablation-tail K]
        [--ablation-keep-sink]
        [--n-select N] [--position-candidates] [--cold] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langgap.analyze.common.activations import Prompt, capture, last_k
from langgap.analyze.common.behaviour import evaluate_refusal
from langgap.analyze.common.lab_splits import role_prompts
from langgap.analyze.common.models import load_model
from langgap.analyze.common.refusal_model import (
    RefusalModelConfig,
    build_refusal_model,
)
from langgap.analyze.directions.run import refusal_directions
from langgap.analyze.interventions.refusal_loop import (
    addition,
    harmless_kl,
    harmless_means,
    no_intervention,
    position_directions,
    residual_norms,
    select_layer,
)
from langgap.analyze.interventions.run import (
    ABLATION_KINDS,
    ABLATION_SCOPES,
    MASSIVE_RATIO,
    Intervention,
    ablation,
)

BUDGET_S = 20 * 60
FIT_POSITIONS = 3  # directions are fitted on the prompt's last 3 tokens (end of instruction)


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--languages", default="eng,deu,ara", help="trained languages")
    parser.add_argument("--others", default="fra,rus", help="untrained languages")
    # the build (defaults: RefusalModelConfig's, the model the docs' tables were measured on)
    build = RefusalModelConfig()
    parser.add_argument("--n-harmful", type=int, default=build.n_harmful,
                        help="harmful tuning prompts per language")  # fmt: skip
    parser.add_argument("--n-harmless", type=int, default=build.n_harmless,
                        help="harmless tuning prompts per language")  # fmt: skip
    parser.add_argument("--epochs", type=float, default=build.epochs, help="tuning epochs")
    parser.add_argument("--n-fit", type=int, default=32, help="fit prompts per language, class")
    parser.add_argument("--n-select", type=int, default=6, help="selection prompts per language")
    parser.add_argument("--n-report", type=int, default=16, help="reported prompts per language")
    parser.add_argument("--layer-step", type=int, default=2, help="candidate layer spacing")
    parser.add_argument("--alpha-relative", type=float, default=0.5)
    parser.add_argument("--max-kl", type=float, default=0.1)
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument(
        "--ablation-scope",
        choices=ABLATION_SCOPES,
        default="one-layer",
        help="where ablation acts: the candidate's layer output (default), or every layer "
        "(zero-ablation: every residual write, Arditi et al.; affine: every block output); the "
        "other scope is reported beside the selected direction either way",
    )
    parser.add_argument(
        "--ablation-kind",
        choices=ABLATION_KINDS,
        default="zero",
        help="zero: project the direction out (Arditi et al.); affine: set its component to the "
        "harmless prompts' mean value at that layer (ACE, Marshall et al. 2024)",
    )
    parser.add_argument(
        "--ablation-tail",
        type=int,
        default=0,
        help="edit only the last K prompt positions (the chat template's end of instruction, "
        f"where the directions are fitted: {FIT_POSITIONS}) and the generated tokens; 0 "
        "(default): every position",
    )
    parser.add_argument(
        "--ablation-keep-sink",
        action="store_true",
        help=f"leave positions with a massive activation (norm over {MASSIVE_RATIO:g}x the "
        "sequence median: the attention sink, SmolLM2's first token from block 11 on) alone",
    )
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--cold", action="store_true", help="rebuild the refusal model")
    parser.add_argument(
        "--position-candidates",
        action="store_true",
        help="also a candidate per token position (each of the last 3 and their mean)",
    )
    parser.add_argument(
        "--full-report",
        action="store_true",
        help="also harmful prompts of other languages and harmless over-refusal under ablation",
    )
    parser.add_argument("--out", type=Path, default=None, help="write loop.json there")
    return parser.parse_args()


def _rates(
    loaded: Any, prompts: Sequence[Prompt], intervention: Intervention, tokens: int
) -> dict[str, float]:
    """Percent refused per language under an intervention (response classifier)."""
    with intervention():
        result = evaluate_refusal(
            loaded.model, loaded.tokenizer, prompts, max_new_tokens=tokens, batch_size=16
        )
    harmful = bool(prompts[0].harmful)
    return {k: round(v.rate, 1) for k, v in result.by_language(harmful).items()}


def main() -> None:
    """Run the loop once and print its figures and timings."""
    args = _parse()
    trained = [x.strip() for x in args.languages.split(",") if x.strip()]
    others = [x.strip() for x in args.others.split(",") if x.strip()]
    times: dict[str, float] = {}
    t0, cpu0 = time.perf_counter(), time.process_time()
    config = RefusalModelConfig(
        languages=tuple(trained), n_harmful=args.n_harmful, n_harmless=args.n_harmless,
        epochs=args.epochs, data_dir=args.data_dir,
    )  # fmt: skip
    # --cold rebuilds this config's cached model (other cached builds are kept)
    built = build_refusal_model(
        config, log=lambda m: print(f"  {m}", flush=True), rebuild=args.cold
    )
    times["build"] = time.perf_counter() - t0
    loaded = load_model(str(built.path))
    model, tok = loaded.model, loaded.tokenizer

    def roles(role: str, langs: list[str], n: int, harmful: tuple[bool, ...]) -> list[Prompt]:
        return role_prompts(langs, role, n, harmful=harmful, data_dir=args.data_dir)

    t = time.perf_counter()
    fit = roles("fit", trained, args.n_fit, (True, False))
    # per position: the directions and norms average the positions, as a reduced capture would
    acts = capture(model, tok, fit, positions=last_k(FIT_POSITIONS), reduce="none", batch_size=16)
    dirs = refusal_directions(acts)
    norms = residual_norms(acts)
    means = harmless_means(acts)
    times["fit"] = time.perf_counter() - t

    t = time.perf_counter()
    n_layers = len(dirs.layers)
    candidates = list(range(n_layers // 5, (4 * n_layers) // 5, args.layer_step))
    sel_harm = roles("select", trained, args.n_select, (True,))
    sel_safe = roles("select", trained, args.n_select, (False,))

    def pooled_rate(prompts: Sequence[Prompt], intervention: Intervention) -> float:
        per = _rates(loaded, prompts, intervention, args.max_new_tokens)
        print(f"  selection: {len(prompts)} prompts -> {per}", flush=True)
        return sum(per.values()) / len(per) / 100.0

    # every candidate is fitted on all fit prompts (the mean over positions, and with
    # --position-candidates each position's)
    positions = position_directions(
        acts, trained, candidates, per_position=args.position_candidates
    )
    selection = select_layer(
        model, tok, dirs, trained, sel_harm, sel_safe, candidates=candidates, norms=norms,
        refusal_rate=pooled_rate, alpha_relative=args.alpha_relative, max_kl=args.max_kl,
        positions=positions, scope=args.ablation_scope, kind=args.ablation_kind, means=means,
        tail=args.ablation_tail, keep_sink=args.ablation_keep_sink,
    )  # fmt: skip
    layer = selection.layer
    times["select"] = time.perf_counter() - t

    t = time.perf_counter()
    direction = positions[layer][selection.position]
    alpha = args.alpha_relative * norms[layer]
    rep_harm = roles("report", trained, args.n_report, (True,))
    rep_safe = roles("report", trained, args.n_report, (False,))
    other_safe = roles("report", others, args.n_report, (False,))
    other_harm = roles("report", others, args.n_report, (True,))
    tokens = args.max_new_tokens
    print(f"selected layer {layer}, alpha {alpha:.1f}; reporting", flush=True)
    report: dict[str, Any] = {}
    how = {
        "kind": args.ablation_kind, "harmless_means": means, "tail": args.ablation_tail,
        "keep_sink": args.ablation_keep_sink,
    }  # fmt: skip
    ablated = ablation(model, direction, layer=layer, scope=args.ablation_scope, **how)
    other_scope = next(s for s in ABLATION_SCOPES if s != args.ablation_scope)
    reference = ablation(model, direction, layer=layer, scope=other_scope, **how)
    runs: list[tuple[str, list[Prompt], Intervention]] = [
        ("harmful_trained_before", rep_harm, no_intervention),
        ("harmful_trained_ablated", rep_harm, ablated),
        (f"harmful_trained_ablated_{other_scope}", rep_harm, reference),
        ("harmless_others_before", other_safe, no_intervention),
        ("harmless_others_added", other_safe, addition(model, direction, layer, alpha)),
        ("harmful_others_before", other_harm, no_intervention),
        ("harmless_trained_before", rep_safe, no_intervention),
        ("harmless_trained_ablated", rep_safe, ablated),
    ]
    report["ablation_scope"] = args.ablation_scope
    report["ablation_kind"] = args.ablation_kind
    report["ablation_tail"] = args.ablation_tail
    report["ablation_keep_sink"] = args.ablation_keep_sink
    report["harmless_kl_ablated"] = harmless_kl(model, tok, rep_safe, ablated)
    report[f"harmless_kl_ablated_{other_scope}"] = harmless_kl(model, tok, rep_safe, reference)
    for name, prompts, intervention in runs[: None if args.full_report else 5]:
        report[name] = _rates(loaded, prompts, intervention, tokens)
        print(f"  {name}: {report[name]}", flush=True)
    times["report"] = time.perf_counter() - t
    times["total"] = time.perf_counter() - t0
    times["cpu"] = time.process_time() - cpu0  # this process's CPU seconds (a shared machine)
    _print(built, dirs, selection, report, layer, alpha, norms, times, cached=built.cached)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        record = {
            "settings": vars(args) | {"out": str(args.out)},
            "model": str(built.path),
            "model_manifest": {k: built.manifest[k] for k in ("key", "config", "examples")},
            "auroc_best_layer": dirs.best_layer(),
            "selection": selection.to_dict(),
            "layer": layer,
            "position": selection.position,
            "alpha": alpha,
            "report": report,
            "seconds": {k: round(v, 1) for k, v in times.items()},
        }
        (args.out / "loop.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _print(
    built: Any,
    dirs: Any,
    selection: Any,
    report: dict[str, Any],
    layer: int,
    alpha: float,
    norms: dict[int, float],
    times: dict[str, float],
    *,
    cached: bool,
) -> None:
    print(f"\nrefusal model: {built.path} ({'cached' if cached else 'built now'})")
    print(f"  tuning examples: {json.dumps(built.manifest['examples']['per_language'])}")
    print(f"  build seconds: {built.manifest['seconds']}")
    print("selection split (pooled over trained languages; rates 0-1):")
    print(f"  baseline refusal {selection.baseline_refusal:.2f}")
    for c in selection.candidates:
        mark = "*" if (c.layer, c.position) == (layer, selection.position) else " "
        print(
            f" {mark} layer {c.layer:2d} {c.position:>4}: ablated {c.ablated_refusal:.2f}  added "
            f"{c.added_refusal:.2f}  KL {c.kl:.3f}  alpha {c.alpha:.1f}"
            f"{'' if c.eligible else '  (KL over limit)'}"
        )
    print(
        f"selected layer {layer}, position {selection.position}; "
        f"residual norm {norms[layer]:.1f}; alpha {alpha:.1f}"
    )
    print("report split (percent refused, response classifier):")
    for key, value in report.items():
        shown = f"{value:.4f}" if isinstance(value, float) else json.dumps(value)
        print(f"  {key}: {shown}")
    drops = {
        lang: report["harmful_trained_before"][lang] - report["harmful_trained_ablated"][lang]
        for lang in report["harmful_trained_before"]
    }
    print(f"  ablation lowers refusal by (points): {json.dumps(drops)}")
    print("wall seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in times.items() if k != "cpu"))
    print(f"CPU seconds of this process: {times['cpu']:.0f}")
    verdict = "within" if times["total"] <= BUDGET_S else "OVER"
    print(f"total {times['total'] / 60:.1f} min: {verdict} the {BUDGET_S // 60}-minute budget")


if __name__ == "__main__":
    main()
