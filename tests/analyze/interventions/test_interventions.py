"""Directional ablation, activation addition and the transfer matrix on a tiny random Llama."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from langgap.analyze.common.activations import ActivationError, Activations, Prompt, capture  # noqa: E402
from langgap.analyze.common.generation import generate  # noqa: E402
from langgap.analyze.directions.run import refusal_directions  # noqa: E402
from langgap.analyze.interventions.report import write_transfer_report  # noqa: E402
from langgap.analyze.interventions.run import (  # noqa: E402
    _projection,
    ablate,
    ablate_at_layers,
    ablation,
    add_direction,
    massive_positions,
    transfer_matrix,
)

PROMPTS = ["Hi", "How do I bake bread?", "A longer prompt to pad the batch."]


def _direction(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random direction in the tiny model's residual space, and its unit vector."""
    direction = torch.randn(32, generator=torch.Generator().manual_seed(seed))
    return direction, direction / direction.norm()


def test_ablation_removes_the_direction_everywhere(tiny_model: Any, tiny_tokenizer: Any) -> None:
    direction, unit = _direction(1)
    before = capture(tiny_model, tiny_tokenizer, PROMPTS, positions=[-3, -1]).tensor
    assert (before @ unit).abs().max() > 1e-2
    with ablate(tiny_model, direction):
        after = capture(tiny_model, tiny_tokenizer, PROMPTS, positions=[-3, -1]).tensor
    assert (after @ unit).abs().max() < 1e-4
    again = capture(tiny_model, tiny_tokenizer, PROMPTS, positions=[-3, -1]).tensor
    assert torch.equal(again, before)  # hooks are gone


def test_one_layer_ablation_clears_that_layer_only(tiny_model: Any, tiny_tokenizer: Any) -> None:
    direction, unit = _direction(3)
    n = len(tiny_model.model.layers)
    before = capture(tiny_model, tiny_tokenizer, PROMPTS, positions=[-1]).tensor  # [n, layers, d]
    with ablate_at_layers(tiny_model, direction, [1]):
        after = capture(tiny_model, tiny_tokenizer, PROMPTS, positions=[-1]).tensor
    assert (after[:, 1] @ unit).abs().max() < 1e-4  # gone after the chosen layer
    assert torch.equal(after[:, 0], before[:, 0])  # earlier layers untouched
    assert (after[:, n - 1] @ unit).abs().max() > 1e-3  # later layers may write it back
    # the loop's factory: one-layer needs the layer; every-layer is `ablate`
    with ablation(tiny_model, direction, layer=1, scope="one-layer")():
        same = capture(tiny_model, tiny_tokenizer, PROMPTS, positions=[-1]).tensor
    assert torch.equal(same, after)
    with pytest.raises(ValueError, match="needs the layer"):
        ablation(tiny_model, direction, scope="one-layer")
    with pytest.raises(ValueError, match="unknown ablation scope"):
        ablation(tiny_model, direction, scope="everywhere")  # type: ignore[arg-type]
    with pytest.raises(ActivationError, match="out of range"):
        ablate_at_layers(tiny_model, direction, [n]).__enter__()


