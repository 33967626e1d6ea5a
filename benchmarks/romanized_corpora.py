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

Human romanisations for the `translit-latn` learned tables and their benchmark, one language
to one corpus (Dakshina, the Aksharantar sample, NepaliTransliteralDataset):
`ROMANISATION_CORPORA` holds each one's repository, files, splits and licence, the one place
train_translit.py (the tables' provenance) and bench_translit_cer.py read them from.

Arabizi with the Arabic-script spelling beside it (`ARABIZI_REPOS`, for the `arabizi` probe):
- NArabizi again (its Arabic-script column); Algerian; train/dev as above
- TArC: eligugliotta/tarc (Tunisian Arabish with CODA Arabic script, CC BY-NC-SA 4.0);
  no official split: sentences are split by a hash of their text (`carved_split`)
- DODa: darija-open-dataset/dataset (Moroccan Darija, CC BY-NC 4.0): `ongoing/*.csv`
  sentences, split by hash like TArC; the word lists (`syntactic categories/`,
  `semantic categories/`) are training data only
- get-lyrics: kevduc/get-lyrics (Egyptian artists' songs from lyricstranslate.com with the
  Arabic lyrics and, for some, a transliteration contributed by a site user, aligned by verse
  id): `data/data-lyrics/*.json`, evaluation only (song lyrics: no licence to learn tables
  from); songs whose transliteration uses the chat digits (3 for ع, 7 for ح, 2 for ء/ق) at
  least three times, so scholarly and machine romanisations drop out; no official split, so
  songs are split by a hash of their link (`carved_split`)
- Arabizi-Transliteration-jo: bashartalafha/Arabizi-Transliteration (Jordanian words):
  `keras-attention/data/training.csv` (train) and `validation.csv` (dev); its test files and
  the top-level `Arabizi-Arabic` file (which may hold test pairs) are never opened

Latin-Latin code-switching with human token labels (`CODESWITCH_REPOS`; reporting only, never
trained or tuned on; neither repository states a licence, so they are read from a clone and
never copied):
- lince-spaeng: MarkdenO/MLP-Final-Project-4 (commit 08f55303b97acac7fe2683e039925834219b2922),
  `lid_spaeng/{train,dev,test}.conll`: a copy of LinCE's Spanish-English language ID set (the
  CALCS 2016 shared-task tweets, research use under LinCE's terms; lang1 English, lang2
  Spanish); only `dev.conll` is read
- Denglisch: HaifaCLG/Denglisch (commit 091013054fc4c5d40ede8c9692df572459a70832; Osmelak and
  Wintner, SIGTYP 2023), German-English Reddit posts; `corpus/Manu_corpus.csv.zip`, the
  hand-annotated part (1 English, 2 German, 3*/4* mixed or unclear words), read whole: it has
  no split
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPOS = {
    "dakshina": "mathml42/dakshina-seq2seq-transliteration",
    "code-mixed-lid": "aparnadutta/code-mixed-lid",
    "code-mixed-nlp": "l3cube-pune/code-mixed-nlp",
    "NArabizi": "SamiaTouileb/NArabizi",
}
ARABIZI_REPOS = {
    "NArabizi": "SamiaTouileb/NArabizi",
    "TArC": "eligugliotta/tarc",
    "DODa": "darija-open-dataset/dataset",
    "Arabizi-Transliteration-jo": "bashartalafha/Arabizi-Transliteration",
    "get-lyrics": "kevduc/get-lyrics",
}
CODESWITCH_REPOS = {
    "lince-spaeng": "MarkdenO/MLP-Final-Project-4",
    "Denglisch": "HaifaCLG/Denglisch",
}
DEFAULT_DATA = Path.home() / ".cache" / "langgap" / "romanized-corpora"
Sentence = list[tuple[str, str]]  # (token, label)


