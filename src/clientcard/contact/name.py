"""Personal names and free text, cleaned the same way everywhere.

Names are Unicode NFC, trimmed, with inner whitespace collapsed, and otherwise kept as
written: letters of every script, the apostrophes, hyphens and dots real names carry
(``D'Angelo``, ``Jean-Luc``, ``St. John``), and what salons write into a name to tell
clients apart (``Maria (mamma)``, ``Anna & Marco``, ``Giulia 2``, an emoji). A name needs
at least one letter; control and invisible formatting characters, and the markup
brackets ``<`` and ``>``, are refused. Searching folds names (:func:`fold`).

>>> normalize("  José   María ")
'José María'

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Final

from clientcard.errors import InvalidValueError

__all__ = ["fold", "is_valid", "normalize", "normalize_text"]

MAX_NAME_LENGTH: Final = 100
"""The longest name kept, in characters after normalisation."""

# Markup brackets: no name needs them, and a name is shown in many web pages.
_REFUSED: Final = frozenset("<>\uff1c\uff1e")
# Letters, marks, digits, punctuation, symbols (emoji) and spaces: what people type.
_NAME_CATEGORIES: Final = frozenset("LMNPSZ")
# Zero-width (non-)joiners are formatting characters that scripts and emoji need.
_JOINERS: Final = frozenset("\u200c\u200d")


def _clean(raw: object, max_length: int, *, multiline: bool) -> str:
    if not isinstance(raw, str):
        raise InvalidValueError("type.invalid", expected="text")
    text = unicodedata.normalize("NFC", raw)
    if multiline:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        text = "\n".join(" ".join(line.split()) for line in lines).strip()
        allowed_controls = {"\n"}
    else:
        text = " ".join(text.split())
        allowed_controls = set()
    if any(
        unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in allowed_controls
        for ch in text
    ):
        raise InvalidValueError("text.invalid_character")
    if len(text) > max_length:
        raise InvalidValueError("text.too_long", max=max_length)
    return text


# Most names are plain ASCII: printable, without markup brackets and with a letter, such
# a name has nothing the character-by-character checks below would refuse.
_ASCII_NAME: Final = re.compile(r"[\x20-\x3b=\x3f-\x7e]*[A-Za-z][\x20-\x3b=\x3f-\x7e]*")


def normalize(raw: object) -> str:
    """Return the cleaned name; an empty string stays empty.

    :raises InvalidValueError: ``name.invalid``, ``text.too_long`` or ``type.invalid``.
    """
    if isinstance(raw, str) and raw.isascii():
        # NFC leaves ASCII as it is; the same split and join as _clean.
        text = " ".join(raw.split())
        if not text or _ASCII_NAME.fullmatch(text):
            if len(text) > MAX_NAME_LENGTH:
                raise InvalidValueError("text.too_long", max=MAX_NAME_LENGTH)
            return text
    return _normalize_exactly(raw)


def _normalize_exactly(raw: object) -> str:
    """:func:`normalize` character by character, for any name."""
    text = _clean(raw, MAX_NAME_LENGTH, multiline=False)
    if not text:
        return text
    letter = False
    for ch in text:
        category = unicodedata.category(ch)
        if ch in _REFUSED or (category[0] not in _NAME_CATEGORIES and ch not in _JOINERS):
            raise InvalidValueError("name.invalid")
        letter = letter or category[0] == "L"
    if not letter:
        raise InvalidValueError("name.invalid")
    return text


def is_valid(raw: object) -> bool:
    """Tell whether ``raw`` is an acceptable name, without raising."""
    try:
        normalize(raw)
    except InvalidValueError:
        return False
    return True


def normalize_text(raw: object, max_length: int, *, multiline: bool = False) -> str:
    """Clean free text: NFC, trimmed, whitespace collapsed (per line when ``multiline``).

    :raises InvalidValueError: ``text.invalid_character``, ``text.too_long`` or
        ``type.invalid``.
    """
    return _clean(raw, max_length, multiline=multiline)


@functools.lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Return the accent- and case-insensitive form used to search names.

    The last few thousand answers are kept: first and last names repeat across a file,
    and a store folds a card's "last first" name twice (for its sort key and search).

    >>> fold("José Ångström")
    'jose angstrom'
    """
    if text.isascii():
        # Nothing to decompose or strip, and ASCII folds to lower case: the same answer,
        # as most names in a file are, at a twentieth of the cost.
        return text.lower()
    # Compatibility decomposition can yield capitals ("🄐" -> "(A)") and case folding can
    # yield new decomposable letters, so strip marks both before and after folding case.
    return _strip_marks(_strip_marks(text).casefold())


_NON_ASCII: Final = re.compile(r"[^\x00-\x7f]+")


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed.isascii():
        return decomposed
    # Marks are never ASCII: only the runs of other characters are read one by one.
    return _NON_ASCII.sub(_without_marks, decomposed)


def _without_marks(run: re.Match[str]) -> str:
    return "".join(ch for ch in run[0] if not unicodedata.combining(ch))
