"""Refusal directions on synthetic activations with planted directions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from langgap.analyze.common.activations import Activations, CaptureConfig  # noqa: E402
from langgap.analyze.directions.report import write_directions_report  # noqa: E402
from langgap.analyze.directions.run import (  # noqa: E402
    DirectionError,
    load_directions,
    refusal_directions,
)

D, LAYERS, N = 16, 3, 20


def _synthetic(planted: dict[str, torch.Tensor], seed: int = 0) -> Activations:
    """N harmful and N harmless prompts per language; harmful adds 3 × planted at layers 1-2."""
    gen = torch.Generator().manual_seed(seed)
    rows, ids, langs, labels = [], [], [], []
    for lang, direction in planted.items():
        for harmful in (True, False):
            for i in range(N):
                x = torch.randn(LAYERS, 2, D, generator=gen) * 0.5
                if harmful:
                    x[1:] += 3.0 * direction  # layer 0 carries no signal
                rows.append(x)
                ids.append(f"{lang}-{harmful}-{i}")
                langs.append(lang)
                labels.append(harmful)
    config = CaptureConfig(
        "synthetic", list(range(LAYERS)), [-2, -1], "none", True, 8, "float32", LAYERS
    )
    return Activations(torch.stack(rows), config, ids, langs, labels)


def test_controls_length_classifier_split_half_and_shuffled_labels(tmp_path: Path) -> None:
    planted = {"eng": _basis(0), "deu": _basis(0)}
    acts = _synthetic(planted)
    assert refusal_directions(acts).length_auroc is None  # no lengths captured: nothing claimed
    # harmful prompts twice as long: token count alone separates them perfectly
    acts.lengths = [30 if h else 15 for h in acts.harmful]
    dirs = refusal_directions(acts)
    assert dirs.length_auroc is not None and (dirs.length_auroc == 1.0).all()
    assert dirs.split_half_cosine is not None and dirs.shuffled_cosine is not None
    # a planted direction agrees with itself across halves; shuffled labels share far less
    assert (dirs.split_half_cosine[:, 1:] > 0.8).all()
    assert (dirs.mean_cross_cosine()[1:] - dirs.shuffled_cosine[1:] > 0.3).all()
    assert dirs.split_half_cosine[:, 0].max() < 0.5  # layer 0 carries no signal: noise
    acts.lengths = [15] * len(acts.ids)  # equal lengths: chance
    assert (refusal_directions(acts).length_auroc == 0.5).all()
    write_directions_report(dirs, tmp_path)
    back = load_directions(tmp_path)
    assert back.length_auroc is not None and np.allclose(back.length_auroc, dirs.length_auroc)
    assert back.shuffled_cosine is not None
    assert np.allclose(back.shuffled_cosine, dirs.shuffled_cosine, atol=1e-6)
    # addition scaled to the residual stream: a multiple of its mean norm at that layer
    assert back.residual_norm is not None and back.residual_norm[0] > 0
    assert back.relative_alpha(1, 0.5) == pytest.approx(0.5 * back.residual_norm[1], rel=1e-5)
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "length-only AUROC" in report and "shuffled labels" in report
    controls = json.loads((tmp_path / "directions.json").read_text(encoding="utf-8"))["controls"]
    assert set(controls) >= {"length_auroc", "split_half_cosine", "shuffled_label_cross_cosine"}


def _basis(i: int) -> torch.Tensor:
    return torch.eye(D)[i]


def test_planted_direction_is_recovered_and_shared() -> None:
    shared = (_basis(0) + _basis(1)) / 2**0.5
    acts = _synthetic({"eng": shared, "deu": shared, "jpn": _basis(5)})
    dirs = refusal_directions(acts)
    assert dirs.languages == ["deu", "eng", "jpn"]
    assert float(dirs.direction("eng", 2) @ shared) > 0.95
    cos = dirs.cosine(2)
    assert cos[0, 1] > 0.95  # deu and eng share the planted direction
    assert abs(cos[0, 2]) < 0.3 and abs(cos[1, 2]) < 0.3  # jpn's is orthogonal
    assert np.allclose(np.diag(cos), 1.0)
    assert dirs.cosine_by_layer().shape == (LAYERS, 3, 3)
    # Quality: layer 0 carries nothing, layers 1 and 2 separate perfectly.
    assert (dirs.auroc[:, 1:] == 1.0).all()
    assert (dirs.auroc[:, 0] < 0.9).all()
    assert dirs.best_layer() in (1, 2)
    assert (dirs.cohens_d[:, 2] > 3).all()
    # 5 held out per class: 2 choose the layer, the other 3 give the reported AUROC
    eng = dirs.counts["eng"]
    assert (eng.train_harmful, eng.select_harmful, eng.test_harmful) == (15, 2, 3)
    assert eng.select_disjoint


def test_best_layer_is_chosen_on_selection_prompts_not_the_reported_ones(tmp_path: Path) -> None:
    acts = _synthetic({"eng": _basis(0), "deu": _basis(0)})
    dirs = refusal_directions(acts, holdout=0.4)
    assert dirs.select_auroc is not None and dirs.select_auroc.shape == dirs.auroc.shape
    # the selection score alone decides: make layer 0 win there while layer 2 wins on report
    dirs.select_auroc = np.array([[1.0, 0.2, 0.1]] * 2)
    dirs.auroc = np.array([[0.1, 0.2, 1.0]] * 2)
    assert dirs.best_layer() == 0 and dirs.best_layer("eng") == 0
    data = dirs.to_dict()
    assert data["best_layer_chosen_on"] == "select_auroc"
    assert data["selection_disjoint_from_report"] is True
    write_directions_report(dirs, tmp_path)
    back = load_directions(tmp_path)
    assert back.select_auroc is not None and back.best_layer() == 0
    assert "selection AUROC" in (tmp_path / "report.md").read_text(encoding="utf-8")
    # directions saved before the selection split: chosen on the reported AUROC, as they were
    back.select_auroc = None
    assert back.best_layer() == 2


def test_a_single_held_out_prompt_selects_and_reports_and_says_so() -> None:
    acts = _synthetic({"eng": _basis(0)})
    keep = [i for i, name in enumerate(acts.ids) if int(name.rsplit("-", 1)[1]) < 3]
    acts = Activations(
        acts.tensor[keep], acts.config, [acts.ids[i] for i in keep],
        [acts.languages[i] for i in keep], [acts.harmful[i] for i in keep],
    )  # fmt: skip
    dirs = refusal_directions(acts, holdout=0.34)
    eng = dirs.counts["eng"]
    assert (eng.select_harmful, eng.test_harmful) == (1, 1) and not eng.select_disjoint
    assert dirs.to_dict()["selection_disjoint_from_report"] is False


def test_language_codes_are_normalised_and_missing_ones_listed() -> None:
    acts = _synthetic({"eng": _basis(0), "deu": _basis(0)})
    assert refusal_directions(acts, ["en"]).languages == ["eng"]
    with pytest.raises(DirectionError, match="available: deu, eng"):
        refusal_directions(acts, ["fra"])
    dirs = refusal_directions(acts)
    with pytest.raises(DirectionError, match=r"available layers: \[0, 1, 2\]"):
        dirs.cosine(7)


def test_unlabelled_prompts_are_explained() -> None:
    acts = _synthetic({"eng": _basis(0)})
    acts.harmful = [None] * len(acts.ids)
    with pytest.raises(DirectionError, match="harmful"):
        refusal_directions(acts)


def test_split_is_seeded() -> None:
    acts = _synthetic({"eng": _basis(0), "deu": _basis(1)})
    a, b = refusal_directions(acts, seed=3), refusal_directions(acts, seed=3)
    assert torch.equal(a.directions, b.directions)
    assert not torch.equal(a.directions, refusal_directions(acts, seed=4).directions)


def test_report_files_and_json(tmp_path: Path) -> None:
    acts = _synthetic({"eng": _basis(0), "deu": _basis(0), "jpn": _basis(3)})
    dirs = refusal_directions(acts, seed=1)
    paths = write_directions_report(dirs, tmp_path)
    names = {p.name for p in paths}
    assert {"directions.json", "directions.safetensors", "report.md"} <= names
    assert {"cosine_layer1.png", "cosine_layer1.svg", "quality_auroc.png"} <= names or {
        "cosine_layer2.png", "quality_auroc.svg"} <= names  # fmt: skip
    data = json.loads((tmp_path / "directions.json").read_text(encoding="utf-8"))
    assert data["seed"] == 1 and data["languages"] == ["deu", "eng", "jpn"]
    assert data["source"]["positions"] == [-2, -1]
    assert len(data["cosine_by_layer"]["2"]) == 3
    json.dumps(dirs.to_dict(), allow_nan=False)
    assert "Cross-language cosine" in (tmp_path / "report.md").read_text(encoding="utf-8")
    again = load_directions(tmp_path)  # what `analyze intervene --directions` reads back
    assert again.languages == dirs.languages and again.layers == dirs.layers
    assert torch.allclose(again.directions, dirs.directions)
    np.testing.assert_allclose(again.auroc, dirs.auroc, atol=1e-6)
    assert again.best_layer() == dirs.best_layer() and again.counts == dirs.counts


def test_load_directions_names_the_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DirectionError, match=r"directions\.json, directions\.safetensors"):
        load_directions(tmp_path)


def test_single_language_report(tmp_path: Path) -> None:
    dirs = refusal_directions(_synthetic({"eng": _basis(0)}))
    assert np.isnan(dirs.mean_cross_cosine()).all()
    json.dumps(dirs.to_dict(), allow_nan=False)
    assert (tmp_path / "out" / "report.md") in write_directions_report(dirs, tmp_path / "out")


def test_harmless_means_are_saved_and_older_files_without_them_load(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    acts = _synthetic({"eng": _basis(0), "deu": _basis(1)})
    harmless = torch.tensor([h is False for h in acts.harmful])
    # every harmless prompt of a language alike: its mean is known whatever the split drew
    for lang, value in (("eng", 1.0), ("deu", -2.0)):
        rows = harmless & torch.tensor([code == lang for code in acts.languages])
        acts.tensor[rows] = torch.full((LAYERS, 2, D), value) + torch.arange(LAYERS)[:, None, None]
    dirs = refusal_directions(acts)
    assert dirs.harmless_mean is not None and dirs.harmless_mean.shape == (2, LAYERS, D)
    write_directions_report(dirs, tmp_path)
    back = load_directions(tmp_path)
    assert back.harmless_mean is not None and torch.equal(back.harmless_mean, dirs.harmless_mean)
    means = back.harmless_means("German")  # each language its own, per model layer
    assert sorted(means) == back.layers
    assert torch.equal(means[2], torch.full((D,), 0.0))  # -2 + layer 2
    assert torch.equal(back.harmless_means("en")[0], torch.full((D,), 1.0))
    # a directions file saved before the means were kept: it loads, affine then says what to do
    tensors = tmp_path / "directions.safetensors"
    save_file({"directions": load_file(str(tensors))["directions"]}, str(tensors))
    old = load_directions(tmp_path)
    assert old.harmless_mean is None and torch.equal(old.directions, dirs.directions)
    with pytest.raises(DirectionError, match=r"no harmless mean.*rerun `langgap analyze direc"):
        old.harmless_means("eng")
