"""Romanisation learned from human romanisations: the shipped tables, the learner, the loader's
errors, the default scheme, and the fidelity benchmark's refusal to read reserved test files."""

from __future__ import annotations

import gzip
import importlib
import importlib.util
import json
import sys
import unicodedata
from pathlib import Path
from types import ModuleType

import pytest

from langgap.evaluate.probes import get_probe, learned_roman, transliterate
from langgap.evaluate.probes.learned_roman import RewriteTable, TableError, read_tables
from langgap.evaluate.probes.learned_roman_fit import fit
from langgap.evaluate.probes.transliterate import romanize

DATA = Path(__file__).parents[1] / "data"
BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


def test_learned_scheme_writes_as_people_do() -> None:
    # schwa dropped inside words where speakers drop it, Bengali o, Tamil th: all from the data
    assert romanize("अपने", "hi", scheme="learned") == "apne"
    assert romanize("में", "hi", scheme="learned") == "mein"
    assert romanize("হয়", "bn", scheme="learned") == "hoy"
    assert romanize("என்று", "ta", scheme="learned") == "endru"
    assert romanize("नमस्ते दोस्त", "hi", scheme="learned") == "namaste dost"
    assert romanize("করে", "bn", scheme="learned") == "kore"
    assert romanize("இந்த", "ta", scheme="learned") == "intha"
    # issue 18: Dakshina's train lexicon has करने only as karane (x3), and a sample of its pairs
    # kept এবং's ebang x1 but not its ebong x3; people write karne and ebong
    assert romanize("करने", "hi", scheme="learned") == "karne"
    assert romanize("এবং", "bn", scheme="learned") == "ebong"
    assert romanize("उसने", "hi", scheme="learned") == "usne"
    # rules kept as options, and other scripts untouched by the learned tables
    assert romanize("अपने", "hi", scheme="chat") == "apane"
    assert romanize("Hi अपने 12", "hi", scheme="learned") == "Hi apne 12"
    urdu = romanize("پاکستان", "ur", scheme="learned")
    assert urdu.isascii() and urdu.startswith("pak")


def test_default_scheme_is_learned_where_a_table_exists() -> None:
    probe = get_probe("translit-latn")
    assert probe.params["scheme"] == "learned"
    assert {"hin", "ben", "tam", "urd", "snd", "sin"} <= set(probe.params["learned_languages"])
    assert {"ori", "asm", "nep", "mai", "kok", "brx", "san", "kas"} <= set(
        probe.params["learned_languages"]
    )
    # no table for Dogri, Manipuri (Bengali script) or Chinese: scheme learned writes them as
    # chat does
    for text, lang, code in (
        ("डोगरी", "doi", "doi"),
        ("মণিপুরী", "mni", "mni"),
        ("你好", "zh", "zho"),
    ):
        assert code not in probe.params["learned_languages"]
        assert romanize(text, lang, scheme="learned") == romanize(text, lang, scheme="chat")
    assert get_probe("translit-latn", scheme="iso").params["scheme"] == "iso"


def test_learner_finds_schwa_deletion_in_the_pairs() -> None:
    rows = [line.split("\t") for line in (DATA / "translit_pairs.tsv").read_text().splitlines()]
    pairs = [(native, latin, int(n)) for native, latin, n in rows]
    table = fit(pairs, rule=lambda u: romanize(u, "hi", scheme="chat"), min_count=1)
    # unseen words: the inherent vowel goes before a vowel sign, stays word-initially
    assert table.romanize("कमने", fallback=str) == "kamne"
    assert table.romanize("नमक", fallback=str) == "namak"
    assert table.romanize("ज़", fallback=lambda unit: "<z>") == "<z>"  # unseen unit: fallback


def test_one_word_is_not_taken_for_a_rule() -> None:
    # "karane" is one word's spelling: the context it gives र (क_र_ने) comes from that word
    # alone, so the rule the other words show (schwa dropped before a vowel sign) decides
    pairs = [("करने", "karane", 2), ("मरने", "marne", 1), ("धरने", "dharne", 1), ("भरने", "bharne", 1)]
    pairs += [("कर", "kar", 2), ("क", "ka", 1)]
    rule = lambda u: romanize(u, "hi", scheme="chat")  # noqa: E731
    assert fit(pairs, rule, min_count=1).romanize("करने", fallback=str) == "karne"
    # a one-letter word has no other word to learn its spelling from: it keeps its own
    pairs += [("में", "mein", 3), ("मेला", "mela", 2), ("मेरा", "mera", 2)]
    assert fit(pairs, rule, min_count=1).romanize("में", fallback=str) == "mein"


