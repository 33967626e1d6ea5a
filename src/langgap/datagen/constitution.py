"""Principles as data: universal ones and language- or region-specific ones, with culture terms.

A constitution is a YAML file (schema: `Constitution`, or `constitution_schema()` as JSON
Schema). Every locale is checked against the language registry when the file is loaded, so an
unknown locale fails there, naming the file, the principle and close matches.

>>> constitution = load_constitution(EXAMPLE)  # doctest: +SKIP
>>> [p.id for p in applicable(constitution, "bn")]  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import langcodes
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from langgap.languages import Language, lookup, suggest, try_lookup

EXAMPLE = Path(__file__).with_name("constitutions") / "example.yaml"
UNIVERSAL = "*"


class ConstitutionError(ValueError):
    """A constitution file that cannot be used; the message names the file, field and fix."""


class CultureTerm(BaseModel):
    """A word or phrase whose weight depends on the culture (a slur here, harmless elsewhere)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    term: str = Field(min_length=1, description="The term as written in the locale's language.")
    meaning: str = Field(min_length=1, description="What it means, in English.")
    why: str = Field(min_length=1, description="Why it is sensitive in this locale.")
    source_forms: tuple[str, ...] = Field(
        default=(), description="How it appears in source-language data (e.g. English words)."
    )


class Principle(BaseModel):
    """One principle: what a response must respect, for which harm and which locales."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    text: str = Field(min_length=1, description="The principle in English.")
    text_local: dict[str, str] = Field(
        default_factory=dict, description="The principle in a locale's language, by locale."
    )
    category: str = Field(min_length=1, description="Harm category, e.g. hate_speech.")
    applies_to: tuple[str, ...] = Field(
        default=(UNIVERSAL,), description="BCP-47 locales or language names; '*' for all."
    )
    lexicon: dict[str, tuple[CultureTerm, ...]] = Field(
        default_factory=dict, description="Culture terms by locale (used by the culture check)."
    )

    @model_validator(mode="before")
    @classmethod
    def _local_text_of_own_locale(cls, data: Any) -> Any:
        # `text_local: "…"` is shorthand for the principle's own (first) locale
        if isinstance(data, dict) and isinstance(data.get("text_local"), str):
            locales = [a for a in data.get("applies_to") or () if a != UNIVERSAL]
            if not locales:
                raise ValueError("text_local as plain text needs one locale in applies_to")
            data = {**data, "text_local": {locales[0]: data["text_local"]}}
        return data

    @field_validator("applies_to")
    @classmethod
    def _not_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("list at least one locale, or '*' for every language")
        return value

    @property
    def universal(self) -> bool:
        """True when the principle applies to every language."""
        return UNIVERSAL in self.applies_to


class Constitution(BaseModel):
    """A named, versioned set of principles; `example` marks placeholder principles."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    version: str = "1"
    example: bool = Field(
        default=False, description="True for an example to be replaced by experts' principles."
    )
    description: str = ""
    principles: tuple[Principle, ...] = Field(min_length=1)
    source: str = Field(default="", description="The file it was loaded from (set on load).")

    def terms(self, language: str) -> list[CultureTerm]:
        """Every culture term of the principles that apply to `language`."""
        return [t for p in applicable(self, language) for t in _lexicon_for(p, language)]


def constitution_schema() -> dict[str, Any]:
    """The JSON Schema of a constitution file (for editors and reviewers)."""
    return Constitution.model_json_schema()


def load_yaml_mapping(
    path: str | Path, *, what: str, expected: str, fix: str, error: type[ValueError]
) -> tuple[Path, dict[str, Any]]:
    """Read a YAML file whose top level must be a mapping; `error` names the file and the fix.

    `what` names the file's kind in messages ("config"), `expected` what the mapping holds and
    `fix` where to see a valid file.
    """
    file = Path(path).expanduser()
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as err:
        raise error(f"{file}: cannot read the {what} ({err}). Fix: check the path") from err
    except yaml.YAMLError as err:
        raise error(f"{file}: not valid YAML ({err}). Fix: correct the YAML syntax") from err
    if not isinstance(raw, dict):
        found = type(raw).__name__ if raw is not None else "an empty file"
        raise error(f"{file}: expected a mapping {expected}, found {found}. Fix: {fix}")
    return file, raw


def load_constitution(path: str | Path) -> Constitution:
    """Read and validate a constitution YAML file; every locale must be known to the registry."""
    file, raw = load_yaml_mapping(
        path,
        what="constitution",
        expected="with name and principles",
        fix=f"see {EXAMPLE.name}",
        error=ConstitutionError,
    )
    try:
        constitution = Constitution.model_validate({**raw, "source": str(file)})
    except ValidationError as err:
        raise ConstitutionError(_explain(file, raw, err)) from err
    _check_unique(file, constitution)
    for principle in constitution.principles:
        _check_locales(file, principle)
    return constitution


def _explain(file: Path, raw: dict[str, Any], err: ValidationError) -> str:
    lines = []
    for problem in err.errors():
        loc = list(problem["loc"])
        where = ".".join(str(part) for part in loc)
        if len(loc) >= 2 and loc[0] == "principles" and isinstance(loc[1], int):
            items = raw.get("principles") or []
            item = items[loc[1]] if loc[1] < len(items) else {}
            pid = item.get("id") if isinstance(item, dict) else None
            where = f"principle {pid!r}: " + ".".join(str(p) for p in loc[2:]) if pid else where
        lines.append(f"  {where}: {problem['msg']}")
    return f"{file}: invalid constitution\n" + "\n".join(lines)


