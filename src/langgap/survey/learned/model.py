"""The learned annotator's model: heads for related, topic, documented and studied-vs-mentioned,
stacked on the rule annotator's outputs, stored in one `.npz` file (arrays plus a JSON header;
no pickles).

- related: a text head (TF-IDF), then a stacked head over its decision value and the rules'
  related decision, fitted on out-of-fold decision values of the text head.
- topic: one head over TF-IDF beside the rules' topic cue scores and topic (`rule_features`).
- languages and group: from the rules or from the mention head (`LANGUAGES_FROM`); year-wise
  cross-validation on the reference's train+dev papers chose the rules (group kappa 0.941 vs
  0.904, languages Jaccard 0.986 vs 0.967).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, cast

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]

from langgap import __version__
from langgap._io import atomic_write_bytes
from langgap.survey.annotations import group_for
from langgap.survey.learned.heads import LinearHead
from langgap.survey.learned.mentions import Candidate, candidates, dense_matrix
from langgap.survey.learned.rule_features import RuleView, feature_names, rule_view
from langgap.survey.learned.vectors import TfidfBlock, TfidfSpec, side_by_side, transform_all
from langgap.survey.models import Evidence, Group, Labels, Paper, Topic

FORMAT = "langgap-survey-learned/2"  # bump whenever features or the file layout change
PACKAGED = "reference_model.npz"
FLAG_BELOW = 0.7  # papers whose least certain decision is below this go to a person
PAPER_SPECS = (
    TfidfSpec("word", 1, 2, 2, True),
    TfidfSpec("char_wb", 3, 5, 2, False),
)
MENTION_SPECS = (TfidfSpec("word", 1, 2, 2, False),)
DOCUMENTED_FEATURES = ("max_studied_named", "any_studied_named", "english_studied", "mentions")
HEADS = ("related", "related_stack", "topic", "mention", "documented")
# Chosen by year-wise cross-validation on the reference's train+dev papers (never its test
# split): C of the stacked related head, and the weight of the rule features beside TF-IDF.
RELATED_STACK_C = 10.0
TOPIC_RULE_WEIGHT = 1.0
LANGUAGES_FROM = ("rules", "mentions")  # the first is the default


class ModelFileError(ValueError):
    """A model file that cannot be used, with the reason and the fix."""


def paper_text(paper: Paper) -> str:
    """What the paper heads read: the title twice (it carries more weight), then the abstract."""
    return f"{paper.title} . {paper.title} . {paper.abstract or ''}"


@dataclass(frozen=True, slots=True)
class MentionDecision:
    """One mention and the probability that the paper studies what it names."""

    candidate: Candidate
    studied: float


@dataclass(frozen=True, slots=True)
class Prediction:
    """The learned labels of one paper with their calibrated probabilities."""

    related: bool
    p_related: float  # probability that the paper is LLM-safety research
    topic: Topic
    p_topic: float  # probability of the topic given that the paper is related
    languages: tuple[str, ...]
    unlisted: bool  # studies languages the abstract does not name ("in 30 languages")
    group: Group
    documented: bool
    p_documented: float
    mentions: tuple[MentionDecision, ...]
    languages_from: str  # "rules" or "mentions": which source gave languages, unlisted, group
    mention_languages: tuple[str, ...]  # what the mention head alone says (for comparison)
    mention_group: Group
    rule_evidence: tuple[Evidence, ...]  # the rules' language evidence (they decide by default)

    @property
    def confidence(self) -> float:
        """Certainty of the least certain decision (related, topic if related, documented, and
        each mention when the mention head gives the languages)."""
        sure = [max(self.p_related, 1 - self.p_related)]
        if self.related:
            sure.append(self.p_topic)
            sure.append(max(self.p_documented, 1 - self.p_documented))
            if self.languages_from == "mentions":
                sure += [max(d.studied, 1 - d.studied) for d in self.mentions]
        return min(sure)


@dataclass(frozen=True)
class LearnedModel:
    """Every head with the features it reads, and where the model came from (`meta`)."""

    paper_blocks: tuple[TfidfBlock, ...]
    related: LinearHead  # over the paper's TF-IDF
    related_stack: LinearHead  # over (related's decision value, the rules' related decision)
    topic: LinearHead  # over TF-IDF and the rule features
    mention_blocks: tuple[TfidfBlock, ...]
    mention: LinearHead
    documented: LinearHead
    languages_from: str = LANGUAGES_FROM[0]
    meta: dict[str, Any] = field(default_factory=dict)

    def predict(self, papers: Sequence[Paper], x: sp.csr_matrix | None = None) -> list[Prediction]:
        """Labels and probabilities for each paper, in order (`x`: their `paper_matrix`, when
        the caller has it already)."""
        if not papers:
            return []
        x = paper_matrix(self.paper_blocks, papers) if x is None else x
        rules = rule_view(papers)
        stacked = stack_rows(self.related.decision(x)[:, 0], rules)
        related = self.related_stack.proba(stacked)[:, self.related_stack.classes.index("true")]
        topics = self.topic.predict(topic_matrix(x, rules))
        per_paper = [candidates(p) for p in papers]
        flat = [c for found in per_paper for c in found]
        studied = iter(self._studied(flat))
        out = []
        for p_related, (topic, p_topic), found, rule_labels in zip(
            related, topics, per_paper, rules.labels, strict=True
        ):
            decisions = tuple(MentionDecision(c, next(studied)) for c in found)
            out.append(self._assemble(float(p_related), topic, p_topic, decisions, rule_labels))
        return out

    def _studied(self, found: list[Candidate]) -> list[float]:
        if not found:
            return []
        p = self.mention.proba(mention_matrix(self.mention_blocks, found))
        return [float(v) for v in p[:, self.mention.classes.index("true")]]

    def _assemble(
        self,
        p_related: float,
        topic: str,
        p_topic: float,
        decisions: tuple[MentionDecision, ...],
        rules: Labels,
    ) -> Prediction:
        studied = [d for d in decisions if d.studied >= 0.5]
        codes = sorted({code for d in studied for code in d.candidate.mention.languages})
        mention_unlisted = (
            any(not d.candidate.mention.languages for d in studied) and len(codes) < 2
        )
        mention_languages = tuple(codes) or ("eng",)
        mention_group: Group = "multilingual" if mention_unlisted else group_for(mention_languages)
        if self.languages_from == "rules":
            languages, unlisted, group = rules.languages, rules.multilingual_unlisted, rules.group
        else:
            languages, unlisted, group = mention_languages, mention_unlisted, mention_group
        row = np.array([documented_row(decisions)])
        p_documented = float(self.documented.proba(row)[0, self.documented.classes.index("true")])
        related = p_related >= 0.5
        return Prediction(
            related=related,
            p_related=p_related,
            topic=cast(Topic, topic if related else "not_safety"),
            p_topic=p_topic,
            languages=languages,
            unlisted=unlisted,
            group=group,
            documented=p_documented >= 0.5,
            p_documented=p_documented,
            mentions=decisions,
            languages_from=self.languages_from,
            mention_languages=mention_languages,
            mention_group=mention_group,
            rule_evidence=tuple(rules.evidence.get("languages", [])),
        )

    # --- the file --------------------------------------------------------------------------------

    def save(self, path: Path) -> Path:
        """Write the model as one `.npz` file (atomically)."""
        arrays: dict[str, np.ndarray] = {}
        header: dict[str, Any] = {
            "format": FORMAT,
            "meta": self.meta,
            "heads": {},
            "languages_from": self.languages_from,
            "rule_features": list(feature_names()),
            "rules_version": _rules_version(),
        }
        for name, blocks in (("paper", self.paper_blocks), ("mention", self.mention_blocks)):
            header[f"{name}_blocks"] = [vars(b.spec) for b in blocks]
            for i, block in enumerate(blocks):
                arrays[f"{name}.{i}.vocabulary"] = np.array(block.vocabulary, dtype=str)
                arrays[f"{name}.{i}.idf"] = block.idf
                arrays[f"{name}.{i}.stop_words"] = np.array(sorted(block.stop_words), dtype=str)
        for name in HEADS:
            head: LinearHead = getattr(self, name)
            header["heads"][name] = {"classes": head.classes, "temperature": head.temperature}
            # float32 halves the file (the packaged model stays under 1 MB); predictions move by
            # about 1e-7 in probability, never across a class boundary on the reference papers
            arrays[f"{name}.coef"] = head.coef.astype(np.float32)
            arrays[f"{name}.intercept"] = head.intercept
        arrays["header"] = np.array(json.dumps(header, ensure_ascii=False))
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        atomic_write_bytes(path, buffer.getvalue())
        return path

    @classmethod
    def load(cls, path: Path) -> LearnedModel:
        """Read a model written by `save`; another format or a damaged file is refused."""
        try:
            with np.load(path, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
        except FileNotFoundError:
            raise missing_model(path) from None
        except (OSError, ValueError) as error:
            raise ModelFileError(
                f"{path}: not a langgap learned-annotator model ({error}). Fix: train one with "
                "`langgap survey learn`."
            ) from None
        if "header" not in arrays:
            raise ModelFileError(f"{path}: not a langgap learned-annotator model (no header)")
        header = json.loads(str(arrays["header"]))
        if header.get("format") != FORMAT:
            trained = header.get("meta", {}).get("langgap_version", "an unknown version")
            raise ModelFileError(
                f"{path}: model format {header.get('format')!r} (trained with langgap {trained}) "
                f"is not the format this langgap ({__version__}) reads ({FORMAT!r}): its features "
                "differ. Fix: retrain it with `langgap survey learn`."
            )
        if header.get("rule_features") != list(feature_names()):
            raise ModelFileError(
                f"{path}: the model was trained on other rule features than this langgap "
                "computes (its list of topics changed). Fix: retrain it with `langgap survey "
                "learn`."
            )
        trained_rules = header.get("rules_version")  # absent in files written before it was kept
        if trained_rules is not None and trained_rules != _rules_version():
            raise ModelFileError(
                f"{path}: the model was trained on the outputs of rules {trained_rules}, and this "
                f"langgap's rules.yaml is {_rules_version()}: its rule features would mean "
                "something else. Fix: retrain it with `langgap survey learn`."
            )
        if header.get("languages_from") not in LANGUAGES_FROM:
            raise ModelFileError(
                f"{path}: languages_from {header.get('languages_from')!r} is not one of "
                f"{', '.join(LANGUAGES_FROM)}. Fix: retrain it with `langgap survey learn`."
            )
        return cls(
            _blocks(header["paper_blocks"], arrays, "paper"),
            _head(header, arrays, "related"),
            _head(header, arrays, "related_stack"),
            _head(header, arrays, "topic"),
            _blocks(header["mention_blocks"], arrays, "mention"),
            _head(header, arrays, "mention"),
            _head(header, arrays, "documented"),
            str(header["languages_from"]),
            dict(header.get("meta", {})),
        )


def _rules_version() -> str:
    """The rule annotator's version (rules.yaml's version and a fingerprint of its content)."""
    from langgap.survey.annotate import RuleAnnotator

    return RuleAnnotator().version


def missing_model(path: Path) -> ModelFileError:
    """The error for a model path with no file behind it, with the command that makes one."""
    return ModelFileError(
        f"{path}: no such model file. Fix: train one with `langgap survey learn GOLD.csv "
        f"--papers OUT/papers.csv --out {path}`."
    )


def paper_matrix(blocks: tuple[TfidfBlock, ...], papers: Sequence[Paper]) -> sp.csr_matrix:
    """The paper heads' feature rows."""
    return transform_all(blocks, [paper_text(p) for p in papers])


