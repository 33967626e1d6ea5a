"""Language ID of romanised code-switched text: per-token accuracy and mix error (reporting only).

On human token-labelled dev splits (never trained or tuned on; test splits are never read):
ICON 2016 Bengali-English (dev), L3Cube-HingLID Hindi-English (validation), NArabizi Algerian
Arabizi-French (dev), LinCE Spanish-English tweets (dev) and the Denglisch German-English Reddit
posts (the hand-annotated part, whole: it has no split), then word-by-word checks against English
for romanised Hindi, Bengali and Urdu (Dakshina dev lexicons) and Arabizi (NArabizi dev). For
each set, `codeswitch.identify` as the probe calls it, beside py3langid restricted to the pair:

- token accuracy: each token labelled with one of the pair's languages, identified alone;
- run accuracy: each maximal run of same-language tokens, identified as one piece (the probe
  measures its mix this way);
- mix error: per sentence with both languages' tokens, |measured share - true share| of the
  second language over its tokens, runs weighted by their token counts; mean over sentences.

    python benchmarks/bench_romanized_lid.py [--data DIR] [--download]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from langgap.evaluate.probes import codeswitch
from romanized_corpora import (
    CODESWITCH_REPOS,
    DEFAULT_DATA,
    Sentence,
    dakshina_dev_words,
    denglisch_manual,
    ensure,
    hinglid_validation,
    icon_bn_en,
    lince_spaeng_dev,
    narabizi,
)

Identify = Callable[[str, list[str]], str | None]


def _py3langid(text: str, candidates: list[str]) -> str | None:
    allowed = {tag.split("-")[0]: tag for tag in candidates}
    if not any(ch.isalpha() for ch in text):
        return None
    for code, _ in codeswitch._identifier().rank(text):
        if code in allowed:
            return allowed[code]
    return None


def _runs(sentence: Sentence, labels: dict[str, str]) -> list[tuple[str, str, int]]:
    """(text, gold tag, tokens) per maximal run of same-language tokens (others dropped)."""
    runs: list[tuple[str, str, int]] = []
    for token, label in sentence:
        tag = labels.get(label)
        if tag is None or not any(ch.isalnum() for ch in token):
            continue
        if runs and runs[-1][1] == tag:
            text, _, n = runs[-1]
            runs[-1] = (f"{text} {token}", tag, n + 1)
        else:
            runs.append((token, tag, 1))
    return runs


def evaluate(
    sentences: list[Sentence], labels: dict[str, str], identify: Identify
) -> dict[str, float]:
    """Token accuracy, run accuracy and mean mix error over `sentences`."""
    tags = list(dict.fromkeys(labels.values()))
    second = tags[1]
    tok_right = tok_total = run_right = run_total = 0
    errors: list[float] = []
    for sentence in sentences:
        runs = _runs(sentence, labels)
        for text, gold, _ in runs:
            for token in text.split(" "):
                tok_right += identify(token, tags) == gold
                tok_total += 1
        measured = 0
        for text, gold, n in runs:
            found = identify(text, tags)
            run_right += found == gold
            run_total += 1
            measured += n if found == second else 0
        total = sum(n for _, _, n in runs)
        if len({gold for _, gold, _ in runs}) == 2:
            true = sum(n for _, gold, n in runs if gold == second)
            errors.append(abs(measured - true) / total)
    return {
        "tokens": tok_total,
        "token_acc": tok_right / tok_total,
        "run_acc": run_right / run_total,
        "mixed_sentences": len(errors),
        "mix_error": sum(errors) / len(errors),
    }


def main() -> None:
    """Print the figures per set and identifier."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--download", action="store_true")
    args = parser.parse_args()
    ensure(args.data, args.download)
    ensure(args.data, args.download, CODESWITCH_REPOS)
    arabizi = {"fr": "fr", "ar_dz": "ar-Latn", "ar_msa": "ar-Latn"}
    hindi = {"en": "en", "hi": "hi"}
    spanish = {"lang1": "en", "lang2": "es"}
    sets = {
        "Hindi-English (HingLID validation)": (hinglid_validation(args.data), hindi),
        "Bengali-English (ICON 2016 dev)": (icon_bn_en(args.data, "dev"), {"en": "en", "bn": "bn"}),
        "Arabizi-French (NArabizi dev)": (narabizi(args.data, "dev"), arabizi),
        "Spanish-English (LinCE dev)": (lince_spaeng_dev(args.data), spanish),
        "German-English (Denglisch manual)": (denglisch_manual(args.data), {"1": "en", "2": "de"}),
    }  # fmt: skip
    print(f"{'set':36s} {'identifier':10s} {'tokens':>7s} {'token acc':>9s} {'run acc':>8s} "
          f"{'mixed':>6s} {'mix err':>8s}")  # fmt: skip
    for name, (sentences, labels) in sets.items():
        for label, identify in (("langgap", codeswitch.identify), ("py3langid", _py3langid)):
            r = evaluate(sentences, labels, identify)
            print(
                f"{name:36s} {label:10s} {r['tokens']:>7.0f} {r['token_acc']:>9.3f} "
                f"{r['run_acc']:>8.3f} {r['mixed_sentences']:>6.0f} {r['mix_error']:>8.3f}"
            )
    word_checks(args.data)


def word_checks(data: Path) -> None:
    """Romanised words against English, one word at a time (Urdu and Arabizi have no
    English code-switching set here): share of each language's words identified as it."""
    english = [tok for s in icon_bn_en(data, "dev") for tok, tag in s if tag == "en"]
    arabizi = [tok for s in narabizi(data, "dev") for tok, tag in s if tag in ("ar_dz", "ar_msa")]
    sets = {
        "hi-Latn": ("Dakshina hi dev lexicon", dakshina_dev_words(data, "hi")),
        "bn-Latn": ("Dakshina bn dev lexicon", dakshina_dev_words(data, "bn")),
        "ur-Latn": ("Dakshina ur dev lexicon", dakshina_dev_words(data, "ur")),
        "ar-Latn": ("NArabizi dev Arabizi tokens", arabizi),
    }
    print("\nwords vs English, one at a time (romanised recall; English tokens of ICON dev kept)")
    for tag, (name, found) in sets.items():
        pair = ["en", tag]
        for label, identify in (("langgap", codeswitch.identify), ("py3langid", _py3langid)):
            recall = sum(identify(w, pair) == tag for w in found) / len(found)
            kept = sum(identify(w, pair) == "en" for w in english) / len(english)
            print(
                f"{name:30s} {label:10s} {len(found):>6d} words: {tag} recall {recall:.3f}, "
                f"English kept {kept:.3f} ({len(english)})"
            )


if __name__ == "__main__":
    main()
