"""The docs site's griffe extension reads the package's reST docstrings as Markdown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# griffe comes with the docs extra (mkdocstrings); without it these tests skip.
griffe = pytest.importorskip("griffe")

from tools.griffe_rest import RestructuredDocstrings, to_markdown  # noqa: E402


class TestDocstringsAsMarkdown:
    @pytest.fixture
    def module(self) -> Iterator[griffe.Module]:
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
        text = to_markdown(
            module, ":meth:`~clientcard.cards.service.CardService.edit` and :data:`NOPE`"
        )
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


def test_the_params_of_an_attrs_class_are_its_attributes() -> None:
    source = (
        "import attrs\n\n@attrs.frozen\nclass Move:\n"
        '    """A move.\n\n    :param moved: cards moved.\n'
        '    :param other: not a field.\n    """\n\n'
        "    moved: tuple[str, ...] = ()\n"
    )
    with griffe.temporary_visited_module(source) as module:
        RestructuredDocstrings().on_package(pkg=module)
        text = module["Move"].docstring.value
    assert ":ivar moved: cards moved." in text
    assert ":param other: not a field." in text
