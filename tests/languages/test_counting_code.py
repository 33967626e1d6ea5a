"""The code a language is counted under: pinned on 1,181 names, codes and tags.

`tests/data/counting_codes.json` maps each input to [counting code, known to the registry]
(null: every old function raised). It was written from the four functions that did this job
before `counting_code()` (analyze's `canonical_language`, the response judge's `language_code`,
the LID probe's `_code` and thresholds' `canonical`), over every alias name and tag, every
phrase-list and py3langid code, the code/individual/tag/name of every language the mention
finder knows, and hand-picked odd inputs. All four agreed on every input (thresholds raising
for the unknown ones).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langgap.analyze.directions import canonical_language
from langgap.evaluate.judges.response import language_code
from langgap.evaluate.probes.lid import _code
from langgap.evaluate.thresholds import ThresholdError, canonical

PINNED: dict[str, list[str | bool] | None] = json.loads(
    (Path(__file__).parents[1] / "data" / "counting_codes.json").read_text(encoding="utf-8")
)


def test_pinned_table_is_wide() -> None:
    assert len(PINNED) > 1000
    assert {"eng", "English", "en-US", "Arabizi", "msa", "MSA", "Klingon", ""} <= set(PINNED)


def test_old_functions_give_the_pinned_codes() -> None:
    for query, expected in PINNED.items():
        if expected is None:
            for old in (canonical_language, language_code, _code):
                with pytest.raises(ValueError):
                    old(query)
            continue
        code, known = expected
        assert canonical_language(query) == code, query
        assert language_code(query) == code, query
        assert _code(query) == code, query
        if known:
            assert canonical(query) == code, query
        else:
            with pytest.raises(ThresholdError):
                canonical(query)
