"""Load the shipped gettext catalogs and mark texts for extraction.

English texts live in the source, marked with :func:`N_` under a context (an issue code
such as ``field.required``, or a table prefix and key such as ``label:first_name``);
Babel extracts them into ``clientcard.pot``, and the Italian and Dutch translations live
in ``<lang>/LC_MESSAGES/clientcard.po``, compiled to ``.mo`` files that the standard
:mod:`gettext` module reads. ``make locale`` re-extracts, updates and compiles them.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Final, Literal, get_args

Language = Literal["en", "it", "nl"]
"""A language clientcard ships messages and built-in labels in."""

LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)
"""Every supported language, English first."""

DEFAULT_LANGUAGE: Final[Language] = "en"
"""The language used when none is asked for, and the fallback for missing texts."""

DOMAIN: Final = "clientcard"
"""The gettext domain of every shipped text."""

LOCALE_DIR: Final = Path(__file__).resolve().parent
"""Where the catalogs live: ``<lang>/LC_MESSAGES/clientcard.mo``."""


def N_(context: str, text: str) -> tuple[str, str]:  # noqa: N802 - gettext's marker name
    """Mark the English ``text`` for extraction under ``context``; return both unchanged."""
    return context, text


MARKED: Final[dict[str, str]] = {}
"""Every text collected by :func:`english` so far, by context: what the tests hold against
what Babel extracts, so a text marked in a way extraction misses cannot stay English."""


def english(*entries: tuple[str, str]) -> dict[str, str]:
    """Collect marked texts into a table of context to English text.

    :raises ValueError: when a context is marked twice, which would make one of the
        texts unreachable.
    """
    table: dict[str, str] = {}
    for context, text in entries:
        if context in table or MARKED.get(context, text) != text:
            raise ValueError(f"the context {context!r} is marked twice")
        table[context] = text
    MARKED.update(table)
    return table


@functools.cache
def translation(lang: str) -> gettext.NullTranslations:
    """Return the catalog of ``lang``; English, or a language not shipped, translates nothing.

    The catalogs are read as package resources, so a zipped install finds them too.

    :raises FileNotFoundError: the compiled catalog of a shipped language is missing (a
        packaging that dropped the ``.mo`` files): failing loudly beats silently
        speaking English to an Italian salon.
    """
    if lang == DEFAULT_LANGUAGE or lang not in LANGUAGES:
        return gettext.NullTranslations()
    package = resources.files("clientcard.locale")
    compiled = package.joinpath(lang).joinpath("LC_MESSAGES").joinpath(f"{DOMAIN}.mo")
    with compiled.open("rb") as file:
        return gettext.GNUTranslations(file)


def in_languages(
    table: Mapping[str, str], languages: Iterable[str], *, prefix: str = ""
) -> dict[str, dict[str, str]]:
    """Translate every text of ``table`` into each of ``languages``, keyed without ``prefix``.

    A text a catalog lacks stays English (gettext's fallback); the test suite fails on
    any such gap in the shipped catalogs.
    """
    langs = tuple(languages)
    return {
        context.removeprefix(prefix): {
            lang: translation(lang).pgettext(context, text) for lang in langs
        }
        for context, text in table.items()
    }
