"""Romanisation fidelity: character error rate against human romanisations (lower is better).

For every language with human romanisations (`romanized_corpora.ROMANISATION_CORPORA`: each
corpus's languages, files, splits and licence; the command prints those it reads), on one split
(default dev; test splits are reserved for independent checking and read only when `--split
test` is given explicitly), four systems run side by side: `translit-latn` scheme `learned`
(tables learned from the train split), scheme `chat` (rules; anyascii for Urdu, Sindhi and
Sinhala), `anyascii` and `uroman` (PyPI).

- words: the lexicon, each distinct native word against its closest attested romanisation
- sentences: the romanised sentences where the corpus has them (Dakshina's Wikipedia sentences,
  native and human romanisation line by line); the other corpora have words only

Both after NFC, lower-casing and punctuation removal; CER = edits / reference characters.
`--limit N` takes N evenly spaced items of each set (0: all; uroman needs ~25 ms a sentence).
`--speed` also times the probe's whole `apply` (scheme learned, caches cleared, CPU time) on the
sentences as prompts: the claim is ≥ 5,000 prompts/s per language. Languages whose corpus has
words only are not timed (single words would overstate the rate); the output says which.
Prints the command, the figures, and never the text.

    python benchmarks/bench_translit_cer.py [--data DIR] [--split dev] [--languages hi,bn]
        [--limit N] [--systems learned,chat,anyascii,uroman] [--speed]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).parent))

from langgap.evaluate.probes import transliterate
from langgap.languages import lookup
from romanized_corpora import (
    DEFAULT_DATA,
    ROMANISATION_CORPORA,
    ROMANISATION_LANGUAGES,
    check_split,
    ensure,
    romanisation_corpus,
    romanisation_lexicon,
    romanisation_repos,
    romanisation_sentences,
)

SYSTEMS = ("learned", "chat", "anyascii", "uroman")
_PUNCT = re.compile(r"[\W_]+")
T = TypeVar("T")


def normalize(text: str) -> str:
    """NFC, lower case, punctuation removed, spaces collapsed (what CER compares)."""
    text = unicodedata.normalize("NFC", text).lower()
    return " ".join(_PUNCT.sub(" ", text).split())


def spread(items: Sequence[T], limit: int) -> list[T]:
    """`limit` evenly spaced items (all when limit is 0 or larger than the set)."""
    if not limit or limit >= len(items):
        return list(items)
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def systems(lang: str, wanted: Sequence[str] = SYSTEMS) -> dict[str, Callable[[str], str]]:
    """Each wanted system as a function from native text to Latin text."""
    from anyascii import anyascii

    code = lookup(lang).code
    out: dict[str, Callable[[str], str]] = {
        "learned": lambda t: transliterate.romanize(t, code, scheme="learned"),
        "chat": lambda t: transliterate.romanize(t, code, scheme="chat"),
        "anyascii": lambda t: str(anyascii(t)),
    }
    if "uroman" not in wanted:
        return {name: f for name, f in out.items() if name in wanted}
    try:
        import uroman  # type: ignore[import-untyped]

        engine = uroman.Uroman()
        out["uroman"] = lambda t: str(engine.romanize_string(t, lcode=code))
    except ImportError:
        print("uroman is not installed (pip install uroman): its column is empty")
    return out


def word_cer(run: Callable[[str], str], refs: dict[str, set[str]]) -> float:
    """CER over native words, each against its closest attested romanisation."""
    from rapidfuzz.distance import Levenshtein

    errors = length = 0
    for native, options in refs.items():
        out = normalize(run(native)).replace(" ", "")
        dist, ref = min((Levenshtein.distance(out, r), r) for r in options)
        errors += dist
        length += len(ref)
    return errors / max(1, length)


def sentence_cer(run: Callable[[str], str], pairs: list[tuple[str, str]]) -> float:
    """CER over sentences: all edits over all reference characters."""
    from rapidfuzz.distance import Levenshtein

    errors = length = 0
    for native, roman in pairs:
        ref = normalize(roman)
        errors += Levenshtein.distance(normalize(run(native)), ref)
        length += len(ref)
    return errors / max(1, length)


def apply_rate(lang: str, sentences: list[tuple[str, str]]) -> float:
    """Prompts per CPU second through `translit-latn`'s `apply` (scheme learned), unseen text."""
    from inspect_ai.dataset import Sample

    from langgap.evaluate.probes import get_probe
    from langgap.evaluate.samples import SampleMeta

    samples = [
        Sample(
            input=native,
            id=f"dakshina:{i}:{lang}",
            metadata=SampleMeta(
                benchmark="dakshina", language=lookup(lang).code, language_tag=lang, pair_id=str(i)
            ).as_metadata(),
        )
        for i, (native, _) in enumerate(sentences)
    ]
    probe = get_probe("translit-latn")
    probe.apply(samples[:10], seed=0)  # tables and libraries load once
    transliterate.clear_caches()
    start = time.process_time()
    probe.apply(samples, seed=0)
    return len(samples) / max(1e-9, time.process_time() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--download", action="store_true")
    parser.add_argument("--split", default="dev", help="dev (default) or test (reserved)")
    parser.add_argument("--languages", default=",".join(ROMANISATION_LANGUAGES))
    parser.add_argument("--limit", type=int, default=1000, help="items per set (0: all)")
    parser.add_argument("--speed", action="store_true", help="time the probe's apply too")
    parser.add_argument(
        "--systems", default=",".join(SYSTEMS), help="a subset of " + ",".join(SYSTEMS)
    )
    args = parser.parse_args(argv)
    wanted = args.systems.split(",")
    if unknown := sorted(set(wanted) - set(SYSTEMS)):
        sys.exit(f"--systems: unknown {', '.join(unknown)}; choose from {', '.join(SYSTEMS)}")
    check_split(args.split, reserved_ok=args.split == "test")  # explicit --split test only
    if args.split == "train":
        sys.exit("--split train: the learned tables were fitted on it; choose dev or test")
    try:
        repos = romanisation_repos(args.languages.split(","))
    except ValueError as error:
        sys.exit(f"--languages: {error}")
    ensure(args.data, args.download, repos)
    shown = sys.argv[1:] if argv is None else argv
    print("command: python benchmarks/bench_translit_cer.py " + " ".join(shown))
    for folder in repos:
        corpus = ROMANISATION_CORPORA[folder]
        print(f"corpus {folder}: github.com/{corpus.repo}; splits: {corpus.splits}; "
              f"licence: {corpus.licence}")  # fmt: skip
    print(f"split: {args.split}; limit: {args.limit or 'all'} items per set; CER (lower is better)")
    print(f"{'lang':6} {'set':9} {'n':>6} " + " ".join(f"{s:>9}" for s in SYSTEMS))
    reserved = args.split == "test"
    for lang in args.languages.split(","):
        started = time.time()
        run = systems(lang, wanted)
        lexicon = romanisation_lexicon(args.data, lang, args.split, reserved_ok=reserved)
        refs: dict[str, set[str]] = {}
        for native, latin, _ in lexicon:
            refs.setdefault(native, set()).add(normalize(latin).replace(" ", ""))
        words = dict(spread(sorted(refs.items()), args.limit))
        sentences = spread(
            romanisation_sentences(args.data, lang, args.split, reserved_ok=reserved), args.limit
        )
        cells = [f"{word_cer(run[s], words):9.3f}" if s in run else f"{'-':>9}" for s in SYSTEMS]
        print(f"{lang:6} {'words':9} {len(words):>6} " + " ".join(cells), flush=True)
        if sentences:
            cells = [
                f"{sentence_cer(run[s], sentences):9.3f}" if s in run else f"{'-':>9}"
                for s in SYSTEMS
            ]
            print(f"{lang:6} {'sentences':9} {len(sentences):>6} " + " ".join(cells), flush=True)
        if args.speed and sentences:
            rate = apply_rate(lang, sentences)
            flag = "ok" if rate >= 5000 else "BELOW TARGET"
            print(f"{lang:6} apply (scheme learned): {rate:,.0f} prompts/s (CPU)  {flag}")
        elif args.speed:
            # single words as prompts would overstate the rate the claim is about
            print(f"{lang:6} apply: not timed: {romanisation_corpus(lang)} has words only, and "
                  "--speed times sentences as prompts")  # fmt: skip
        print(f"{'':6} ({time.time() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
