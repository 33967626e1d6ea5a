"""Human-labelled response sets (XSTest, SQuARe, PolyGuardPrompts) and user tables with column and
label mappings: loading, clear errors, --split and --predictions through the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from langgap.evaluate.judge_cli import app
from langgap.evaluate.judge_eval.data import (
    Columns,
    LabelledDataError,
    load_dataset,
    load_labelled,
    load_polyguard,
    load_square,
    load_xstest,
)
from langgap.evaluate.judge_eval.learn_response import in_split, split_of
from langgap.evaluate.judge_eval.runner import RefusalJudge, decision
from langgap.evaluate.judges import judge_refusal

REFUSAL = "I'm sorry, but I can't help with that request."
ANSWER = "Sure. To kill a Python process, find its PID with ps and run kill PID in a terminal."


def _xstest(folder: Path, labels: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "xstest_v2_completions_toy.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "type", "prompt", "completion", "annotation_1", "annotation_2",
                         "agreement", "final_label"])  # fmt: skip
        for i, label in enumerate(labels):
            text = REFUSAL if label == "2_full_refusal" else ANSWER
            writer.writerow([f"v2-{i}", "homonyms", "q", text, label, label, "TRUE", label])
    (folder / "xstest_v2_completions_toy_gpteval.csv").write_text("not,human\n")  # ignored
    return path


def test_xstest_labels_and_bad_label(tmp_path: Path) -> None:
    _xstest(tmp_path / "xstest", ["1_full_compliance", "2_full_refusal", "3_partial_refusal"])
    items = load_xstest(tmp_path / "xstest")
    assert [i.label for i in items] == ["complied", "refused", "complied"]
    assert {i.language for i in items} == {"eng"}
    _xstest(tmp_path / "bad", ["4_other"])
    with pytest.raises(LabelledDataError, match=r"row 2, field 'final_label': '4_other'"):
        load_xstest(tmp_path / "bad")


def test_named_set_without_its_folder_says_where_to_put_it(tmp_path: Path) -> None:
    expected = r"xstest.*is not in.*exaggerated-safety.*langgap data verify xstest"
    with pytest.raises(LabelledDataError, match=expected):
        load_dataset("xstest", tmp_path)


def test_square_is_a_korean_harm_set(tmp_path: Path) -> None:
    folder = tmp_path / "square"
    folder.mkdir()
    rows = [{"question": "q1", "response": "응답입니다.", "acceptable?": 1},
            {"question": "q2", "response": "나쁜 응답.", "acceptable?": 0}]  # fmt: skip
    (folder / "response_test.json").write_text(json.dumps(rows, ensure_ascii=False))
    items = load_square(folder)
    assert [(i.label, i.language) for i in items] == [("safe", "kor"), ("unsafe", "kor")]
    rows[1]["acceptable?"] = 2
    (folder / "response_test.json").write_text(json.dumps(rows))
    with pytest.raises(LabelledDataError, match="record 2, field 'acceptable\\?'"):
        load_square(folder)


def test_polyguard_views_and_prompt_only_rows(tmp_path: Path) -> None:
    folder = tmp_path / "pg"
    folder.mkdir()
    rows = [
        {"prompt": "p", "response": REFUSAL, "language": "en",
         "response_refusal_label": "refusal", "response_harm_label": "unharmful"},
        {"prompt": "p", "response": "Claro, aquí tienes la receta del pan.", "language": "es",
         "response_refusal_label": "compliance", "response_harm_label": "unharmful"},
        {"prompt": "only a prompt", "response": None, "language": "es",
         "response_refusal_label": None, "response_harm_label": None},
    ]  # fmt: skip
    (folder / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    refusal = load_polyguard(folder, "refusal")
    assert [(i.label, i.language) for i in refusal] == [("refused", "eng"), ("complied", "spa")]
    assert refusal[0].extra["skipped_rows"] == 1  # counted, never silently lost
    assert [i.label for i in load_polyguard(folder, "harm")] == ["safe", "safe"]


def test_table_with_column_and_label_mapping(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(f'reply,verdict,lang\n"{REFUSAL}",R,en\n"{ANSWER}",C,de\n')
    columns = Columns(response="reply", label="verdict", language="lang", id=None,
                      positive=("R",), negative=("C",))  # fmt: skip
    items = load_labelled(path, columns)
    assert [(i.label, i.language) for i in items] == [("refused", "eng"), ("complied", "deu")]
    path.write_text(f'reply,verdict,lang\n"{REFUSAL}",X,en\n')
    with pytest.raises(LabelledDataError, match=r"row 2, field 'verdict': label 'X' is in neither"):
        load_labelled(path, columns)
    with pytest.raises(LabelledDataError, match="no column --text-col 'response'"):
        load_labelled(path, Columns(label="verdict", language="lang"))


def test_split_is_stable_and_disjoint() -> None:
    assert split_of("dna/12") == split_of("dna/12")
    shares = [split_of(f"q{i}") for i in range(2000)]
    assert 0.55 < shares.count("train") / 2000 < 0.65
    assert 0.15 < shares.count("test") / 2000 < 0.25
    with pytest.raises(LabelledDataError, match="unknown split"):
        in_split([], "validation")


def test_refusal_judge_is_not_a_harm_judge() -> None:
    # on harm labels a declined reply is safe; an answered one stays unclear, never "harmful"
    assert decision(judge_refusal(REFUSAL, "en"), "harm") == "negative"
    assert decision(judge_refusal(ANSWER, "en"), "harm") == "unclear"
    assert RefusalJudge().supports("eng")


def test_cli_mapping_split_and_predictions(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    lines = ["qid,answer,gold,lang"]
    for i in range(40):
        lines.append(f'{i},"{REFUSAL if i % 2 else ANSWER}",{"yes" if i % 2 else "no"},en')
    table.write_text("\n".join(lines) + "\n")
    out, preds = tmp_path / "out", tmp_path / "preds.csv"
    args = ["eval", "--judge", "refusal", "--data", str(table), "--text-col", "answer",
            "--label-col", "gold", "--language-col", "lang", "--id-col", "qid",
            "--positive", "yes", "--negative", "no", "--out", str(out), "--n-boot", "20",
            "--predictions", str(preds)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(preds.open(encoding="utf-8")))
    assert len(rows) == 40 and {r["human_label"] for r in rows} == {"refused", "complied"}
    assert {r["decision"] for r in rows} == {"positive", "negative"}
    assert all(r["action"] for r in rows)
    data = json.loads((out / "judge_eval.json").read_text())
    assert data["overall"]["all"]["accuracy"]["value"] == pytest.approx(1.0)
    bad = CliRunner().invoke(app, [a if a != "no" else "maybe" for a in args])
    assert bad.exit_code == 2 and "in neither --positive" in bad.output
    split = CliRunner().invoke(app, [*args, "--split", "test"])
    assert split.exit_code in (0, 2)  # a 40-row table may have no test questions; never a crash


def test_response_is_the_refusal_judge_by_its_other_name() -> None:
    from langgap.evaluate.judge_eval.runner import make_judge

    assert isinstance(make_judge("response"), RefusalJudge)
    with pytest.raises(ValueError, match="available: refusal, response, llm, guard or guard/NAME"):
        make_judge("vibes", "mockllm/model")


def test_the_model_is_trained_on_the_features_it_is_asked_about() -> None:
    from langgap.evaluate.judges.response import classify_response, model_inputs, packaged_model

    # a long English answer whose late text holds another Latin language's cue words: training
    # rows and classification must search the same lists
    text = "Sure. " + "Bread needs flour and water; knead it well. " * 12 + "Lo siento."
    action, _ = packaged_model().predict(*model_inputs(text, "en"))
    assert classify_response(text, "en").action == action
