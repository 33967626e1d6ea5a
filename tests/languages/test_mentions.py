"""find_mentions: names, native scripts, codes, datasets, claims and the false friends."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from langgap.languages import Mention, find_mentions, load_dataset_table


def langs(text: str, kind: str | None = None) -> list[str]:
    """All counting codes found, in order (optionally of one kind)."""
    return [c for m in find_mentions(text) if kind in (None, m.kind) for c in m.languages]


def names(text: str) -> list[str]:
    return [m.text for m in find_mentions(text) if m.kind == "name"]


def check_spans(mentions: list[Mention], text: str) -> None:
    for m in mentions:
        assert text[m.start : m.end] == m.text
    starts = [m.start for m in mentions]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in itertools.pairwise(mentions))


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We evaluate Bengali prompts.", ["ben"]),
        ("Prompts in Bangla and Kiswahili.", ["ben", "swa"]),
        ("Chinese-speaking users", ["zho"]),
        ("an Arabic-language corpus", ["ara"]),
        ("Egyptian Arabic and Darija posts", ["ara", "ara"]),
        ("Mandarin and Cantonese", ["zho", "zho"]),
        ("Hinglish tweets", ["hin", "eng"]),
        ("Taglish chats", ["tgl", "eng"]),
        ("Arabizi comments", ["ara"]),
        ("Swiss German dialects", ["gsw"]),
        ("American Sign Language videos", ["ase"]),
        ("Georgian and Turkish", ["kat", "tur"]),
        ("Javanese and Sundanese", ["jav", "sun"]),
        ("Farsi, Burmese, Odia and Sinhala", ["fas", "mya", "ori", "sin"]),
        ("Polish and Czech", ["pol", "ces"]),
        ("Latin and Greek texts", ["lat", "ell"]),
    ],
)
def test_names(text: str, expected: list[str]) -> None:
    assert langs(text) == expected


def test_hindi_english_code_mixed() -> None:
    found = find_mentions("Hindi–English code-mixed text")
    assert [m.kind for m in found] == ["name", "name", "claim"]
    assert langs("Hindi–English code-mixed text", "name") == ["hin", "eng"]


@pytest.mark.parametrize(
    ("text", "code"),
    [("বাংলা", "ben"), ("中文", "zho"), ("العربية", "ara"), ("हिन्दी", "hin"), ("हिंदी", "hin"),
     ("日本語", "jpn"), ("한국어", "kor"), ("Русский", "rus"), ("русский", "rus"),
     ("Ελληνικά", "ell"), ("我们用中文测试", "zho"), ("한국어로", "kor")],
)  # fmt: skip
def test_native_scripts(text: str, code: str) -> None:
    assert langs(text) == [code]


def test_lowercase_never_fires() -> None:
    assert langs("we polish the turkey and the english muffin with french fries") == []


# --- false friends (each must give no language) -------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The tool is written in Java.",
        "Java is an island; we code in Python.",
        "Researchers from Georgia Tech and Georgia State.",
        "Data collected in Turkey.",
        "We roast a turkey.",
        "we polish the outputs before release.",
        "Polish the draft before submission.",
        "Polish your prompts carefully.",
        "A Swiss bank and Swiss cheese.",
        "As Dr. English argued, safety matters.",
        "Robert French (2019) studied refusals.",
        "Mary English and colleagues.",
        "English et al. (2021) report gains.",
        "Prof. Chinese is a surname here.",
        "Users in Latin America.",
        "written in Latin script",
        "the Latin alphabet",
        "Latin-script inputs",
        "Arabic numerals are used.",
        "Roman numerals and Roman law.",
        "Indian users",
        "Sign up for the study.",
        "German measles outbreaks",
        "French fries and French toast",
        "Greek letters such as alpha",
        "Countries: France, Germany, China, Japan, India, Brazil.",
    ],
)
def test_false_friends(text: str) -> None:
    assert find_mentions(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We translate prompts into Polish and Czech.", ["pol", "ces"]),
        ("Polish prompts were harder.", ["pol"]),
        ("Polish, Czech and Slovak", ["pol", "ces", "slk"]),
        ("In English, refusals are common.", ["eng"]),
        ("Unlike English, Hindi is morphologically rich.", ["eng", "hin"]),
        ("Both French and German were tested.", ["fra", "deu"]),
        ("Javanese speakers on Java", ["jav"]),
        ("Georgian speakers in Georgia", ["kat"]),
        ("Turkish speakers in Turkey", ["tur"]),
        ("Latin texts", ["lat"]),
        ("Brazilian Portuguese and Canadian French", ["por", "fra"]),
        ("Safety in Swiss German", ["gsw"]),
    ],
)
def test_false_friend_words_used_correctly(text: str, expected: list[str]) -> None:
    assert langs(text) == expected


def test_title_case_titles_still_match() -> None:
    assert langs("Towards Safer Chinese LLMs: A Polish Benchmark") == ["zho", "pol"]


# --- codes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("translation en→zh", ["eng", "zho"]),
        ("the en-zh direction", ["eng", "zho"]),
        ("En-De results", ["eng", "deu"]),
        ("EN-DE results", ["eng", "deu"]),
        ("en->fr and zh⇒en", ["eng", "fra", "zho", "eng"]),
        ("en → ja", ["eng", "jpn"]),
        ("Bengali (bn)", ["ben", "ben"]),
        ("languages (en, zh, ar)", ["eng", "zho", "ara"]),
        ("codes {en, fr, de}", ["eng", "fra", "deu"]),
        ("CJK zh/ja/ko", ["zho", "jpn", "kor"]),
        ("data in pt-BR", ["por"]),
        ("Italian (it)", ["ita", "ita"]),
    ],
)
def test_codes_in_safe_contexts(text: str, expected: list[str]) -> None:
    assert langs(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "it is no use as we go to an am my he hi so id me us",
        "used as-is with hi-fi so-so audio",
        "it (it) is (no) problem",
        "he/she and is/as",
        "the (ML) model",
        "(see, and)",
    ],
)
def test_bare_words_are_not_codes(text: str) -> None:
    assert langs(text, "code") == []


# --- datasets --------------------------------------------------------------------------------


def test_datasets() -> None:
    text = "We use MultiJail, XSafety, FLORES-200 and TyDi QA, plus AdvBench."
    found = [m for m in find_mentions(text) if m.kind == "dataset"]
    assert [m.source for m in found] == [
        "MultiJail",
        "XSafety",
        "FLORES-200",
        "TyDi QA",
        "AdvBench",
    ]
    multijail = found[0]
    assert multijail.languages == (
        "eng", "zho", "ita", "vie", "ara", "kor", "tha", "ben", "swa", "jav",
    )  # fmt: skip
    assert found[2].count == 200 and found[2].languages == ()
    assert found[4].languages == ("eng",)
    check_spans(found, text)


def test_dataset_table_contents() -> None:
    table = {d.name: d for d in load_dataset_table()}
    assert len(table["XNLI"].languages) == 15
    assert table["CSRT"].languages == table["MultiJail"].languages
    assert table["CValues"].languages == ("zho",)
    assert table["SafetyBench"].languages == ("eng", "zho")
    assert "yor" in table["PolyRefuse"].languages


def test_dataset_table_extension(tmp_path: Path) -> None:
    extra = tmp_path / "mine.yaml"
    extra.write_text("- name: NusaX\n  names: [NusaX]\n  languages: [id, jv, su, ace]\n")
    table = load_dataset_table(extra_path=extra)
    nusax = next(d for d in table if d.name == "NusaX")
    assert nusax.languages == ("ind", "jav", "sun", "ace")
    found = find_mentions("Results on NusaX.", datasets=table)
    assert found[0].source == "NusaX" and found[0].count == 4
    assert find_mentions("Results on NusaX.") == []  # the default table is untouched


def test_dataset_table_bad_entry(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: Broken\n  languages: [Klingonnn]\n")
    with pytest.raises(ValueError, match=r"bad\.yaml.*Broken"):
        load_dataset_table(extra_path=bad)


# --- claims ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "count", "span"),
    [
        ("results across 30 languages", 30, "30 languages"),
        ("available in 12 languages", 12, "12 languages"),
        ("covers 100+ languages", 100, "100+ languages"),
        ("over fifty languages", 50, "fifty languages"),
        ("20 Indian languages", 20, "20 Indian languages"),
        ("ten languages", 10, "ten languages"),
        ("twenty-five typologically diverse languages", 25,
         "twenty-five typologically diverse languages"),
        ("1,000 languages", 1000, "1,000 languages"),
    ],
)  # fmt: skip
def test_counted_claims(text: str, count: int, span: str) -> None:
    (m,) = find_mentions(text)
    assert (m.kind, m.count, m.text, m.languages) == ("claim", count, span, ())


@pytest.mark.parametrize(
    "text",
    ["multilingual", "Multilingual", "cross-lingual", "crosslingual", "Cross-Lingual",
     "low-resource languages", "non-English languages", "code-switching", "code-mixed",
     "Code-Switched"],
)  # fmt: skip
def test_signal_claims(text: str) -> None:
    (m,) = find_mentions(f"A {text} study.")
    assert (m.kind, m.count, m.text) == ("claim", None, text)


def test_no_claim_for_one_language_or_bare_word() -> None:
    assert find_mentions("one language") == []
    assert find_mentions("programming languages are fun") == []


def test_non_english_is_not_english() -> None:
    assert langs("non-English languages and non-English speakers") == []


# --- whole abstract --------------------------------------------------------------------------

ABSTRACT = (
    "Large language models are evaluated mostly in English. We introduce a multilingual "
    "benchmark covering 12 languages, including Bengali, Kiswahili and Javanese, with "
    "code-switched Hindi–English prompts. Building on MultiJail and XSafety, we translate "
    "AdvBench prompts (en→bn, en→sw) and find unsafe rates triple in low-resource languages. "
    "Native prompts (বাংলা, 中文) confirm it. Smith et al. and Dr. English disagree."
)


def test_abstract_spans_and_order() -> None:
    found = find_mentions(ABSTRACT)
    check_spans(found, ABSTRACT)
    kinds = {m.kind for m in found}
    assert kinds == {"name", "code", "dataset", "claim"}
    named = {c for m in found if m.kind == "name" for c in m.languages}
    assert named == {"eng", "ben", "swa", "jav", "hin", "zho"}
    assert sum(1 for m in found if m.text == "English") == 2  # "Dr. English" is not one


def test_empty_text() -> None:
    assert find_mentions("") == []


@pytest.mark.parametrize(
    "text",
    [
        "We make three contributions: (i) a corpus, (ii) a model and (vi) a study.",
        "NL-PL applications such as code search.",
        "More data helps. More is better.",
    ],
)
def test_anthology_false_positives_stay_out(text: str) -> None:
    """Found by running the finder over every 2020–2025 Anthology abstract."""
    assert find_mentions(text) == []


def test_bracketed_pair_is_two_languages() -> None:
    (mention,) = find_mentions("into another language (en-de) with cascades")
    assert mention.languages == ("eng", "deu")
    (locale,) = find_mentions("Portuguese data (pt-br)")[1:]
    assert locale.languages == ("por",)


@pytest.mark.parametrize(
    ("text", "contrast"),
    [
        ("Unlike English, Maltese has little safety data.", True),
        ("Most guardrail datasets are largely collected in English.", True),
        ("Prior red-teaming focused mainly on English prompts.", True),
        ("English-centric refusal training leaves Lao speakers exposed.", True),
        ("Other than English, no language has a toxicity benchmark.", True),
        ("We build Somali data from an English corpus of harmful questions.", True),
        ("We study English and Somali jailbreak prompts.", False),
        ("Refusals drop more in Somali than in English.", False),  # a measured comparison
        ("The English prompts were translated into Somali.", False),
    ],
)
def test_english_contrast_mentions(text: str, contrast: bool) -> None:
    english = [m for m in find_mentions(text) if m.languages == ("eng",)]
    assert english and all(m.contrast is contrast for m in english)
    others = [m for m in find_mentions(text) if m.languages != ("eng",)]
    assert not any(m.contrast for m in others)  # only English is ever a contrast


def test_contrast_doctests() -> None:
    import doctest

    from langgap.languages import mentions

    result = doctest.testmod(mentions)
    assert result.attempted >= 2 and result.failed == 0
