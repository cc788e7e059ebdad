"""The ``clientcard`` command: a business's client list on an embedded SQLite file.

A thin shell over :class:`~clientcard.book.ClientBook` and
:class:`~clientcard.storage.sqlite.SQLiteStore`; it has no logic of its own. Needs the
``clientcard[cli]`` extra (click and rich).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        from clientcard.cli._commands import run  # noqa: PLC0415 - optional dependency
    except ImportError as error:  # pragma: no cover - exercised only without the extra
        print(
            f"clientcard: the command line needs click and rich ({error.name} is missing); "
            "install them with: pip install 'clientcard[cli]'",
            file=sys.stderr,
        )
        return 2
    return run(argv)