def test_affine_ablation_sets_the_component_to_the_harmless_mean(
    tiny_model: Any, tiny_tokenizer: Any
) -> None:
    direction, unit = _direction(4)
    n = len(tiny_model.model.layers)
    means = {layer: torch.full((32,), 0.1 * (layer + 1)) for layer in range(n)}
    before = capture(tiny_model, tiny_tokenizer, PROMPTS, positions=[-3, -1]).tensor
    with ablation(tiny_model, direction, layer=1, scope="one-layer", kind="affine",
                  harmless_means=means)():  # fmt: skip
        after = capture(tiny_model, tiny_tokenizer, PROMPTS, positions=[-3, -1]).tensor
    target = float(means[1] @ unit)
    assert torch.allclose(after[:, 1] @ unit, torch.full_like(after[:, 1, :, 0], target), atol=1e-4)
    assert torch.equal(after[:, 0], before[:, 0])
    # every layer: each layer's output carries its own layer's harmless value
    with ablation(tiny_model, direction, kind="affine", harmless_means=means)():
        every = capture(tiny_model, tiny_tokenizer, PROMPTS, positions=[-1]).tensor
    for layer in range(n):
        expected = float(means[layer] @ unit)
        assert torch.allclose(every[:, layer, 0] @ unit, torch.full((3,), expected), atol=1e-4)
    with pytest.raises(ValueError, match="harmless mean"):
        ablation(tiny_model, direction, kind="affine")
    with pytest.raises(ValueError, match="unknown ablation kind"):
        ablation(tiny_model, direction, kind="mean")  # type: ignore[arg-type]
    with pytest.raises(ActivationError, match="no harmless mean activation for layers"):
        ablate_at_layers(tiny_model, direction, [2], harmless_means={1: means[1]}).__enter__()


def test_tail_ablation_edits_only_the_prompt_end(tiny_model: Any, tiny_tokenizer: Any) -> None:
    direction, unit = _direction(5)
    before = capture(tiny_model, tiny_tokenizer, PROMPTS, positions=[-3, -1]).tensor
    with ablation(tiny_model, direction, layer=1, scope="one-layer", tail=1)():
        after = capture(tiny_model, tiny_tokenizer, PROMPTS, positions=[-3, -1]).tensor
    assert (after[:, 1, 1] @ unit).abs().max() < 1e-4  # the last position lost it
    assert torch.equal(after[:, 1, 0], before[:, 1, 0])  # an earlier one kept it
    with ablate(tiny_model, direction, tail=1):
        every = capture(tiny_model, tiny_tokenizer, PROMPTS, positions=[-3, -1]).tensor
    assert (every[:, :, 1] @ unit).abs().max() < 1e-4
    assert (every[:, :, 0] @ unit).abs().max() > 1e-3
    # a generated token is a one-token pass (KV cache): it is always edited
    project = _projection(unit, 0.0, tail=2)
    hidden = torch.randn(2, 5, 32, generator=torch.Generator().manual_seed(6))
    edited = project(hidden)
    assert torch.equal(edited[:, :3], hidden[:, :3])
    assert (edited[:, 3:] @ unit).abs().max() < 1e-5
    assert (project(hidden[:, :1]) @ unit).abs().max() < 1e-5
    with pytest.raises(ValueError, match="tail must be"):
        ablate(tiny_model, direction, tail=-1).__enter__()


