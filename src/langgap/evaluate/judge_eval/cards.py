"""Judge cards: who judged, with what, and per language how far to trust it (κ with humans, n).

A language is `trusted` when the judge covers it, kappa counting unclear is ≥ `min_kappa` and at
least `min_n` labelled responses back it; evaluation reports show the card's figure beside each
language's score through `judge_agreement_note`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langgap._io import atomic_write_text
from langgap.evaluate.judge_eval.metrics import MetaEvaluation
from langgap.report import MarkdownReport

MIN_KAPPA = 0.6
MIN_N = 50
CARD_JSON = "judge_card.json"
CARD_MD = "judge_card.md"


class JudgeCardError(ValueError):
    """A judge card file cannot be read."""


@dataclass(frozen=True, slots=True)
class CardRow:
    """One language on a judge card."""

    judge: str
    language: str
    kappa: float | None  # counting unclear as disagreement
    kappa_ci95: tuple[float | None, float | None]
    n: int
    unclear_rate: float | None
    f1: float | None
    status: str  # "ok" or "unsupported"
    trusted: bool
    data: str  # the labelled set it was measured on


def _why(row: CardRow, min_kappa: float, min_n: int) -> str:
    if row.status != "ok":
        return "language not covered by the judge"
    if row.n < min_n:
        return f"too few labelled responses (n={row.n} < {min_n})"
    if row.kappa is None:
        return "kappa undefined"
    return "" if row.kappa >= min_kappa else f"kappa {row.kappa:.2f} < {min_kappa}"


def card_rows(
    result: MetaEvaluation, data: str, min_kappa: float = MIN_KAPPA, min_n: int = MIN_N
) -> list[CardRow]:
    """The card's per-language rows for a meta-evaluation."""
    rows = []
    for r in result.rows:
        kappa = r.all["kappa"]
        value = None if math.isnan(kappa.value) else round(kappa.value, 4)
        low = None if math.isnan(kappa.low) else round(kappa.low, 4)
        high = None if math.isnan(kappa.high) else round(kappa.high, 4)
        f1 = r.all["f1"].value
        unclear = r.unclear_rate.value
        trusted = r.status == "ok" and r.n >= min_n and value is not None and value >= min_kappa
        rows.append(
            CardRow(
                result.judge,
                r.language,
                value,
                (low, high),
                r.n,
                None if math.isnan(unclear) else round(unclear, 4),
                None if math.isnan(f1) else round(f1, 4),
                r.status,
                trusted,
                data,
            )
        )
    return rows


def write_judge_card(
    result: MetaEvaluation,
    out: Path,
    data: str,
    min_kappa: float = MIN_KAPPA,
    min_n: int = MIN_N,
    date: str | None = None,
) -> tuple[Path, Path]:
    """Write `judge_card.json` and `judge_card.md` into `out`; returns both paths."""
    out.mkdir(parents=True, exist_ok=True)
    rows = card_rows(result, data, min_kappa, min_n)
    card = {
        "judge": result.judge,
        "model": result.extra.get("model"),
        "judge_version": result.extra.get("judge_version"),
        "prompt_version": result.extra.get("prompt_version"),
        "date": date or datetime.now(UTC).date().isoformat(),
        "data": data,
        "view": result.view,
        "trust_rule": {"min_kappa": min_kappa, "min_n": min_n, "kappa": "counting unclear"},
        "languages": [
            {**asdict(r), "kappa_ci95": list(r.kappa_ci95), "why_not": _why(r, min_kappa, min_n)}
            for r in rows
        ],
    }
    json_path, md_path = out / CARD_JSON, out / CARD_MD
    atomic_write_text(json_path, json.dumps(card, indent=2, ensure_ascii=False))
    report = MarkdownReport(f"Judge card: {result.judge}")
    report.paragraph(
        f"Model: {card['model'] or 'none (rule-based)'}; version {card['judge_version']}; "
        f"prompt {card['prompt_version'] or 'n/a'}; measured {card['date']} on {data} "
        f"({result.view} view)."
    )
    trusted = [r.language for r in rows if r.trusted]
    untrusted = [f"{r.language} ({_why(r, min_kappa, min_n)})" for r in rows if not r.trusted]
    report.paragraph(f"Trusted (κ ≥ {min_kappa}, n ≥ {min_n}): {', '.join(trusted) or 'none'}.")
    report.paragraph(f"Not trusted: {'; '.join(untrusted) or 'none'}.")
    report.table(
        ["language", "κ (unclear counted)", "95% CI", "n", "unclear", "F1", "status", "trusted"],
        [
            [
                r.language,
                r.kappa,
                _ci(r.kappa_ci95),
                r.n,
                r.unclear_rate,
                r.f1,
                r.status,
                "yes" if r.trusted else "no",
            ]
            for r in rows
        ],
    )
    report.write(md_path)
    return json_path, md_path


def _ci(ci: tuple[float | None, float | None]) -> str:
    low, high = ci
    return f"[{low:.2f}, {high:.2f}]" if low is not None and high is not None else "n/a"


def load_judge_cards(paths: Iterable[Path]) -> dict[tuple[str, str], CardRow]:
    """Card rows by (judge, language) from card files or folders holding `judge_card.json`;
    a later card replaces an earlier one for the same pair."""
    found: dict[tuple[str, str], CardRow] = {}
    for given in paths:
        path = Path(given)
        path = path / CARD_JSON if path.is_dir() else path
        try:
            card = json.loads(path.read_text(encoding="utf-8"))
            for entry in card["languages"]:
                row = _row(entry)
                found[(row.judge, row.language)] = row
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise JudgeCardError(f"{path}: not a readable judge card ({exc})") from None
    return found


def _row(entry: dict[str, Any]) -> CardRow:
    low, high = entry["kappa_ci95"]
    return CardRow(
        str(entry["judge"]),
        str(entry["language"]),
        entry["kappa"],
        (low, high),
        int(entry["n"]),
        entry.get("unclear_rate"),
        entry.get("f1"),
        str(entry["status"]),
        bool(entry["trusted"]),
        str(entry.get("data", "")),
    )


def judge_agreement_note(cards: dict[tuple[str, str], CardRow], judge: str, language: str) -> str:
    """e.g. "κ=0.71 (n=300)", "κ=0.41 (n=300, not trusted)", or that agreement is unmeasured."""
    row = cards.get((judge, language))
    if row is None:
        return "no judge card: agreement unmeasured"
    if row.status != "ok":
        return f"judge does not cover {language} (n={row.n})"
    if row.kappa is None:
        return f"κ undefined (n={row.n})"
    flag = "" if row.trusted else ", not trusted"
    return f"κ={row.kappa:.2f} (n={row.n}{flag})"