def ensure(
    data: Path, download: bool, repos: dict[str, str] | tuple[str, ...] = tuple(REPOS)
) -> None:
    """Exit with the clone commands when a corpus folder is missing (or clone it). `repos` is a
    {folder: owner/name} table, or folder names from REPOS."""
    if isinstance(repos, tuple):
        repos = {name: REPOS[name] for name in repos}
    missing = [name for name in repos if not (data / name).is_dir()]
    for name in missing:
        url = f"https://github.com/{repos[name]}"
        if download:
            subprocess.run(["git", "clone", "--depth", "1", url, str(data / name)], check=True)
        else:
            sys.exit(f"corpus folder {data / name} is missing; run: git clone --depth 1 {url} "
                     f"{data / name}   (or pass --download)")  # fmt: skip


SHORT_COMMIT = 7  # the hash length of the packaged learned_roman tables' provenance


def clone_commit(folder: Path, *, short: bool = False) -> str:
    """The commit hash of the corpus clone in `folder` (for the provenance of what is learned
    from it; `short`: its first SHORT_COMMIT characters, as a table already written with them
    needs), or "unknown" when it is not a git clone."""
    found = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    commit = found.stdout.strip()
    if not commit:
        return "unknown"
    return commit[:SHORT_COMMIT] if short else commit


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


# BCP-47 -> the sample's folder name (its Manipuri is in Meetei Mayek, the probe's in Bengali
# script, so it is left out)
AKSHARANTAR_LANGUAGES = {
    "or": "ori", "as": "asm", "mai": "mai", "kok": "kok", "brx": "brx", "sa": "san", "ks": "kas",
}  # fmt: skip
NEPALI = "ne"


# (data folder, language, split, reserved_ok) -> what a corpus reader gives
LexiconReader = Callable[[Path, str, str, bool], list[tuple[str, str, int]]]
SentenceReader = Callable[[Path, str, str, bool], list[tuple[str, str]]]


@dataclass(frozen=True)
class RomanisationCorpus:
    """A corpus of human romanisations: what the learned tables' provenance says of it (`about`,
    `files`, `licence`), how it is split, the languages (BCP-47) it gives romanisations of, and
    its readers."""

    repo: str  # owner/name on GitHub, cloned into the folder named by its key
    about: str  # what it is, with its citation
    files: str  # the files the tables learn from (dev files in brackets)
    splits: str  # where train, dev and the reserved test part come from
    licence: str
    languages: tuple[str, ...]
    lexicon: LexiconReader  # (native word, romanisation, attestations) of a language's split
    sentences: SentenceReader | None = None  # (native, romanised) sentences, if it has any

    def provenance(self) -> dict[str, str]:
        """The part of a learned table's provenance that comes from its corpus."""
        return {
            "corpus": f"github.com/{self.repo} ({self.about})",
            "files": self.files,
            "licence": self.licence,
        }


ROMANISATION_CORPORA = {
    "dakshina": RomanisationCorpus(
        REPOS["dakshina"],
        "Dakshina v1.0 lexicons, Roark et al. 2020",
        "<lang>.translit.sampled.train.tsv (dev: .dev.tsv)",
        "official: lexicons/*.{train,dev}.tsv; romanised sentences romanized/*.dev.* (dev only: "
        "they come as dev and test); every *.test.* file is reserved",
        "CC BY-SA 4.0",
        DAKSHINA_LANGUAGES,
        lambda data, lang, split, ok: dakshina_lexicon(data, lang, split, reserved_ok=ok),
        lambda data, lang, split, ok: dakshina_sentences(data, lang, split, reserved_ok=ok),
    ),
    "aksharantar-sampled": RomanisationCorpus(
        "nileshtiwari1311/cs6910-assignment3",
        "aksharantar_sampled/: the IIT Madras CS6910 sample of AI4Bharat's Aksharantar, "
        "Madhani et al. 2022",
        "<code>_train.csv (dev: <code>_valid.csv)",
        "official: <code>_train.csv, <code>_valid.csv (dev); <code>_test.csv is reserved",
        "Aksharantar's card: CC0 for mined and existing parts, CC BY 4.0 for the manually "
        "collected parts (an earlier card said CC BY-NC 4.0); the copy states none",
        tuple(AKSHARANTAR_LANGUAGES),
        lambda data, lang, split, ok: aksharantar_lexicon(data, lang, split, reserved_ok=ok),
    ),
    # the IME log `transliterals_from_typeinnepali...json` is not read: its Devanagari side is
    # the IME's output and its Latin side IME typing (`aa` for ा), not chat spelling
    "NepaliTransliteralDataset": RomanisationCorpus(
        "SushilShrestha/NepaliTransliteralDataset",
        "contributors' romanisations of Nepali words",
        "transliterals/transliteral_words_*.json, words whose crc32 mod 10 >= 2 (dev: == 1)",
        "none official: carved by crc32 of the Nepali word (`carved_split`); mod 10 == 0 is "
        "the reserved test part",
        "MIT (stated in the README; the repository has no LICENSE file)",
        (NEPALI,),
        lambda data, _lang, split, ok: nepali_lexicon(data, split, reserved_ok=ok),
    ),
}
ROMANISATION_LANGUAGES = tuple(
    lang for corpus in ROMANISATION_CORPORA.values() for lang in corpus.languages
)


