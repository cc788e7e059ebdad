"""Files the library creates are the owner's alone: mode 0600, whatever the umask.

A client database, its write-ahead log, an export, an event log or a report holds
personal data; created 0644 (the usual umask's default), every local account could read
it. A file that exists already keeps the mode its owner gave it: a host that shares one
on purpose (with a backup group, say) keeps doing so.
"""

from __future__ import annotations

import os
from typing import IO, Any, Final, Literal

__all__ = ["OWNER_ONLY", "create_private", "open_private"]

OWNER_ONLY: Final = 0o600

_FLAGS: Final = {
    "w": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    "wb": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    "a": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    "ab": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    # Exclusive creation: a file that exists already is an error, never overwritten.
    "x": os.O_WRONLY | os.O_CREAT | os.O_EXCL,
}


def create_private(path: str | os.PathLike[str]) -> None:
    """Create ``path`` empty and owner-only if it does not exist; leave it as it is if it does."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), OWNER_ONLY)
    os.close(descriptor)


def open_private(
    path: str | os.PathLike[str],
    mode: Literal["w", "wb", "a", "ab", "x"],
    *,
    encoding: str | None = None,
    newline: str | None = None,
) -> IO[Any]:
    """:func:`open` for writing, creating a missing file owner-only (0600)."""
    descriptor = os.open(path, _FLAGS[mode] | getattr(os, "O_CLOEXEC", 0), OWNER_ONLY)
    try:
        if "b" in mode:
            return os.fdopen(descriptor, mode)
        return os.fdopen(descriptor, mode, encoding=encoding, newline=newline)
    except BaseException:
        os.close(descriptor)
        raise
