"""The language the ``clientcard`` command speaks, and its translation function.

The command speaks English, Italian or Dutch. ``CLIENTCARD_LANG`` chooses (``it``,
``nl_NL``; a language clientcard does not ship means English). Without it the choice
follows GNU gettext: the locale is the first set of ``LC_ALL``, ``LC_MESSAGES`` and
``LANG``; a ``C`` or ``POSIX`` locale means English; otherwise ``LANGUAGE``, a list by
preference (``nl:it``), decides when set, and the locale's language when not. Help texts
are translated when the command is loaded; output, each time it is printed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from clientcard.locale import DEFAULT_LANGUAGE, LANGUAGES
from clientcard.locale._gettext import translation


def _code(name: str) -> str:
    """The language part of a locale name: ``it_IT.UTF-8@euro`` and ``it-IT`` give ``it``."""
    for separator in ".@_-":
        name = name.partition(separator)[0]
    return name.strip().lower()


def cli_language(environment: Mapping[str, str] | None = None) -> str:
    """The language the command line speaks, from ``environment`` (the process's)."""
    env = os.environ if environment is None else environment
    chosen = env.get("CLIENTCARD_LANG", "").strip()
    if chosen:
        code = _code(chosen)
        return code if code in LANGUAGES else DEFAULT_LANGUAGE
    locale = next((env[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(name)), "")
    if locale in {"C", "POSIX"} or locale.startswith("C."):
        return DEFAULT_LANGUAGE
    preferences = [entry for entry in env.get("LANGUAGE", "").split(":") if entry]
    for wanted in preferences or [locale]:
        code = _code(wanted)
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def _(text: str) -> str:
    """Translate an English text of the command line into its current language."""
    return translation(cli_language()).gettext(text)
