"""The documentation site covers the public API."""

from __future__ import annotations

import re
from pathlib import Path

import clientcard

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "clientcard"
REFERENCE = ROOT / "docs" / "reference"


def public_modules() -> list[str]:
    names = []
    for path in PACKAGE.rglob("*.py"):
        parts = ["clientcard", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        if not any(part.startswith("_") for part in parts):
            names.append(".".join(parts))
    return sorted(names)


def documented() -> set[str]:
    text = "\n".join(page.read_text(encoding="utf-8") for page in REFERENCE.glob("*.md"))
    return set(re.findall(r"^::: (\S+)$", text, flags=re.MULTILINE))


def test_every_public_module_is_in_the_api_reference() -> None:
    assert set(public_modules()) - documented() == set()


def test_every_top_level_name_is_listed_on_the_reference_index() -> None:
    index = (REFERENCE / "index.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"\[(\w+)\]\[clientcard\.", index))
    assert set(clientcard.__all__) - {"__version__"} == listed
