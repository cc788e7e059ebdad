"""Scrubbing: rewriting a store's files so that no deleted row's bytes remain in them.

A database deletes a row by marking it dead, not by overwriting it. PostgreSQL keeps
the dead row version in the table's file, and its values in the index files, until the
space is reused; a plain ``VACUUM`` marks the space free but leaves most of the bytes
where they were. After an erasure the client's name, e-mail, phone and notes are then
still in the server's data files, for whoever can read them. A *scrub* rewrites the
tables into new files holding only live rows, and rebuilds their indexes; the old files
are truncated when the rewrite commits.

``book.admin.scrub()`` runs it on the book's store (``clientcard scrub`` on the command
line); each store that can do it has a ``scrub`` method of its own, with the store's
knobs. The erasure guide says what no scrub can reach: the
write-ahead log, replicas, archives and backups.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import enum
from typing import Protocol, runtime_checkable

import attrs

__all__ = ["ScrubMethod", "ScrubReport", "Scrubbable", "TableScrub"]


class ScrubMethod(enum.StrEnum):
    """How a table (or a file) was rewritten.

    .. versionadded:: 0.1.0
    """

    PG_REPACK = "pg_repack"
    """PostgreSQL, with the pg_repack extension: the table is copied while it stays in
    use, and an exclusive lock is held only briefly at the start and for the swap."""
    VACUUM_FULL = "vacuum_full"
    """PostgreSQL's ``VACUUM FULL``: the table is locked (no reads, no writes) while it
    is copied and its indexes rebuilt."""
    SQLITE_VACUUM = "sqlite_vacuum"
    """SQLite's ``VACUUM``: the whole file is rebuilt, then the write-ahead log emptied."""


@attrs.frozen
class TableScrub:
    """What the scrub did to one table (``*`` for a SQLite file as a whole).

    ``rewritten`` is true when the table now lives in new files (checked, not assumed:
    the table's file number changed); otherwise ``skipped`` says why: ``locked`` (its
    lock was not granted within the store's lock timeout, and the table was left for
    the next run), ``not_permitted`` (the role may not rewrite it: PostgreSQL's
    statistics catalogue needs a superuser) or ``failed``. ``seconds`` is how long the
    rewrite took; with :attr:`ScrubMethod.VACUUM_FULL`, how long the table was locked.

    .. versionadded:: 0.1.0
    """

    table: str
    method: ScrubMethod
    rewritten: bool
    seconds: float
    bytes_before: int
    bytes_after: int
    skipped: str | None = None


@attrs.frozen
class ScrubReport:
    """What a scrub did, table by table.

    ``held_back`` counts transactions that were already open when the scrub began and
    still open when it stopped waiting for them: ``VACUUM FULL`` keeps the row versions
    such a transaction may still read, erased ones included, so the scrub is complete
    only when it is 0 (pg_repack copies what a fresh snapshot sees and is not held
    back). ``checkpointed`` says whether the scrub could end with a checkpoint.

    .. versionadded:: 0.1.0
    """

    tables: tuple[TableScrub, ...] = ()
    held_back: int = 0
    checkpointed: bool = False

    @property
    def complete(self) -> bool:
        """Tell whether every table was rewritten and no old transaction held rows back."""
        return self.held_back == 0 and all(table.rewritten for table in self.tables)


@runtime_checkable
class Scrubbable(Protocol):
    """**Protocol:** a store that can rewrite its files (see the module docs).

    ``book.admin.scrub()`` calls it when the book's store has it, with no arguments: a
    store's own knobs (which tables, how long to wait for a lock) have defaults.

    .. versionadded:: 0.1.0
    """

    def scrub(self) -> ScrubReport:
        """Rewrite the store's files so that no deleted row's bytes remain in them."""
        ...