def _write(path: Path, doc: object, *, gz: bool = True) -> Path:
    data = json.dumps(doc).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def test_table_loader_errors_name_the_file_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(TableError, match=r"missing\.json\.gz: no such file.*train_translit"):
        read_tables(tmp_path / "missing.json.gz")
    plain = _write(tmp_path / "plain.json.gz", {"format": 1}, gz=False)
    with pytest.raises(TableError, match=r"plain\.json\.gz: not a gzip JSON table"):
        read_tables(plain)
    old = _write(tmp_path / "old.json.gz", {"format": 0, "languages": {}})
    with pytest.raises(TableError, match=r"old\.json\.gz: table format 0, expected 1"):
        read_tables(old)
    broken = _write(tmp_path / "broken.json.gz", {"format": 1, "languages": {"hin": {}}})
    with pytest.raises(TableError, match=r"broken\.json\.gz: a language entry lacks 'spans'"):
        read_tables(broken)
    good = tmp_path / "good.json.gz"
    learned_roman.write_tables(good, {"hin": RewriteTable({"क": "k"}, {})}, {"split": "train"})
    assert read_tables(good)["hin"].romanize("कक", fallback=str) == "kk"


def test_shipped_tables_are_small_and_cover_the_indic_scripts() -> None:
    path = Path(transliterate.__file__).parent / "translit_tables" / learned_roman.TABLES
    assert path.stat().st_size < 3_000_000
    assert (path.parent / "MODEL_CARD.md").is_file()
    assert set(learned_roman.languages()) == {
        "asm", "ben", "brx", "guj", "hin", "kan", "kas", "kok", "mai", "mal", "mar", "nep",
        "ori", "pan", "san", "snd", "sin", "tam", "tel", "urd",
    }  # fmt: skip


def test_tables_beyond_dakshina_write_as_their_corpora_do() -> None:
    # issue 18: Assamese x for স/ষ and o for the inherent vowel, Odia without the rules'
    # doubled vowels, Nepali's inherent vowel dropped word-finally (tables from Aksharantar
    # and NepaliTransliteralDataset, train splits)
    assert romanize("অসমীয়া", "as", scheme="learned") == "oxomiya"
    assert romanize("অসমীয়া", "as", scheme="chat") == "asamiyaa"
    assert romanize("ଓଡ଼ିଆ", "or", scheme="learned") == "odia"
    assert romanize("ଓଡ଼ିଆ", "or", scheme="chat") == "odaia"
    assert romanize("नेपाली भाषा", "ne", scheme="learned") == "nepali bhasha"
    # Bodo and Kashmiri from the same Aksharantar sample: o for the inherent vowel, the rules'
    # broken vowels gone
    assert romanize("बड़ो", "brx", scheme="learned") == "boro"
    assert romanize("کٲشُر زَبان", "ks", scheme="learned") == "kashur zaban"


def test_odia_assamese_nepali_readers_keep_their_test_parts_closed() -> None:
    corpora = _corpora()
    data = DATA / "romanisation_mini"
    assert corpora.romanisation_corpus("or") == "aksharantar-sampled"
    assert corpora.romanisation_corpus("ne") == "NepaliTransliteralDataset"
    assert corpora.romanisation_corpus("hi") == "dakshina"
    with pytest.raises(ValueError, match="no human romanisations"):
        corpora.romanisation_corpus("xx")
    # Aksharantar sample: rows counted as attestations; dev is the _valid file
    assert sorted(corpora.romanisation_lexicon(data, "or", "train")) == [
        ("ଓଡ଼ିଆ", "odia", 1), ("ଭଲ", "bhala", 2), ("ଭାଷା", "bhasha", 1),
    ]  # fmt: skip
    assert corpora.romanisation_lexicon(data, "or", "dev") == [("ଘର", "ghara", 1)]
    with pytest.raises(corpora.ReservedSplitError):
        corpora.romanisation_lexicon(data, "or", "test")
    assert corpora.romanisation_lexicon(data, "or", "test", reserved_ok=True) == [("ପାଣି", "pani", 1)]
    assert corpora.romanisation_sentences(data, "or", "dev") == []
    # Nepali: split by crc32 of the word (नेपाल falls in test), empty entries skipped, a list
    # gives each spelling, and the IME log (not UTF-8 here) is never opened
    assert sorted(corpora.romanisation_lexicon(data, "ne", "train")) == [
        ("पानी", "pani", 1), ("माया", "maaya", 1), ("माया", "maya", 1),
    ]  # fmt: skip
    assert sorted(corpora.romanisation_lexicon(data, "ne", "dev")) == [
        ("किताब", "kitab", 1), ("घर", "ghar", 1),
    ]  # fmt: skip
    with pytest.raises(corpora.ReservedSplitError):
        corpora.romanisation_lexicon(data, "ne", "test")
    assert corpora.romanisation_lexicon(data, "ne", "test", reserved_ok=True) == [
        ("नेपाल", "nepal", 1)
    ]


