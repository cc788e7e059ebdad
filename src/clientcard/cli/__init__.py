"""The ``clientcard`` command: a business's client list on an embedded SQLite file.

A thin shell over :class:`~clientcard.book.ClientBook` and
:class:`~clientcard.storage.sqlite.SQLiteStore`; it has no logic of its own. Needs the
``clientcard[cli]`` extra (click and rich).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import sys

from clientcard.cli._i18n import _, cli_language, click_speaks

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status.

    It speaks the language of ``CLIENTCARD_LANG``, else of the POSIX locale variables
    (English, Italian or Dutch; English for any other).
    """
    # Click names some of its types (a "file") as the commands load: they load speaking too.
    with click_speaks(cli_language()):
        try:
            from clientcard.cli._app import run  # noqa: PLC0415 - optional dependency
        except ImportError as error:  # pragma: no cover - exercised only without the extra
            print(
                _(
                    "clientcard: the command line needs click and rich ({name} is missing); "
                    "install them with: pip install 'clientcard[cli]'"
                ).format(name=error.name),
                file=sys.stderr,
            )
            return 2
        return run(argv)
