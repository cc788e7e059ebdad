"""The documentation site covers the public API, and reads the docstrings as written."""

from __future__ import annotations

import re
from pathlib import Path

import griffe
import pytest
from tools.griffe_rest import to_markdown

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


class TestDocstringsAsMarkdown:
    @pytest.fixture
    def module(self) -> griffe.Module:
        source = "from clientcard.errors import ValidationError\n\ndef check(): ...\n"
        with griffe.temporary_visited_module(source) as module:
            yield module

    def test_roles_become_optional_links_or_plain_code(self, module: griffe.Module) -> None:
        text = to_markdown(module, "Raises :class:`ValidationError`; see :func:`check()`.")
        assert (
            '<autoref identifier="clientcard.errors.ValidationError" optional>'
            "<code>ValidationError</code></autoref>" in text
        )
        assert f'identifier="{module.path}.check" optional><code>check</code>' in text

    def test_a_tilde_keeps_the_last_name_and_unknown_names_stay_code(
        self, module: griffe.Module
    ) -> None:
        text = to_markdown(module, ":meth:`~clientcard.book.ClientBook.edit` and :data:`NOPE`")
        assert "><code>edit</code></autoref>" in text
        assert text.endswith("and <code>NOPE</code>")

    def test_version_notes_doctests_and_literal_blocks(self, module: griffe.Module) -> None:
        text = to_markdown(
            module,
            "Summary.\n\n>>> 1 + 1\n2\n\nLike this::\n\n    check()\n\n.. versionadded:: 0.1.0",
        )
        assert "```pycon\n>>> 1 + 1\n2\n```" in text
        assert "Like this:\n\n```python\ncheck()\n```" in text
        assert text.endswith("*Added in version 0.1.0.*")

    def test_a_field_on_the_summary_line_starts_its_own(self, module: griffe.Module) -> None:
        text = to_markdown(module, "Return a card. :raises NotFoundError: no such card.")
        assert text == "Return a card.\n\n:raises NotFoundError: no such card."