def romanisation_corpus(lang: str) -> str:
    """The corpus folder holding `lang`'s human romanisations (a `ROMANISATION_CORPORA` key)."""
    for folder, corpus in ROMANISATION_CORPORA.items():
        if lang in corpus.languages:
            return folder
    raise ValueError(f"no human romanisations for {lang!r}; choose from "
                     f"{', '.join(ROMANISATION_LANGUAGES)}")  # fmt: skip


def romanisation_repos(languages: Iterable[str]) -> dict[str, str]:
    """{corpus folder: owner/name} of the corpora holding `languages` (for `ensure`); an
    unknown language is a ValueError naming the known ones."""
    folders = sorted({romanisation_corpus(lang) for lang in languages})
    return {folder: ROMANISATION_CORPORA[folder].repo for folder in folders}


def romanisation_lexicon(
    data: Path, lang: str, split: str, *, reserved_ok: bool = False
) -> list[tuple[str, str, int]]:
    """(native word, human romanisation, attestations) of `lang`'s `split`, from its corpus."""
    corpus = ROMANISATION_CORPORA[romanisation_corpus(lang)]
    return corpus.lexicon(data, lang, split, reserved_ok)


def romanisation_sentences(
    data: Path, lang: str, split: str, *, reserved_ok: bool = False
) -> list[tuple[str, str]]:
    """(native sentence, human romanisation); none where the corpus has no sentences (only
    Dakshina has them)."""
    check_split(split, reserved_ok=reserved_ok)
    reader = ROMANISATION_CORPORA[romanisation_corpus(lang)].sentences
    return [] if reader is None else reader(data, lang, split, reserved_ok)


def aksharantar_lexicon(
    data: Path, lang: str, split: str, *, reserved_ok: bool = False
) -> list[tuple[str, str, int]]:
    """(native word, romanisation, rows) of the Aksharantar sample's `split` for `lang`:
    train is `<code>_train.csv`, dev `<code>_valid.csv`; `<code>_test.csv` only when reserved_ok."""
    check_split(split, reserved_ok=reserved_ok)
    code = AKSHARANTAR_LANGUAGES[lang]
    name = {"train": "train", "dev": "valid", "test": "test"}[split]
    path = data / "aksharantar-sampled" / "aksharantar_sampled" / code / f"{code}_{name}.csv"
    counts: dict[tuple[str, str], int] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row, cols in enumerate(csv.reader(handle), 1):
            if len(cols) != 2 or not cols[0].strip() or not cols[1].strip():
                sys.exit(f"{path} row {row}: expected romanisation,native word; re-fetch the "
                         "corpus")  # fmt: skip
            key = (cols[1].strip(), cols[0].strip())
            counts[key] = counts.get(key, 0) + 1
    return [(native, latin, n) for (native, latin), n in counts.items()]


