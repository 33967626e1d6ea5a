"""Constitution files: validation with named fields, locale checks, applicability, culture terms."""

from __future__ import annotations

from pathlib import Path

import pytest

from langgap.datagen.config import ConfigError, load_config
from langgap.datagen.constitution import (
    EXAMPLE,
    ConstitutionError,
    applicable,
    constitution_schema,
    load_constitution,
    locale_name,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
name: t
principles:
  - {id: all, text: Be kind., category: hate}
  - id: bn-only
    text: Local.
    text_local: স্থানীয়
    category: hate
    applies_to: [bn]
  - {id: mx, text: Mexico., category: sexual, applies_to: [es-MX]}
"""


def test_example_is_marked_and_valid() -> None:
    constitution = load_constitution(EXAMPLE)
    assert constitution.example is True
    assert "EXAMPLE" in EXAMPLE.read_text(encoding="utf-8").splitlines()[1]
    assert "properties" in constitution_schema()


def test_applicable_universal_first_then_local(tmp_path: Path) -> None:
    constitution = load_constitution(write(tmp_path, GOOD))
    assert [p.id for p in applicable(constitution, "bn")] == ["all", "bn-only"]
    assert [p.id for p in applicable(constitution, "Bengali")] == ["all", "bn-only"]
    assert [p.id for p in applicable(constitution, "fr")] == ["all"]
    assert [p.id for p in applicable(constitution, "es-MX")] == ["all", "mx"]
    assert [p.id for p in applicable(constitution, "es-ES")] == ["all"]  # another region
    assert constitution.principles[1].text_local == {"bn": "স্থানীয়"}


def test_unknown_locale_names_file_principle_and_close_matches(tmp_path: Path) -> None:
    bad = GOOD.replace("applies_to: [bn]", "applies_to: [Bengalli]")
    with pytest.raises(ConstitutionError) as err:
        load_constitution(write(tmp_path, bad))
    message = str(err.value)
    assert "c.yaml" in message and "'bn-only'" in message and "Bengalli" in message
    assert "Bengali" in message  # close match


def test_missing_field_names_principle_and_field(tmp_path: Path) -> None:
    bad = GOOD.replace("category: sexual, ", "")
    with pytest.raises(ConstitutionError, match=r"principle 'mx': category"):
        load_constitution(write(tmp_path, bad))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: t\nprinciples: []\n", "principles"),
        ("- a\n", "expected a mapping"),
        ("name: [\n", "not valid YAML"),
        (GOOD.replace("id: mx", "id: all"), "used twice"),
        (GOOD + "extra: 1\n", "extra"),
    ],
)
def test_bad_files_are_explained(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConstitutionError, match=expected):
        load_constitution(write(tmp_path, text))


def test_lexicon_terms_per_locale() -> None:
    constitution = load_constitution(EXAMPLE)
    assert [t.term for t in constitution.terms("sw")] == ["mzungu"]
    assert constitution.terms("fr") == []


def test_config_errors_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(
        "languages: [Klingonish]\nseeds: {kind: file, path: s.jsonl}\nmodels: {default: m/x}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"run.yaml.*\n.*languages.*Klingonish"):
        load_config(path)
    path.write_text("languages: [bn]\nseeds: {kind: file}\nmodels: {critic: m/x}\n")
    with pytest.raises(ConfigError, match=r"seeds\.path"):
        load_config(path)
    path.write_text("languages: [bn]\nseeds: {kind: file, path: s.jsonl}\nmodels: {critic: m/x}\n")
    with pytest.raises(ConfigError, match=r"models.generator"):
        load_config(path)
    path.write_text(
        "languages: [bn]\nseeds: {kind: file, path: s.jsonl}\nmodels: {default: m/x}\n"
        "constitution: example\n"
    )
    config = load_config(path)
    assert config.seeds.path == str(tmp_path.resolve() / "s.jsonl")
    assert config.constitution == str(EXAMPLE)


def test_locale_name_keeps_the_region() -> None:
    assert locale_name("es-MX") == "Spanish (Mexico)"
    assert locale_name("zh-Hant-TW") == "Chinese (Traditional, Taiwan)"
    assert locale_name("es") == "Spanish" and locale_name("Bengali") == "Bengali"
