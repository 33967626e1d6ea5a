"""Romanisation fixes: Malayalam chillu letters, zero-width joiners, the fast Brahmic converter."""

from __future__ import annotations

import random

import pytest
from inspect_ai.dataset import Sample

from langgap.evaluate.probes import get_probe
from langgap.evaluate.probes._brahmic import to_roman
from langgap.evaluate.probes.base import params_digest, variant_sample
from langgap.evaluate.probes.transliterate import INDIC, RANGES, romanize
from langgap.evaluate.samples import SampleMeta

SCHEMES = ("chat", "iso", "iast")
# Atomic chillu letters (Unicode 5.1+) and the older consonant + virama + ZWJ spelling of the
# same words, with the romanisation each scheme gives.
CHILLU = [
    ("അവൻ", "അവന്\u200d", {"chat": "avan", "iso": "avan", "iast": "avan"}),
    ("അവർ", "അവര്\u200d", {"chat": "avar", "iso": "avar", "iast": "avar"}),
    ("കേരളത്തിൽ", "കേരളത്തില്\u200d",
     {"chat": "keralattil", "iso": "kēraḷattil", "iast": "keraḻattil"}),
    ("അവൾ", "അവള്\u200d", {"chat": "aval", "iso": "avaḷ", "iast": "avaḻ"}),
    ("കൺ", "കണ്\u200d", {"chat": "kan", "iso": "kaṇ", "iast": "kaṇ"}),
]  # fmt: skip


@pytest.mark.parametrize(("atomic", "joined", "expected"), CHILLU)
def test_malayalam_chillu_in_every_scheme(
    atomic: str, joined: str, expected: dict[str, str]
) -> None:
    for scheme in SCHEMES:
        assert romanize(atomic, "ml", scheme=scheme) == expected[scheme]
        assert romanize(joined, "ml", scheme=scheme) == expected[scheme]


# Words whose usual spelling holds a zero-width joiner or non-joiner.
JOINED = [
    ("si", "ශ්\u200dරී ලංකාව"),  # Sinhala rakaransaya
    ("kn", "ಕನ್ನಡ\u200cದ"),
    ("ml", "വാക്\u200c"),
    ("bn", "র\u200d্যাব"),  # Bengali ra-phala with ZWJ
    ("hi", "क्\u200dष"),
    ("fa", "می\u200cخواهم"),
]


@pytest.mark.parametrize(("lang", "text"), JOINED)
def test_no_zero_width_joiner_in_any_output(lang: str, text: str) -> None:
    for scheme in SCHEMES:
        out = romanize(text, lang, scheme=scheme)
        assert "\u200c" not in out and "\u200d" not in out and out.strip()
    assert romanize("ශ්\u200dරී", "si") == romanize("ශ්රී", "si")
    assert romanize("র\u200d্যাব", "bn") == romanize("র্যাব", "bn")


def test_fast_brahmic_converter_matches_the_library() -> None:
    sanscript = pytest.importorskip("indic_transliteration.sanscript")
    rng = random.Random(7)
    for script, name in INDIC.items():
        if script == "Taml":  # converted through Devanagari code points
            continue
        base = ord(RANGES[script][0])
        letters = [chr(c) for c in range(base, base + 0x80)] + ["।", " ", "a"]
        for _ in range(150):
            word = "".join(rng.choice(letters) for _ in range(rng.randint(1, 8)))
            for target, scheme in (("iso", sanscript.ISO), ("iast", sanscript.IAST)):
                assert to_roman(word, name, target) == sanscript.transliterate(
                    word, getattr(sanscript, name), scheme
                ), (script, word)


def test_korean_double_final_at_word_end_does_not_crash() -> None:
    # korean-romanizer has no entry for ㄶ with nothing after it (its KeyError used to escape)
    out = romanize("않 안녕하세요", "ko")
    assert out.isascii() and out.endswith("annyeonghaseyo")


def test_variant_ids_unchanged_by_the_shared_digest() -> None:
    meta = SampleMeta(benchmark="toy", language="hin", language_tag="hi", pair_id="p1")
    original = Sample(input="नमस्ते", id="toy:p1:hi", metadata=meta.as_metadata())
    params = {"scheme": "chat", "seed": 0}
    one = variant_sample(original, "namaste", variant="v", params=params)
    two = variant_sample(
        original, "namaste", variant="v", params=params, digest=params_digest(params)
    )
    assert one.id == two.id == f"toy:p1:hi:v:{params_digest(params)}"
    assert one.metadata == two.metadata and (one.metadata or {})["variant"] == "v"
    out, _ = get_probe("translit-latn").apply([original], seed=0)
    assert str(out[0].id).startswith("toy:p1:hi:translit-latn:")