def nepali_lexicon(
    data: Path, split: str, *, reserved_ok: bool = False
) -> list[tuple[str, str, int]]:
    """(Nepali word in NFC, romanisation, files giving it) of NepaliTransliteralDataset's
    contributor files whose word falls in `split` (`carved_split` of the NFC word; test only
    when reserved_ok)."""
    check_split(split, reserved_ok=reserved_ok)
    out: dict[tuple[str, str], int] = {}
    folder = data / "NepaliTransliteralDataset" / "transliterals"
    for path in sorted(folder.glob("transliteral_words_*.json")):
        try:
            entries = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            sys.exit(f"{path}: not a UTF-8 JSON object ({error}); re-fetch the corpus")
        if not isinstance(entries, dict):
            sys.exit(f"{path}: expected a JSON object word -> romanisation; re-fetch the corpus")
        for native, latin in entries.items():
            # the split key is the word as read (NFC, no spaces), so that one word spelt in two
            # Unicode forms cannot land in two splits; on the corpus's commit c895e6d no word
            # changes split by it (no word there is outside NFC or padded)
            word = unicodedata.normalize("NFC", native.strip())
            if carved_split(word) != split:
                continue
            for spelling in latin if isinstance(latin, list) else [latin]:
                if isinstance(spelling, str) and spelling.strip():  # empty: not yet romanised
                    key = (word, spelling.strip())
                    out[key] = out.get(key, 0) + 1
    return [(native, latin, n) for (native, latin), n in out.items()]


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


def lince_spaeng_dev(data: Path) -> list[Sentence]:
    """LinCE Spanish-English dev tweets, tokens tagged lang1 (English), lang2 (Spanish), ne,
    other, ... (reporting only: the copy's test.conll is never opened)."""
    path = data / "lince-spaeng" / "lid_spaeng" / "dev.conll"
    sentences: list[Sentence] = []
    current: Sentence = []
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("# sent_enum") or not line.strip():
            if current:
                sentences.append(current)
            current = []
            continue
        # a few rows separate token and label with spaces instead of a tab
        parts = line.split("\t") if "\t" in line else line.rsplit(None, 1)
        if len(parts) == 2:
            current.append((parts[0], parts[1].strip()))
    if current:
        sentences.append(current)
    return sentences


def denglisch_manual(data: Path) -> list[Sentence]:
    """Denglisch's hand-annotated sentences (post id and sentence number), tokens tagged 1
    (English), 2 (German), 3*/4* or <punct>; the <EOS>/<EOP> markers are dropped."""
    path = data / "Denglisch" / "corpus" / "Manu_corpus.csv.zip"
    with zipfile.ZipFile(path) as archive:
        text = archive.read("Manu_corpus.csv").decode("utf-8")
    sentences: list[Sentence] = []
    key: tuple[str, str] | None = None
    for row in csv.DictReader(io.StringIO(text)):
        if row["categ"] in ("<EOS>", "<EOP>"):
            continue
        if (row["sen_id"], row["sen_num"]) != key:
            key = (row["sen_id"], row["sen_num"])
            sentences.append([])
        sentences[-1].append((row["token"], row["categ"]))
    return sentences


Pair = tuple[str, str, str]  # (Arabizi token, Arabic-script spelling, language label)
SPLITS = ("train", "dev")


def _check_split(split: str, checker: bool = False) -> None:
    """Train and dev only, unless `checker` (the independent checker's `--split test`: the
    test files are reserved for them; nobody tuning these tables runs it)."""
    if split not in SPLITS and not (checker and split == "test"):
        raise ValueError("only the train and dev splits are read (test is reserved)")


def carved_split(key: str) -> str:
    """train, dev or test for a corpus without official splits: crc32 of the text, mod 10
    (0 test, reserved and never returned by these readers; 1 dev; the rest train)."""
    bucket = zlib.crc32(key.encode("utf-8")) % 10
    return "test" if bucket == 0 else "dev" if bucket == 1 else "train"


