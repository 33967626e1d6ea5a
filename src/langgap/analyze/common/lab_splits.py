"""Disjoint roles for PolyRefuse test items: tuning a model, fitting, selecting, reporting.

Every item's pair id (the same instruction in every language) falls into exactly one role by a
salted hash, so a prompt that tuned the refusal model is never used to fit a direction, a prompt
that fitted a direction never selects one, and neither is ever reported. Roles are drawn on the
test split because it is the one PolyRefuse split that is parallel across all 14 languages
(English has no train split): the same pair ids in every language, so a language comparison is
not a comparison of different content.

>>> role_of("harmful-test-0042") in ROLES
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from langgap.analyze.common.activations import Prompt
from langgap.languages import counting_code

# role -> share of pair ids (cumulative bounds in percent, in this order)
ROLES: dict[str, tuple[int, int]] = {
    "tune": (0, 40),
    "fit": (40, 60),
    "select": (60, 75),
    "report": (75, 100),
}
SALT = "langgap-lab-roles-v1"  # changing it redraws every role: recorded in each manifest


class SplitError(ValueError):
    """A role or language the data cannot serve."""


def role_of(pair_id: str) -> str:
    """The role of one pair id: tune, fit, select or report (stable across runs and machines)."""
    digest = hashlib.sha256(f"{SALT}|{pair_id}".encode()).digest()
    bucket = int.from_bytes(digest[:4], "big") % 100
    return next(role for role, (low, high) in ROLES.items() if low <= bucket < high)


def role_prompts(
    languages: Sequence[str],
    role: str,
    n_per_class: int,
    *,
    harmful: Sequence[bool] = (True, False),
    data_dir: str | Path | None = None,
    seed: int = 0,
    name: str = "polyrefuse",
) -> list[Prompt]:
    """Up to n_per_class prompts per language and class from one role, the same pair ids in
    every language that has them (parallel), chosen by a seeded hash.

    A language with no prompt of a requested class in the role is an error naming it.
    """
    if role not in ROLES:
        raise SplitError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    codes = [counting_code(lang) for lang in languages]
    items = _test_items(name, None if data_dir is None else str(data_dir))
    known = sorted({str(p.language) for p, _ in items})
    unknown = [lang for lang, code in zip(languages, codes, strict=True) if code not in known]
    if unknown:
        raise SplitError(
            f"{name} test split has no language {', '.join(map(repr, unknown))}; "
            f"available: {', '.join(known)}"
        )
    prompts: list[Prompt] = []
    for kind in harmful:
        by_pair: dict[str, dict[str, Prompt]] = {}
        for prompt, pair in items:
            if prompt.harmful is kind and prompt.language in codes and role_of(pair) == role:
                by_pair.setdefault(pair, {})[str(prompt.language)] = prompt
        # pairs present in the most languages first, then a seeded order: parallel where possible
        order = sorted(
            by_pair,
            key=lambda p: (-len(by_pair[p]), hashlib.sha256(f"{seed}|{p}".encode()).digest()),
        )
        for code in codes:
            mine = [by_pair[p][code] for p in order if code in by_pair[p]][:n_per_class]
            if not mine:
                label = "harmful" if kind else "harmless"
                raise SplitError(
                    f"{name} test split has no {label} prompts for {code} in role {role!r}; "
                    "leave that language out (PolyRefuse has no Chinese harmless test prompts)"
                )
            prompts += mine
    return prompts


@cache
def _test_items(name: str, data_dir: str | None) -> tuple[tuple[Prompt, str], ...]:
    """Every test-split prompt of the benchmark with its pair id (loaded once per process)."""
    from langgap.evaluate.benchmarks import load_benchmark

    samples, _ = load_benchmark(name, data_dir=data_dir, split="test")
    items = []
    for s in samples:
        meta = s.metadata or {}
        code = counting_code(str(meta.get("language")))
        prompt = Prompt(str(s.input), str(s.id), code, bool(meta.get("harmful", True)))
        items.append((prompt, str(meta.get("pair_id") or s.id)))
    return tuple(items)
