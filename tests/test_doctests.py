"""Every example in a module docstring runs and shows what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import clientcard

_MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(clientcard.__path__, "clientcard.")
    if not info.name.startswith("clientcard.cli")
)


@pytest.mark.parametrize("name", _MODULES)
def test_module_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