def test_keep_sink_leaves_the_attention_sink_alone(tiny_model: Any, tiny_tokenizer: Any) -> None:
    gen = torch.Generator().manual_seed(7)
    unit = torch.randn(32, generator=gen)
    unit = unit / unit.norm()
    hidden = torch.randn(2, 6, 32, generator=gen)
    hidden[0, 0] *= 50.0  # a sink in the first row only
    assert massive_positions(hidden).tolist() == [[True] + [False] * 5, [False] * 6]
    assert not massive_positions(hidden[:, :1]).any()  # a generated token: never a sink
    project = _projection(unit, 0.0, 0)
    edited = project(hidden, massive_positions(hidden))
    assert torch.equal(edited[0, 0], hidden[0, 0])
    assert (edited[0, 1:] @ unit).abs().max() < 1e-4 and (edited[1] @ unit).abs().max() < 1e-4
    assert (project(hidden)[0, 0] @ unit).abs() < 1e-3  # no mask given: every position edited
    # the mask given decides (an attention output: its block's input stream's)
    given = torch.zeros(2, 6, dtype=torch.bool)
    given[1, 2] = True
    other = project(hidden, given)
    assert torch.equal(other[1, 2], hidden[1, 2]) and (other[0, 0] @ unit).abs() < 1e-3

    # in a model: a sink made at block 0's output keeps its component at every later layer
    def make_sink(_m: Any, _a: Any, output: Any) -> Any:
        h = output[0] if isinstance(output, tuple) else output
        h = h.clone()
        h[:, 0] = h[:, 0] * 100.0 + 100.0 * unit
        return (h, *output[1:]) if isinstance(output, tuple) else h

    handle = tiny_model.model.layers[0].register_forward_hook(make_sink)
    writes: list[torch.Tensor] = []  # block 1's attention output as ablated (a later hook)
    try:
        for keep in (True, False):
            writes.clear()
            with ablate(tiny_model, unit, keep_sink=keep):
                attention = tiny_model.model.layers[1].self_attn
                spy = attention.register_forward_hook(lambda _m, _a, o: writes.append(o[0]))
                acts = capture(
                    tiny_model, tiny_tokenizer, ["How do I bake bread?"], positions=[0, -1]
                )
                spy.remove()
            at_sink = (acts.tensor[0, 1:, 0] @ unit).abs().min()
            assert bool(at_sink > 1.0) is keep, (keep, at_sink)
            assert (acts.tensor[0, :, 1] @ unit).abs().max() < 1e-3  # other positions lose it
            # an attention output is judged by its block's input stream: the sink keeps its write
            along = (writes[0][0] @ unit).abs()
            assert along[1:].max() < 1e-4 and bool(along[0] > 1e-4) is keep, along
    finally:
        handle.remove()


def _sink_at_first_token(model: Any, unit: torch.Tensor) -> list[Any]:
    """Hooks that give each prompt's first attended token a massive activation along `unit` at
    block 0's output (registered before any ablation, so they run first); remove them after."""
    seen: dict[str, Any] = {}

    def record(_m: Any, _args: Any, kwargs: dict[str, Any]) -> None:
        seen["mask"] = kwargs.get("attention_mask")

    def make_sink(_m: Any, _a: Any, output: Any) -> Any:
        h = output[0] if isinstance(output, tuple) else output
        if h.shape[1] == 1:  # a generated token
            return output
        first = seen["mask"][:, -h.shape[1] :].int().argmax(-1)  # left padding: first real token
        rows = torch.arange(h.shape[0])
        h = h.clone()
        h[rows, first] = h[rows, first] * 100.0 + 100.0 * unit
        return (h, *output[1:]) if isinstance(output, tuple) else h

    return [
        model.register_forward_pre_hook(record, with_kwargs=True),
        model.model.layers[0].register_forward_hook(make_sink),
    ]


def test_every_ablation_keeps_the_sink_in_a_padded_batch(
    tiny_model: Any, tiny_tokenizer: Any
) -> None:
    _, unit = _direction(8)
    n = len(tiny_model.model.layers)
    zeros = {layer: torch.zeros(32) for layer in range(n)}
    prompts = ["Hi", "A much longer prompt, so that the first one is padded on the left."]
    ways = {
        "every-layer zero": {"scope": "every-layer"},
        "block outputs": {"scope": "every-layer", "points": "block-outputs"},
        "one-layer": {"scope": "one-layer", "layer": 1},
        "affine": {"scope": "every-layer", "kind": "affine", "harmless_means": zeros},
    }
    handles = _sink_at_first_token(tiny_model, unit)
    try:
        for name, how in ways.items():
            for keep in (True, False):
                with ablation(tiny_model, unit, keep_sink=keep, **how)():
                    acts = capture(tiny_model, tiny_tokenizer, prompts, positions=[0, -1])
                sink = (acts.tensor[:, 1, 0] @ unit).abs()  # layer 1's output, first real token
                assert bool((sink > 1.0).all()) is keep, (name, keep, sink)
                assert (acts.tensor[:, 1, 1] @ unit).abs().max() < 1e-3, name  # the last token
        # generation: the prompt pass keeps the sink, each generated token is edited
        steps: list[torch.Tensor] = []
        items = [Prompt(id=str(i), text=t) for i, t in enumerate(prompts)]
        with ablate(tiny_model, unit, keep_sink=True):
            spy = tiny_model.model.layers[1].register_forward_hook(
                lambda _m, _a, o: steps.append(o[0] if isinstance(o, tuple) else o)
            )
            try:
                generate(tiny_model, tiny_tokenizer, items, max_new_tokens=3, batch_size=2)
            finally:
                spy.remove()
        assert len(steps) >= 2 and steps[1].shape[1] == 1
        assert all((step @ unit).abs().max() < 1e-3 for step in steps[1:])
    finally:
        for handle in handles:
            handle.remove()


