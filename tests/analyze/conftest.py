"""Fixtures for the analysis layer: a tiny random Llama with a character tokenizer."""

from __future__ import annotations

import csv
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

CHAT_TEMPLATE = (
    "{% for m in messages %}<u>{{ m['content'] }}</u>{% endfor %}"
    "{% if add_generation_prompt %}<a>{% endif %}"
)


@pytest.fixture(scope="session")
def tiny_tokenizer() -> Any:
    """One token per printable character, plus chat markers and a pad token."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers

    specials = ["<pad>", "<unk>", "<u>", "</u>", "<a>"]
    vocab = {tok: i for i, tok in enumerate([*specials, *string.printable])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    core.add_special_tokens(specials)
    tok = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", unk_token="<unk>", eos_token="<a>"
    )
    tok.chat_template = CHAT_TEMPLATE
    return tok


def write_table(path: Path, rows: list[dict[str, str]]) -> Path:
    """A benchmark table (CSV with a header from the first row's keys) for the generic loader."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def chat_tokenizer(tiny_tokenizer: Any) -> Any:
    """The tiny tokenizer with a role-aware template (the prompt is a prefix of prompt+reply)."""
    import copy

    tok = copy.deepcopy(tiny_tokenizer)
    tok.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'user' %}<u>{{ m['content'] }}</u>"
        "{% else %}<a>{{ m['content'] }}</u>{% endif %}{% endfor %}"
        "{% if add_generation_prompt %}<a>{% endif %}"
    )
    return tok


@pytest.fixture(scope="session")
def tiny_model(tiny_tokenizer: Any) -> Any:
    """A 4-layer Llama with 32-dim hidden states and random weights (fixed seed)."""
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=len(tiny_tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        pad_token_id=0,
    )
    return transformers.LlamaForCausalLM(config).eval()


@pytest.fixture(scope="session")
def tiny_folder(
    tmp_path_factory: pytest.TempPathFactory, tiny_model: Any, tiny_tokenizer: Any
) -> Path:
    """The tiny model and tokenizer saved as a Hugging Face folder, for `-m PATH`."""
    folder = tmp_path_factory.mktemp("models") / "tiny"
    tiny_model.save_pretrained(folder)
    tiny_tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_gpt2(tiny_tokenizer: Any) -> Any:
    """A 2-layer GPT-2: absolute position embeddings, so left padding must shift positions."""
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=len(tiny_tokenizer), n_embd=32, n_layer=2, n_head=4, n_positions=256
    )
    return transformers.GPT2LMHeadModel(config).eval()


def _hook_ids(model: Any) -> set[tuple[str, int]]:
    """Our forward hooks on the model (transformers' own output-capturing hooks excluded)."""
    return {
        (name, key)
        for name, m in model.named_modules()
        for key, hook in m._forward_hooks.items()
        if not str(getattr(hook, "__module__", "")).startswith("transformers")
    }


@pytest.fixture(autouse=True)
def _no_hook_outlives_its_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """The session's tiny model is shared: a forward hook a test adds and leaves changes every
    later test. (transformers keeps hooks of its own once hidden states are asked for.)"""
    model = request.getfixturevalue("tiny_model") if "tiny_model" in request.fixturenames else None
    before = _hook_ids(model) if model is not None else set()
    yield
    if model is not None:
        left = sorted(_hook_ids(model) - before)
        assert not left, f"forward hooks left on the shared tiny model: {left}"
