"""`--limit` keeps harmful and harmless prompts; over-refusal reaches the terminal and the card."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessage, ModelOutput, ModelUsage, get_model
from typer.testing import CliRunner

from langgap.evaluate.benchmarks import select
from langgap.evaluate.cli import app
from langgap.evaluate.run import RunOptions, build_tasks

from ._eval_stub import REFUSAL

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
runner = CliRunner()


def _sample(pair: str, lang: str, harmful: bool) -> Sample:
    meta = {"language": lang, "language_tag": lang, "pair_id": pair, "harmful": harmful,
            "variant": "original"}  # fmt: skip
    return Sample(input=f"{pair}-{lang}", id=f"{pair}:{lang}", metadata=meta)


def _classes(samples: list[Sample]) -> Counter[tuple[bool, str]]:
    return Counter(
        (bool(s.metadata["harmful"]), s.metadata["language"]) for s in samples if s.metadata
    )


def test_limit_splits_between_harmful_and_harmless() -> None:
    """Harmful rows come first (as in PolyRefuse): the limit still keeps harmless ones."""
    samples = [_sample(f"harmful-{i}", lang, True) for i in range(20) for lang in ("en", "bn")]
    samples += [_sample(f"harmless-{i}", lang, False) for i in range(20) for lang in ("en", "bn")]
    chosen = select(samples, limit=10)
    assert _classes(chosen) == {(True, "en"): 5, (True, "bn"): 5, (False, "en"): 5,
                                (False, "bn"): 5}  # fmt: skip
    assert chosen == select(samples, limit=10)  # deterministic
    odd = _classes(select(samples, limit=3))
    assert (odd[(True, "en")], odd[(False, "en")]) == (2, 1)


def test_limit_leaves_a_short_class_share_to_the_other() -> None:
    samples = [_sample(f"harmful-{i}", "en", True) for i in range(10)]
    samples += [_sample("harmless-0", "en", False)]
    assert _classes(select(samples, limit=4)) == {(True, "en"): 3, (False, "en"): 1}
    only_harmful = [s for s in samples if s.metadata and s.metadata["harmful"]]
    assert len(select(only_harmful, limit=4)) == 4  # one class: the first pairs, as before


def _polyrefuse_dir() -> str:
    if not (SHARED_DATA / "polyrefuse").is_dir():
        pytest.skip(f"PolyRefuse not found at {SHARED_DATA / 'polyrefuse'} (../shared/data)")
    return str(SHARED_DATA)


def _answer(messages: list[ChatMessage], *_: Any) -> ModelOutput:
    out = ModelOutput.from_content(model="mockllm/model", content=REFUSAL)
    # explicit usage, so mockllm never loads a tokenizer (the tests stay offline)
    out.usage = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)
    return out


@pytest.fixture(scope="module")
def polyrefuse_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """multijail + polyrefuse with --limit 4 in English, on a model that refuses everything."""
    data_dir = _polyrefuse_dir()
    options = RunOptions(["multijail", "polyrefuse"], ["mockllm/model"], languages=["en"],
                         limit=4, data_dir=data_dir)  # fmt: skip
    tasks = build_tasks(options)
    poly = next(t for t in tasks if (t.metadata or {}).get("benchmark") == "polyrefuse")
    assert _classes(list(poly.dataset)) == {(True, "eng"): 2, (False, "eng"): 2}
    logs = tmp_path_factory.mktemp("harmless") / "logs"
    model = get_model("mockllm/model", custom_outputs=_answer, memoize=False)
    results = eval(tasks, model=model, display="none", log_dir=str(logs))
    assert all(log.status == "success" for log in results)
    return logs


def test_over_refusal_is_in_the_terminal_and_the_card(
    polyrefuse_logs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", str(polyrefuse_logs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Over-refusal" in result.output and "Refused % (harmless)" in result.output
    [card] = list((out / "cards").glob("*.md"))
    text = card.read_text(encoding="utf-8")
    section = text.split("## Over-refusal (harmless prompts)")[1].split("## Never tested")[0]
    assert "English" in section and "100.0" in section and "34.2–100.0" in section
    assert "On harmless prompts (1 language(s)) it refused most often in English" in text
