"""The language the ``clientcard`` command speaks, and its translation function.

The command speaks English, Italian or Dutch: ``CLIENTCARD_LANG`` chooses (``it``), else
the POSIX variables gettext reads, the first one set deciding (``LANGUAGE``, which may
list several, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, e.g. ``it_IT.UTF-8``), else English;
a language clientcard does not ship (``fr``, ``C``) means English. Help texts are
translated when the command is loaded; output, each time it is printed.
"""

from __future__ import annotations

import os

from clientcard.locale import DEFAULT_LANGUAGE, LANGUAGES
from clientcard.locale._gettext import translation

ENVIRONMENT = ("CLIENTCARD_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def cli_language() -> str:
    """The language the command line speaks now, from the environment."""
    for variable in ENVIRONMENT:
        value = os.environ.get(variable, "")
        if not value:
            continue
        # The first variable set decides, as in gettext; LANGUAGE may list several by
        # preference ("nl:it:en"), and LC_ALL=C asks for the untranslated texts.
        for wanted in value.split(":"):
            code = wanted.partition("_")[0].partition(".")[0].lower()
            if code in LANGUAGES:
                return code
        return DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def _(text: str) -> str:
    """Translate an English text of the command line into its current language."""
    return translation(cli_language()).gettext(text)


def _N(text: str) -> str:  # noqa: N802 - the marker's name, as Babel extracts it
    """Mark ``text`` for extraction only; :func:`_` translates it later."""
    return text