def narabizi_pairs(data: Path, split: str, checker: bool = False) -> list[list[Pair]]:
    """NArabizi sentences of `split` as (surface token, Arabic-script spelling, lang) triples;
    a multiword token's Arabic spelling is its words' spellings joined."""
    _check_split(split, checker)
    path = data / "NArabizi" / "data" / "Narabizi" / "pos" / f"{split}_NArabizi.conllu"
    sentences: list[list[Pair]] = []
    current: list[Pair] = []
    span: tuple[int, int] | None = None  # the word ids the current multiword token covers
    parts: list[str] = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            if current:
                sentences.append(current)
            current, span, parts = [], None, []
            continue
        cols = line.split("\t")
        if line.startswith("#") or len(cols) < 10:
            continue
        lang = next((f[5:] for f in cols[-1].split("|") if f.startswith("lang=")), "")
        if "-" in cols[0]:
            first, last = (int(x) for x in cols[0].split("-"))
            span, parts = (first, last), []
            current.append((cols[1], "", lang))
        elif "." not in cols[0]:
            word_id = int(cols[0])
            if span and span[0] <= word_id <= span[1]:
                parts.append(cols[3] if cols[3] != "_" else "")
                token, _, lang_mw = current[-1]
                current[-1] = (token, "".join(parts), lang_mw)
            else:
                current.append((cols[1], cols[3] if cols[3] != "_" else "", lang))
    if current:
        sentences.append(current)
    return sentences


def tarc_pairs(data: Path, split: str, checker: bool = False) -> list[list[Pair]]:
    """TArC sentences of `split` (carved by hash) as (Arabish token, CODA spelling, class)."""
    _check_split(split, checker)
    sentences: list[list[Pair]] = []
    current: list[Pair] = []
    with (data / "TArC" / "tarc.tsv").open(encoding="utf-8") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        for row in rows:
            if len(row) < 5 or row[2] == "<eos>":
                if current and carved_split(" ".join(t for t, _, _ in current)) == split:
                    sentences.append(current)
                current = []
                continue
            current.append((row[2], row[4], row[3]))
    if current and carved_split(" ".join(t for t, _, _ in current)) == split:
        sentences.append(current)
    return sentences