def test_massive_positions_leave_padding_out() -> None:
    norms_like = torch.ones(1, 6, 4)
    norms_like[0, :3] *= 1000.0  # three pads with huge norms (more than half the row: 3 of 6)
    norms_like[0, 3] *= 50.0  # the first real token: a sink against the real tokens' median
    attended = torch.tensor([[False, False, False, True, True, True]])
    assert massive_positions(norms_like, attended).tolist() == [[False] * 3 + [True, False, False]]
    # without the mask a pad sets the median and the real sink is missed
    assert not massive_positions(norms_like)[0, 3]


def test_ablation_also_clears_the_mid_block_residual(tiny_model: Any, tiny_tokenizer: Any) -> None:
    # resid_mid (block input + attention output) is what a Llama block's post-attention norm
    # reads: block-outputs-only ablation leaves attention's write along the direction in it
    direction, unit = _direction(2)
    mids: list[torch.Tensor] = []
    handles = [
        layer.post_attention_layernorm.register_forward_hook(lambda _m, a, _o: mids.append(a[0]))
        for layer in tiny_model.model.layers
    ]
    try:
        for points, cleared in (("all-writes", True), ("block-outputs", False)):
            mids.clear()
            with ablate(tiny_model, direction, points=points):
                capture(tiny_model, tiny_tokenizer, PROMPTS, positions=[-1])
            along = max(float((m @ unit).abs().max()) for m in mids)
            assert (along < 1e-4) is cleared, (points, along)
    finally:
        for handle in handles:
            handle.remove()
    with pytest.raises(ValueError, match="unknown ablation points"):
        ablate(tiny_model, direction, points="mlp").__enter__()  # type: ignore[arg-type]


def test_addition_shifts_one_layer(tiny_model: Any, tiny_tokenizer: Any) -> None:
    direction = torch.zeros(32)
    direction[3] = 2.0
    before = capture(tiny_model, tiny_tokenizer, PROMPTS, layers=[0, 1]).tensor
    with add_direction(tiny_model, direction, layer=1, alpha=5.0):
        after = capture(tiny_model, tiny_tokenizer, PROMPTS, layers=[0, 1]).tensor
    assert torch.allclose(after[:, 0], before[:, 0])
    assert torch.allclose(after[:, 1] - before[:, 1], 5.0 * direction / 2.0, atol=1e-5)
    with pytest.raises(ActivationError, match=r"valid indices are 0\.\.3"):
        add_direction(tiny_model, direction, layer=9, alpha=1.0).__enter__()


def test_generate_is_batch_independent(tiny_model: Any, tiny_tokenizer: Any) -> None:
    items = [Prompt(t, f"g{i}") for i, t in enumerate(PROMPTS)]
    batched = generate(tiny_model, tiny_tokenizer, items, max_new_tokens=4, batch_size=3)
    alone = [generate(tiny_model, tiny_tokenizer, [p], max_new_tokens=4)[0] for p in items]
    assert batched == alone


def _labelled() -> list[Prompt]:
    """3 harmful and 3 harmless prompts in English and German."""
    return [
        Prompt(f"{lang} prompt {i}", f"{lang}{i}{h}", lang, h)
        for lang in ("eng", "deu")
        for h in (True, False)
        for i in range(3)
    ]


