"""PolyRefuse: 14 languages, harmful and harmless, three splits; pairs only where files line up."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from inspect_ai.dataset import Sample

from langgap.evaluate.benchmarks import LoadReport
from langgap.evaluate.benchmarks.polyrefuse import load_polyrefuse

Loaded = tuple[list[Sample], LoadReport]
LANGUAGES = {"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "ru", "th", "yo", "zh"}


@pytest.mark.slow
def test_fourteen_languages_harmful_and_harmless(polyrefuse_data: Loaded) -> None:
    samples, report = polyrefuse_data
    assert set(report.counts) == LANGUAGES
    assert not report.issues
    kinds = {(m["harmful"], m["split"]) for m in (s.metadata for s in samples) if m}
    assert kinds == {(h, sp) for h in (True, False) for sp in ("train", "val", "test")}
    assert [s.file for s in report.skipped_files] == ["LICENSE"]
    assert len({s.id for s in samples}) == len(samples)


@pytest.mark.slow
def test_test_split_is_parallel_and_english_comes_from_the_en_file(
    polyrefuse_data: Loaded,
) -> None:
    samples, _ = polyrefuse_data
    harmful_test = [s.metadata for s in samples if s.metadata and s.metadata["split"] == "test"
                    and s.metadata["harmful"]]  # fmt: skip
    per_pair = Counter(m["pair_id"] for m in harmful_test)
    assert set(per_pair.values()) == {14}  # every harmful test prompt in all 14 languages
    english = [m for m in harmful_test if m["language_tag"] == "en"]
    assert len(english) == len(per_pair)
    assert all(
        m["source"].startswith("polyrefuse/harmful_test_translated_en.json:") for m in english
    )


@pytest.mark.slow
def test_quirks_are_reported(polyrefuse_data: Loaded) -> None:
    samples, report = polyrefuse_data
    assert "harmless/test: no file for zh" in report.notes
    # the Chinese harmless train/val files are in another order: reported, and not paired
    assert any(n.startswith("harmless/train: zh items do not line up") for n in report.notes)
    zh_harmless_train = {
        s.metadata["pair_id"] for s in samples if s.metadata and s.metadata["language_tag"] == "zh"
        and s.metadata["split"] == "train" and not s.metadata["harmful"]
    }  # fmt: skip
    assert all(p.startswith("harmless-train-zh-") for p in zh_harmless_train)


def _write(folder: Path, name: str, items: list[dict[str, object]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")


def test_test_file_without_translation_never_passes_english_off(tmp_path: Path) -> None:
    folder = tmp_path / "polyrefuse"
    _write(
        folder,
        "harmless_test_translated_en.json",
        [{"instruction": "Hello", "category": None}, {"instruction": "Bye", "category": None}],
    )
    _write(folder, "harmless_test_translated_de.json",
           [{"instruction": "Hello", "instruction_translated": "Hallo", "category": None},
            {"instruction": "Bye", "category": None}])  # fmt: skip
    _write(folder, "notes.json", [])
    samples, report = load_polyrefuse(tmp_path)
    assert sorted(s.id for s in samples) == [
        "polyrefuse:harmless-test-0001:de", "polyrefuse:harmless-test-0001:en",
        "polyrefuse:harmless-test-0002:en",
    ]  # fmt: skip
    assert [(i.file, i.row, i.field) for i in report.issues] == [
        ("harmless_test_translated_de.json", 2, "instruction_translated")
    ]
    assert [s.file for s in report.skipped_files] == ["notes.json"]
    assert all(s.metadata and s.metadata["harmful"] is False for s in samples)
