"""The embedded store: businesses, cards and pending events in one SQLite file.

It needs nothing but the standard library. The file runs in WAL mode, so readers never
wait for a writer; writers take the lock up front (``BEGIN IMMEDIATE``) and wait up to
the busy timeout for each other, whether they are threads of one process or several
processes sharing the file. A new file (and its ``-wal`` and ``-shm``) is created
readable and writable by its owner only (0600). Deleted data is overwritten
(``secure_delete``), and
:meth:`SQLiteStore.checkpoint` moves the write-ahead log into the file and empties it.

>>> import tempfile, pathlib
>>> with SQLiteStore(pathlib.Path(tempfile.mkdtemp()) / "clients.db") as store:
...     store.count("no-such-business")
0

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from types import TracebackType
from typing import Any, Final

from clientcard.errors import ClientCardError, DuplicateError, StorageError
from clientcard.storage._modes import create_private
from clientcard.storage._sql import SQLITE, SQLStore, TxState, migrate
from clientcard.storage.scrub import ScrubMethod, ScrubReport, TableScrub

__all__ = ["SQLiteStore"]

_KEY_VIOLATIONS: Final = frozenset({"SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_UNIQUE"})


class _SQLiteSession:
    """One thread's connection, as :class:`~clientcard.storage._sql.Session`."""

    def __init__(
        self, connection: sqlite3.Connection, forget: Callable[[sqlite3.Connection], None]
    ) -> None:
        self.connection = connection
        self._forget = forget

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        return self.connection.execute(sql, params).rowcount

    def execute_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        self.connection.executemany(sql, rows)

    def copy(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        # In-process, one prepared statement stepped per row is SQLite's bulk path.
        marks = ", ".join("?" for _ in columns)
        self.execute_many(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            rows,
        )

    def fetch(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self.connection.execute(sql, params).fetchall()
        return rows

    def state(self) -> TxState:
        try:
            return TxState.ACTIVE if self.connection.in_transaction else TxState.IDLE
        except sqlite3.ProgrammingError:
            return TxState.LOST

    def discard(self) -> None:
        self._forget(self.connection)


class _ThreadSession(threading.local):
    session: _SQLiteSession | None = None


class SQLiteStore(SQLStore):
    """A :class:`~clientcard.storage.protocol.ClientStore` in one SQLite file.

    Opening the store creates the file if needed and applies any schema migrations it
    lacks. Each thread gets its own connection; a ``transaction()`` belongs to the thread
    that opened it. Writes, and every ``transaction()``, take the database's write lock
    when they begin and wait up to ``busy_timeout_ms`` for it; after that they raise
    :class:`~clientcard.errors.StorageError` ``locked``. A full disk raises ``disk_full``;
    either way nothing of the operation is written.

    Use it as a context manager, or call :meth:`close` when done.

    .. versionadded:: 0.1.0
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_ms: int = 5000) -> None:
        super().__init__(SQLITE)
        self._path = os.fspath(path)
        if self._path in ("", ":memory:"):
            # Every thread has its own connection, and each would see its own empty
            # database; MemoryStore is the store that lives in memory.
            raise ValueError("SQLiteStore needs a file path; use MemoryStore in memory")
        if busy_timeout_ms < 0:
            raise ValueError("busy_timeout_ms must be zero or more")
        self._busy_timeout_ms = busy_timeout_ms
        self._threads = _ThreadSession()
        self._lock = threading.Lock()
        self._connections: dict[threading.Thread, sqlite3.Connection] = {}
        self._closed = False
        try:
            with self._translated():
                # Owner-only from the first byte; SQLite gives the -wal and -shm files the
                # mode of the database file.
                create_private(self._path)
                # WAL is a property of the file: set once, every later connection uses it.
                (mode,) = self._session().fetch("PRAGMA journal_mode = WAL")[0]
            if str(mode).lower() != "wal":
                raise StorageError("unavailable", f"the file refused WAL journaling ({mode})")
            self._run(lambda session: migrate(session, SQLITE), write=True)
        except BaseException:
            self.close()
            raise

    @property
    def path(self) -> str:
        """The database file."""
        return self._path

    def close(self) -> None:
        """Close every thread's connection; the store can't be used afterwards.

        Call it when no other thread is using the store.
        """
        with self._lock:
            self._closed = True
            connections = list(self._connections.values())
            self._connections.clear()
        for connection in connections:
            # SQLite's advice: let each connection refresh the planner's statistics
            # where its queries showed they are stale. Best effort: closing must not fail.
            with suppress(sqlite3.Error):
                connection.execute("PRAGMA optimize")
            connection.close()

    def checkpoint(self) -> None:
        """Copy every committed change from the write-ahead log into the file; empty the log.

        Data deleted earlier then no longer lingers in the log.

        :raises StorageError: ``locked`` when another connection kept the checkpoint from
            completing (it may be retried later).
        """
        with self._translated():
            busy, _, _ = self._session().fetch("PRAGMA wal_checkpoint(TRUNCATE)")[0]
        if busy:
            raise StorageError("locked", "another connection kept the checkpoint from finishing")

    def scrub(self) -> ScrubReport:
        """Rebuild the file (``VACUUM``) and empty the write-ahead log.

        The store already overwrites what it deletes (``secure_delete``) and the book
        checkpoints after each erasure, so after an erasure nothing of the client is
        left for this to remove. It is for a file that was written without secure delete
        (by another tool, or before it was set), and to give freed pages back to the
        file system. ``VACUUM`` copies the database to a temporary file and back: it
        takes the write lock for that long (writers wait up to the busy timeout, readers
        go on), and needs free space of about the file's size.

        :raises StorageError: ``locked`` when the write lock was not granted within the
            busy timeout; ``in_transaction`` inside a ``transaction()`` block.
        """
        if self.in_transaction():
            raise StorageError("in_transaction", "a scrub can't run inside a transaction")
        before = self._size()
        started = time.monotonic()
        with self._translated():
            self._session().execute("VACUUM")
        seconds = time.monotonic() - started
        try:
            self.checkpoint()
        except StorageError:
            checkpointed = False
        else:
            checkpointed = True
        table = TableScrub(
            table="*",
            method=ScrubMethod.SQLITE_VACUUM,
            rewritten=True,
            seconds=round(seconds, 3),
            bytes_before=before,
            bytes_after=self._size(),
        )
        return ScrubReport(tables=(table,), checkpointed=checkpointed)

    def _size(self) -> int:
        """The bytes of the database file and its write-ahead log."""
        paths = (self._path, self._path + "-wal")
        return sum(os.path.getsize(path) for path in paths if os.path.exists(path))

    # -- connections --------------------------------------------------------------------

    def _checkout(self) -> AbstractContextManager[_SQLiteSession]:
        return nullcontext(self._session())

    def _connection(self) -> sqlite3.Connection:
        """The calling thread's connection.

        Pragmas such as ``max_page_count`` hold per connection; tests that set one need it.
        """
        return self._session().connection

    def _session(self) -> _SQLiteSession:
        if self._closed:
            raise StorageError("unavailable", "the store is closed")
        session = self._threads.session
        if session is None:
            session = _SQLiteSession(self._connect(), self._forget)
            self._threads.session = session
        return session

    def _connect(self) -> sqlite3.Connection:
        self._close_orphans()
        # check_same_thread=False only so close() can close connections of other threads;
        # while open, each connection is used by its own thread alone.
        connection = sqlite3.connect(
            self._path,
            timeout=self._busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA secure_delete = ON")
            # NORMAL in WAL mode: a crash of the process or the OS never corrupts the file
            # or loses a commit; only a power cut may lose the last commits.
            connection.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            connection.close()
            raise
        with self._lock:
            if self._closed:
                connection.close()
                raise StorageError("unavailable", "the store is closed")
            self._connections[threading.current_thread()] = connection
        return connection

    def _close_orphans(self) -> None:
        """Close the connections of threads that have ended, so thread churn can't leak."""
        with self._lock:
            orphans = [thread for thread in self._connections if not thread.is_alive()]
            connections = [self._connections.pop(thread) for thread in orphans]
        for connection in connections:
            with suppress(sqlite3.Error):
                connection.close()

    def _forget(self, connection: sqlite3.Connection) -> None:
        with self._lock:
            for thread, held in list(self._connections.items()):
                if held is connection:
                    del self._connections[thread]
        self._threads.session = None
        with suppress(sqlite3.Error):
            connection.close()

    # -- errors -------------------------------------------------------------------------

    def _translated(self, subject: tuple[str, str] | None = None) -> _Translated:
        return _Translated(subject)


class _Translated:
    """Turns the sqlite3 errors raised inside into clientcard errors.

    A class rather than a generator context manager: every operation enters one, and
    this costs a fraction of what ``@contextmanager`` does.
    """

    __slots__ = ("_subject",)

    def __init__(self, subject: tuple[str, str] | None) -> None:
        self._subject = subject

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(exc, sqlite3.Error):
            # Raised "from None": SQLite's own message may quote values of the row at
            # fault, and a clientcard error carries no personal data.
            raise _translation(exc, self._subject) from None


def _translation(error: sqlite3.Error, subject: tuple[str, str] | None) -> ClientCardError:
    # The error code name stays in the message for diagnosis.
    name = _code_name(error)
    if isinstance(error, sqlite3.IntegrityError):
        if subject is not None and name in _KEY_VIOLATIONS:
            return DuplicateError(*subject)
        return StorageError("rejected", f"a constraint refused the write ({name})")
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StorageError("locked", f"the database is locked ({name})")
    if primary == sqlite3.SQLITE_FULL:
        return StorageError("disk_full", f"the database is full ({name})")
    return StorageError("unavailable", f"the database failed ({name})")


def _code_name(error: sqlite3.Error) -> str:
    name = getattr(error, "sqlite_errorname", None)
    return name if isinstance(name, str) else type(error).__name__
