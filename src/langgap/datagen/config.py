"""The `langgap datagen run` config: languages, seeds, constitution, per-stage models, output.

Relative paths in the file are read relative to the file. See docs/datagen.md for an example.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from langgap.datagen.constitution import EXAMPLE, load_yaml_mapping
from langgap.languages import lookup, suggest, try_lookup

STAGES = ("generator", "critic", "reviser", "translator")


class ConfigError(ValueError):
    """A datagen config that cannot be used; the message names the file, field and fix."""


class ModelSpec(BaseModel):
    """An Inspect model for one stage: its name plus provider arguments (base_url, api_key, …)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    args: dict[str, Any] = Field(default_factory=dict)
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float = 0.0

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data


class Models(BaseModel):
    """One model per stage; `default` fills the stages not named."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: ModelSpec | None = None
    generator: ModelSpec | None = None
    critic: ModelSpec | None = None
    reviser: ModelSpec | None = None
    translator: ModelSpec | None = None

    def for_stage(self, stage: str) -> ModelSpec:
        """The model of a stage (its own, else `default`)."""
        spec: ModelSpec | None = getattr(self, stage) or self.default
        if spec is None:
            raise ConfigError(
                f"models.{stage}: no model. Fix: set models.{stage} or models.default"
            )
        return spec


class Seeds(BaseModel):
    """Where prompts come from: a langgap benchmark, a file, or generated per culture × category."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["benchmark", "file", "generate"]
    # benchmark: a name (multijail, xsafety, …) or table; selection as `load_benchmark` takes it
    benchmark: str | None = None
    data_dir: str | None = None
    source_languages: tuple[str, ...] = ("eng",)
    categories: tuple[str, ...] = ()
    limit: int | None = Field(default=None, ge=1)
    harmful: bool | None = None
    # file: JSONL rows with `prompt` (and optional id, category, harmful, chosen, rejected)
    path: str | None = None
    # generate: N prompts per target language × harm category
    per_culture: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _complete(self) -> Seeds:
        needed = {"benchmark": "benchmark", "file": "path"}.get(self.kind)
        if needed and getattr(self, needed) is None:
            raise ValueError(f"seeds.kind {self.kind!r} needs seeds.{needed}")
        if self.kind == "generate" and not (self.per_culture and self.categories):
            raise ValueError("seeds.kind 'generate' needs per_culture ≥ 1 and categories")
        return self


class Validation(BaseModel):
    """Validator thresholds, and whether flagged items are exported anyway."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    length_band: tuple[float, float] = (0.25, 4.0)
    min_chrf: float = 30.0
    # prompts whose shingle Jaccard is ≥ this are near-duplicates
    dedup_threshold: float = Field(default=0.85, gt=0, le=1)
    min_script_share: float = Field(default=0.5, ge=0, le=1)
    min_language_confidence: float = Field(default=0.5, ge=0, le=1)
    max_repeat_run: int = Field(default=20, ge=2)
    min_distinct_share: float = Field(default=0.5, ge=0, le=1)
    keep_flagged: bool = False


class DatagenConfig(BaseModel):
    """One datagen run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    languages: tuple[str, ...] = Field(min_length=1)
    seeds: Seeds
    constitution: str = str(EXAMPLE)
    models: Models
    rounds: int = Field(default=1, ge=1, le=10)
    concurrency: int = Field(default=8, ge=1)
    max_tokens: int = Field(default=512, ge=1)
    source_language: str = "eng"
    back_translate: bool = False
    output_dir: str = "datagen-out"
    validation: Validation = Field(default_factory=Validation)

    @field_validator("languages", "source_language")
    @classmethod
    def _known(cls, value: Any) -> Any:
        for name in [value] if isinstance(value, str) else value:
            if try_lookup(name) is None:
                close = suggest(name)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ValueError(f"unknown language {name!r}{hint}")
        return value

    def resolve(self, base: Path) -> DatagenConfig:
        """Paths made absolute against `base` (the config file's folder)."""
        seeds = self.seeds
        if seeds.path is not None:
            seeds = seeds.model_copy(update={"path": str(_under(base, seeds.path))})
        return self.model_copy(
            update={
                "seeds": seeds,
                "constitution": str(_under(base, self.constitution)),
                "output_dir": str(_under(base, self.output_dir)),
            }
        )

    def stage_model(self, stage: str) -> ModelSpec:
        """The model spec of a stage."""
        return self.models.for_stage(stage)


def _under(base: Path, path: str) -> Path:
    if path == "example":
        return EXAMPLE
    p = Path(path).expanduser()
    return p if p.is_absolute() else base / p


def load_config(path: str | Path) -> DatagenConfig:
    """Read and validate a datagen YAML config; errors name the file and the field."""
    file, raw = load_yaml_mapping(
        path,
        what="config",
        expected="(languages, seeds, models, …)",
        fix="see docs/datagen.md",
        error=ConfigError,
    )
    try:
        config = DatagenConfig.model_validate(raw)
    except ValidationError as err:
        problems = "\n".join(
            f"  {'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"{file}: invalid datagen config\n{problems}") from err
    for stage in STAGES:
        try:
            config.stage_model(stage)
        except ConfigError as err:
            raise ConfigError(f"{file}: {err}") from err
    return config.resolve(file.parent.resolve())


def language_tags(config: DatagenConfig) -> list[str]:
    """The target languages as given (a region, e.g. es-MX, is kept for the constitution)."""
    for name in config.languages:
        lookup(name)
    return list(config.languages)
