"""The language the ``clientcard`` command speaks, and its translation function.

The command speaks English, Italian or Dutch. ``CLIENTCARD_LANG`` chooses (``it``,
``nl_NL``; a language clientcard does not ship means English). Without it the choice
follows GNU gettext: the locale is the first set of ``LC_ALL``, ``LC_MESSAGES`` and
``LANG``; a ``C`` or ``POSIX`` locale means English; otherwise ``LANGUAGE``, a list by
preference (``nl:it``), decides when set, and the locale's language when not. Help texts
are translated when the command is loaded; output, each time it is printed.

Click's own words ("Usage:", "Options", "Missing argument", ...) come from the standard
:mod:`gettext` functions, which read gettext's global domain: :func:`click_speaks` points
it at clientcard's catalogs while a command runs, and :data:`CLICK_TEXTS` marks the texts
of click that the catalogs translate. Click's plural messages stay English: the catalogs
hold no plural forms.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from clientcard.locale import DEFAULT_LANGUAGE, LANGUAGES
from clientcard.locale._gettext import DOMAIN, LOCALE_DIR, translation


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


def _N(text: str) -> str:  # noqa: N802 - the marker's name, as Babel extracts it
    """Mark ``text`` for extraction only; it is translated later, by :func:`_` or click."""
    return text


CLICK_TEXTS = (
    # Help pages.
    _N("Usage:"),
    _N("Options"),
    _N("Commands"),
    _N("Positional arguments"),
    _N("Show this message and exit."),
    _N("required"),
    _N("default: {default}"),
    _N("env var: {var}"),
    _N("(dynamic)"),
    # Errors, after "error:".
    _N("Missing command."),
    _N("Missing argument"),
    _N("Missing option"),
    _N("Missing parameter"),
    _N("No such command {name!r}."),
    _N("No such option {name!r}."),
    _N("Option {name!r} does not take a value."),
    _N("Invalid value: {message}"),
    _N("Invalid value for {param_hint}: {message}"),
    _N("Choose from:\n\t{choices}"),
    _N("{value} is not in the range {range}."),
    _N("Could not open file {filename!r}: {message}"),
    _N("{name} {filename!r} does not exist."),
    _N("file"),
    # A confirmation question answered with neither yes nor no.
    _N("Error: invalid input"),
)
"""The texts of click that clientcard's catalogs translate, exactly as click writes them."""


@contextmanager
def click_speaks(lang: str) -> Iterator[None]:
    """Let click's own texts speak ``lang`` inside the block; restore what was before.

    Click translates through :func:`gettext.gettext`, that is the global text domain in
    the languages of the environment: the block makes ``clientcard`` the global domain,
    bound to the shipped catalogs, and sets ``LANGUAGE`` to ``lang``. Both are process-wide,
    so the block belongs around a whole command, as :func:`clientcard.cli.main` runs it.
    """
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    domain = gettext.textdomain()
    language = os.environ.get("LANGUAGE")
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = lang
    try:
        yield
    finally:
        gettext.textdomain(domain)
        if language is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = language
