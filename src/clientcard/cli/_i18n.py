"""The language the ``clientcard`` command speaks, and its translation function.

The command speaks English, Italian or Dutch: ``CLIENTCARD_LANG`` chooses (``it``), else
the first supported language of the POSIX variables gettext reads (``LANGUAGE``,
``LC_ALL``, ``LC_MESSAGES``, ``LANG``, e.g. ``it_IT.UTF-8``), else English. Help texts are
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
        # LANGUAGE may list several, by preference: "nl:it:en".
        for wanted in os.environ.get(variable, "").split(":"):
            code = wanted.partition("_")[0].partition(".")[0].lower()
            if code in LANGUAGES:
                return code
            if code and variable != "LANGUAGE":
                break
    return DEFAULT_LANGUAGE


def _(text: str) -> str:
    """Translate an English text of the command line into its current language."""
    return translation(cli_language()).gettext(text)