def stack_rows(related_decision: np.ndarray, rules: RuleView) -> np.ndarray:
    """The stacked related head's features: the text head's decision value, the rules' related
    decision."""
    return np.column_stack([related_decision, rules.related])


def topic_matrix(x: sp.csr_matrix, rules: RuleView) -> sp.csr_matrix:
    """The topic head's features: TF-IDF rows, then the rules' topic features."""
    return side_by_side([x, sp.csr_matrix(rules.topic * TOPIC_RULE_WEIGHT)])


def mention_matrix(blocks: tuple[TfidfBlock, ...], found: Sequence[Candidate]) -> sp.csr_matrix:
    """The mention head's feature rows: context words, then the dense facts."""
    return with_dense(transform_all(blocks, [c.context for c in found]), found)


def with_dense(words: sp.csr_matrix, found: Sequence[Candidate]) -> sp.csr_matrix:
    """Context-word rows followed by the mentions' dense facts."""
    return side_by_side([words, sp.csr_matrix(dense_matrix(list(found)))])


def documented_row(decisions: Sequence[MentionDecision]) -> list[float]:
    """The documented head's features (`DOCUMENTED_FEATURES` order)."""
    named = [d.studied for d in decisions if d.candidate.mention.kind in ("name", "code")]
    english = [d.studied for d in decisions if "eng" in d.candidate.mention.languages]
    return [
        max(named, default=0.0),
        float(any(p >= 0.5 for p in named)),
        float(any(p >= 0.5 for p in english)),
        math.log1p(len(decisions)),
    ]


def _blocks(
    specs: list[dict[str, Any]], arrays: dict[str, np.ndarray], name: str
) -> tuple[TfidfBlock, ...]:
    return tuple(
        TfidfBlock(
            TfidfSpec(**spec),
            tuple(str(v) for v in arrays[f"{name}.{i}.vocabulary"]),
            np.asarray(arrays[f"{name}.{i}.idf"], dtype=np.float64),
            frozenset(str(v) for v in arrays[f"{name}.{i}.stop_words"]),
        )
        for i, spec in enumerate(specs)
    )


def _head(header: dict[str, Any], arrays: dict[str, np.ndarray], name: str) -> LinearHead:
    info = header["heads"][name]
    return LinearHead(
        tuple(info["classes"]),
        np.asarray(arrays[f"{name}.coef"], dtype=np.float64),
        np.asarray(arrays[f"{name}.intercept"], dtype=np.float64),
        float(info["temperature"]),
    )


def packaged_model_path() -> Path:
    """The model trained on the packaged reference annotation."""
    return Path(str(files("langgap.survey.learned").joinpath(PACKAGED)))
