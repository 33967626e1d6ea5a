"""The learned annotator stacked on the rules: rule features, the stacked related head, where
languages and group come from, and models whose rule features no longer match."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.survey.test_learned import _corpus

from langgap.survey.annotate import RuleAnnotator
from langgap.survey.learned.annotator import LearnedAnnotator
from langgap.survey.learned.heads import fit_head_out_of_fold
from langgap.survey.learned.learn import cv_figures
from langgap.survey.learned.model import LearnedModel, ModelFileError
from langgap.survey.learned.rule_features import feature_names, rule_view
from langgap.survey.learned.train import TrainingError, TrainingSet, align, fit_model
from langgap.survey.models import TOPICS, Paper
from langgap.survey.pipeline import paper_row


@pytest.fixture(scope="module")
def data() -> TrainingSet:
    papers, gold = _corpus()
    return align(gold, {p.id: p for p in papers}, "gold.csv", "papers.csv")


def test_rule_features_follow_the_rule_annotator() -> None:
    papers = [
        Paper("a", "Jailbreak prompts against chat models", "We jailbreak LLM safety.", 2023),
        Paper("b", "Food safety inspections", "We analyse food safety reports.", 2023),
    ]
    view = rule_view(papers)
    assert view.matrix.shape == (2, len(feature_names()))
    rules = RuleAnnotator().annotate_many(papers)
    assert list(view.related) == [float(r.related) for r in rules] == [1.0, 0.0]
    names = feature_names()
    jailbreak = names.index("topic_score_jailbreaking")
    assert view.matrix[0, jailbreak] > 0 and view.matrix[1, jailbreak] == 0
    # the rules' topic is given for an unrelated paper too (the learned head decides related)
    rules_topics = [n for n in names if n.startswith("rules_topic_")]
    assert view.matrix[:, [names.index(n) for n in rules_topics]].sum(axis=1).tolist() == [1, 1]
    topic_columns = [n for n in names if n.startswith(("topic_score_", "rules_topic_"))]
    assert np.array_equal(view.topic, view.matrix[:, [names.index(n) for n in topic_columns]])
    assert view.labels == tuple(rules)


def test_rule_features_scan_each_papers_topic_cues_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from langgap.survey import annotate
    from langgap.survey.learned import rule_features

    scanned: list[str] = []
    real = annotate.topic_cue_scores

    def counted(paper: Paper) -> annotate.TopicCues:
        scanned.append(paper.id)
        return real(paper)

    monkeypatch.setattr(annotate, "topic_cue_scores", counted)
    monkeypatch.setattr(rule_features, "topic_cue_scores", counted)
    papers = [
        Paper("a", "Jailbreak prompts against chat models", "We jailbreak LLM safety.", 2023),
        Paper("b", "Food safety inspections", "We analyse food safety reports.", 2023),
    ]
    rule_view(papers)
    assert sorted(scanned) == ["a", "b"]  # a related paper's cues serve its labels and its row


def test_out_of_fold_scores_are_not_the_fitted_heads_own() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5))
    labels = ["true" if v > 0 else "false" for v in x[:, 0] + rng.normal(scale=0.5, size=40)]
    head, unseen = fit_head_out_of_fold(x, labels)
    assert unseen.shape == (40, 1)
    assert not np.allclose(unseen, head.decision(x))
    # a class too rare to fold: the head's own decision values stand in
    rare = ["true"] + ["false"] * 39
    head, unseen = fit_head_out_of_fold(x, rare)
    assert np.allclose(unseen, head.decision(x)) and head.temperature == 1.0


def test_stacked_related_head_reads_the_rules(data: TrainingSet) -> None:
    model = fit_model(data)
    assert model.related_stack.coef.shape == (1, 2)
    assert model.related_stack.coef[0, 1] > 0  # the rules saying "related" pushes towards it
    words = sum(len(b.vocabulary) for b in model.paper_blocks)
    assert model.topic.coef.shape[1] == words + 2 * len(TOPICS)  # topic scores, rules' topic


def test_languages_come_from_the_chosen_source(data: TrainingSet, tmp_path: Path) -> None:
    rules = RuleAnnotator().annotate_many(list(data.papers))
    from_rules = fit_model(data).predict(list(data.papers))
    assert [p.group for p in from_rules] == [r.group for r in rules]
    assert [p.languages for p in from_rules] == [r.languages for r in rules]
    model = fit_model(data, "mentions")
    from_mentions = model.predict(list(data.papers))
    assert [p.group for p in from_mentions] == [p.mention_group for p in from_mentions]
    assert LearnedModel.load(model.save(tmp_path / "m.npz")).languages_from == "mentions"
    with pytest.raises(TrainingError, match="use one of rules, mentions"):
        fit_model(data, "llm")


def test_language_evidence_is_the_deciding_sources(data: TrainingSet, tmp_path: Path) -> None:
    """papers.csv's evidence shows why languages and group were given: the rules' mentions
    when the rules decide, the mention head's decisions when it does, each saying which."""
    papers = list(data.papers[:12])  # every language of the corpus
    rules = RuleAnnotator().annotate_many(papers)
    from_rules = LearnedAnnotator(fit_model(data).save(tmp_path / "r.npz")).annotate_many(papers)
    for learned, rule, paper in zip(from_rules, rules, papers, strict=True):
        shown = learned.evidence["languages"]
        assert [(e.field, e.start, e.text) for e in shown] == [
            (e.field, e.start, e.text) for e in rule.evidence["languages"]
        ]
        assert all(e.note.endswith("; from the rules") for e in shown)
        assert all("from the mention head" in e.note for e in learned.evidence["documented"])
        row = paper_row(paper, [], learned)
        assert "mention head" not in row["evidence"]
        assert ("from the rules" in row["evidence"]) == bool(shown)
        assert ("from the mention head" in row["language_evidence"]) == bool(
            learned.evidence["documented"]
        )
    assert sum(bool(lab.evidence["languages"]) for lab in from_rules) == 8  # 4 name none
    path = fit_model(data, "mentions").save(tmp_path / "m.npz")
    for learned in LearnedAnnotator(path).annotate_many(papers):
        assert "documented" not in learned.evidence
        assert all(
            e.note.endswith("; from the mention head") for e in learned.evidence["languages"]
        )


