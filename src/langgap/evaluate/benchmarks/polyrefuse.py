"""PolyRefuse (Wang et al. 2025): harmful and harmless instructions in 14 languages, 3 splits.

Test files hold the English `instruction` and the target-language `instruction_translated`;
train/val files hold only `instruction`, already in the target language.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai.dataset import Sample

from langgap.evaluate.benchmarks._common import (
    BenchmarkError,
    LoadIssue,
    LoadReport,
    benchmark_dir,
    language_of,
    make_sample,
    read_text,
    unaligned,
)
from langgap.evaluate.samples import SampleMeta
from langgap.languages import Language

NAME = "polyrefuse"
FILE_RE = re.compile(
    r"(?P<kind>harmful|harmless)_(?P<split>train|val|test)_translated_(?P<lang>[A-Za-z_-]+)\.json"
)
SPLITS = ("train", "val", "test")


@dataclass(frozen=True, slots=True)
class _Item:
    number: int  # 1-based position in the JSON list
    text: str  # "" when unusable (reported)
    english: str | None  # the English source (test files only)
    category: str | None


@dataclass
class _File:
    path: Path
    kind: str
    split: str
    folder_lang: str
    language: Language
    items: list[_Item]


def _text(obj: dict[str, Any], split: str, language: Language) -> tuple[str, str | None, str]:
    """(target-language text, English source or None, field the text comes from)."""
    if "instruction_translated" in obj:
        text, english = obj.get("instruction_translated"), obj.get("instruction")
        if language.code == "eng" and not (isinstance(text, str) and text.strip()):
            text = english
        field = "instruction_translated"
    elif split == "test" and language.code != "eng":
        # here `instruction` is the English source: never pass it off as the target language
        return "", None, "instruction_translated"
    else:
        text, english, field = obj.get("instruction"), None, "instruction"
    text = text.strip() if isinstance(text, str) else ""
    return text, english if isinstance(english, str) else None, field


def _read(path: Path, split: str, language: Language, report: LoadReport) -> list[_Item]:
    try:
        data: Any = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise BenchmarkError(
            f"{path}:{err.lineno}: not valid JSON ({err.msg}). Fix: repair it"
        ) from err
    if not isinstance(data, list):
        raise BenchmarkError(
            f"{path}: expected a JSON list of objects, found {type(data).__name__}"
        )
    items: list[_Item] = []
    for number, obj in enumerate(data, start=1):
        if not isinstance(obj, dict):
            report.issues.append(LoadIssue(path.name, number, "item is not a JSON object"))
            items.append(_Item(number, "", None, None))
            continue
        text, english, field = _text(obj, split, language)
        if not text:
            report.issues.append(
                LoadIssue(path.name, number, "missing or empty text", "fill it in", field)
            )
        category = obj.get("category")
        items.append(
            _Item(
                number,
                text,
                english,
                category if isinstance(category, str) and category.strip() else None,
            )
        )
    return items


def _files(root: Path, report: LoadReport) -> list[_File]:
    files: list[_File] = []
    for path in sorted(root.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        match = FILE_RE.fullmatch(path.name)
        if match is None:
            why = "not named {harmful,harmless}_{train,val,test}_translated_<lang>.json"
            report.skipped_files.append(LoadIssue(path.name, None, why))
            continue
        lang = language_of(match["lang"], f"{path} (language in the file name)")
        report.files.append(path.name)
        items = _read(path, match["split"], lang, report)
        report.rows_read += len(items)
        files.append(_File(path, match["kind"], match["split"], match["lang"], lang, items))
    return files


def _loose_rows(group: list[_File], report: LoadReport, label: str) -> dict[str, set[int]]:
    """Per language file, the row positions that cannot be paired with the other languages."""
    sizes = {f.folder_lang: len(f.items) for f in group}
    paired = min(sizes.values())
    loose: dict[str, set[int]] = {f.folder_lang: set(range(paired, len(f.items))) for f in group}
    if len(set(sizes.values())) > 1:
        counts = ", ".join(f"{k}={v}" for k, v in sorted(sizes.items()))
        report.notes.append(f"{label}: item counts differ ({counts}); first {paired} paired")
    english = next((f for f in group if f.language.code == "eng"), None)
    for f in group:  # test files carry the English source: compare it item by item
        if english is None or f is english:
            continue
        off = {
            i
            for i, (a, b) in enumerate(zip(f.items, english.items, strict=False))
            if a.english is not None and a.english != b.text
        }
        if off:
            loose[f.folder_lang] |= off
            report.notes.append(
                f"{label}: {len(off)} {f.folder_lang} item(s) translate a different English "
                "source than the English file at the same position; left unpaired"
            )
    texts = {f.folder_lang: [i.text for i in f.items] for f in group}
    for lang, r in sorted(unaligned(texts).items()):
        loose[lang] = set(range(sizes[lang]))
        report.notes.append(
            f"{label}: {lang} items do not line up with the other languages (length "
            f"correlation {r}); they get their own pair ids"
        )
    return loose


def load_polyrefuse(data_dir: str | Path | None = None) -> tuple[list[Sample], LoadReport]:
    """One sample per instruction and language; pair_id is kind-split-position where aligned."""
    root = benchmark_dir(data_dir, "polyrefuse", "PolyRefuse")
    report = LoadReport(benchmark=NAME, path=str(root))
    files = _files(root, report)
    all_langs = {f.folder_lang for f in files}
    samples: list[Sample] = []
    for kind in ("harmful", "harmless"):
        for split in SPLITS:
            group = [f for f in files if f.kind == kind and f.split == split]
            label = f"{kind}/{split}"
            if not group:
                report.notes.append(f"{label}: no files")
                continue
            missing = sorted(all_langs - {f.folder_lang for f in group})
            if missing:
                report.notes.append(f"{label}: no file for {', '.join(missing)}")
            loose = _loose_rows(group, report, label)
            for f in group:
                samples += _samples(f, loose[f.folder_lang])
    return samples, report.finish(samples)


def _samples(f: _File, loose: set[int]) -> list[Sample]:
    out: list[Sample] = []
    for index, item in enumerate(f.items):
        if not item.text:
            continue  # already reported by _read
        where = f"{f.kind}-{f.split}-{f.folder_lang}" if index in loose else f"{f.kind}-{f.split}"
        meta = SampleMeta(
            benchmark=NAME,
            language=f.language.code,
            language_tag=f.language.tag,
            pair_id=f"{where}-{index + 1:04d}",
            category=item.category,
            resource_level="high" if f.language.code == "eng" else None,
            harmful=f.kind == "harmful",
            split=f.split,
            source=f"polyrefuse/{f.path.name}:{item.number}",
        )
        out.append(make_sample(item.text, meta))
    return out
