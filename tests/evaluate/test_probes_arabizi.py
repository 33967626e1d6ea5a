"""Arabizi probe: known chat spellings, varieties, harakat, mixed text and the probe contract.

Expected spellings are everyday greetings whose Arabizi forms are attested in the sources cited in
arabizi.yaml (Wikipedia "Arabic chat alphabet"; Darwish 2014; Yaghan 2008).
"""

from __future__ import annotations

import pytest
from inspect_ai.dataset import Sample

from langgap.evaluate.benchmarks import LoadReport
from langgap.evaluate.probes import ProbeError, get_probe
from langgap.evaluate.probes.arabizi import to_arabizi, varieties
from langgap.evaluate.samples import SampleMeta
from langgap.languages import lookup

KNOWN = [
    ("مرحبا", "mar7aba"),  # hello
    ("حبيبي", "7abibi"),  # my dear
    ("سلام", "salam"),  # peace / hi
    ("يلّا", "yalla"),  # come on (shadda doubles the l)
    ("على", "3ala"),  # on
    ("أنا", "ana"),  # I
    ("كيفك", "kifak"),  # how are you (Levantine)
    ("أهلاً", "ahlan"),  # welcome (tanwin)
    ("الله", "allah"),
    ("عَرَبِي", "3arabi"),  # fully vocalised: harakat win over the heuristic
]


@pytest.mark.parametrize(("arabic", "arabizi"), KNOWN)
def test_known_spellings(arabic: str, arabizi: str) -> None:
    assert to_arabizi(arabic) == arabizi


def test_varieties() -> None:
    assert {"standard", "egyptian", "levantine", "gulf"} <= set(varieties())
    assert {"algerian", "moroccan", "tunisian"} <= set(varieties())
    assert to_arabizi("جميل", "standard") == "jamil"
    assert to_arabizi("جميل", "egyptian").startswith("g")  # ج is g in Cairo
    assert to_arabizi("قلب", "egyptian").startswith("2")  # ق is a glottal stop
    assert to_arabizi("قلب", "levantine-9").startswith("9")
    assert to_arabizi("صباح", "gulf") == "9ba7"  # 9 = ص in the Gulf
    assert to_arabizi("صباح", "standard") == "saba7"
    assert to_arabizi("خليج", "gulf").startswith("5")


def test_levantine_digits() -> None:
    """The Jordanian-learned table writes 8 = ق, 9 = ص, 6 = ط and $ = ش, as its data does."""
    assert to_arabizi("قلبي", "levantine").startswith("8")
    assert to_arabizi("صباح", "levantine").startswith("9")
    assert to_arabizi("طيب", "levantine").startswith("6")
    assert "$" in to_arabizi("ماشي", "levantine")


def test_maghrebi_french_style() -> None:
    """ch for ش, kh for خ, ou for و, el for the article; 9 = ق in Morocco and Tunisia."""
    assert to_arabizi("شكون", "algerian") == "chkoun"
    assert to_arabizi("خويا", "algerian").startswith("kh")
    # el is the article's most frequent spelling in NArabizi and TArC train (al next).
    assert to_arabizi("الكتاب", "algerian").startswith("el")
    assert to_arabizi("الحب", "tunisian") == "el7ab"
    assert to_arabizi("الدار", "algerian") == "edar"  # sun letter: the l assimilates
    assert to_arabizi("قلبي", "moroccan").startswith("9")
    assert to_arabizi("قلبي", "tunisian").startswith("9")


@pytest.mark.parametrize("variety", ["algerian", "moroccan", "tunisian", "levantine"])
def test_learned_vowels(variety: str) -> None:
    """Clusters are left as chat writers leave them, and no -ah is added for a final ه."""
    assert to_arabizi("عليكم", variety)[:3] in ("3li", "3al")  # ع spelled, never dropped
    assert to_arabizi("ظهر", variety)[:1] not in ("", "h", "a")  # ظ spelled (not "har")
    assert to_arabizi("عليكم", "moroccan").startswith("3l")
    assert to_arabizi("فيه", variety).endswith("h")
    assert not to_arabizi("فيه", variety).endswith("ah")
    out = to_arabizi("كيف حالك يا صاحبي، الله يحفظك", variety)
    assert not any("\u0600" <= c <= "\u06ff" for c in out) and "," in out


def test_algerian_pronoun_suffix_is_written_as_said() -> None:
    # NArabizi writes the suffix as said (عندو: 3andou x8); MSA's عنده must not become 3andah
    assert to_arabizi("عنده", "algerian") == "3andou"
    assert to_arabizi("فيه", "algerian") == "fih"  # after a long vowel ه stays a letter


def test_learner_keeps_a_consonant_that_most_writers_drop() -> None:
    from langgap.evaluate.probes.arabizi_learn import learn_table

    pairs = [("عليكم", "alikom", 3), ("عليكم", "3likom", 2), ("علم", "3lm", 1), ("كلم", "klm", 1)]
    table = learn_table(pairs, min_count=1, lexicon_min=1)
    assert table["words"].get("عليكم", "3likom") == "3likom"
    assert table["letters"]["ع"] == "3"


