"""Rebuild the romanised language-ID tables (src/langgap/evaluate/probes/lid_tables/).

Trains one character model per language on TRAIN splits only (see romanized_corpora.py):
Hindi, Bengali and Urdu from Dakshina's attested romanisations (+ ICON Bengali-English chat
tokens tagged bn), Arabizi from NArabizi's tokens tagged ar_dz or ar_msa, English and French
from wordfreq's most frequent words (+ ICON tokens tagged en, NArabizi tokens tagged fr).
Needs `pip install wordfreq`. Prints the held-out accuracy on the last tenth of the ICON and
NArabizi train sentences (never dev or test), which is all any setting here was chosen on.

    python benchmarks/train_romanized_lid.py [--data DIR] [--download] [--out PATH]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from langgap.evaluate.probes import romanized_lid
from romanized_corpora import (
    DEFAULT_DATA,
    REPOS,
    dakshina_train,
    ensure,
    icon_bn_en,
    narabizi,
)

OUT = Path(__file__).parents[1] / "src/langgap/evaluate/probes/lid_tables" / romanized_lid.TABLES
TOP_WORDS = 30000
MIN_COUNT = 2


def _frequent(lang: str) -> Counter[str]:
    from wordfreq import top_n_list, zipf_frequency

    return Counter(
        {w: max(1, round(zipf_frequency(w, lang) - 2)) for w in top_n_list(lang, TOP_WORDS)}
    )


def _romanised(data: Path, lang: str) -> Counter[str]:
    """Dakshina's attested romanisations, each weighted like the English words: attestations x
    the native word's Zipf frequency - 2 (at least 1), so frequent words count as they occur."""
    from wordfreq import zipf_frequency

    out: Counter[str] = Counter()
    for native, latin, attested in dakshina_train(data, lang):
        out[latin] += attested * max(1, round(zipf_frequency(native, lang) - 2))
    return out


def _tokens(sentences: list[list[tuple[str, str]]], tag: str) -> Counter[str]:
    return Counter(tok for sentence in sentences for tok, t in sentence if t == tag)


def corpora(data: Path) -> tuple[dict[str, Counter[str]], list[list[tuple[str, str]]]]:
    """Training words per language (ISO 639-3) and the held-out train sentences."""
    icon = icon_bn_en(data, "train")
    arz = narabizi(data, "train")
    cut_icon, cut_arz = len(icon) * 9 // 10, len(arz) * 9 // 10
    icon_fit, arz_fit = icon[:cut_icon], arz[:cut_arz]
    words = {
        "eng": _frequent("en") + _tokens(icon_fit, "en"),
        "fra": _frequent("fr") + _tokens(arz_fit, "fr"),
        "hin": _romanised(data, "hi"),
        "ben": _romanised(data, "bn") + _tokens(icon_fit, "bn"),
        "urd": _romanised(data, "ur"),
        "ara": _tokens(arz_fit, "ar_dz") + _tokens(arz_fit, "ar_msa"),
    }
    held_out = [[(t, {"en": "eng", "bn": "ben"}.get(g, "")) for t, g in s] for s in icon[cut_icon:]]
    held_out += [
        [(t, {"fr": "fra", "ar_dz": "ara", "ar_msa": "ara"}.get(g, "")) for t, g in s]
        for s in arz[cut_arz:]
    ]
    return words, held_out


def main() -> None:
    """Train, report held-out train accuracy, write the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--download", action="store_true")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    ensure(args.data, args.download)
    words, held_out = corpora(args.data)
    models = {
        code: romanized_lid.train(c.items(), min_count=MIN_COUNT) for code, c in words.items()
    }
    pairs = {
        "eng": ("eng", "ben"),
        "ben": ("eng", "ben"),
        "fra": ("fra", "ara"),
        "ara": ("fra", "ara"),
    }
    right = total = 0
    for sentence in held_out:
        for token, code in sentence:
            if code and romanized_lid.words(token):
                scored = {c: sum(models[c].logprob(w) for w in romanized_lid.words(token))
                          for c in pairs[code]}  # fmt: skip
                right += max(scored, key=lambda c: scored[c]) == code
                total += 1
    print(f"held-out train tokens: {total}, accuracy {right / total:.3f}")
    meta = {
        "sources": {name: f"https://github.com/{repo}" for name, repo in REPOS.items()},
        "words_per_language": {code: len(c) for code, c in words.items()},
        "min_count": MIN_COUNT,
        "top_words": TOP_WORDS,
    }
    data = romanized_lid.dump(models, meta)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data) / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
