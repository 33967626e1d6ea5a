"""One small real run: SmolLM2-135M-Instruct on PolyRefuse, two languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.mark.slow
def test_smollm2_polyrefuse_directions(
    tmp_path_factory: pytest.TempPathFactory, smollm2_folder: Path
) -> None:
    if not (SHARED_DATA / "polyrefuse").is_dir():
        pytest.skip(f"PolyRefuse not found at {SHARED_DATA / 'polyrefuse'} (../shared/data absent)")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from langgap.analyze.common.activations import capture, last_k
    from langgap.analyze.common.data import benchmark_prompts
    from langgap.analyze.directions.report import write_directions_report
    from langgap.analyze.directions.run import refusal_directions
    from langgap.analyze.interventions.report import write_transfer_report
    from langgap.analyze.interventions.run import transfer_matrix

    folder = smollm2_folder
    model = AutoModelForCausalLM.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)

    prompts = benchmark_prompts(["eng", "deu"], 8)
    assert len(prompts) == 32
    acts = capture(model, tokenizer, prompts, positions=last_k(3), batch_size=8, reduce="mean")
    n_layers = model.config.num_hidden_layers
    assert acts.tensor.shape == (32, n_layers, model.config.hidden_size)
    dirs = refusal_directions(acts, holdout=0.25, seed=0)
    assert dirs.languages == ["deu", "eng"]
    out = tmp_path_factory.mktemp("directions")
    write_directions_report(dirs, out)
    data = json.loads((out / "directions.json").read_text(encoding="utf-8"))
    # Harmful vs harmless is easy to separate in the middle layers of an instruct model.
    assert max(max(row) for row in data["auroc"]) > 0.7
    assert -1.0 <= data["cosine_by_layer"][str(dirs.best_layer())][0][1] <= 1.0
    # Transfer: each language's direction ablated on the other's harmful prompts (a few tokens).
    harmful = [p for p in prompts if p.harmful][::2]
    result = transfer_matrix(
        model, tokenizer, dirs, harmful, layer=dirs.best_layer(), max_new_tokens=6
    )
    assert result.refused.shape == (2, 2) and result.n == {"deu": 4, "eng": 4}
    write_transfer_report(result, out)
    for prompt in prompts[:3]:  # the saved metadata never holds prompt text
        assert prompt.text not in (out / "directions.json").read_text(encoding="utf-8")
