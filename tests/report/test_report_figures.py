"""Tests for save_figure: PNG and SVG written, figure released, SVG byte-identical on rerun."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from langgap.report.figures import empty_axes, fold_label, new_figure, save_figure


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


LONG = "openai-api/stub/a-very-long-model-name-that-does-not-fit-anywhere-1234567890"


def test_fold_label_breaks_long_names_and_keeps_short_ones() -> None:
    assert fold_label("openai-api/vllm/Qwen2.5-72B-Instruct-AWQ", 20) == (
        "openai-api/vllm/\nQwen2.5-72B-\nInstruct-AWQ"
    )
    assert fold_label("gpt-4o") == "gpt-4o"
    assert all(len(line) <= 28 for line in fold_label(LONG).splitlines())


@pytest.mark.parametrize(("label", "collapses"), [(LONG, True), (fold_label(LONG), False)])
def test_a_long_tick_label_collapses_a_small_heat_map_unless_folded(
    tmp_path: Path, label: str, collapses: bool
) -> None:
    """The evaluation heat map's shape (one model row, 6 in wide): unfolded, the name takes the
    whole width and constrained layout gives up; folded, the plot keeps its room."""
    fig, ax = new_figure(6.0, 2.5)
    image = ax.imshow(np.array([[10.0, 90.0]]), aspect="auto")
    ax.set_yticks([0], [label])
    fig.colorbar(image, ax=ax)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        save_figure(fig, tmp_path, "heat")
    gave_up = any("constrained_layout not applied" in str(w.message) for w in caught)
    assert gave_up is collapses
