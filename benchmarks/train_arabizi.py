"""Rebuild the learned Arabizi tables (src/langgap/evaluate/probes/arabizi_tables/*.json).

One table per variety, learned (`langgap.evaluate.probes.arabizi_learn`) from human Arabizi
words paired with their Arabic-script spelling, TRAIN splits only (see romanized_corpora.py):

- algerian: NArabizi train tokens tagged ar_dz / ar_msa; tokens tagged fr (French written in
  Arabic letters) join the word lexicon only, so such loanwords come out in French spelling
- tunisian: TArC tokens classed `arabizi` whose CODA spelling is one word (hash-carved train)
- moroccan: DODa `ongoing/` train sentences with as many Arabic as Latin words, word by word,
  plus DODa's word lists
- levantine: bashartalafha/Arabizi-Transliteration `training.csv` (Jordanian words)

    python benchmarks/train_arabizi.py [--data DIR] [--download] [--only VARIETY]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sized
from pathlib import Path
from typing import cast

sys.path.insert(0, str(Path(__file__).parent))

from langgap.evaluate.probes.arabizi_learn import learn_table
from romanized_corpora import (
    ARABIZI_REPOS,
    DEFAULT_DATA,
    clone_commit,
    doda_sentences,
    doda_words,
    ensure,
    jordanian_words,
    narabizi_pairs,
    tarc_pairs,
)

OUT = Path(__file__).parents[1] / "src/langgap/evaluate/probes/arabizi_tables"
ARABIC_LABELS = ("ar_dz", "ar_msa")
LEXICON_MIN = 2  # a word seen twice in train joins the lexicon (chosen on dev: see the card)
SOURCES = {
    "algerian": {
        "corpus": "NArabizi",
        "files": "data/Narabizi/pos/train_NArabizi.conllu (tokens tagged lang=ar_dz or ar_msa)",
        "licence": "no licence file in the repository; the NArabizi treebank (Seddah et al. "
        "2020) is distributed for research",
    },
    "tunisian": {
        "corpus": "TArC",
        "files": "tarc.tsv, class=arabizi, one-word CODA; sentences whose crc32 mod 10 >= 2",
        "licence": "CC BY-NC-SA 4.0",
    },
    "moroccan": {
        "corpus": "DODa",
        "files": "ongoing/*.csv sentences whose crc32 mod 10 >= 2 (word by word), "
        "syntactic categories/*.csv, semantic categories/*.csv",
        "licence": "CC BY-NC 4.0",
    },
    "levantine": {
        "corpus": "Arabizi-Transliteration-jo",
        "files": "keras-attention/data/training.csv",
        "licence": "no licence file in the repository (research code and data of Talafha et "
        "al. 2021)",
    },
}


def _french(data: Path, variety: str) -> Counter[tuple[str, str]]:
    """French words written in Arabic letters, with the French spelling people used."""
    if variety != "algerian":
        return Counter()
    return Counter(
        (a, z) for s in narabizi_pairs(data, "train") for z, a, lang in s if lang == "fr" and a
    )


def _pairs(data: Path, variety: str) -> Counter[tuple[str, str]]:
    pairs: Counter[tuple[str, str]] = Counter()
    if variety == "algerian":
        for sentence in narabizi_pairs(data, "train"):
            pairs.update((a, z) for z, a, lang in sentence if lang in ARABIC_LABELS and a)
    elif variety == "tunisian":
        for sentence in tarc_pairs(data, "train"):
            pairs.update((a, z) for z, a, cls in sentence if cls == "arabizi" and " " not in a)
    elif variety == "moroccan":
        for latin, arabic in doda_sentences(data, "train"):
            zs, ars = latin.split(), arabic.split()
            if len(zs) == len(ars):
                pairs.update(zip(ars, zs, strict=True))
        pairs.update((a, z) for z, a in doda_words(data))
    elif variety == "levantine":
        pairs.update((a, z) for z, a in jordanian_words(data, "train"))
    else:
        raise SystemExit(f"unknown variety {variety!r}; choose one of {', '.join(SOURCES)}")
    return pairs


def build(data: Path, variety: str) -> dict[str, object]:
    """The table for `variety`, with its provenance."""
    pairs = _pairs(data, variety)
    french = _french(data, variety)
    table = learn_table(
        ((a, z, n) for (a, z), n in pairs.items()),
        lexicon_min=LEXICON_MIN,
        lexicon_only=[(a, z, n) for (a, z), n in french.items()],
    )
    source = SOURCES[variety]
    corpus = source["corpus"]
    provenance = {
        "repository": f"https://github.com/{ARABIZI_REPOS[corpus]}",
        "commit": clone_commit(data / corpus),
        **{k: v for k, v in source.items() if k != "corpus"},
        "split": "train only",
    }
    return {"variety": variety, "source": provenance, **table}


def main() -> None:
    """Write one JSON table per variety and print its size."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--download", action="store_true")
    parser.add_argument("--only", choices=sorted(SOURCES))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    used = {SOURCES[v]["corpus"] for v in ([args.only] if args.only else SOURCES)}
    ensure(args.data, args.download, {name: ARABIZI_REPOS[name] for name in sorted(used)})
    args.out.mkdir(parents=True, exist_ok=True)
    for variety in [args.only] if args.only else list(SOURCES):
        table = build(args.data, variety)
        path = args.out / f"{variety}.json"
        path.write_text(json.dumps(table, ensure_ascii=False, sort_keys=True, indent=0) + "\n")
        entries = sum(len(cast(Sized, table[k])) for k in ("letters", "lc", "cr", "lcr"))
        print(
            f"{variety:10s} {table['pairs']:>6} pairs ({table['aligned']} aligned): "
            f"{entries} letter rules, {len(table['words'])} words -> {path} "  # type: ignore[arg-type]
            f"({path.stat().st_size // 1024} KB)"
        )


if __name__ == "__main__":
    main()
