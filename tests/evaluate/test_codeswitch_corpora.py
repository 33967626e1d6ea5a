"""The Latin-Latin code-switching readers of the romanised-LID benchmark, on hand-written
fixtures in the corpora's layouts (never copies of the corpora), and its figures on them."""

from __future__ import annotations

import importlib.util
import sys
import zipfile
from pathlib import Path
from types import ModuleType

DATA = Path(__file__).parents[1] / "data"
BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lince_reader_splits_tweets_and_tolerates_space_separated_rows() -> None:
    corpora = _load("romanized_corpora")
    sentences = corpora.lince_spaeng_dev(DATA / "codeswitch_mini")
    assert sentences == [
        [("@someone", "other"), ("I", "lang1"), ("love", "lang1"), ("la", "lang2"),
         ("playa", "lang2"), ("!", "other")],
        [("vamos", "lang2"), ("mañana", "lang2"), ("Maria", "ne"), ("okay", "lang1")],
    ]  # fmt: skip


def test_denglisch_reader_groups_sentences_and_drops_markers(tmp_path: Path) -> None:
    corpora = _load("romanized_corpora")
    folder = tmp_path / "Denglisch" / "corpus"
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / "Manu_corpus.csv.zip", "w") as archive:
        archive.write(DATA / "denglisch_mini.csv", "Manu_corpus.csv")
    assert corpora.denglisch_manual(tmp_path) == [
        [("Das", "2"), ("ist", "2"), ("so", "3a"), ("nice", "1"), (",", "<punct>")],
        [("Thanks", "1"), ("a lot", "1")],
        [("Guten", "2"), ("Morgen", "2")],
    ]


def test_mix_error_counts_only_the_pair_and_mixed_sentences() -> None:
    bench = _load("bench_romanized_lid")
    sentences = _load("romanized_corpora").lince_spaeng_dev(DATA / "codeswitch_mini")

    spanish = {"la", "playa", "la playa", "mañana", "vamos mañana"}

    def identify(text: str, tags: list[str]) -> str:
        return "es" if text in spanish else "en"

    r = bench.evaluate(sentences, {"lang1": "en", "lang2": "es"}, identify)
    # tokens: I love la playa | vamos mañana okay (other and ne dropped); vamos is missed
    assert r["tokens"] == 7 and r["token_acc"] == 6 / 7
    # runs: [I love] [la playa] | [vamos mañana] [okay]: all four right
    assert r["run_acc"] == 1.0 and r["mixed_sentences"] == 2 and r["mix_error"] == 0.0
