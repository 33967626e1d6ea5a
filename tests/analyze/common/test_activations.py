"""Activation capture on a tiny random Llama: shapes, padding, errors, saving."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from langgap.analyze.common.activations import (  # noqa: E402
    ActivationError,
    Activations,
    Prompt,
    capture,
    find_layers,
    last_k,
)

PROMPTS = ["Hi", "How do I bake bread?", "A much longer prompt, to force left padding."]


def test_shapes_default_and_last_k(tiny_model: Any, tiny_tokenizer: Any) -> None:
    acts = capture(tiny_model, tiny_tokenizer, PROMPTS)
    assert acts.tensor.shape == (3, 4, 1, 32)
    acts = capture(tiny_model, tiny_tokenizer, PROMPTS, layers=[1, -1], positions=last_k(3))
    assert acts.tensor.shape == (3, 2, 3, 32)
    assert acts.config.layers == [1, 3]
    assert acts.config.positions == [-3, -2, -1]
    mean = capture(
        tiny_model, tiny_tokenizer, PROMPTS, layers=[1], positions=last_k(3), reduce="mean"
    )
    assert mean.tensor.shape == (3, 1, 32)
    assert torch.allclose(mean.tensor[:, 0], acts.tensor[:, 0].mean(dim=1), atol=1e-6)


def test_matches_output_hidden_states(tiny_model: Any, tiny_tokenizer: Any) -> None:
    # The hook on layer i must see what HF reports as hidden_states[i + 1].
    acts = capture(tiny_model, tiny_tokenizer, ["Hello"], chat_template=False)
    ids = tiny_tokenizer(["Hello"], return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        out = tiny_model(**ids, output_hidden_states=True)
    for layer in range(3):  # the last entry is after the final norm, not a block output
        assert torch.allclose(
            acts.tensor[0, layer, 0], out.hidden_states[layer + 1][0, -1], atol=1e-5
        )


@pytest.mark.parametrize("name", ["tiny_model", "tiny_gpt2"])
def test_left_padding_matches_single_prompt(
    name: str, tiny_tokenizer: Any, request: pytest.FixtureRequest
) -> None:
    # GPT-2's absolute positions catch padding that shifts position ids; RoPE alone would not.
    model = request.getfixturevalue(name)
    batched = capture(model, tiny_tokenizer, PROMPTS, positions=last_k(2), batch_size=3)
    for i, prompt in enumerate(PROMPTS):
        alone = capture(model, tiny_tokenizer, [prompt], positions=last_k(2))
        assert torch.allclose(batched.tensor[i], alone.tensor[0], atol=1e-5), i


def test_first_position_counts_real_tokens(tiny_model: Any, tiny_tokenizer: Any) -> None:
    batched = capture(tiny_model, tiny_tokenizer, PROMPTS, positions=0, batch_size=3)
    alone = capture(tiny_model, tiny_tokenizer, PROMPTS[:1], positions=0)
    assert torch.allclose(batched.tensor[0], alone.tensor[0], atol=1e-5)


def test_layer_out_of_range_names_valid_range(tiny_model: Any, tiny_tokenizer: Any) -> None:
    with pytest.raises(ActivationError, match=r"valid indices are 0\.\.3"):
        capture(tiny_model, tiny_tokenizer, PROMPTS, layers=[4])


def test_position_out_of_range_names_prompt(tiny_model: Any, tiny_tokenizer: Any) -> None:
    with pytest.raises(ActivationError, match=r"prompt p0: position -50"):
        capture(tiny_model, tiny_tokenizer, PROMPTS, positions=[-50])


def test_unsupported_architecture_names_modules() -> None:
    class Odd(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = torch.nn.Linear(2, 2)
            self.head = torch.nn.Linear(2, 2)

    with pytest.raises(ActivationError, match=r"model\.layers.*gpt_neox\.layers.*encoder, head"):
        find_layers(Odd())


def test_no_chat_template_is_explained(tiny_model: Any, tiny_tokenizer: Any) -> None:
    tok = tiny_tokenizer.__class__(tokenizer_object=tiny_tokenizer.backend_tokenizer)
    tok.pad_token, tok.eos_token = "<pad>", "<a>"
    with pytest.raises(ActivationError, match="chat_template=False"):
        capture(tiny_model, tok, PROMPTS)


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_save_and_load(tiny_model: Any, tiny_tokenizer: Any, tmp_path: Path, suffix: str) -> None:
    prompts = [Prompt("secret text", "a1", "eng", True), Prompt("other words", "a2", "deu", False)]
    acts = capture(tiny_model, tiny_tokenizer, prompts, layers=[0, 2], dtype=torch.bfloat16)
    path = acts.save(tmp_path / f"acts{suffix}")
    sidecar = path.with_suffix(".json").read_text(encoding="utf-8")
    assert "secret" not in sidecar and "other words" not in sidecar
    meta = json.loads(sidecar)
    assert meta["ids"] == ["a1", "a2"] and meta["languages"] == ["eng", "deu"]
    assert meta["config"]["layers"] == [0, 2] and meta["config"]["dtype"] == "bfloat16"
    back = Activations.load(path)
    assert back.tensor.dtype == torch.bfloat16
    assert torch.equal(back.tensor, acts.tensor)
    assert back.harmful == [True, False]
    # TransformerLens names for the hook points; token counts without padding
    assert meta["hook_names"] == ["blocks.0.hook_resid_post", "blocks.2.hook_resid_post"]
    assert (
        back.lengths == acts.lengths == [len("secret text") + 3, len("other words") + 3]
    )  # <u> </u> <a>
    if suffix == ".safetensors":
        from safetensors.torch import load_file

        stored = load_file(str(path))
        assert sorted(stored) == meta["hook_names"]
        assert torch.equal(stored["blocks.2.hook_resid_post"], acts.tensor[:, 1])


def test_bfloat16_model(tiny_tokenizer: Any, tiny_model: Any) -> None:
    import copy

    model = copy.deepcopy(tiny_model).to(torch.bfloat16)
    acts = capture(model, tiny_tokenizer, PROMPTS, layers=[0], device="cpu")
    assert acts.tensor.dtype == torch.float32 and acts.tensor.shape == (3, 1, 1, 32)
