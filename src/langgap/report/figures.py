"""Figure helpers: make a pyplot-free figure and save it as PNG and deterministic SVG."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 150

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#999999")


def fold_label(text: str, width: int = 28) -> str:
    """A long label (a model name, an axis title) on several lines, broken after a space, '/',
    '-' or '_', so a figure keeps its plot area; a piece longer than width stays whole.

    >>> fold_label("openai-api/vllm/Qwen2.5-72B-Instruct-AWQ", 20)
    'openai-api/vllm/\nQwen2.5-72B-Instruct-\nAWQ'
    """
    lines: list[str] = []
    line = ""
    for piece in re.findall(r"[^ /_-]*(?:[ /_-]|$)", text):
        if line and len(line) + len(piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += piece
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)


def new_figure(width: float = 7.0, height: float = 4.2) -> tuple[Figure, Axes]:
    """A figure with one axes, drawn by Agg and unknown to pyplot (safe outside the main thread)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_axisbelow(True)
    return fig, ax


def empty_axes(ax: Axes, message: str = "no data") -> None:
    """Mark an axes as having nothing to plot, so an empty figure says why it is empty."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#666666")
    ax.set_xticks([])
    ax.set_yticks([])


def save_figure(fig: Figure, out_dir: Path, stem: str) -> list[Path]:
    """Save fig as out_dir/stem.png and out_dir/stem.svg, close it, and return both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{stem}.png", out_dir / f"{stem}.svg"
    try:
        # PNG text chunks carry the matplotlib version; drop it so files only change with content.
        fig.savefig(png, format="png", dpi=DPI, metadata={"Software": None})
        # A fixed salt makes SVG element ids stable, so a rerun over cached inputs writes
        # byte-identical files; rc_context is the only way to pass it and is restored right after.
        with matplotlib.rc_context({"svg.hashsalt": "langgap", "svg.fonttype": "path"}):
            fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    finally:
        close_figure(fig)
    return [png, svg]


def close_figure(fig: Figure) -> None:
    """Release a figure: via pyplot if pyplot manages it, otherwise by clearing it."""
    if fig.canvas.manager is not None:
        import matplotlib.pyplot as plt  # only reached for figures pyplot already created

        plt.close(fig)
    else:
        fig.clear()
