"""Tests for save_figure: PNG and SVG written, figure released, SVG byte-identical on rerun."""

from __future__ import annotations

import threading
from pathlib import Path

import matplotlib

from langgap.report.figures import empty_axes, new_figure, save_figure


def _draw(out: Path) -> list[Path]:
    fig, ax = new_figure()
    ax.plot([2020, 2021, 2022], [1, 4, 9], label="line")
    ax.set(xlabel="x", ylabel="y", title="t")
    ax.legend()
    return save_figure(fig, out, "demo")


def test_writes_png_and_svg(tmp_path: Path) -> None:
    png, svg = _draw(tmp_path / "figs")
    assert png.name == "demo.png" and svg.name == "demo.svg"
    assert png.read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in svg.read_bytes()[:500]


def test_svg_and_png_are_deterministic(tmp_path: Path) -> None:
    first = _draw(tmp_path / "a")
    second = _draw(tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    svg = first[1].read_text()
    assert "<dc:date>" not in svg


def test_global_rc_is_untouched(tmp_path: Path) -> None:
    salt = matplotlib.rcParams["svg.hashsalt"]
    _draw(tmp_path)
    assert matplotlib.rcParams["svg.hashsalt"] == salt


def test_figure_is_released(tmp_path: Path) -> None:
    fig, ax = new_figure()
    ax.plot([1, 2])
    save_figure(fig, tmp_path, "x")
    assert fig.axes == []


def test_empty_axes_still_saves(tmp_path: Path) -> None:
    fig, ax = new_figure()
    empty_axes(ax)
    assert all(p.stat().st_size > 0 for p in save_figure(fig, tmp_path, "empty"))


def test_works_off_the_main_thread(tmp_path: Path) -> None:
    result: list[list[Path]] = []
    thread = threading.Thread(target=lambda: result.append(_draw(tmp_path)))
    thread.start()
    thread.join()
    assert len(result[0]) == 2
