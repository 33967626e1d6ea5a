"""Arabizi fidelity: character error rate of each `arabizi` variety against human Arabizi.

For every corpus (romanized_corpora.py), the Arabic-script side is rewritten by each variety
of the `arabizi` probe, by uroman and by anyascii, and compared with what people wrote. CER =
total edit distance / total reference characters, after NFC, lowercasing, punctuation removal
and whitespace collapsing (lower is better). Default split: dev (what the tables were tuned
on; they were trained on train). `--split test` is for the independent checker only (the
reserved test files: NArabizi test, the Jordanian `utils/test.csv`, the carved test tenth of
TArC, DODa and the lyrics); nobody who built or tuned the tables has run it.

- Algerian (NArabizi dev): social-media sentences, all tokens, and the Arabic tokens alone
  (the French tokens' Arabic-script side is French written in Arabic letters)
- Tunisian (TArC, hash-carved dev): social-media sentences (foreign tokens kept as written)
- Moroccan (DODa `ongoing/`, hash-carved dev): social-media sentences
- Jordanian (bashartalafha/Arabizi-Transliteration validation.csv): words
- Egyptian (kevduc/get-lyrics, hash-carved dev): song verses as lyricstranslate.com users
  transliterated them in the chat alphabet (a check only: no table is learned from lyrics)

    python benchmarks/bench_arabizi_cer.py [--data DIR] [--download] [--split dev]
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from rapidfuzz.distance import Levenshtein

sys.path.insert(0, str(Path(__file__).parent))

from langgap.evaluate.probes.arabizi import to_arabizi, varieties
from romanized_corpora import (
    ARABIZI_REPOS,
    DEFAULT_DATA,
    doda_sentences,
    egyptian_lyrics,
    ensure,
    jordanian_words,
    narabizi_pairs,
    tarc_pairs,
)

Pairs = list[tuple[str, str]]  # (Arabic-script source, human Arabizi reference)
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFC, lowercase, punctuation removed, whitespace collapsed."""
    text = unicodedata.normalize("NFC", text).lower()
    text = "".join(c for c in text if not unicodedata.category(c).startswith("P"))
    return _SPACE.sub(" ", text).strip()


def cer(system: Callable[[str], str], pairs: Pairs) -> float:
    """Corpus-level CER of `system` on (source, reference) pairs."""
    errors = total = 0
    for source, reference in pairs:
        ref = normalise(reference)
        errors += Levenshtein.distance(normalise(system(source)), ref)
        total += len(ref)
    return errors / max(total, 1)


def corpora(data: Path, split: str) -> dict[str, tuple[str, Pairs]]:
    """name -> (matching variety, pairs) for every corpus's `split`."""
    arabic = ("ar_dz", "ar_msa")
    checker = split == "test"
    narabizi = narabizi_pairs(data, split, checker)
    tarc = tarc_pairs(data, split, checker)
    tokens_of = [[(z, a) for z, a, lang in s if lang in arabic and a] for s in narabizi]
    doda = doda_sentences(data, split, checker)
    jordan = jordanian_words(data, split, checker)
    return {
        "Algerian NArabizi sentences": (
            "algerian",
            [_join((z, a or z) for z, a, _ in s) for s in narabizi],
        ),
        "  Arabic tokens only": ("algerian", [_join(t) for t in tokens_of if t]),
        "Tunisian TArC sentences": (
            "tunisian",
            [_join((z, a if cls == "arabizi" else z) for z, a, cls in s) for s in tarc],
        ),
        "Moroccan DODa sentences": ("moroccan", [(a, z) for z, a in doda]),
        "Jordanian words": ("levantine", [(a, z) for z, a in jordan]),
        "Egyptian song verses": ("egyptian", egyptian_lyrics(data, split, checker)),
    }


def _join(tokens: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """(Arabic-script sentence, Arabizi sentence) from (Arabizi token, Arabic token) pairs."""
    pairs = list(tokens)
    return " ".join(a for _, a in pairs), " ".join(z for z, _ in pairs)


def _baselines() -> dict[str, Callable[[str], str]]:
    out: dict[str, Callable[[str], str]] = {}
    try:
        import uroman

        romaniser = uroman.Uroman()
        out["uroman"] = lambda text: str(romaniser.romanize_string(text, lcode="ara"))
    except ImportError:
        print("uroman is not installed (pip install uroman): its column is left out")
    try:
        from anyascii import anyascii

        out["anyascii"] = anyascii
    except ImportError:
        print("anyascii is not installed (pip install anyascii): its column is left out")
    return out


def main() -> None:
    """Print CER per corpus (rows) and system (columns); the matching variety is starred."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--download", action="store_true")
    parser.add_argument("--split", default="dev", choices=("dev", "test"))
    args = parser.parse_args()
    ensure(args.data, args.download, ARABIZI_REPOS)
    try:
        sets = corpora(args.data, args.split)
    except (ValueError, OSError) as error:
        sys.exit(f"--split {args.split}: {error}")
    systems: dict[str, Callable[[str], str]] = {
        v: (lambda text, v=v: to_arabizi(text, v)) for v in varieties()
    }
    systems |= _baselines()
    names = list(systems)
    print(f"CER on the {args.split} split (lower is better; * = the corpus's own variety)")
    print(f"{'corpus':30s} {'n':>5s} " + " ".join(f"{n[:11]:>11s}" for n in names))
    for corpus, (own, pairs) in sets.items():
        cells = []
        for name in names:
            mark = "*" if name == own else " "
            cells.append(f"{cer(systems[name], pairs):>10.3f}{mark}")
        print(f"{corpus:30s} {len(pairs):>5d} " + " ".join(cells))


if __name__ == "__main__":
    main()
