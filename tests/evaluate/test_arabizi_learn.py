"""The Arabizi rewrite-table learner, on a toy set of pairs written for these tests
(tests/data/arabizi_pairs.tsv), and the shipped tables' provenance."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from langgap.evaluate.probes.arabizi import varieties
from langgap.evaluate.probes.arabizi_learn import (
    _seed_score,
    align,
    learn_table,
    normalise_arabic,
    normalise_latin,
    spell,
)

PAIRS = Path(__file__).parents[1] / "data" / "arabizi_pairs.tsv"


def _pairs() -> list[tuple[str, str, int]]:
    rows = [line.split("\t") for line in PAIRS.read_text("utf-8").splitlines()]
    return [(a, z, int(n)) for a, z, n in (r for r in rows if len(r) == 3)]


@pytest.fixture(scope="module")
def table() -> dict[str, Any]:
    return learn_table(_pairs(), lexicon_size=0)


def test_align_splits_latin_per_letter() -> None:
    assert align("كتاب", "ktab", _seed_score) == ["k", "t", "a", "b"]
    assert align("عليكم", "3likom", _seed_score) == ["3", "l", "i", "ko", "m"]
    assert align("كتب", "", _seed_score) == ["", "", ""]  # every letter dropped, still aligned


def test_normalisers() -> None:
    assert normalise_arabic("عَرَبِيّ") == "عربيّ"  # harakat dropped, shadda kept
    assert normalise_latin("Ad3ooo") == "ad3o"  # emphasis runs are not spelling


def test_learned_letters_leave_clusters(table: dict[str, Any]) -> None:
    # No vowel is inserted where the writers wrote none: "3lik", not "3alik".
    assert spell("عليك", table) == "3lik"
    assert spell("كتب", table).startswith("kt")
    assert table["letters"]["ق"] == "9"  # learned, not the seed's first choice (q)


def test_no_final_ah_for_ha(table: dict[str, Any]) -> None:
    assert spell("فيه", table) == "fih"
    assert spell("ليه", table).endswith("ih")  # unseen word, same context


def test_lexicon_and_lexicon_only() -> None:
    french = [("ميرسي", "merci", 2)]
    learned = learn_table(_pairs(), lexicon_min=2, lexicon_only=french)
    assert learned["words"]["ميرسي"] == "merci"
    assert "ميرسي" not in "".join(learned["lcr"])  # French letters shape no letter rule
    assert all(spell(a, learned) != learned["words"][a] for a in learned["words"])


def test_overrides_keep_vowels(table: dict[str, Any]) -> None:
    assert spell("قال", table) == "9al"
    assert spell("قال", table, {"ق": "8"}) == "8al"
    assert spell("قلب", table, {"ق": "2"}).startswith("2")


def test_nothing_to_learn() -> None:
    with pytest.raises(ValueError, match="no usable"):
        learn_table([("hello", "hello", 1)])


def test_shipped_tables_name_their_source() -> None:
    folder = files("langgap.evaluate.probes").joinpath("arabizi_tables")
    card = folder.joinpath("MODEL_CARD.md").read_text("utf-8")
    learned = {"algerian", "moroccan", "tunisian", "levantine"}
    assert learned <= set(varieties())
    for name in learned:
        data = json.loads(folder.joinpath(f"{name}.json").read_text("utf-8"))
        source = data["source"]
        assert re.fullmatch("[0-9a-f]{40}", source["commit"]), name
        assert source["licence"] and source["split"] == "train only"
        assert source["repository"].split("github.com/")[1] in card
        assert len(data["letters"]) >= 28 and data["pairs"] > 1000
