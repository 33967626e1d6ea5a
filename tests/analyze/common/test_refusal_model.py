"""The refusal-tuned model, the lab's disjoint roles, selection by causal effect (tiny model)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import torch

from langgap.analyze.common.activations import Prompt, capture, last_k
from langgap.analyze.common.data import benchmark_prompts
from langgap.analyze.common.lab_splits import ROLES, SplitError, role_of, role_prompts
from langgap.analyze.common.models import LoadedModel, load_model
from langgap.analyze.common.refusal_model import (
    MANIFEST,
    RefusalModelConfig,
    RefusalModelError,
    build_refusal_model,
    model_key,
    read_manifest,
    tuned_ids,
)
from langgap.analyze.directions.run import refusal_directions
from langgap.analyze.interventions.refusal_loop import (
    harmless_kl,
    no_intervention,
    position_directions,
    residual_norms,
    select_layer,
)
from langgap.analyze.interventions.run import ablation

from ..conftest import write_table


def _table(path: Path, n: int = 60) -> Path:
    """A parallel en/de test-split table: n harmful and n harmless items."""
    rows = []
    for harmful in (True, False):
        for i in range(n):
            key = f"{'h' if harmful else 's'}-{i}"
            verb = "break" if harmful else "fix"
            rows.append({
                "id": key, "harmful": "yes" if harmful else "no", "split": "test",
                "en": f"how do I {verb} thing {key}?", "de": f"wie {verb} ich Ding {key}?",
            })  # fmt: skip
    return write_table(path, rows)


# --- roles -----------------------------------------------------------------------------------


def test_roles_are_stable_and_shared_as_declared() -> None:
    ids = [f"harmful-test-{i:04d}" for i in range(4000)]
    counts = Counter(role_of(i) for i in ids)
    assert set(counts) == set(ROLES)
    for role, (low, high) in ROLES.items():  # each role gets its declared share, within 2.5 pts
        assert abs(100 * counts[role] / len(ids) - (high - low)) < 2.5, (role, counts)
    assert [role_of(i) for i in ids[:50]] == [role_of(i) for i in ids[:50]]


def test_role_prompts_are_parallel_and_never_shared_between_roles(tmp_path: Path) -> None:
    table = str(_table(tmp_path / "t.csv"))
    drawn = {
        role: role_prompts(["en", "de"], role, 5, name=table, harmful=(True,)) for role in ROLES
    }
    pairs = {role: {p.id.split(":")[1] for p in ps} for role, ps in drawn.items()}
    for role, prompts in drawn.items():
        by_lang = {lang: {p.id.split(":")[1] for p in prompts if p.language == lang}
                   for lang in ("eng", "deu")}  # fmt: skip
        assert by_lang["eng"] == by_lang["deu"], role  # the same items in both languages
        assert all(role_of(pair) == role for pair in pairs[role])
    roles = list(ROLES)
    for i, a in enumerate(roles):
        for b in roles[i + 1 :]:
            assert pairs[a].isdisjoint(pairs[b]), (a, b)
    with pytest.raises(SplitError, match="unknown role 'train'"):
        role_prompts(["en"], "train", 2, name=table)
    with pytest.raises(SplitError, match=r"no language 'sw'; available: deu, eng"):
        role_prompts(["en", "sw"], "tune", 2, name=table)


def test_lab_commands_never_draw_the_tuning_prompts(tmp_path: Path) -> None:
    table = str(_table(tmp_path / "t.csv", n=12))
    everything = benchmark_prompts(["en"], 12, name=table, split="test")
    tuned = frozenset(p.id for p in everything[:8])  # 8 of the 12 harmful English prompts
    drawn = benchmark_prompts(["en"], 4, name=table, split="test", exclude=tuned)
    assert sum(bool(p.harmful) for p in drawn) == 4 and not {p.id for p in drawn} & tuned


# --- building the model ------------------------------------------------------------------------


def test_refusal_model_is_built_merged_cached_and_records_its_tuning_prompts(
    tiny_model: Any, chat_tokenizer: Any, tmp_path: Path
) -> None:
    base = tmp_path / "base"
    tiny_model.save_pretrained(base)
    chat_tokenizer.save_pretrained(base)
    loaded = LoadedModel(tiny_model, chat_tokenizer, "tiny", base)
    table = str(_table(tmp_path / "t.csv", n=30))
    prompts = role_prompts(["en", "de"], "tune", 3, name=table)
    config = RefusalModelConfig(
        base="tiny", languages=("en", "de"), n_harmful=3, n_harmless=3, epochs=2,
        learning_rate=1e-2, reply_tokens=4, max_length=256,
    )  # fmt: skip
    out = tmp_path / "refusal"
    built = build_refusal_model(config, out=out, loaded=loaded, prompts=prompts)
    assert not built.cached and (out / MANIFEST).is_file() and (out / "config.json").is_file()
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert tuned_ids(out) == {p.id for p in prompts} and manifest["tuning"]["role"] == "tune"
    per = manifest["examples"]["per_language"]
    assert per["eng"]["harmful"] == 3 and per["deu"]["harmful"] == 3
    assert per["eng"]["refusal_phrasings"] >= 2  # varied refusals, not one template
    assert manifest["loss_history"] and "train" in manifest["seconds"]
    assert all(p.text not in (out / MANIFEST).read_text(encoding="utf-8") for p in prompts)
    # merged into plain weights: loads as an ordinary model, and differs from the base
    tuned = load_model(str(out)).model
    moved = [
        not torch.equal(a, b)
        for a, b in zip(tiny_model.state_dict().values(), tuned.state_dict().values(), strict=True)
    ]
    assert any(moved)
    assert tuned_ids(base) == frozenset()  # a model this module did not build tuned on nothing
    # the same base weights and settings: reused; other settings: a different key, not reused
    again = build_refusal_model(config, out=out, loaded=loaded, prompts=prompts)
    assert again.cached and again.manifest["key"] == manifest["key"]
    # rebuild (bench_refusal_loop --cold): the same key, trained again in place
    rebuilt = build_refusal_model(config, out=out, loaded=loaded, prompts=prompts, rebuild=True)
    assert not rebuilt.cached and rebuilt.manifest["key"] == manifest["key"]
    assert read_manifest(out) == rebuilt.manifest
    base_hash = manifest["base_weights_sha256"]
    assert model_key(config, base_hash, prompts) == manifest["key"]
    for changed in ({"seed": 1}, {"languages": ("en",)}, {"learning_rate": 2e-2}):
        other = RefusalModelConfig(**{**vars(config), **changed})
        assert model_key(other, base_hash, prompts) != manifest["key"], changed
    assert model_key(config, base_hash, prompts[1:]) != manifest["key"]
    assert model_key(config, "other weights", prompts) != manifest["key"]


SHARED_DATA = Path(__file__).resolve().parents[4] / "shared" / "data"


def test_refusal_model_settings_and_folders_are_checked(tmp_path: Path) -> None:
    with pytest.raises(RefusalModelError, match=r"n_harmful must be at least 1.*languages"):
        RefusalModelConfig(n_harmful=0, languages=()).validate()
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine", encoding="utf-8")
    base = tmp_path / "base"
    base.mkdir()
    (base / "model.safetensors").write_bytes(b"weights")
    (base / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(RefusalModelError, match="not a refusal-model folder"):
        build_refusal_model(
            RefusalModelConfig(base=str(base)), out=tmp_path / "busy",
            prompts=[Prompt("x", "x", "eng", True)],
        )  # fmt: skip


def test_device_is_where_it_trains_not_what_it_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    cpu, gpu = RefusalModelConfig(device="cpu"), RefusalModelConfig(device="cuda:0")
    assert "device" not in cpu.key_parts() and cpu.key_parts() == gpu.key_parts()
    monkeypatch.setenv("COLUMNS", "300")
    from typer.testing import CliRunner

    from langgap.cli import app

    result = CliRunner().invoke(app, ["analyze", "refusal-model", "--device", "gpu7"])
    assert result.exit_code == 2 and "--device 'gpu7': not a device" in result.output
    assert "Traceback" not in result.output


# --- selection by causal effect ----------------------------------------------------------------


def _directions(model: Any, tok: Any) -> Any:
    prompts = [
        Prompt(f"{'harm' if h else 'help'} me with thing {i}", f"{lang}{h}{i}", lang, h)
        for lang in ("eng", "deu") for h in (True, False) for i in range(6)
    ]  # fmt: skip
    acts = capture(model, tok, prompts, positions=last_k(2), reduce="mean")
    return refusal_directions(acts), acts, prompts


def test_harmless_kl_is_zero_without_an_intervention_and_positive_with_one(
    tiny_model: Any, tiny_tokenizer: Any
) -> None:
    dirs, acts, prompts = _directions(tiny_model, tiny_tokenizer)
    harmless = [p for p in prompts if not p.harmful][:4]
    assert harmless_kl(tiny_model, tiny_tokenizer, harmless, no_intervention) == pytest.approx(0)
    direction = dirs.directions[0, 1]
    assert harmless_kl(tiny_model, tiny_tokenizer, harmless, ablation(tiny_model, direction)) > 0
    norms = residual_norms(acts)
    assert set(norms) == {0, 1, 2, 3} and all(v > 0 for v in norms.values())


def test_selection_prefers_the_layer_whose_ablation_removes_refusal_within_the_kl_limit(
    tiny_model: Any, tiny_tokenizer: Any
) -> None:
    dirs, acts, prompts = _directions(tiny_model, tiny_tokenizer)
    harmful = [p for p in prompts if p.harmful][:4]
    harmless = [p for p in prompts if not p.harmful][:4]
    calls: list[bool] = []

    def hook_count() -> int:
        return sum(len(b._forward_hooks) for b in tiny_model.model.layers)

    # transformers keeps hooks of its own on the blocks once hidden states were asked for
    # (another test may have), so only hooks beyond those count as an intervention
    resting = hook_count()

    def fake_rate(items: Any, intervention: Any) -> float:
        # a stand-in judge: refusal depends on which hook is active (read from the model)
        with intervention():
            hooked = hook_count() - resting
        calls.append(bool(items[0].harmful))
        return 1.0 if hooked == 0 else (0.2 if items[0].harmful else 0.5)

    selection = select_layer(
        tiny_model, tiny_tokenizer, dirs, ["eng", "deu"], harmful, harmless,
        candidates=[1, 2], norms=residual_norms(acts), refusal_rate=fake_rate, max_kl=1e9,
    )  # fmt: skip
    assert selection.baseline_refusal == 1.0 and [c.layer for c in selection.candidates] == [1, 2]
    assert all(c.ablated_refusal == 0.2 and c.eligible for c in selection.candidates)
    # equal refusal everywhere: the tie goes to the smaller KL
    assert selection.layer == min(selection.candidates, key=lambda c: c.kl).layer
    strict = select_layer(
        tiny_model, tiny_tokenizer, dirs, ["eng"], harmful, harmless, candidates=[1, 2],
        norms=residual_norms(acts), refusal_rate=fake_rate, max_kl=0.0,
    )  # fmt: skip
    assert not any(c.eligible for c in strict.candidates)  # none within: all compete, flagged
    assert strict.to_dict()["max_kl"] == 0.0


def test_selection_also_weighs_each_token_position(tiny_model: Any, tiny_tokenizer: Any) -> None:
    dirs, _, prompts = _directions(tiny_model, tiny_tokenizer)
    acts = capture(tiny_model, tiny_tokenizer, prompts, positions=last_k(2))  # per position
    per_position = position_directions(acts, ["eng", "deu"], [1, 2])
    assert set(per_position) == {1, 2} and set(per_position[1]) == {"mean", "-2", "-1"}
    # the mean candidate is the mean of the positions' (same prompts); without per_position, alone
    mean = (per_position[1]["-2"] + per_position[1]["-1"]) / 2
    assert torch.allclose(per_position[1]["mean"], mean, atol=1e-5)
    only_mean = position_directions(acts, ["eng", "deu"], [1], per_position=False)
    assert set(only_mean[1]) == {"mean"} and torch.equal(
        only_mean[1]["mean"], per_position[1]["mean"]
    )
    # one language's candidate at a position: its difference in means there, on every prompt
    x = acts.tensor.double()
    harm = [i for i, h in enumerate(acts.harmful or []) if h and acts.languages[i] == "eng"]
    safe = [
        i for i, h in enumerate(acts.harmful or []) if h is False and acts.languages[i] == "eng"
    ]
    eng_only = position_directions(acts, ["eng"], [1])[1]
    expected = (x[harm].mean(0) - x[safe].mean(0))[1].float()  # [k, d]
    assert torch.allclose(eng_only["-1"], expected[1], atol=1e-5)
    harmful = [p for p in prompts if p.harmful][:4]
    harmless = [p for p in prompts if not p.harmful][:4]
    target = per_position[2]["-1"] / per_position[2]["-1"].norm()

    def fake_rate(items: Any, intervention: Any) -> float:
        # a stand-in judge: refusal is gone only while layer 2's last-token direction is
        # ablated (read from the model: the last layer then has no component along it)
        with intervention():
            last = capture(tiny_model, tiny_tokenizer, items, layers=[3], positions=[-1]).tensor
        gone = float((last @ target).abs().max()) < 1e-4
        return 0.0 if gone and items[0].harmful else 1.0

    selection = select_layer(
        tiny_model, tiny_tokenizer, dirs, ["eng", "deu"], harmful, harmless, candidates=[1, 2],
        norms=residual_norms(acts), refusal_rate=fake_rate, max_kl=1e9, positions=per_position,
    )  # fmt: skip
    assert [(c.layer, c.position) for c in selection.candidates] == [
        (1, "mean"), (1, "-2"), (1, "-1"), (2, "mean"), (2, "-2"), (2, "-1")]  # fmt: skip
    assert (selection.layer, selection.position) == (2, "-1")
    assert selection.to_dict()["position"] == "-1" and selection.scope == "every-layer"
    with pytest.raises(ValueError, match="reduce='none'"):
        position_directions(
            capture(tiny_model, tiny_tokenizer, prompts, reduce="mean"), ["eng"], [1]
        )
