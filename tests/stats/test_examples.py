"""The docstring examples of the stats room run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["estimate", "bootstrap", "binomial", "agreement", "__init__"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module("langgap.stats" + ("" if name == "__init__" else f".{name}"))
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
