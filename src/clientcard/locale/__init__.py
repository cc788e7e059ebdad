"""Messages and labels in the languages clientcard speaks (English, Italian, Dutch).

Issue messages are looked up by their machine code; a code or language without a
translation falls back to English, and an unknown code to the code itself, so a message is
never missing. The English texts live in the source; the Italian and Dutch ones in gettext
catalogs (``clientcard/locale/<lang>/LC_MESSAGES/clientcard.po``, compiled to ``.mo``),
extracted and compiled with Babel by ``make locale``.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.locale._catalogue import FIELD_LABELS, MESSAGES
from clientcard.locale._gettext import DEFAULT_LANGUAGE, LANGUAGES, Language

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Language", "field_label", "message"]


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