def doda_sentences(data: Path, split: str, checker: bool = False) -> list[tuple[str, str]]:
    """DODa `ongoing/` (Arabizi sentence, Arabic-script sentence) pairs of `split` (carved by
    hash of the Arabizi text; duplicates dropped)."""
    _check_split(split, checker)
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for path in sorted((data / "DODa" / "ongoing").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                latin, arabic = (
                    (row.get("darija") or "").strip(),
                    (row.get("darija_ar") or "").strip(),
                )
                if latin and arabic and latin not in seen and carved_split(latin) == split:
                    seen.add(latin)
                    out.append((latin, arabic))
    return out


def doda_words(data: Path) -> list[tuple[str, str]]:
    """DODa word lists: (Arabizi spelling, Arabic spelling), every listed variant (train only)."""
    out: list[tuple[str, str]] = []
    root = data / "DODa"
    for path in sorted(
        [*root.glob("syntactic categories/*.csv"), *root.glob("semantic categories/*.csv")]
    ):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                arabic = (row.get("darija_ar") or "").strip()
                variants = [
                    v for k, v in row.items() if k and k.startswith("n") and k[1:].isdigit()
                ]
                variants += [row.get("darija") or ""]
                out += [(v.strip(), arabic) for v in variants if v and v.strip() and arabic]
    return out


def jordanian_words(data: Path, split: str, checker: bool = False) -> list[tuple[str, str]]:
    """(Arabizi word, Arabic word) pairs of bashartalafha/Arabizi-Transliteration `split`
    (training.csv or validation.csv; the test files only for the checker)."""
    _check_split(split, checker)
    name = {"train": "data/training.csv", "dev": "data/validation.csv"}.get(split)
    # test (checker only): utils/test.csv, assumed to share training.csv's (Arabizi, Arabic)
    # columns; nobody here has opened it to check.
    path = data / "Arabizi-Transliteration-jo" / "keras-attention" / (name or "utils/test.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row[0], row[1]) for row in csv.reader(handle) if len(row) >= 2 and row[0]]


_ARABIC_LETTER = re.compile("[\u0600-\u06ff]")
# a chat digit standing for a letter: 3 (ع), 7 (ح), 2 (ء, ق), 5 (خ), 8/9/6 (Levant, Gulf)
_CHAT_DIGIT = re.compile(r"(?<=[a-z])[2356789]|[2356789](?=[a-z])")
CHAT_DIGITS_MIN = 3  # per song: fewer and the transliteration is scholarly or machine-made


def egyptian_lyrics(data: Path, split: str, checker: bool = False) -> list[tuple[str, str]]:
    """(Arabic verse, Arabizi verse) of kevduc/get-lyrics songs in `split` (crc32 of the song's
    link), from songs transliterated in the chat alphabet; a verse pair is kept when both sides
    are non-empty, the Latin side has no Arabic letter, the word counts differ by at most half
    (misaligned verses drop out), and it was not seen before (choruses repeat)."""
    _check_split(split, checker)
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    for path in sorted((data / "get-lyrics" / "data" / "data-lyrics").glob("*.json")):
        text, songs = _songs(path)
        for number, song in enumerate(songs, 1):
            link = str(song.get("link") or "")
            if not link or carved_split(link) != split:
                continue  # another split's song: nothing else of it is read
            try:
                latin = _verses(song.get("transliteration") or {}, "transliteration")
                digits = _CHAT_DIGIT.findall(" ".join(verse for _, verse in latin).lower())
                if len(digits) < CHAT_DIGITS_MIN:
                    continue  # (no verse: no digit)
                arabic = {key: verse.strip() for key, verse in _verses(song, "lyrics")}
            except _MalformedSong as error:  # the line is looked for only here, where it is told
                where = f"{path}{_line_of(text, link)}: song {number} ({link})"
                sys.exit(f"{where}: {error}; {_LYRICS_LAYOUT}")
            for key, verse in latin:
                ar, zi = arabic.get(key, ""), verse.strip()
                if not _ARABIC_LETTER.search(ar) or not zi or _ARABIC_LETTER.search(zi):
                    continue
                if not 2 / 3 <= len(zi.split()) / len(ar.split()) <= 3 / 2 or (ar, zi) in seen:
                    continue
                seen.add((ar, zi))
                out.append((ar, zi))
    return out


_LYRICS_LAYOUT = (
    'expected {"songs": [{"link": ..., "lyrics": [{"id": ..., "text": ...}], '
    '"transliteration": {"lyrics": [...]}}]}; re-fetch the corpus (git clone --depth 1 '
    "https://github.com/kevduc/get-lyrics)"
)


def _songs(path: Path) -> tuple[str, list[dict[str, object]]]:
    """The text and the songs of one get-lyrics file; a file of another layout exits naming it
    (and, for broken JSON, the line and column) with the fix."""
    try:
        text = path.read_text("utf-8")
        content = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        sys.exit(f"{path}: not UTF-8 JSON ({error}); {_LYRICS_LAYOUT}")
    songs = content.get("songs") if isinstance(content, dict) else None
    if not isinstance(songs, list):
        sys.exit(f'{path}: no list of songs under "songs"; {_LYRICS_LAYOUT}')
    for number, song in enumerate(songs, 1):
        if not isinstance(song, dict):
            sys.exit(f"{path}: song {number} is a {type(song).__name__}, not an object; "
                     f"{_LYRICS_LAYOUT}")  # fmt: skip
    return text, songs


def _line_of(text: str, link: str) -> str:
    """ " line N" where a song's link stands in its file's text (to open it there), else ""."""
    found = text.find(json.dumps(link)[1:-1])  # as the file spells it (escapes and all)
    if found < 0:
        return ""
    line = text.count("\n", 0, found) + 1
    return f" line {line}"


class _MalformedSong(ValueError):
    """A song whose lyrics or transliteration is not of the expected layout (what is wrong)."""


def _verses(holder: object, name: str) -> list[tuple[object, str]]:
    """(verse id, text) of the `lyrics` list in `holder` (a song or its transliteration, `name`);
    none when absent; _MalformedSong naming the part and verse when it is malformed."""
    if not isinstance(holder, dict):
        raise _MalformedSong(f"{name} is a {type(holder).__name__}, not an object")
    verses = holder.get("lyrics")
    if verses is None:
        return []
    if not isinstance(verses, list):
        raise _MalformedSong(f"{name}: lyrics is a {type(verses).__name__}, not a list")
    out = []
    for number, verse in enumerate(verses, 1):
        if (
            not isinstance(verse, dict)
            or "id" not in verse
            or not isinstance(verse.get("text"), str)
        ):
            raise _MalformedSong(f"{name}: verse {number} lacks an id or a text string")
        out.append((verse["id"], verse["text"]))
    return out


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