def _check_unique(file: Path, constitution: Constitution) -> None:
    seen: set[str] = set()
    for principle in constitution.principles:
        if principle.id in seen:
            raise ConstitutionError(
                f"{file}: principle id {principle.id!r} is used twice. Fix: make ids unique"
            )
        seen.add(principle.id)


def _check_locales(file: Path, principle: Principle) -> None:
    named = {
        "applies_to": [a for a in principle.applies_to if a != UNIVERSAL],
        "text_local": list(principle.text_local),
        "lexicon": list(principle.lexicon),
    }
    for field, locales in named.items():
        for locale in locales:
            if try_lookup(locale) is None:
                close = suggest(locale)
                hint = f" Did you mean {', '.join(close)}?" if close else ""
                raise ConstitutionError(
                    f"{file}: principle {principle.id!r}, {field}: unknown locale {locale!r}."
                    f"{hint} Fix: use a BCP-47 tag (e.g. 'bn', 'ar-EG') or a language name"
                )


def strict_problems(constitution: Constitution) -> list[str]:
    """What `check-constitution --strict` refuses, one line each (an empty list: none).

    Unknown harm categories (with close matches), lexicons or local texts for a locale the
    principle does not apply to (they would never be used), and locales whose region or script
    subtag names nothing (es-QQ, bn-Zzzz); the loader already refuses unknown languages.
    """
    from langgap.evaluate.judges import HARM_CATEGORIES  # loads Inspect: only when asked

    where = constitution.source or constitution.name
    problems = []
    for p in constitution.principles:
        if p.category not in HARM_CATEGORIES:
            close = _close_categories(p.category, HARM_CATEGORIES)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            problems.append(
                f"{where}: principle {p.id!r}: unknown category {p.category!r}.{hint} "
                f"Fix: use one of {', '.join(HARM_CATEGORIES)}"
            )
        for field, locales in (("lexicon", p.lexicon), ("text_local", p.text_local)):
            for locale in locales:
                if not p.universal and not any(locale_matches(a, locale) for a in p.applies_to):
                    problems.append(
                        f"{where}: principle {p.id!r}: {field} for {locale!r}, a locale the "
                        f"principle does not apply to ({', '.join(p.applies_to)}); it would "
                        f"never be used. Fix: add {locale!r} to applies_to or move the {field}"
                    )
        for locale in dict.fromkeys((*p.applies_to, *p.lexicon, *p.text_local)):
            unknown = _unknown_subtag(locale)
            if unknown:
                problems.append(
                    f"{where}: principle {p.id!r}: locale {locale!r} has an unknown {unknown}. "
                    "Fix: use a real region or script (e.g. 'es-MX', 'sr-Latn')"
                )
    return problems


def _close_categories(category: str, known: tuple[str, ...]) -> list[str]:
    # "self-harm" -> self_harm, "hate speech" -> hate: spelling variants and longer names
    norm = category.casefold().replace("-", "_").replace(" ", "_")
    within = [c for c in known if c in norm or norm in c]
    close = difflib.get_close_matches(norm, known, n=2, cutoff=0.6)
    return list(dict.fromkeys([*close, *within]))[:2]


def _unknown_subtag(locale: str) -> str | None:
    if locale == UNIVERSAL:
        return None
    try:
        tag = langcodes.Language.get(locale)
    except (ValueError, LookupError):
        return None  # a language name ("Bengali"): the loader checked it
    if tag.territory and tag.territory_name().startswith(("Unknown", "Private")):
        return f"region {tag.territory!r}"
    if tag.script and tag.script_name().startswith(("Unknown", "Private")):
        return f"script {tag.script!r}"
    return None


def locale_name(locale: str) -> str:
    """The English name of a locale with its region, for prompts: 'Spanish (Mexico)' for es-MX."""
    name = lookup(locale).name
    region = _region(locale)
    if region is None:
        return name
    where = langcodes.Language.get(locale).territory_name()
    return f"{name[:-1]}, {where})" if name.endswith(")") else f"{name} ({where})"


def locale_matches(locale: str, language: str) -> bool:
    """True when a principle's locale covers `language` (same language; same region if both set)."""
    if locale == UNIVERSAL:
        return True
    ours, theirs = try_lookup(locale), try_lookup(language)
    if ours is None or theirs is None or ours.code != theirs.code:
        return False
    mine, target = _region(locale), _region(language)
    return mine is None or target is None or mine == target


def _region(locale: str) -> str | None:
    try:
        region = langcodes.Language.get(locale).territory
    except (ValueError, LookupError):
        return None  # a language name ("Bengali") carries no region
    return str(region) if region else None


def applicable(constitution: Constitution, language: str | Language) -> list[Principle]:
    """The principles that apply to `language`: universal ones first, then local ones."""
    name = language.tag if isinstance(language, Language) else language
    universal = [p for p in constitution.principles if p.universal]
    local = [
        p
        for p in constitution.principles
        if not p.universal and any(locale_matches(a, name) for a in p.applies_to)
    ]
    return universal + local


def _lexicon_for(principle: Principle, language: str) -> list[CultureTerm]:
    return [
        term
        for locale, terms in principle.lexicon.items()
        if locale_matches(locale, language)
        for term in terms
    ]


def local_text(principle: Principle, language: str) -> str | None:
    """The principle's text in the target locale's language, when the file gives one."""
    for locale, text in principle.text_local.items():
        if locale_matches(locale, language):
            return text
    return None