def test_transfer_matrix_shape_and_report(
    tiny_model: Any, tiny_tokenizer: Any, tmp_path: Path
) -> None:
    prompts = _labelled()
    acts: Activations = capture(tiny_model, tiny_tokenizer, prompts, layers=[1, 2])
    dirs = refusal_directions(acts, holdout=0.34)
    harmful = [p for p in prompts if p.harmful]
    for mode in ("ablate", "add"):
        result = transfer_matrix(
            tiny_model, tiny_tokenizer, dirs, harmful, layer=2, mode=mode, max_new_tokens=3
        )
        assert result.refused.shape == (2, 2) and result.sources == result.targets == ["deu", "eng"]
        assert result.n == {"deu": 3, "eng": 3}
        assert ((result.refused >= 0) & (result.refused <= 1)).all()
        assert np.all(result.unclear <= 3)
    paths = write_transfer_report(result, tmp_path)
    assert {p.suffix for p in paths} == {".json", ".png", ".svg", ".md"}
    data = json.loads(paths[0].read_text(encoding="utf-8"))
    assert data["mode"] == "add" and len(data["refusal_rate"]) == 2


def test_an_undecided_verdict_counts_as_unclear_never_complied(
    tiny_model: Any, tiny_tokenizer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langgap.evaluate.judges import refusal
    from langgap.evaluate.judges.verdicts import Verdict

    prompts = _labelled()
    dirs = refusal_directions(
        capture(tiny_model, tiny_tokenizer, prompts, layers=[1]), holdout=0.34
    )
    undecided = Verdict(judge="refusal", version="test", outcome=None)
    monkeypatch.setattr(refusal, "judge_refusal", lambda response, language=None: undecided)
    harmful = [p for p in prompts if p.harmful]
    result = transfer_matrix(tiny_model, tiny_tokenizer, dirs, harmful, layer=1, max_new_tokens=2)
    assert (result.refused == 0).all() and (result.unclear == 3).all()
    assert (result.baseline_unclear == 3).all()


def test_a_reply_in_another_language_is_counted_apart(
    tiny_model: Any, tiny_tokenizer: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from langgap.analyze.interventions import run

    prompts = _labelled()
    dirs = refusal_directions(
        capture(tiny_model, tiny_tokenizer, prompts, layers=[1]), holdout=0.34
    )
    sorry = "I'm sorry, but I can't help with that."
    monkeypatch.setattr(run, "generate", lambda _m, _t, items, *_a: [sorry] * len(items))
    harmful = [p for p in prompts if p.harmful]
    result = transfer_matrix(tiny_model, tiny_tokenizer, dirs, harmful, layer=1, max_new_tokens=2)
    assert result.targets == ["deu", "eng"]
    # an English refusal to a German prompt is no German refusal
    assert result.baseline.tolist() == [0.0, 1.0] and result.refused[:, 0].tolist() == [0.0, 0.0]
    assert result.off_language is not None and result.off_language[:, 0].tolist() == [3, 3]
    assert result.baseline_off_language is not None
    assert result.baseline_off_language.tolist() == [3, 0]
    paths = write_transfer_report(result, tmp_path)
    data = json.loads(paths[0].read_text(encoding="utf-8"))
    assert data["off_language"] == [[3, 0], [3, 0]] and data["baseline_off_language"] == [3, 0]
    assert "Off-language replies" in paths[-1].read_text(encoding="utf-8")


def test_affine_transfer_uses_each_source_languages_harmless_means(
    tiny_model: Any, tiny_tokenizer: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from langgap.analyze.interventions import run

    prompts = _labelled()
    dirs = refusal_directions(
        capture(tiny_model, tiny_tokenizer, prompts, layers=[1, 2]), holdout=0.34
    )
    edits: list[tuple[Any, list[int], dict[int, Any] | None, int]] = []
    real = run.ablate_at_layers

    def recorded(model: Any, direction: Any, layers: list[int], **how: Any) -> Any:
        edits.append((direction, list(layers), how["harmless_means"], how["tail"]))
        return real(model, direction, layers, **how)

    monkeypatch.setattr(run, "ablate_at_layers", recorded)
    harmful = [p for p in prompts if p.harmful]
    result = transfer_matrix(tiny_model, tiny_tokenizer, dirs, harmful, layer=2, max_new_tokens=2,
                             ablation_points="block-outputs", ablation_kind="affine",
                             ablation_tail=2)  # fmt: skip
    assert len(edits) == 4  # 2 sources × 2 targets
    sources = ["deu", "deu", "eng", "eng"]  # each source's direction on each target's prompts
    for (direction, layers, means, tail), source in zip(edits, sources, strict=True):
        assert torch.equal(direction, dirs.direction(source, 2)) and layers == [1, 2]
        assert means is not None and tail == 2
        assert all(torch.equal(means[k], dirs.harmless_means(source)[k]) for k in (1, 2))
    assert not torch.equal(edits[0][2][1], edits[2][2][1])  # type: ignore[index]
    data = result.to_dict()
    assert (data["ablation_kind"], data["ablation_tail"], data["ablation_layers"]) == (
        "affine", 2, [1, 2])  # fmt: skip
    note = write_transfer_report(result, tmp_path)[-1].read_text(encoding="utf-8")
    assert "Affine ablation" in note and "last 2 positions" in note
    # addition uses no ablation choice: affine with the default points is no error there
    added = transfer_matrix(tiny_model, tiny_tokenizer, dirs, harmful[:1], layer=2, mode="add",
                            max_new_tokens=1, ablation_kind="affine")  # fmt: skip
    assert added.to_dict()["ablation_kind"] is None and added.ablation_tail is None


def test_zero_transfer_passes_the_tail_and_bad_choices_fail_before_generating(
    tiny_model: Any, tiny_tokenizer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langgap.analyze.directions.run import DirectionError
    from langgap.analyze.interventions import run

    prompts = _labelled()
    acts = capture(tiny_model, tiny_tokenizer, prompts, layers=[1])
    dirs = refusal_directions(acts, holdout=0.34)
    harmful = [p for p in prompts if p.harmful]
    tails: list[int] = []
    real = run.ablate

    def recorded(model: Any, direction: Any, **how: Any) -> Any:
        tails.append(how["tail"])
        return real(model, direction, **how)

    monkeypatch.setattr(run, "ablate", recorded)
    result = transfer_matrix(tiny_model, tiny_tokenizer, dirs, harmful, layer=1, max_new_tokens=1,
                             ablation_tail=3)  # fmt: skip
    assert tails == [3] * 4 and result.ablation_kind == "zero" and result.ablation_layers is None

    def no_generation(*_a: Any) -> list[str]:
        raise AssertionError("generated before the bad choice was caught")

    monkeypatch.setattr(run, "generate", no_generation)
    bad: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"ablation_kind": "mean"}, ValueError, "unknown ablation kind 'mean'"),
        ({"ablation_tail": -1}, ValueError, "tail must be 0 .* got -1"),
        ({"ablation_kind": "affine"}, ValueError, "block outputs only.*block-outputs"),
        ({"ablation_points": "everywhere"}, ValueError, "unknown ablation points"),
    ]
    dirs.harmless_mean = None  # as loaded from a directions file saved before the means
    bad.append(({"ablation_kind": "affine", "ablation_points": "block-outputs"}, DirectionError,
                "rerun `langgap analyze directions`"))  # fmt: skip
    for how, error, message in bad:
        with pytest.raises(error, match=message):
            transfer_matrix(tiny_model, tiny_tokenizer, dirs, harmful, layer=1, **how)
