"""What the transfer experiment keeps under its output folder to resume: evaluations by
fingerprint, and each row's adapter record (done.json). Ids and outcomes only, never text."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from langgap.analyze.common.behaviour import RefusalEval, Reply
from langgap.analyze.common.experiment import digest, read_json, write_json
from langgap.analyze.common.transfer_config import TransferConfig

DONE_FILE = "done.json"  # written last into a row's adapter folder: marks the adapter done


def digest16(obj: Any) -> str:
    """The 16-hex-digit key of what decides a cached part."""
    return digest(obj, length=16)


def file_digest16(path: str | None) -> str | None:
    """The first 16 hex digits of a file's SHA-256 (None for no file)."""
    if path is None:
        return None
    return hashlib.sha256(Path(path).expanduser().read_bytes()).hexdigest()[:16]


def eval_to_json(evaluation: RefusalEval, fingerprint: str) -> dict[str, Any]:
    """A RefusalEval as stored in the cache: outcomes by id, no text."""
    return {
        "fingerprint": fingerprint,
        "model": evaluation.model,
        "max_new_tokens": evaluation.max_new_tokens,
        "replies": [asdict(r) for r in evaluation.replies],
    }


def eval_from_json(data: dict[str, Any], n_boot: int, seed: int) -> RefusalEval:
    """Inverse of eval_to_json (intervals recomputed with n_boot and seed)."""
    replies = [Reply(**r) for r in data["replies"]]
    return RefusalEval(str(data["model"]), replies, int(data["max_new_tokens"]), n_boot, seed)


def cached_eval(path: Path, fingerprint: str, config: TransferConfig) -> RefusalEval | None:
    """The evaluation stored at path when it was made under this fingerprint, else None."""
    data = read_json(path)
    if data is None or data.get("fingerprint") != fingerprint:
        return None
    try:
        return eval_from_json(data, config.n_boot, config.seed)
    except (KeyError, TypeError, ValueError):
        return None


def store_eval(path: Path, evaluation: RefusalEval, fingerprint: str) -> None:
    """Keep an evaluation for the next run (see cached_eval)."""
    write_json(path, eval_to_json(evaluation, fingerprint))


@dataclass
class AdapterRecord:
    """A row's trained adapter: what made it and what training measured (its done.json).

    adapter_id changes whenever the adapter is retrained, so an evaluation of the old one is
    never reused. Fields missing from an older done.json read as empty (method: the run's).
    """

    fingerprint: str
    adapter_id: str | None  # None only in a done.json written without one
    method: str
    n_examples: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    lora_targets: list[str] = field(default_factory=list)
    loss_history: list[dict[str, float]] = field(default_factory=list)
    train_nll_before: float | None = None
    train_nll_after: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def save(self, adapter_dir: Path) -> None:
        """Write done.json (after the adapter itself, so its presence means a whole adapter)."""
        write_json(adapter_dir / DONE_FILE, asdict(self))

    @classmethod
    def load(cls, adapter_dir: Path, fingerprint: str, method: str) -> AdapterRecord | None:
        """The record in adapter_dir when it was trained under this fingerprint, else None."""
        done = read_json(adapter_dir / DONE_FILE)
        if done is None or done.get("fingerprint") != fingerprint:
            return None
        return cls(
            fingerprint=fingerprint,
            adapter_id=done.get("adapter_id"),
            method=str(done.get("method", method)),
            n_examples=int(done.get("n_examples", 0)),
            data=dict(done.get("data", {})),
            lora_targets=list(done.get("lora_targets", [])),
            loss_history=list(done.get("loss_history", [])),
            train_nll_before=done.get("train_nll_before"),
            train_nll_after=done.get("train_nll_after"),
            seconds=dict(done.get("seconds", {})),
        )
