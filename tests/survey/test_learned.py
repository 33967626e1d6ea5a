"""The learned survey annotator: features rebuilt exactly, training, the model file, bad input,
the CLI (`survey learn`, `survey run --annotator learned`, `survey sheet --order uncertainty`)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from langgap.cli import app
from langgap.survey.annotations import Annotation, write_annotations
from langgap.survey.learned.annotator import LearnedAnnotator
from langgap.survey.learned.model import (
    LearnedModel,
    ModelFileError,
    packaged_model_path,
    paper_matrix,
    topic_matrix,
)
from langgap.survey.learned.rule_features import rule_view
from langgap.survey.learned.train import TrainingError, align, fit_model, read_papers_csv
from langgap.survey.learned.vectors import TfidfBlock, TfidfSpec
from langgap.survey.models import Paper

# Hand-written abstracts (not taken from any paper): LLM-safety work on several topics and
# languages, and keyword hits about other kinds of safety.
SAFETY = [
    ("jailbreaking", "Jailbreak prompts against chat models", "We study jailbreak attacks that "
     "make large language models ignore their safety training, in {lang}."),
    ("toxicity_bias", "Toxic output of language models", "We measure toxic and biased "
     "generations of large language models and their safety in {lang}."),
    ("alignment", "Aligning assistants with human values", "We train language models to be "
     "harmless and helpful with preference data for safety, in {lang}."),
]  # fmt: skip
OTHER = [
    ("Food safety inspections", "We analyse food safety reports from restaurant inspections."),
    ("Safe routes for cyclists", "A survey of road safety and safe cycling routes in cities."),
    ("Workplace safety records", "We classify workplace safety incidents in factory logs."),
]
LANGS = [
    ("English", "eng"),
    ("Chinese (most benchmarks are in English only)", "zho"),
    ("Bengali and Swahili", "ben;swa"),
]


def _corpus(n: int = 36) -> tuple[list[Paper], list[Annotation]]:
    papers, gold = [], []
    for i in range(n):
        pid = f"{2020 + i % 4}.test-{i}"
        if i % 3 == 2:
            title, abstract = OTHER[i % len(OTHER)]
            papers.append(Paper(pid, f"{title} {i}", abstract, 2020 + i % 4))
            gold.append(Annotation(pid, "gold", False, ("eng",), "english_only", "not_safety",
                                   False))  # fmt: skip
            continue
        k = i - i // 3  # the k-th LLM-safety paper: every topic meets every language
        topic, title, abstract = SAFETY[k % len(SAFETY)]
        name, codes = LANGS[(k // len(SAFETY)) % len(LANGS)]
        languages = tuple(codes.split(";"))
        group = "english_only" if codes == "eng" else ("non_english" if len(languages) == 1
                                                       else "multilingual")  # fmt: skip
        papers.append(Paper(pid, f"{title} {i}", abstract.format(lang=name), 2020 + i % 4))
        gold.append(Annotation(pid, "gold", True, languages, group, topic, True))  # type: ignore[arg-type]
    return papers, gold


def _write_papers_csv(path: Path, papers: list[Paper]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "year", "title", "abstract"])
        writer.writeheader()
        for p in papers:
            writer.writerow({"id": p.id, "year": p.year, "title": p.title, "abstract": p.abstract})
    return path


@pytest.fixture(scope="module")
def trained() -> tuple[LearnedModel, list[Paper], list[Annotation]]:
    papers, gold = _corpus()
    data = align(gold, {p.id: p for p in papers}, "gold.csv", "papers.csv")
    return fit_model(data), papers, gold


@pytest.mark.parametrize(
    "spec", [TfidfSpec("word", 1, 2, 1, True), TfidfSpec("char_wb", 3, 5, 1, False)]
)
def test_stored_tfidf_equals_scikit_learn(spec: TfidfSpec) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["Jailbreak attacks on LLMs!", "Safety of chat models in Bengali, Swahili.", "a I"]
    block, rows = TfidfBlock.fit(spec, texts)
    fitted = TfidfVectorizer(**spec.params(), min_df=1, sublinear_tf=True).fit(texts)
    new = ["Unseen words and jailbreak safety", ""]
    assert abs(block.transform(new) - fitted.transform(new)).max() < 1e-12
    assert abs(block.transform(texts) - rows).max() < 1e-12


def test_fit_predict_and_file_round_trip(
    trained: tuple[LearnedModel, list[Paper], list[Annotation]], tmp_path: Path
) -> None:
    model, papers, gold = trained
    predictions = model.predict(papers)
    assert [p.related for p in predictions] == [g.related for g in gold]
    assert all(0.0 <= p.p_related <= 1.0 and 0.5 <= p.confidence <= 1.0 for p in predictions)
    bengali = next(p for p, g in zip(predictions, gold, strict=True) if "ben" in g.languages)
    assert set(bengali.languages) == {"ben", "swa"} and bengali.group == "multilingual"
    loaded = LearnedModel.load(model.save(tmp_path / "m.npz"))
    again = loaded.predict(papers)
    assert [p.p_related for p in again] == pytest.approx([p.p_related for p in predictions])
    assert [p.topic for p in again] == [p.topic for p in predictions]


def test_temperature_scaling_keeps_the_winner(
    trained: tuple[LearnedModel, list[Paper], list[Annotation]],
) -> None:
    model, papers, _ = trained
    rows = topic_matrix(paper_matrix(model.paper_blocks, papers), rule_view(papers))
    x = np.asarray(model.topic.decision(rows))
    assert model.topic.temperature > 0
    best = [model.topic.classes[i] for i in x.argmax(axis=1)]
    assert best == [c for c, _ in model.topic.predict(rows)]


def test_bad_gold_is_a_clear_error(tmp_path: Path) -> None:
    papers, gold = _corpus()
    by_id = {p.id: p for p in papers[1:]}  # the first gold paper has no text
    with pytest.raises(TrainingError, match=r"row 2 \(2020.test-0\)"):
        align(gold, by_id, "gold.csv", "papers.csv")
    related_only = [g for g in gold if g.related]
    data = align(related_only, {p.id: p for p in papers}, "gold.csv", "papers.csv")
    with pytest.raises(TrainingError, match=r"every row has related = true.*--all-screened"):
        fit_model(data)
    few = align(gold[:5], {p.id: p for p in papers}, "gold.csv", "papers.csv")
    with pytest.raises(TrainingError, match="needs at least 20"):
        fit_model(few)


def test_model_file_from_another_version_is_refused(
    trained: tuple[LearnedModel, list[Paper], list[Annotation]], tmp_path: Path
) -> None:
    path = trained[0].save(tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as stored:
        arrays = {k: stored[k] for k in stored.files}
    header = json.loads(str(arrays["header"]))
    header["format"] = "langgap-survey-learned/0"
    arrays["header"] = np.array(json.dumps(header))
    old = tmp_path / "old.npz"
    np.savez(old, **arrays)  # type: ignore[arg-type]
    with pytest.raises(ModelFileError, match=r"format 'langgap-survey-learned/0'.*retrain"):
        LearnedModel.load(old)
    (tmp_path / "junk.npz").write_text("not a model")
    with pytest.raises(ModelFileError, match="not a langgap learned-annotator model"):
        LearnedModel.load(tmp_path / "junk.npz")
    with pytest.raises(ModelFileError, match="no such model file"):
        LearnedModel.load(tmp_path / "missing.npz")


def test_annotator_labels_carry_probabilities_and_flags(
    trained: tuple[LearnedModel, list[Paper], list[Annotation]], tmp_path: Path
) -> None:
    model, papers, _ = trained
    path = model.save(tmp_path / "m.npz")
    unseen = Paper("z", "Parsing treebanks", "We parse sentences of a treebank.", 2024)
    labels = LearnedAnnotator(path, flag_below=1.0).annotate_many([*papers[:6], unseen])
    assert all(set(lab.probabilities) == {"related", "topic", "documented", "confidence"}
               for lab in labels)  # fmt: skip
    assert all(lab.flagged == (lab.probabilities["confidence"] < 1.0) for lab in labels)
    assert labels[-1].flagged  # a paper unlike any training paper is not certain
    assert not any(lab.flagged for lab in LearnedAnnotator(path, 0.5).annotate_many(papers[:6]))
    assert all(lab.evidence["related"] for lab in labels)
    with pytest.raises(ValueError, match=r"outside 0\.5-1\.0"):
        LearnedAnnotator(path, flag_below=0.3)


def test_packaged_model_labels_an_llm_safety_abstract() -> None:
    annotator = LearnedAnnotator(packaged_model_path())
    paper = Paper("x", "Jailbreaking large language models in low-resource languages",
                  "We translate harmful prompts into Bengali and Swahili and find that "
                  "safety-aligned LLMs comply far more often than in English.", 2024)  # fmt: skip
    food = Paper("y", "Food safety inspection reports", "We classify food safety violations "
                 "in restaurant inspection reports with gradient boosting.", 2024)  # fmt: skip
    llm, other = annotator.annotate_many([paper, food])
    assert llm.related and llm.topic == "jailbreaking"
    assert {"ben", "swa"} <= set(llm.languages) and llm.group == "multilingual"
    assert not other.related and other.topic == "not_safety"
    assert annotator.quality_line()["cross_validated"]["related"]["accuracy"] > 0.8


def _invoke(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_learn_run_and_sheet_through_the_cli(tmp_path: Path) -> None:
    papers, gold = _corpus()
    papers_csv = _write_papers_csv(tmp_path / "papers.csv", papers)
    gold_csv = write_annotations(tmp_path / "gold.csv", gold)
    model = tmp_path / "model.npz"
    out = _invoke("survey", "learn", str(gold_csv), "--papers", str(papers_csv),
                  "--out", str(model))  # fmt: skip
    assert "cross-validated by year" in out and model.is_file()
    assert LearnedModel.load(model).meta["cv"]["related"]["accuracy"] >= 0.0
    # which source gave languages and group, with both sources' cross-validated figures
    assert "languages and group from rules" in " ".join(out.split())
    assert "mentions: group κ" in " ".join(out.split())

    bib = tmp_path / "more.bib"
    bib.write_text(
        "@inproceedings{p1, title={Jailbreak attacks on chat models}, year={2024}, abstract="
        "{We study the safety of large language models against jailbreak prompts.}}\n"
        "@inproceedings{p2, title={Food safety}, year={2024}, abstract={Food safety "
        "inspections of restaurants are analysed.}}\n"
    )
    run = tmp_path / "run"
    _invoke("survey", "run", "--papers", str(bib), "--out", str(run), "--annotator",
            "learned", "--learned-model", str(model), "--flag-below", "0.9")  # fmt: skip
    rows = list(csv.DictReader((run / "papers.csv").open(encoding="utf-8-sig")))
    assert {r["flagged"] for r in rows} <= {"true", "false"} and all(r["confidence"] for r in rows)
    stats = json.loads((run / "stats.json").read_text())
    assert stats["label_quality_line"]["flagged"] == sum(r["flagged"] == "true" for r in rows)
    assert "Label quality: annotator learned" in (run / "report.md").read_text()

    _invoke("survey", "sheet", str(run), "--annotators", "ana,ben", "--overlap", "0",
            "--pairs", "0", "--order", "uncertainty", "--all-screened")  # fmt: skip
    plan = json.loads((run / "sheets" / "plan.json").read_text())
    confidence = {r["id"]: float(r["confidence"]) for r in rows}
    for ids in plan["annotators"].values():
        assert [confidence[i] for i in ids] == sorted(confidence[i] for i in ids)
    assert plan["order"] == "uncertainty"


def test_learn_reports_bad_input_without_traceback(tmp_path: Path) -> None:
    papers, gold = _corpus()
    papers_csv = _write_papers_csv(tmp_path / "papers.csv", papers[1:])
    gold_csv = write_annotations(tmp_path / "gold.csv", gold)
    out = _invoke("survey", "learn", str(gold_csv), "--papers", str(papers_csv), "--out",
                  str(tmp_path / "m.npz"), code=2)  # fmt: skip
    assert "row 2 (2020.test-0)" in out and "Traceback" not in out
    bad = tmp_path / "bad.csv"
    bad.write_text(gold_csv.read_text().replace("jailbreaking", "jailbraking", 1))
    out = _invoke("survey", "learn", str(bad), "--papers", str(papers_csv), "--out",
                  str(tmp_path / "m.npz"), code=2)  # fmt: skip
    assert "jailbraking" in out
    out = _invoke("survey", "run", "--papers", str(papers_csv), "--out", str(tmp_path / "r"),
                  "--annotator", "learned", "--learned-model", str(tmp_path / "none.npz"),
                  code=2)  # fmt: skip
    assert "no such model file" in out
    out = _invoke("survey", "learn", str(gold_csv), "--papers", str(_write_papers_csv(
                  tmp_path / "all.csv", papers)), "--out", str(tmp_path / "m.npz"),
                  "--languages-from", "llm", "--no-cv", code=2)  # fmt: skip
    assert "use one of rules, mentions" in out and "Traceback" not in out


def test_sheet_uncertainty_order_needs_a_learned_run(tmp_path: Path) -> None:
    papers, _ = _corpus()
    out = tmp_path / "run"
    out.mkdir()
    with (out / "papers.csv").open("w", encoding="utf-8", newline="") as handle:
        columns = ["id", "title", "abstract", "url", "related", "languages", "group", "topic",
                   "documented", "confidence"]  # fmt: skip
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for p in papers:
            writer.writerow({"id": p.id, "title": p.title, "abstract": p.abstract, "url": "",
                             "related": "true", "languages": "eng", "group": "english_only",
                             "topic": "alignment", "documented": "false",
                             "confidence": ""})  # fmt: skip
    text = _invoke("survey", "sheet", str(out), "--annotators", "ana,ben", "--overlap", "0",
                   "--pairs", "0", "--order", "uncertainty", code=2)  # fmt: skip
    assert "--annotator learned" in text


@pytest.mark.slow
def test_packaged_model_is_reproducible_from_the_snapshot(tmp_path: Path) -> None:
    anthology = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "acl-anthology"
    if not (anthology / "xml").is_dir():
        pytest.skip(f"shared Anthology snapshot not found at {anthology}")
    from langgap.survey.learned.learn import learn_model, papers_from
    from langgap.survey.reference import load_reference

    gold = load_reference()
    texts, name = papers_from(None, anthology, gold)
    model = learn_model(gold, "reference", texts, name, cross_validate=False).model
    packaged = LearnedModel.load(packaged_model_path())
    papers = [texts[a.paper_id] for a in gold]
    ours, theirs = model.predict(papers), packaged.predict(papers)
    assert [p.p_related for p in ours] == pytest.approx([p.p_related for p in theirs], abs=1e-6)
    assert [p.languages for p in ours] == [p.languages for p in theirs]


def test_read_papers_csv_names_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("id,title\n1,x\n")
    with pytest.raises(TrainingError, match="columns abstract are missing"):
        read_papers_csv(path)