def test_french_code_switching() -> None:
    """Maghrebi varieties switch listed words to French in a seeded share of occurrences."""
    text = "لكن الناس في البلاد يقولون شكرا"
    assert to_arabizi(text, "algerian", french=1.0).startswith("mais les gens fi le pays")
    assert "merci" in to_arabizi(text, "algerian", french=1.0)
    assert "mais" not in to_arabizi(text, "algerian")  # off by default
    draws = {to_arabizi(text, "tunisian", french=0.5, seed=s) for s in range(8)}
    assert len(draws) > 1  # the share is drawn per occurrence, from the seed
    assert to_arabizi(text, "tunisian", french=0.5, seed=3) == to_arabizi(
        text, "tunisian", french=0.5, seed=3
    )
    with pytest.raises(ProbeError, match="Maghrebi"):
        get_probe("arabizi", variety="gulf", french=0.5)
    with pytest.raises(ProbeError, match="between 0 and 1"):
        get_probe("arabizi", variety="algerian", french=2)
    assert get_probe("arabizi", variety="algerian", french=0.3).params["french"] == 0.3


def test_unreadable_table_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from langgap.evaluate.probes import arabizi

    variants = {**arabizi._raw()["variants"], "broken": {"learned": "no-such-table"}}
    raw = {**arabizi._raw(), "variants": variants}
    monkeypatch.setattr(arabizi, "_raw", lambda: raw)
    arabizi._learned.cache_clear()
    try:
        with pytest.raises(ProbeError, match=r"no-such-table\.json.*train_arabizi\.py"):
            get_probe("arabizi", variety="broken")
    finally:
        arabizi._learned.cache_clear()


@pytest.mark.parametrize("punctuation", [{"،": ", ،"}, {"؟؟": "?"}])
def test_punctuation_table_must_map_single_marks_to_plain_text(
    monkeypatch: pytest.MonkeyPatch, punctuation: dict[str, str]
) -> None:
    # to_arabizi replaces marks one after another: equal to a per-character map only so
    from langgap.evaluate.probes import arabizi

    raw = {**arabizi._raw(), "punctuation": punctuation}
    monkeypatch.setattr(arabizi, "_raw", lambda: raw)
    arabizi._table.cache_clear()
    try:
        [bad] = punctuation
        with pytest.raises(ProbeError, match=rf"punctuation: entries \['{bad}'\].*Fix: map each"):
            get_probe("arabizi", variety="standard")
    finally:
        arabizi._table.cache_clear()


def test_mixed_empty_and_punctuation() -> None:
    assert to_arabizi("") == ""
    assert to_arabizi("OK مرحبا 2024، كيف حالك؟") == "OK mar7aba 2024, kif 7alak?"
    assert to_arabizi("٣ كتب") == "3 katab"  # Arabic-Indic digits become ASCII


def test_unknown_variety() -> None:
    with pytest.raises(ProbeError, match="egyptian"):
        get_probe("arabizi", variety="martian")


def _sample(tag: str, text: str) -> Sample:
    lang = lookup(tag)
    meta = SampleMeta(benchmark="toy", language=lang.code, language_tag=tag, pair_id="7")
    return Sample(input=text, id=f"toy:7:{tag}", metadata=meta.as_metadata())


def test_probe_contract() -> None:
    probe = get_probe("arabizi", variety="egyptian")
    out, report = probe.apply([_sample("ar", "مرحبا"), _sample("en", "hello")], seed=1)
    assert report.made == 1 and report.skipped_by_reason() == {"not Arabic-script Arabic (en)": 1}
    meta = out[0].metadata or {}
    assert meta["language_tag"] == lookup("Arabizi").tag == "ar-Latn"
    assert meta["variant"] == "arabizi" and meta["pair_id"] == "7"
    assert meta["params"] == {**probe.params, "seed": 1}
    assert out[0].id != "toy:7:ar"


def test_multijail_arabic(multijail_data: tuple[list[Sample], LoadReport]) -> None:
    samples, _ = multijail_data
    out, report = get_probe("arabizi").apply(samples, seed=0)
    assert report.made == 315 and report.made + len(report.skipped) == len(samples)
    arabic_left = sum(1 for s in out for c in str(s.input) if "\u0600" <= c <= "\u06ff")
    assert arabic_left == 0
    assert {(s.metadata or {})["pair_id"] for s in out} == {
        (s.metadata or {})["pair_id"] for s in samples if (s.metadata or {})["language_tag"] == "ar"
    }


def test_egyptian_function_words_are_found_however_the_alif_and_marks_are_written() -> None:
    from langgap.evaluate.probes.arabizi import to_arabizi

    # one `words:` entry (انت: enta) serves the spellings people write: hamza on the alif or
    # not, short-vowel marks or not; alif maqsura as ya (فى = في)
    for written in ("انت", "أنت", "إنت", "أنتَ"):
        assert to_arabizi(written, "egyptian") == "enta", written
    assert to_arabizi("فى", "egyptian") == to_arabizi("في", "egyptian") == "fi"
    assert to_arabizi("اللى", "egyptian") == "elly"