def test_cv_figures_compare_both_language_sources(data: TrainingSet) -> None:
    figures = cv_figures(data)
    assert figures["languages_from"] == "rules"
    assert set(figures["languages_sources"]) == {"rules", "mentions"}
    assert figures["group"]["kappa"] == pytest.approx(
        figures["languages_sources"]["rules"]["group_kappa"], abs=1e-4
    )


def test_model_with_other_rule_features_is_refused(data: TrainingSet, tmp_path: Path) -> None:
    path = fit_model(data).save(tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as stored:
        arrays = {k: stored[k] for k in stored.files}
    header = json.loads(str(arrays["header"]))
    header["rule_features"] = header["rule_features"][:-1]
    arrays["header"] = np.array(json.dumps(header))
    np.savez(tmp_path / "old.npz", **arrays)
    with pytest.raises(ModelFileError, match=r"other rule features.*retrain"):
        LearnedModel.load(tmp_path / "old.npz")


def test_model_trained_on_other_rules_or_sources_is_refused(
    data: TrainingSet, tmp_path: Path
) -> None:
    path = fit_model(data).save(tmp_path / "m.npz")
    LearnedModel.load(path)  # the rules it was trained on: loads
    with np.load(path, allow_pickle=False) as stored:
        arrays = {k: stored[k] for k in stored.files}
    header = json.loads(str(arrays["header"]))
    for changed, says in (
        ({"rules_version": "0.0.old"}, r"outputs of rules 0\.0\.old.*retrain"),
        ({"languages_from": "guess"}, r"languages_from 'guess'.*retrain"),
    ):
        arrays["header"] = np.array(json.dumps({**header, **changed}))
        np.savez(tmp_path / "other.npz", **arrays)
        with pytest.raises(ModelFileError, match=says):
            LearnedModel.load(tmp_path / "other.npz")
