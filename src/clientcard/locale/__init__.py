"""Messages and labels in the languages clientcard speaks (English, Italian, Dutch).

Issue messages are looked up by their machine code; a code or language without a
translation falls back to English, and an unknown code to the code itself, so a message is
never missing.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from clientcard.locale._catalogue import FIELD_LABELS, MESSAGES

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Language", "field_label", "message"]

Language = Literal["en", "it", "nl"]
"""A language clientcard ships messages and built-in labels in."""

LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)
"""Every supported language, English first."""

DEFAULT_LANGUAGE: Final[Language] = "en"
"""The language used when none is asked for, and the fallback for missing texts."""


def message(code: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """Return the message for an issue ``code`` in ``lang``, formatted with ``params``.

    >>> message("phone.not_mobile", "it")
    'Serve un numero di cellulare.'
    """
    texts = MESSAGES.get(code)
    if texts is None:
        return code
    template = texts.get(lang) or texts[DEFAULT_LANGUAGE]
    return template.format(**params) if params else template


def field_label(key: str, lang: str = DEFAULT_LANGUAGE) -> str | None:
    """Return the shipped label of a built-in field, or ``None`` for an unknown key."""
    labels = FIELD_LABELS.get(key)
    if labels is None:
        return None
    return labels.get(lang) or labels[DEFAULT_LANGUAGE]
