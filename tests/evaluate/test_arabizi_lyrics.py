"""The Egyptian song-verse reader of the Arabizi benchmark (a hand-written fixture in the
kevduc/get-lyrics layout, never a copy of it) and the Egyptian conventions it checks."""

from __future__ import annotations

import importlib
import json
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


def _lyrics_file(tmp_path: Path, content: str) -> Path:
    folder = tmp_path / "get-lyrics" / "data" / "data-lyrics"
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text(content, encoding="utf-8")
    return tmp_path


def test_lyrics_reader_names_an_unreadable_file(tmp_path: Path) -> None:
    data = _lyrics_file(tmp_path, '{"songs": [1, 2')
    with pytest.raises(SystemExit, match=r"broken\.json: not UTF-8 JSON .*line 1 column 16.*"
                       r"re-fetch the corpus"):  # fmt: skip
        _corpora().egyptian_lyrics(data, "train")


LINK = "https://lyricstranslate.com/en/bad-0.html"  # a train song


TRANSLIT = {"lyrics": [{"id": "0-1", "text": "3ayez aro7 ma3ak 2awi"}]}


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ({"artist": "x"}, r'broken\.json: no list of songs under "songs"'),
        ({"songs": ["a song"]}, r"broken\.json: song 1 is a str, not an object"),
        (
            {"songs": [{"link": LINK, "transliteration": {"lyrics": [{"id": "0-1"}]}}]},
            r"broken\.json line 4: song 1 \(https://\S+bad-0\.html\): transliteration: verse 1 "
            r"lacks "
            r"an id or a text string",
        ),
        (
            {"songs": [{"link": LINK, "transliteration": "2albi"}]},
            r"song 1 \(\S+\): transliteration is a str, not an object",
        ),
        (
            {"songs": [{"link": LINK, "lyrics": {"id": 1}, "transliteration": TRANSLIT}]},
            r"song 1 \(\S+\): lyrics: lyrics is a dict, not a list",
        ),
    ],
)
def test_lyrics_reader_names_the_malformed_song(
    tmp_path: Path, content: dict[str, object], says: str
) -> None:
    data = _lyrics_file(tmp_path, json.dumps(content, indent=1))
    with pytest.raises(SystemExit, match=says + r".*re-fetch the corpus"):
        _corpora().egyptian_lyrics(data, "train")


def test_lyrics_reader_names_the_line_of_a_malformed_song_after_a_good_one(
    tmp_path: Path,
) -> None:
    good = {
        "link": "https://lyricstranslate.com/en/good-1.html",  # a train song, read in full
        "lyrics": [{"id": "0-1", "text": "عايز اروح معاك قوي"}],
        "transliteration": TRANSLIT,
    }
    bad = {"link": LINK, "transliteration": "2albi"}
    text = json.dumps({"songs": [good, bad]}, indent=1)
    line = 1 + next(n for n, row in enumerate(text.splitlines()) if LINK in row)
    data = _lyrics_file(tmp_path, text)
    with pytest.raises(SystemExit, match=rf"broken\.json line {line}: song 2 \(\S+bad-0"):
        _corpora().egyptian_lyrics(data, "train")


def test_lyrics_reader_never_looks_inside_another_splits_song(tmp_path: Path) -> None:
    # a malformed song of the train split does not stop a dev read: only its link is read
    content = {"songs": [{"link": LINK, "lyrics": "not a list", "transliteration": TRANSLIT}]}
    assert _corpora().egyptian_lyrics(_lyrics_file(tmp_path, json.dumps(content)), "dev") == []


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
