"""Rebuild the learned romanisation tables (src/langgap/evaluate/probes/translit_tables/).

Learns one table per language from human romanisations (native word, romanisation,
attestations), TRAIN split only; `--tune` picks the context threshold on the DEV split (word CER
against the closest attested romanisation) and prints the figures it chose on. Test splits are
never read. Corpora: `romanized_corpora.ROMANISATION_CORPORA` (each a clone in `--data`,
`--download` clones it), whose repository, files and licence go into each table's provenance.
Languages not named in `--languages` keep the tables (and provenance) already in `--out`.

    python benchmarks/train_translit.py [--data DIR] [--download] [--languages hi,bn] [--tune]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from langgap.evaluate.probes import learned_roman, transliterate
from langgap.evaluate.probes.learned_roman import RewriteTable
from langgap.evaluate.probes.learned_roman_fit import align_all, build, normalize_latin
from langgap.languages import lookup
from romanized_corpora import (
    DEFAULT_DATA,
    ROMANISATION_CORPORA,
    ROMANISATION_LANGUAGES,
    clone_commit,
    ensure,
    romanisation_corpus,
    romanisation_lexicon,
    romanisation_repos,
)

OUT = Path(__file__).parents[1] / "src/langgap/evaluate/probes/translit_tables"
MIN_COUNTS = (1.0, 2.0, 3.0, 5.0)  # tried with --tune
DEFAULT_MIN_COUNT = 2.0


def rule(lang: str) -> object:
    """The chat rule romanisation of one unit: the alignment's prior."""
    code = lookup(lang).code
    script = transliterate.target_script(lang)

    def one(unit: str) -> str:
        return transliterate.romanize(transliterate.prepare(unit, script), code, scheme="chat")

    return one


def prepared(data: Path, lang: str, split: str) -> list[tuple[str, str, int]]:
    """A lexicon split with native words as the probe will see them (joiners, chillus, NFC)."""
    import unicodedata

    script = transliterate.target_script(lang)
    return [
        (unicodedata.normalize("NFC", transliterate.prepare(native, script)), latin, n)
        for native, latin, n in romanisation_lexicon(data, lang, split)
    ]


def word_cer(table: RewriteTable, lang: str, pairs: list[tuple[str, str, int]]) -> float:
    """CER of `table` on a lexicon split, against each word's closest attested romanisation."""
    from rapidfuzz.distance import Levenshtein

    refs: dict[str, set[str]] = {}
    for native, latin, _ in pairs:
        refs.setdefault(native, set()).add(normalize_latin(latin))
    fallback = rule(lang)
    errors = length = 0
    for native, options in refs.items():
        out = normalize_latin(table.romanize(native, fallback))  # type: ignore[arg-type]
        dist, ref = min((Levenshtein.distance(out, r), r) for r in options)
        errors += dist
        length += len(ref)
    return errors / max(1, length)


def _kept(path: Path, rebuilt: set[str]) -> tuple[dict[str, RewriteTable], dict[str, object]]:
    """The tables and per-language provenance in `path` for languages not being rebuilt."""
    if not path.is_file():
        return {}, {}
    tables = learned_roman.read_tables(path)
    source = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))["source"]
    if "languages" not in source:  # one corpus for every language (tables before Odia etc.)
        source = {
            "languages": {
                code: {
                    **{k: v for k, v in source.items() if k != "min_count"},
                    "min_count": source["min_count"][code],
                }
                for code in tables
            }
        }
    keep = {code: table for code, table in tables.items() if code not in rebuilt}
    return keep, {code: source["languages"][code] for code in keep}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--download", action="store_true")
    parser.add_argument("--languages", default=",".join(ROMANISATION_LANGUAGES))
    parser.add_argument("--tune", action="store_true", help="choose min_count on the dev split")
    parser.add_argument("--out", type=Path, default=OUT / learned_roman.TABLES)
    args = parser.parse_args()
    languages = args.languages.split(",")
    try:
        repos = romanisation_repos(languages)
    except ValueError as error:
        sys.exit(f"--languages: {error}")
    ensure(args.data, args.download, repos)
    tables, provenance = _kept(args.out, {lookup(lang).code for lang in languages})
    for lang in languages:
        started = time.time()
        train = prepared(args.data, lang, "train")
        prior = rule(lang)
        aligned = align_all(train, prior)  # type: ignore[arg-type]
        min_count = DEFAULT_MIN_COUNT
        if args.tune:
            dev = prepared(args.data, lang, "dev")
            scores = {m: word_cer(build(aligned, min_count=m), lang, dev) for m in MIN_COUNTS}
            min_count = min(scores, key=lambda m: scores[m])
            print(
                f"{lang}: dev word CER by min_count",
                {m: round(v, 4) for m, v in scores.items()},
                flush=True,
            )
        table = build(aligned, min_count=min_count)
        code = lookup(lang).code
        tables[code] = table
        folder = romanisation_corpus(lang)
        provenance[code] = {
            **ROMANISATION_CORPORA[folder].provenance(),
            # short, as in the packaged table: a retrain of some --languages keeps one form
            "commit": clone_commit(args.data / folder, short=True),
            "split": "train (min_count chosen on dev)" if args.tune else "train",
            "min_count": min_count,
        }
        entries = sum(len(v) for v in table.by_context.values())
        print(f"{lang} ({code}): {len(train)} train pairs, {len(table.spans)} units, "
              f"{entries} context entries, min_count {min_count}, "
              f"{time.time() - started:.0f} s", flush=True)  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    source = {"languages": {code: provenance[code] for code in sorted(provenance)}}
    learned_roman.write_tables(args.out, tables, source)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
