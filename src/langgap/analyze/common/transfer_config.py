"""Settings of the crosslingual transfer experiment, checked when they are made."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

METHODS = ("auto", "sft", "dpo")


class TransferConfigError(ValueError):
    """A setting of the transfer experiment is out of range or inconsistent."""


@dataclass(frozen=True)
class TransferConfig:
    """Everything that decides a transfer experiment's numbers (saved with the results).

    train_sets: one tuple of languages per matrix row (codes or names; canonicalised).
    eval_languages: codes, or "all" for every language of the benchmark.
    n_train / n_train_harmless: training prompts per language (harmful / harmless; harmless
    defaults to n_train, 0 trains on refusals only). n_eval: evaluation prompts per language and
    class. method: "sft", "dpo", or "auto" (DPO when train_file holds pairs, else SFT).
    """

    model: str = "smollm2"
    train_sets: tuple[tuple[str, ...], ...] = (("eng",),)
    eval_languages: tuple[str, ...] | str = "all"
    benchmark: str = "polyrefuse"
    data_dir: str | None = None
    train_file: str | None = None
    method: str = "auto"
    n_train: int = 48
    n_train_harmless: int | None = None
    n_eval: int = 32
    epochs: float = 2.0
    learning_rate: float = 3e-4
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.0
    lora_targets: tuple[str, ...] | None = None
    train_batch_size: int = 8
    eval_batch_size: int = 16
    max_new_tokens: int = 24
    reply_tokens: int = 40
    max_length: int = 512  # at most; longer examples are an error (lora_training.check_lengths)
    dpo_beta: float = 0.1
    n_boot: int = 1000
    seed: int = 0
    device: str = "cpu"
    dtype: str = "float32"  # float32, bfloat16, float16 or auto (see models.resolve_dtype)
    out_dir: str = "transfer"

    @property
    def harmless_per_language(self) -> int:
        """Harmless training prompts per language."""
        return self.n_train if self.n_train_harmless is None else self.n_train_harmless

    def resolved_method(self, file_kind: str | None) -> str:
        """The method to train: "sft" or "dpo", once the training file's kind is known."""
        if self.method == "auto":
            return "dpo" if file_kind == "dpo" else "sft"
        if self.method == "dpo" and file_kind == "sft":
            raise TransferConfigError(
                f"{self.train_file}: holds SFT rows (no rejected replies), so it cannot train DPO; "
                "use --method sft, or a DPO file (prompt/chosen/rejected)"
            )
        return self.method

    def validate(self) -> None:
        """Raise TransferConfigError naming every bad setting."""
        bad: list[str] = []
        if self.method not in METHODS:
            bad.append(f"method {self.method!r}: not one of {', '.join(METHODS)}")
        if not self.train_sets or any(not s for s in self.train_sets):
            bad.append("train_sets: give at least one non-empty set of training languages")
        positive = {
            "n_eval": self.n_eval,
            "train_batch_size": self.train_batch_size,
            "eval_batch_size": self.eval_batch_size,
            "max_new_tokens": self.max_new_tokens,
            "reply_tokens": self.reply_tokens,
            "max_length": self.max_length,
            "lora_r": self.lora_r,
            "lora_alpha": self.lora_alpha,
            "n_boot": self.n_boot,
        }
        bad += [f"{k} must be at least 1, got {v}" for k, v in positive.items() if v < 1]
        if self.n_train < 0 or self.harmless_per_language < 0:
            bad.append("n_train and n_train_harmless must not be negative")
        if self.n_train == 0 and self.train_file is None:
            bad.append("n_train is 0 and no train_file: nothing to train on")
        if not self.epochs > 0:
            bad.append(f"epochs must be positive, got {self.epochs}")
        if not 0 < self.learning_rate < 1:
            bad.append(f"learning_rate must be in (0, 1), got {self.learning_rate}")
        if not 0 <= self.lora_dropout < 1:
            bad.append(f"lora_dropout must be in [0, 1), got {self.lora_dropout}")
        if not self.dpo_beta > 0:
            bad.append(f"dpo_beta must be positive, got {self.dpo_beta}")
        if bad:
            raise TransferConfigError("invalid transfer settings: " + "; ".join(bad))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        out = asdict(self)
        out["train_sets"] = [list(s) for s in self.train_sets]
        if not isinstance(self.eval_languages, str):
            out["eval_languages"] = list(self.eval_languages)
        if self.lora_targets is not None:
            out["lora_targets"] = list(self.lora_targets)
        return out
