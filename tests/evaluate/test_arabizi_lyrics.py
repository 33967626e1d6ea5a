"""The Egyptian song-verse reader of the Arabizi benchmark (a hand-written fixture in the
kevduc/get-lyrics layout, never a copy of it) and the Egyptian conventions it checks."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

from langgap.evaluate.probes.arabizi import to_arabizi

DATA = Path(__file__).parents[1] / "data" / "lyrics_mini"
BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


def _corpora() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module("romanized_corpora")


def test_lyrics_reader_keeps_chat_transliterated_aligned_verses_of_the_split() -> None:
    corpora = _corpora()
    # dev: one chat-alphabet song; its repeated chorus, a verse whose word counts differ by
    # more than half and a Latin verse holding Arabic letters drop out; a song with fewer than
    # three chat digits and a scholarly transliteration are not read
    assert corpora.egyptian_lyrics(DATA, "dev") == [
        ("انا بحبك", "ana ba7ebak"),
        ("قلبي معاك", "2albi ma3ak"),
    ]
    assert corpora.egyptian_lyrics(DATA, "train") == [
        ("عايز اروح", "3ayez aro7"),
        ("مش عارف", "mesh 3aref"),
    ]
    with pytest.raises(ValueError, match="reserved"):
        corpora.egyptian_lyrics(DATA, "test")
    assert corpora.egyptian_lyrics(DATA, "test", checker=True) == []


def test_lyrics_reader_names_an_unreadable_file(tmp_path: Path) -> None:
    folder = tmp_path / "get-lyrics" / "data" / "data-lyrics"
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text("[1, 2", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"broken\.json: not a JSON object"):
        _corpora().egyptian_lyrics(tmp_path, "train")


def test_egyptian_variety_writes_cairene_conventions() -> None:
    # g for ج, 2 for ق, s for ث, el for the article, a for ة, vowels written as the
    # song-verse transliterations write them (issue 18)
    assert to_arabizi("جميل", "egyptian") == "gamil"
    assert to_arabizi("قلبي", "egyptian") == "2albi"
    assert to_arabizi("الولد", "egyptian") == "elwalad"
    assert to_arabizi("حلوة", "egyptian") == "7alwa"
    assert to_arabizi("ثلاثة", "egyptian") == "salasa"
    assert to_arabizi("حلوة", "levantine") != "7alwa"  # the Jordanian table writes ة otherwise
    # its function words as Cairene chat writes them; the other rule-based variety keeps rules
    assert to_arabizi("انا مش عارف", "egyptian") == "ana msh 3araf"
    assert to_arabizi("مش", "standard") == "mash"
