"""Registry: aliases, codes, macrolanguage counting, scripts, autonyms, unknown names."""

from __future__ import annotations

import pytest

from langgap.languages import (
    Language,
    UnknownLanguageError,
    known_languages,
    lookup,
    lookup_code,
    suggest,
    try_lookup,
)


@pytest.mark.parametrize(
    ("query", "code", "individual", "tag"),
    [
        ("Bangla", "ben", "ben", "bn"),
        ("bengali", "ben", "ben", "bn"),
        ("বাংলা", "ben", "ben", "bn"),
        ("Mandarin", "zho", "cmn", "cmn"),
        ("Cantonese", "zho", "yue", "yue"),
        ("Chinese", "zho", "zho", "zh"),
        ("Farsi", "fas", "fas", "fa"),
        ("Kiswahili", "swa", "swa", "sw"),
        ("Darija", "ara", "ary", "ary"),
        ("Arabizi", "ara", "ara", "ar-Latn"),
        ("Levantine", "ara", "apc", "apc"),
        ("Egyptian Arabic", "ara", "arz", "arz"),
        ("Gulf Arabic", "ara", "afb", "afb"),
        ("Hinglish", "hin", "hin", "hi-Latn"),
        ("Romanised Hindi", "hin", "hin", "hi-Latn"),
        ("romanized hindi", "hin", "hin", "hi-Latn"),
        ("Taglish", "tgl", "fil", "fil"),
        ("Filipino", "tgl", "fil", "fil"),
        ("Bahasa", "ind", "ind", "id"),
        ("Bahasa Indonesia", "ind", "ind", "id"),
        ("Burmese", "mya", "mya", "my"),
        ("Myanmar", "mya", "mya", "my"),
        ("Oriya", "ori", "ori", "or"),
        ("Odia", "ori", "ori", "or"),
        ("Sinhalese", "sin", "sin", "si"),
        ("Sinhala", "sin", "sin", "si"),
        ("Flemish", "nld", "nld", "nl-BE"),
        ("Tamazight", "tzm", "tzm", "tzm"),
        ("Swiss German", "gsw", "gsw", "gsw"),
        ("American Sign Language", "ase", "ase", "ase"),
    ],
)
def test_names_and_aliases(query: str, code: str, individual: str, tag: str) -> None:
    lang = lookup(query)
    assert (lang.code, lang.individual, lang.tag) == (code, individual, tag)


@pytest.mark.parametrize(
    ("query", "code", "tag"),
    [
        ("bn", "ben", "bn"),
        ("BN", "ben", "bn"),
        ("ben", "ben", "bn"),
        ("zh-CN", "zho", "zh"),
        ("zh-TW", "zho", "zh-Hant"),
        ("zh_Hant", "zho", "zh-Hant"),
        ("ar-Latn", "ara", "ar-Latn"),
        ("hi_Latn", "hin", "hi-Latn"),
        ("HI-latn", "hin", "hi-Latn"),
        ("sr-Cyrl", "srp", "sr-Cyrl"),
        ("sr-Latn", "srp", "sr-Latn"),
        ("eng", "eng", "en"),
        ("en-GB", "eng", "en"),
        ("pt_BR", "por", "pt"),
    ],
)
def test_codes(query: str, code: str, tag: str) -> None:
    lang = lookup(query)
    assert (lang.code, lang.tag) == (code, tag)


@pytest.mark.parametrize(
    ("individual", "macro"),
    [("cmn", "zho"), ("yue", "zho"), ("arb", "ara"), ("ary", "ara"), ("arz", "ara"),
     ("apc", "ara"), ("zsm", "msa"), ("pes", "fas"), ("swh", "swa"), ("nb", "nor")],
)  # fmt: skip
def test_macrolanguage_counting(individual: str, macro: str) -> None:
    lang = lookup(individual)
    assert lang.code == macro
    assert lang.individual == (individual if len(individual) == 3 else lang.individual)


def test_indonesian_and_croatian_are_not_folded_into_macrolanguages() -> None:
    assert lookup("Indonesian").code == "ind"
    assert lookup("Malay").code == "msa"
    assert lookup("Croatian").code == "hrv"
    assert lookup("Serbian").code == "srp"


def test_mixed_varieties_have_components() -> None:
    assert lookup("Hinglish").components == ("hin", "eng")
    assert lookup("Hinglish").counted == ("hin", "eng")
    assert lookup("Taglish").components == ("tgl", "eng")
    assert lookup("Hindi").counted == ("hin",)
    assert "Arabizi" in lookup("Arabizi").note


def test_scripts_and_autonyms() -> None:
    assert lookup("Bengali").scripts == ("Beng",)
    assert lookup("Bengali").name == "Bengali"
    assert lookup("Bengali").autonym == "বাংলা"
    assert lookup("Japanese").autonym == "日本語"
    assert lookup("Russian").scripts == ("Cyrl",)
    assert set(lookup("sr").scripts) == {"Cyrl", "Latn"}
    assert lookup("Chinese").scripts[0] == "Hans"
    assert lookup("Hinglish").scripts == ("Latn",)
    assert lookup("Gulf Arabic").scripts == ("Arab",)  # CLDR lacks afb; taken from ara


def test_language_is_hashable_and_frozen() -> None:
    lang = lookup("bn")
    assert lang == lookup("Bangla")
    assert len({lang, lookup("Bengali")}) == 1
    with pytest.raises(AttributeError):
        lang.code = "xxx"  # type: ignore[misc]


def test_unknown_raises_with_suggestions() -> None:
    with pytest.raises(UnknownLanguageError) as info:
        lookup("Bengalli")
    assert info.value.query == "Bengalli"
    assert info.value.suggestions[0] == "Bengali"
    assert "Bengali" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("query", ["Java", "Python", "Georgia", "Turkey", "", "xx-yy-zz", "Swiss"])
def test_false_friends_and_junk_are_unknown(query: str) -> None:
    assert try_lookup(query) is None


def test_suggest() -> None:
    assert "Bengali" in suggest("Bengalli")
    assert "Swahili" in suggest("Swahilli", limit=3)
    assert len(suggest("Swahilli", limit=2)) <= 2


def test_lookup_code_only_takes_codes() -> None:
    assert lookup_code("bn") == lookup("Bengali")
    assert lookup_code("Bengali") is None
    assert lookup_code("qq") is None


def test_known_languages() -> None:
    langs = known_languages()
    assert all(isinstance(lang, Language) for lang in langs)
    codes = {lang.code for lang in langs}
    assert {"eng", "ben", "zho", "ara", "swa", "jav", "hin", "yor", "tgl"} <= codes
    assert len(codes) > 300


def test_lower_case_code_beats_acronym_alias() -> None:
    assert lookup("msa").code == "msa" and lookup("msa").name == "Malay"
    assert lookup("MSA").name == "Modern Standard Arabic"
