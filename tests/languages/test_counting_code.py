"""The code a language is counted under: `counting_code()`, pinned on 1,181 names, codes, tags.

`tests/data/counting_codes.json` maps each input to [counting code, known to the registry]
(null: every old function raised). It was written from the four functions that did this job
before `counting_code()` replaced them (analyze's `canonical_language`, the response judge's
`language_code`, the LID probe's `_code` and thresholds' `canonical`), over every alias name and
tag, every phrase-list and py3langid code, the code/individual/tag/name of every language the
mention finder knows, and hand-picked odd inputs. All four agreed on every input (thresholds
raising for the unknown ones); the one null, "und", raised by mistake and is now unknown.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langgap.evaluate.judges.response import language_code, load_phrase_lists
from langgap.evaluate.thresholds import ThresholdError, canonical
from langgap.languages import UnknownLanguageError, counting_code, try_lookup

PINNED: dict[str, list[str | bool] | None] = json.loads(
    (Path(__file__).parents[1] / "data" / "counting_codes.json").read_text(encoding="utf-8")
)


def test_pinned_table_is_wide() -> None:
    assert len(PINNED) > 1000
    assert {"eng", "English", "en-US", "Arabizi", "msa", "MSA", "Klingon", ""} <= set(PINNED)


def test_counting_code_gives_the_pinned_codes() -> None:
    for query, expected in PINNED.items():
        if expected is None:
            continue
        code, known = expected
        assert counting_code(query) == code, query
        assert (try_lookup(query) is not None) == known, query
        if known:
            assert counting_code(query, strict=True) == code, query


def test_und_was_an_error_and_is_now_unknown() -> None:
    assert [q for q, expected in PINNED.items() if expected is None] == ["und"]
    assert counting_code("und") == "und"
    with pytest.raises(UnknownLanguageError):
        counting_code("und", strict=True)


def test_unknown_strict_suggests_close_names() -> None:
    with pytest.raises(UnknownLanguageError, match="did you mean"):
        counting_code("Englsh", strict=True)
    assert counting_code("ara/arabizi") == "ara/arabizi"  # a probe variant key stays itself


def test_callers_agree_with_counting_code() -> None:
    for query in ("English", "en-US", "Bangla", "MSA", "msa", "cmn", "Klingon"):
        assert language_code(query) == counting_code(query)
    assert language_code(None) is None
    assert canonical("Mandarin") == "zho"
    with pytest.raises(ThresholdError, match="threshold for unknown language 'Englsh'"):
        canonical("Englsh")


def test_phrase_lists_are_keyed_by_counting_codes() -> None:
    # the response judge once passed phrase-list codes through unread, in case the registry
    # misread one ("msa"); now every key must already be its own counting code
    for code in load_phrase_lists():
        assert counting_code(code) == code, code
