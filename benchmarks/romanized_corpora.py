"""Readers for the public corpora behind the romanised language ID (train and dev splits only).

Each corpus is a public GitHub repository, cloned into one folder (`--data`, default
~/.cache/langgap/romanized-corpora; `--download` clones what is missing). Test splits are
reserved for independent checking: no reader here opens a test file.

- dakshina: mathml42/dakshina-seq2seq-transliteration (a copy of the Dakshina v1.0 lexicons);
  `*.translit.sampled.train.tsv` (training), `*.dev.tsv` (reporting)
- code-mixed-lid: aparnadutta/code-mixed-lid (ICON 2015/2016 Bengali-English);
  `train_dev_test_data/{train,dev}.txt`
- code-mixed-nlp: l3cube-pune/code-mixed-nlp (L3Cube-HingLID); `validation.txt`, reporting only
- NArabizi: SamiaTouileb/NArabizi (Algerian Arabizi-French); `{train,dev}_NArabizi.conllu`
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPOS = {
    "dakshina": "mathml42/dakshina-seq2seq-transliteration",
    "code-mixed-lid": "aparnadutta/code-mixed-lid",
    "code-mixed-nlp": "l3cube-pune/code-mixed-nlp",
    "NArabizi": "SamiaTouileb/NArabizi",
}
DEFAULT_DATA = Path.home() / ".cache" / "langgap" / "romanized-corpora"
Sentence = list[tuple[str, str]]  # (token, label)


def ensure(data: Path, download: bool, names: tuple[str, ...] = tuple(REPOS)) -> None:
    """Exit with the clone commands when a corpus folder is missing (or clone it)."""
    missing = [name for name in names if not (data / name).is_dir()]
    for name in missing:
        url = f"https://github.com/{REPOS[name]}"
        if download:
            subprocess.run(["git", "clone", "--depth", "1", url, str(data / name)], check=True)
        else:
            sys.exit(f"corpus folder {data / name} is missing; run: git clone --depth 1 {url} "
                     f"{data / name}   (or pass --download)")  # fmt: skip


DAKSHINA_LANGUAGES = ("bn", "gu", "hi", "kn", "ml", "mr", "pa", "sd", "si", "ta", "te", "ur")
OPEN_SPLITS = ("train", "dev")


class ReservedSplitError(ValueError):
    """A test split was asked for without saying so explicitly (it is for independent checking)."""


def check_split(split: str, *, reserved_ok: bool = False) -> None:
    """Refuse the reserved test split unless the caller explicitly opted in."""
    if split in OPEN_SPLITS or (split == "test" and reserved_ok):
        return
    if split == "test":
        raise ReservedSplitError(
            "the test split is reserved for independent checking; only an explicit "
            "--split test reads it"
        )
    raise ValueError(f"unknown split {split!r}; choose train, dev or test")


def dakshina_lexicon(
    data: Path, lang: str, split: str, *, reserved_ok: bool = False
) -> list[tuple[str, str, int]]:
    """(native word, attested romanisation, attestations) of one Dakshina lexicon split."""
    check_split(split, reserved_ok=reserved_ok)
    path = data / "dakshina" / "dakshina_dataset_v1.0" / lang / "lexicons"
    out = []
    for row, line in enumerate(
        (path / f"{lang}.translit.sampled.{split}.tsv").read_text("utf-8").splitlines(), 1
    ):
        parts = line.split("\t")
        if len(parts) == 3 and parts[2].isdigit():
            out.append((parts[0], parts[1], int(parts[2])))
        elif line.strip():
            sys.exit(f"{path}/{lang}.translit.sampled.{split}.tsv row {row}: expected "
                     "native<TAB>romanisation<TAB>count; re-fetch the corpus")  # fmt: skip
    return out


def dakshina_sentences(
    data: Path, lang: str, split: str, *, reserved_ok: bool = False
) -> list[tuple[str, str]]:
    """(native sentence, human romanisation) of Dakshina's romanised set (dev or test only)."""
    check_split(split, reserved_ok=reserved_ok)
    if split == "train":
        return []  # the romanised sentences come as dev and test only
    path = data / "dakshina" / "dakshina_dataset_v1.0" / lang / "romanized"
    native = (path / f"{lang}.romanized.rejoined.{split}.native.txt").read_text("utf-8")
    roman = (path / f"{lang}.romanized.rejoined.{split}.roman.txt").read_text("utf-8")
    pairs = list(zip(native.splitlines(), roman.splitlines(), strict=False))
    if len(native.splitlines()) != len(roman.splitlines()):
        sys.exit(f"{path}: {lang}.romanized.rejoined.{split}.native.txt and .roman.txt differ "
                 "in line count; re-fetch the corpus")  # fmt: skip
    return pairs


def dakshina_train(data: Path, lang: str) -> list[tuple[str, str, int]]:
    """(native word, attested romanisation, attestations) of the Dakshina lexicon's train split."""
    return dakshina_lexicon(data, lang, "train")


def dakshina_dev_words(data: Path, lang: str) -> list[str]:
    """Distinct attested romanisations of the Dakshina lexicon's dev split (reporting only)."""
    path = data / "dakshina" / "dakshina_dataset_v1.0" / lang / "lexicons"
    lines = (path / f"{lang}.translit.sampled.dev.tsv").read_text("utf-8").splitlines()
    return sorted({parts[1] for line in lines if len(parts := line.split("\t")) == 3})


def icon_bn_en(data: Path, split: str) -> list[Sentence]:
    """ICON Bengali-English sentences of `split` ("train" or "dev"), tokens tagged en/bn/..."""
    if split not in ("train", "dev"):
        raise ValueError("only the train and dev splits are read")
    path = data / "code-mixed-lid" / "train_dev_test_data" / f"{split}.txt"
    sentences = []
    for line in path.read_text("utf-8").splitlines():
        pairs = [item.rsplit("/", 1) for item in line.split(" ") if "/" in item]
        sentences.append([(tok, tag) for tok, tag in pairs])
    return sentences


def hinglid_validation(data: Path) -> list[Sentence]:
    """L3Cube-HingLID validation sentences, tokens tagged EN/HI (reporting only)."""
    path = data / "code-mixed-nlp" / "L3Cube-HingLID" / "validation.txt"
    return list(_blank_separated(path, lambda cols: (cols[0], cols[1].lower())))


def narabizi(data: Path, split: str) -> list[Sentence]:
    """NArabizi sentences of `split` ("train" or "dev"): surface tokens tagged ar_dz/fr/..."""
    if split not in ("train", "dev"):
        raise ValueError("only the train and dev splits are read")
    path = data / "NArabizi" / "data" / "Narabizi" / "pos" / f"{split}_NArabizi.conllu"
    sentences: list[Sentence] = []
    current: Sentence = []
    covered = 0  # last word id a multiword token spans
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            if current:
                sentences.append(current)
            current, covered = [], 0
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 10:
            continue
        lang = next((f[5:] for f in cols[-1].split("|") if f.startswith("lang=")), "")
        if "-" in cols[0]:
            current.append((cols[1], lang))
            covered = int(cols[0].split("-")[1])
        elif "." not in cols[0] and int(cols[0]) > covered:
            current.append((cols[1], lang))
    if current:
        sentences.append(current)
    return sentences


def _blank_separated(path: Path, parse: object) -> Iterator[Sentence]:
    assert callable(parse)
    current: Sentence = []
    for line in path.read_text("utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) < 2:
            if current:
                yield current
            current = []
            continue
        current.append(parse(cols))
    if current:
        yield current
