"""Language identification shared by the probes: one function over `py3langid` (model shipped).

>>> detect_language("Das ist ein kurzer deutscher Satz.")[0]
'deu'
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from typing import Any

from langgap.languages import counting_code

UNDETERMINED = "und"


@lru_cache(maxsize=1)
def _identifier() -> Any:
    # Loaded once: unpickling the model takes ~0.1 s, classifying a sentence microseconds.
    from py3langid.langid import (  # type: ignore[import-untyped]  # no stubs shipped
        MODEL_FILE,
        LanguageIdentifier,
    )

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, among: Collection[str] | None = None) -> tuple[str, float]:
    """The text's ISO 639-3 counting code (registry-normalised) and a confidence in [0, 1].

    With `among` (counting codes), the best of those languages, its probability renormalised
    over them: for telling apart the languages a code-switched text is known to mix.
    """
    if not any(ch.isalpha() for ch in text):
        return UNDETERMINED, 0.0
    if among is None:
        code, prob = _identifier().classify(text)
        return counting_code(str(code)), float(prob)
    wanted = set(among)
    ranked = [(counting_code(str(c)), float(p)) for c, p in _identifier().rank(text)]
    kept = [(c, p) for c, p in ranked if c in wanted]
    total = sum(p for _, p in kept)
    if not kept or total <= 0:
        return UNDETERMINED, 0.0
    code, prob = max(kept, key=lambda item: item[1])
    return code, prob / total


@lru_cache(maxsize=1)
def supported_languages() -> frozenset[str]:
    """ISO 639-3 codes the identifier knows (output in another language is unknown, not wrong)."""
    return frozenset(counting_code(str(code)) for code in _identifier().nb_classes)
