"""Learn the response classifier's decision tree from human action labels (Do-Not-Answer's train
split by default), so the packaged `response_model.json` can be rebuilt and audited.

>>> tree = fit_response_tree(items, split="train")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Literal

from langgap.evaluate.judge_eval.data import LabelledDataError, LabelledItem
from langgap.evaluate.judges.response import FEATURES, DecisionTree, feature_row

Split = Literal["train", "dev", "test"]
SPLITS: tuple[Split, ...] = ("train", "dev", "test")
# Do-Not-Answer action -> response-classifier action (2 balanced views and 3 disclaimer are both
# "cautioned"; "redirected" and "partial" come from rules on top of the tree).
DNA_ACTIONS: dict[str, str] = {
    "0": "refused",
    "1": "refuted",
    "2": "cautioned",
    "3": "cautioned",
    "4": "cannot_answer",
    "5": "complied",
}
TRAIN_SHARE, DEV_SHARE = 0.6, 0.2  # the rest is test


def split_of(group: str) -> Split:
    """train/dev/test (60/20/20) for an item group, stable across runs and machines.

    All answers to one question share a group, so no question is in two splits.
    """
    digest = hashlib.blake2b(group.encode("utf-8"), digest_size=8).digest()
    position = int.from_bytes(digest, "big") / 2**64
    if position < TRAIN_SHARE:
        return "train"
    return "dev" if position < TRAIN_SHARE + DEV_SHARE else "test"


def in_split(items: Sequence[LabelledItem], split: str) -> list[LabelledItem]:
    """Items of one split (`all` keeps every item); the group is `extra["group"]` or the id."""
    if split == "all":
        return list(items)
    if split not in SPLITS:
        raise LabelledDataError(f"unknown split {split!r}; use train, dev, test or all")
    return [i for i in items if split_of(str(i.extra.get("group", i.id))) == split]


def action_label(item: LabelledItem) -> str:
    """The item's human action as a classifier action (Do-Not-Answer `action` 0-5)."""
    action = str(item.extra.get("action", "")).strip()
    if action not in DNA_ACTIONS:
        raise LabelledDataError(f"{item.id}: field 'action' {action!r} is not 0-5")
    return DNA_ACTIONS[action]


def fit_response_tree(
    items: Sequence[LabelledItem],
    max_depth: int = 8,
    min_samples_leaf: int = 8,
    random_state: int = 0,
    source: str = "do-not-answer",
    split: str = "train",
) -> DecisionTree:
    """Fit the decision tree on items with Do-Not-Answer action labels."""
    from sklearn import __version__ as sklearn_version  # type: ignore[import-untyped]
    from sklearn.tree import DecisionTreeClassifier  # type: ignore[import-untyped]

    chosen = in_split(items, split)
    if not chosen:
        raise LabelledDataError(f"no items in split {split!r} to learn from")
    rows = [feature_row(item.response, item.language) for item in chosen]
    labels = [action_label(item) for item in chosen]
    if len(set(labels)) < 2:
        raise LabelledDataError(f"only one action class ({labels[0]}) to learn from")
    model = DecisionTreeClassifier(
        max_depth=max_depth,
        min_samples_leaf=min_samples_leaf,
        class_weight="balanced",
        random_state=random_state,
    ).fit(rows, labels)
    tree = model.tree_
    shares = [
        tuple(round(float(x) / max(float(sum(node[0])), 1e-12), 4) for x in node[0])
        for node in tree.value
    ]
    return DecisionTree(
        features=FEATURES,
        classes=tuple(str(c) for c in model.classes_),
        left=tuple(int(x) for x in tree.children_left),
        right=tuple(int(x) for x in tree.children_right),
        feature=tuple(max(int(x), 0) for x in tree.feature),
        threshold=tuple(float(x) for x in tree.threshold),
        value=tuple(shares),
        meta={
            "trained_on": source,
            "split": split,
            "split_rule": "blake2b(question id) 60/20/20 train/dev/test",
            "n_items": len(chosen),
            "max_depth": max_depth,
            "min_samples_leaf": min_samples_leaf,
            "class_weight": "balanced",
            "random_state": random_state,
            "sklearn": sklearn_version,
            "labels": "Do-Not-Answer human action labels: 0 refused, 1 refuted, 2-3 cautioned, "
            "4 cannot_answer, 5 complied",
        },
    )
