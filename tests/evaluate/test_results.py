"""results_from_logs over real Inspect logs (mock model, refusal judge), and plain records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from inspect_ai import Task, eval
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.log import read_eval_log, write_eval_log
from inspect_ai.model import ChatMessage, ModelOutput, ModelUsage, get_model
from inspect_ai.solver import generate

from langgap.evaluate import results as results_module
from langgap.evaluate.judges import refusal_judge
from langgap.evaluate.metrics import langgap_metrics, summarize
from langgap.evaluate.results import ResultsError, results_from_logs, results_from_records

REFUSAL = "I'm sorry, but I can't help with that request. It could cause real harm to people."
COMPLY = (
    "Sure. Here is a detailed answer with several steps that explain the whole process "
    "from the beginning to the end, with the materials you need and the order to use them in."
)
PROMPTS = {  # prompt -> (language, pair_id, harmful, response; None raises a model error)
    "p-eng-1": ("eng", "1", True, REFUSAL),
    "p-ben-1": ("ben", "1", True, COMPLY),
    "p-eng-2": ("eng", "2", True, REFUSAL),
    "p-ben-2": ("ben", "2", True, "ok"),  # too short to judge: unclear
    "p-ben-3": ("ben", "3", True, None),
    "p-ben-ok": ("ben", "ok", False, REFUSAL),  # harmless prompt refused: over-refusal
}


def _answer(messages: list[ChatMessage], *_: Any) -> ModelOutput:
    prompt = next(p for p in PROMPTS if p in "\n".join(m.text for m in messages))
    text = PROMPTS[prompt][3]
    if text is None:
        raise RuntimeError("provider failed")
    out = ModelOutput.from_content(model="mockllm/model", content=text)
    # explicit usage, so mockllm never loads a tokenizer (the tests stay offline)
    out.usage = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)
    return out


def _task() -> Task:
    samples = [
        Sample(
            input=prompt,
            id=prompt,
            metadata={
                "benchmark": "tiny",
                "language": lang,
                "language_tag": lang[:2],
                "pair_id": pair,
                "harmful": harmful,
                "category": "crime",
            },
        )
        for prompt, (lang, pair, harmful, _) in PROMPTS.items()
    ]
    return Task(
        dataset=MemoryDataset(samples, name="tiny"),
        solver=generate(),
        scorer=refusal_judge(),
        metrics=langgap_metrics(),
        name="tiny",
    )


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("logs")
    model = get_model("mockllm/model", custom_outputs=_answer, memoize=False)
    [log] = eval(_task(), model=model, display="none", log_dir=str(path), fail_on_error=False)
    assert log.results is not None
    metrics = {m for s in log.results.scores for m in s.metrics}
    assert {"worst", "worst_ben", "ben", "eng", "unclear_rate"} <= metrics  # shown live
    return path


def test_rows_from_a_real_log(log_dir: Path) -> None:
    rows = {r.sample_id: r for r in results_from_logs([log_dir])}
    assert set(rows) == set(PROMPTS)  # the errored sample is kept
    eng = rows["p-eng-1"]
    assert (eng.model, eng.task, eng.benchmark) == ("mockllm/model", "tiny", "tiny")
    assert (eng.language, eng.language_tag, eng.pair_id, eng.category) == (
        "eng",
        "en",
        "1",
        "crime",
    )
    assert (eng.label, eng.safe, eng.refused, eng.unclear) == ("refused", 1, 1, False)
    assert eng.judge == "refusal" and eng.judge_version
    assert (rows["p-ben-1"].label, rows["p-ben-1"].safe) == ("complied", 0)
    unclear = rows["p-ben-2"]
    assert (unclear.unclear, unclear.safe, unclear.refused) == (True, None, None)
    failed = rows["p-ben-3"]
    assert failed.errored and failed.safe is None and "provider failed" in (failed.error or "")
    assert failed.scorer == eng.scorer == "refusal_judge"  # counted in the judge's own table
    harmless = rows["p-ben-ok"]
    assert (harmless.harmful, harmless.safe, harmless.refused) == (False, 1, 1)


def test_summary_of_a_real_log(log_dir: Path) -> None:
    summary = summarize(results_from_logs([log_dir]), n_boot=50)
    [model] = summary.models
    assert (model.model, model.judge, model.n, model.n_errored) == (
        "mockllm/model",
        "refusal",
        6,
        1,
    )
    ben = model.language("ben")
    assert (ben.n, ben.n_safe, ben.n_harmful, ben.n_unclear, ben.n_errored) == (3, 0, 1, 1, 1)
    assert model.aggregate.worst_language == "ben"
    [test] = model.significance
    assert (test.b, test.c, test.n_pairs, test.n_excluded) == (1, 0, 1, 1)
    [refusal] = model.over_refusal
    assert (refusal.n, refusal.n_refused, refusal.refusal_rate) == (1, 1, 100.0)


def test_log_files_and_formats(log_dir: Path, tmp_path: Path) -> None:
    [log_file] = list(log_dir.glob("*.eval"))
    assert len(results_from_logs([log_file])) == len(PROMPTS)
    model = get_model("mockllm/model", custom_outputs=_answer, memoize=False)
    eval(_task(), model=model, display="none", log_dir=str(tmp_path), log_format="json",
         fail_on_error=False)  # fmt: skip
    (tmp_path / "logs.json").write_text("{}", encoding="utf-8")  # Inspect's index, not a log
    assert len(results_from_logs([log_dir, tmp_path])) == 2 * len(PROMPTS)


def test_missing_or_empty_inputs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="no such log"):
        results_from_logs([tmp_path / "absent.eval"])
    with pytest.raises(ResultsError, match=r"no \.eval or \.json logs"):
        results_from_logs([tmp_path])


def test_records() -> None:
    [row, unclear, failed] = results_from_records([
        {"model": "m", "language": "ben", "pair_id": "1", "safe": 1.0},
        {"model": "m", "language": "ben", "pair_id": "2", "safe": None},
        {"model": "m", "language": "ben", "pair_id": "3", "errored": True, "error": "timeout"},
    ])  # fmt: skip
    assert (row.safe, row.label, row.unclear) == (1, "safe", False)
    assert (unclear.unclear, unclear.label) == (True, "unclear")
    assert (failed.errored, failed.unclear, failed.label) == (True, False, "error")
    with pytest.raises(ResultsError, match="lacks pair_id"):
        results_from_records([{"language": "ben"}])
    with pytest.raises(ResultsError, match="unknown field"):
        results_from_records([{"language": "ben", "pair_id": "1", "colour": "red"}])
    # a verdict that is not a clean decision is an error, never rounded into safe or unsafe
    with pytest.raises(ResultsError, match=r"record 0: 'safe' must be 0, 1 or null, got 0.6"):
        results_from_records([{"language": "ben", "pair_id": "1", "safe": 0.6}])
    with pytest.raises(ResultsError, match=r"record 0: 'action' must be one of refused, .*'nice'"):
        results_from_records([{"language": "ben", "pair_id": "1", "safe": 1, "action": "nice"}])
    with pytest.raises(ResultsError, match="'refused' must be"):
        results_from_records([{"language": "ben", "pair_id": "1", "safe": 1, "refused": "yes"}])


def _rows_streamed_by_inspect(
    paths: list[Path], monkeypatch: pytest.MonkeyPatch
) -> list[results_module.SampleResult]:
    with monkeypatch.context() as patch:
        patch.setattr(results_module, "run_coroutine", None)  # Inspect's per-sample generator
        return results_from_logs(paths)


def test_batched_reading_gives_the_rows_inspects_own_reader_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = get_model("mockllm/model", custom_outputs=_answer, memoize=False)
    [log] = eval(_task(), model=model, display="none", log_dir=str(tmp_path), epochs=2,
                 fail_on_error=False)  # fmt: skip
    monkeypatch.setattr(results_module, "READ_BATCH", 4)  # 12 samples: three batches
    batched = results_from_logs([tmp_path])
    assert len(batched) == 2 * len(PROMPTS)
    assert batched == _rows_streamed_by_inspect([tmp_path], monkeypatch)
    # an unfinished log holds only the samples flushed before it stopped
    partial = read_eval_log(log.location)
    partial.samples = (partial.samples or [])[:5]
    partial.status = "cancelled"
    cut = tmp_path / "partial" / "cancelled.eval"
    cut.parent.mkdir()
    write_eval_log(partial, str(cut))
    rows = results_from_logs([cut])
    assert len(rows) == 5 and rows == _rows_streamed_by_inspect([cut], monkeypatch)
