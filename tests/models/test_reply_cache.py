"""The one reply cache: on-disk lines, torn lines, batching, and the old formats it still reads."""

from __future__ import annotations

import json
from pathlib import Path

from langgap.models.cache import ReplyCache, read_json_object, scoped_path, text_key


def test_replies_survive_a_restart_in_any_json_shape(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    cache = ReplyCache(path)
    cache.put("a", "Bonjour")
    cache.put("b", {"related": True, "languages": ["Hindi"]})
    again = ReplyCache(path)
    assert again.get("a") == "Bonjour" and again.get("b") == {
        "related": True,
        "languages": ["Hindi"],
    }
    assert len(again) == 2 and again.get("c") is None


def test_reads_the_rewrite_cache_lines_written_before(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    path.write_text('{"k": "x", "t": "hola"}\n', encoding="utf-8")  # RewriteCache's format
    assert ReplyCache(path).get("x") == "hola"


def test_a_torn_line_is_skipped_and_the_next_write_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"k": "a", "t": "one"}\n{"k": "b", "t": "tw', encoding="utf-8")
    cache = ReplyCache(path)
    assert cache.get("a") == "one" and cache.get("b") is None
    cache.put("b", "two")
    assert ReplyCache(path).get("b") == "two"  # not glued to the torn line


def test_batched_writes_reach_disk_on_flush(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    cache = ReplyCache(path, flush_interval=3600)
    cache.put("a", "one")
    cache.put("b", "two")
    assert len(ReplyCache(path)) == 0  # batched: nothing on disk before the interval
    cache.flush()
    assert ReplyCache(path).get("b") == "two"


def test_legacy_entries_are_read_and_new_ones_win(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"a": "old", "b": "kept"}), encoding="utf-8")
    path = tmp_path / "new.jsonl"
    ReplyCache(path).put("a", "new")
    cache = ReplyCache(path, legacy=read_json_object(old))
    assert (cache.get("a"), cache.get("b")) == ("new", "kept")
    assert read_json_object(tmp_path / "absent.json") == {}


def test_no_path_keeps_replies_in_memory_only(tmp_path: Path) -> None:
    cache = ReplyCache.for_scope("kind", "scope", tmp_path, enabled=False)
    cache.put("a", "one")
    assert cache.get("a") == "one" and list(tmp_path.iterdir()) == []


def test_scoped_paths_keep_colliding_names_apart(tmp_path: Path) -> None:
    assert scoped_path("k", "a/b", tmp_path) != scoped_path("k", "a_b", tmp_path)
    assert scoped_path("k", "a/b", tmp_path).suffix == ".jsonl"
    assert text_key("a", "b") != text_key("a\x1fb", "") and len(text_key("a")) == 32


def test_upgrading_reads_the_whole_file_json_cache_beside_it(tmp_path: Path) -> None:
    stem = tmp_path / "judge-gpt-4.1-abc"  # a dot in the name: the suffixes are appended
    (tmp_path / "judge-gpt-4.1-abc.json").write_text(
        json.dumps({"answers": {"k1": {"a": 1}, "k2": "raw"}, "k3": "top"}), encoding="utf-8"
    )
    survey = ReplyCache.upgrading(stem, section="answers")
    assert survey.get("k1") == {"a": 1} and survey.get("k2") == "raw" and survey.get("k3") is None
    judge = ReplyCache.upgrading(stem, keep=str)
    assert judge.get("k3") == "top" and judge.get("answers") is None  # not a str: asked again
    judge.put("k4", "new")
    judge.flush()
    assert survey.path == judge.path == tmp_path / "judge-gpt-4.1-abc.jsonl"
    assert ReplyCache.upgrading(stem, keep=str).get("k4") == "new"
    assert ReplyCache.upgrading(tmp_path / "none", section="answers").get("k1") is None
