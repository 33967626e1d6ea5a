"""The probe contract: a probe turns benchmark samples into variant samples, and says what it made.

>>> probe = get_probe("translit-latn")
>>> variants, report = probe.apply(samples, seed=0)  # doctest: +SKIP
>>> report.made, report.skipped_by_reason()  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from typing import Any, Protocol, runtime_checkable

from inspect_ai.dataset import Dataset, MemoryDataset, Sample

from langgap.evaluate.samples import SampleMeta


class ProbeError(ValueError):
    """A probe that cannot be built or applied as asked; the message says what would work."""


@runtime_checkable
class Probe(Protocol):
    """Turns samples into variant samples; the same seed gives the same output."""

    name: str

    @property
    def params(self) -> dict[str, Any]:
        """Every parameter that shapes the output (recorded in each output sample)."""
        ...

    def apply(self, samples: Sequence[Sample], *, seed: int) -> tuple[list[Sample], ProbeReport]:
        """The variant samples and a report of what was made and skipped, with why."""
        ...


@dataclass(frozen=True, slots=True)
class ProbeSkip:
    """One input the probe could not use; ids only, never prompt text."""

    sample_id: str
    language_tag: str
    reason: str


@dataclass
class ProbeReport:
    """What a probe made and skipped (with reasons); counts and ids only, never prompt text."""

    probe: str
    params: dict[str, Any]
    seen: int = 0
    made: int = 0
    skipped: list[ProbeSkip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)  # e.g. measured-mix deviation

    def skip(self, sample: Sample | None, reason: str, *, sample_id: str = "") -> None:
        """Record one input left out and why."""
        meta = (sample.metadata or {}) if sample is not None else {}
        sid = sample_id or (str(sample.id) if sample is not None else "")
        self.skipped.append(ProbeSkip(sid, str(meta.get("language_tag", "")), reason))

    def skipped_by_reason(self) -> dict[str, int]:
        """Reason -> number of inputs skipped for it."""
        return dict(Counter(s.reason for s in self.skipped).most_common())

    def summary(self) -> str:
        """A short plain-text account, safe to print."""
        lines = [f"{self.probe}: {self.seen} inputs, {self.made} made, {len(self.skipped)} skipped"]
        lines += [f"  skipped ({n}): {reason}" for reason, n in self.skipped_by_reason().items()]
        lines += [f"  {key}: {value:.4g}" for key, value in sorted(self.stats.items())]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


ProbeFactory = Callable[..., Probe]
PROBES: dict[str, ProbeFactory] = {}


def register_probe(kind: str) -> Callable[[ProbeFactory], ProbeFactory]:
    """Register a probe factory under `kind` (used as a class decorator)."""

    def wrap(factory: ProbeFactory) -> ProbeFactory:
        PROBES[kind] = factory
        return factory

    return wrap


def get_probe(kind: str, **params: Any) -> Probe:
    """The probe registered as `kind`, built with `params`."""
    if kind not in PROBES:
        known = ", ".join(sorted(PROBES)) or "none registered"
        raise ProbeError(f"unknown probe {kind!r}; known probes: {known}")
    try:
        return PROBES[kind](**params)
    except TypeError as err:  # a misspelt keyword: say which probe refused it
        raise ProbeError(f"probe {kind!r}: {err}") from err


def as_dataset_transform(probe: Probe, *, seed: int = 0) -> Callable[[Dataset], Dataset]:
    """A function Dataset -> Dataset applying `probe` (for Inspect tasks)."""

    def transform(dataset: Dataset) -> Dataset:
        samples, _ = probe.apply(list(dataset), seed=seed)
        return MemoryDataset(samples, name=f"{dataset.name or 'dataset'}:{probe.name}")

    return transform


@cache
def library_versions(*distributions: str) -> dict[str, str]:
    """Installed versions of the named distributions (recorded so outputs can be reproduced)."""
    out = {"langgap": _version("langgap")}
    out.update({name: _version(name) for name in distributions})
    return out


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def stable_seed(seed: int, *parts: str) -> int:
    """A per-item seed from the run seed and item keys, independent of order and PYTHONHASHSEED."""
    digest = hashlib.sha256("\x1f".join((str(seed), *parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def params_digest(params: Mapping[str, Any]) -> str:
    """The short hash of a probe's params that makes variant sample ids unique."""
    return hashlib.sha256(repr(sorted(params.items())).encode("utf-8")).hexdigest()[:8]


def variant_sample(
    original: Sample,
    text: str,
    *,
    variant: str,
    params: Mapping[str, Any],
    language: str | None = None,
    language_tag: str | None = None,
    extra: Mapping[str, Any] | None = None,
    digest: str | None = None,
) -> Sample:
    """A new sample from `original`: same pair_id, new variant, params and a unique id.

    `digest` is `params_digest(params)`, given when the caller builds many samples with the
    same params (it is then computed once, not per sample).
    """
    updates: dict[str, Any] = {"variant": variant, "params": dict(params), **(extra or {})}
    if language is not None:
        updates["language"] = language
    if language_tag is not None:
        updates["language_tag"] = language_tag
    # one validation of the merged metadata (the contract every output keeps)
    new = SampleMeta.model_validate({**(original.metadata or {}), **updates})
    sample_id = f"{original.id}:{variant}:{digest or params_digest(params)}"
    return Sample(
        input=text,
        target=original.target,
        id=sample_id,
        metadata=new.as_metadata(),
        choices=original.choices,
        sandbox=original.sandbox,
        files=original.files,
        setup=original.setup,
    )


def sample_texts(samples: Iterable[Sample]) -> Iterable[tuple[Sample, str | None]]:
    """Each sample with its prompt text, or None when the input is a chat message list."""
    for sample in samples:
        yield sample, sample.input if isinstance(sample.input, str) else None


class SkipSample(Exception):
    """Raised by a per-sample transform: the sample is skipped with this reason."""


@dataclass(frozen=True, slots=True)
class Rewritten:
    """One per-sample transform result."""

    text: str
    language_tag: str | None = None
    language: str | None = None
    extra: Mapping[str, Any] | None = None


def apply_each(
    name: str,
    params: dict[str, Any],
    samples: Sequence[Sample],
    transform: Callable[[Sample, str], Rewritten],
) -> tuple[list[Sample], ProbeReport]:
    """Run a per-sample transform over `samples`, recording every skip with its reason."""
    report = ProbeReport(probe=name, params=params)
    out: list[Sample] = []
    digest = params_digest(params)
    for sample, text in sample_texts(samples):
        report.seen += 1
        if text is None:
            report.skip(sample, "chat-message input (only single prompts are rewritten)")
            continue
        try:
            result = transform(sample, text)
        except SkipSample as why:
            report.skip(sample, str(why))
            continue
        out.append(
            variant_sample(
                sample,
                result.text,
                variant=name,
                params=params,
                language=result.language,
                language_tag=result.language_tag,
                extra=result.extra,
                digest=digest,
            )
        )
    report.made = len(out)
    return out, report