def test_each_romanisation_corpus_is_described_in_one_place() -> None:
    corpora = _corpora()
    listed = [lang for c in corpora.ROMANISATION_CORPORA.values() for lang in c.languages]
    assert len(listed) == len(set(listed)) == len(corpora.ROMANISATION_LANGUAGES)
    for folder, corpus in corpora.ROMANISATION_CORPORA.items():
        assert all(corpus.provenance().values()) and corpus.splits, folder
        assert corpus.provenance()["corpus"].startswith(f"github.com/{corpus.repo} (")
    assert corpora.romanisation_repos(["ne", "hi", "bn"]) == {
        "NepaliTransliteralDataset": "SushilShrestha/NepaliTransliteralDataset",
        "dakshina": "mathml42/dakshina-seq2seq-transliteration",
    }
    with pytest.raises(ValueError, match="no human romanisations for 'xx'"):
        corpora.romanisation_repos(["hi", "xx"])


def test_clone_commit_names_the_corpus_clone(tmp_path: Path) -> None:
    import subprocess

    corpora = _corpora()
    assert corpora.clone_commit(tmp_path) == "unknown"  # not a clone: said, not guessed
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    assert corpora.clone_commit(tmp_path) == head.stdout.strip()
    assert len(head.stdout.strip()) == 40
    assert corpora.clone_commit(tmp_path, short=True) == head.stdout.strip()[:7]
    assert corpora.clone_commit(tmp_path / "none", short=True) == "unknown"


def test_train_translit_writes_the_packaged_tables_short_commits() -> None:
    # a retrain of some --languages keeps the others' entries: both must name commits alike
    import gzip
    import json
    from importlib import resources

    from langgap.evaluate.probes import learned_roman

    raw = resources.files(learned_roman.__package__).joinpath(
        "translit_tables", learned_roman.TABLES
    )
    sources = json.loads(gzip.decompress(raw.read_bytes()))["source"]["languages"]
    assert {len(entry["commit"]) for entry in sources.values()} == {_corpora().SHORT_COMMIT}


def test_nepali_split_key_is_the_nfc_word(tmp_path: Path) -> None:
    # ज़मीन with the precomposed nukta letter (U+095B, outside NFC) hashes to dev; its NFC form
    # (ज + nukta) to train: both spellings of the one word must land in the one split
    corpora = _corpora()
    folder = tmp_path / "NepaliTransliteralDataset" / "transliterals"
    folder.mkdir(parents=True)
    precomposed = "\u095bमीन"
    nfc = unicodedata.normalize("NFC", precomposed)
    assert nfc != precomposed and corpora.carved_split(precomposed) == "dev"
    for i, (word, latin) in enumerate(((precomposed, "zameen"), (f" {nfc}", "zamin"))):
        path = folder / f"transliteral_words_00{i}.json"
        path.write_text(json.dumps({word: latin}, ensure_ascii=False), encoding="utf-8")
    assert sorted(corpora.romanisation_lexicon(tmp_path, "ne", "train")) == [
        (nfc, "zameen", 1), (nfc, "zamin", 1),
    ]  # fmt: skip
    assert corpora.romanisation_lexicon(tmp_path, "ne", "dev") == []


def test_aksharantar_reader_names_the_bad_row(tmp_path: Path) -> None:
    corpora = _corpora()
    folder = tmp_path / "aksharantar-sampled" / "aksharantar_sampled" / "asm"
    folder.mkdir(parents=True)
    (folder / "asm_train.csv").write_text("moi,মই\nonly-one-column\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"asm_train\.csv row 2"):
        corpora.romanisation_lexicon(tmp_path, "as", "train")


def _corpora() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module("romanized_corpora")


def _bench() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(
        "bench_translit_cer", BENCHMARKS / "bench_translit_cer.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_reads_test_files_only_when_asked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = _bench()
    corpora = sys.modules["romanized_corpora"]
    opened: list[str] = []
    read_text = Path.read_text

    def spy(self: Path, *args: object, **kwargs: object) -> str:
        opened.append(self.name)
        return read_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", spy)
    data = DATA / "dakshina_mini"
    args = ["--data", str(data), "--languages", "hi", "--limit", "0", "--systems", "learned,chat"]
    bench.main(args)
    out = capsys.readouterr().out
    assert "split: dev" in out and "hi     words" in out and "hi     sentences" in out
    assert opened and not [name for name in opened if ".test." in name]
    with pytest.raises(corpora.ReservedSplitError, match="reserved"):
        corpora.dakshina_lexicon(data, "hi", "test")
    with pytest.raises(corpora.ReservedSplitError):
        corpora.dakshina_sentences(data, "hi", "test")
    bench.main([*args, "--split", "test"])
    assert "split: test" in capsys.readouterr().out
    assert "hi.translit.sampled.test.tsv" in opened


def test_benchmark_speed_says_which_languages_it_cannot_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bench = _bench()
    data = DATA / "romanisation_mini"
    bench.main(["--data", str(data), "--languages", "or,ne", "--systems", "chat", "--speed"])
    out = capsys.readouterr().out
    for lang, corpus in (("or", "aksharantar-sampled"), ("ne", "NepaliTransliteralDataset")):
        assert f"{lang:6} apply: not timed: {corpus} has words only" in out
    assert "prompts/s" not in out
