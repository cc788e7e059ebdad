"""The server store: businesses, cards and pending events in PostgreSQL.

Needs ``pip install 'clientcard[postgres]'`` (psycopg 3 and psycopg-pool). Cards are
JSONB documents beside indexed columns, in a schema of their own (``clientcard`` unless
told otherwise), created with its tables when the store opens.

Transactions run at ``REPEATABLE READ``: a unit of work sees one snapshot, and rows an
operation is about to change are read ``FOR UPDATE``, so two writers of one card can't
both pass the version check. When PostgreSQL reports a serialization failure or a
deadlock, an operation the store ran alone is retried (``max_retries`` times, after a
random pause that doubles each time, within a time budget: :mod:`clientcard._backoff`);
inside a ``transaction()`` block it is raised as
:class:`~clientcard.errors.StorageError` ``conflict`` instead, since only the caller can
run the block again. ``queued_transaction(name)`` begins a block only when it is its
turn among the blocks of every process that name the same queue (a session advisory
lock taken before ``BEGIN``): the book queues the writers of a business's audit chain.

The database must use the UTF8 encoding.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

try:
    import psycopg
    from psycopg import errors, sql
    from psycopg.pq import TransactionStatus
    from psycopg.rows import TupleRow
    from psycopg_pool import ConnectionPool
except ImportError as missing:
    raise ImportError(
        "clientcard.storage.postgres needs psycopg and psycopg-pool: "
        "pip install 'clientcard[postgres]'"
    ) from missing

from clientcard.errors import DuplicateError, StorageError
from clientcard.storage._pg_scrub import scrub_schema
from clientcard.storage._sql import POSTGRES, SQLStore, TxState, migrate
from clientcard.storage._sql.citus import distribute
from clientcard.storage.scrub import ScrubReport

__all__ = ["PostgresStore"]

# Lower case only: PostgreSQL folds unquoted names, and a name that needs quoting in
# one place and not in another is a trap for whoever queries the tables by hand.
_SCHEMA_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")

_STATES: Final = {
    TransactionStatus.IDLE: TxState.IDLE,
    TransactionStatus.INTRANS: TxState.ACTIVE,
    TransactionStatus.INERROR: TxState.FAILED,
}


@functools.lru_cache(maxsize=512)
def _placeholders(statement: str) -> str:
    """Turn the shared statements' ``?`` placeholders into psycopg's ``%s``."""
    return statement.replace("?", "%s")


class _PostgresSession:
    """A pooled connection, as :class:`~clientcard.storage._sql.Session`."""

    def __init__(self, connection: psycopg.Connection[TupleRow]) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        with self._connection.cursor() as cursor:
            cursor.execute(_placeholders(sql), params or None)
            return cursor.rowcount

    def execute_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        with self._connection.cursor() as cursor:
            cursor.executemany(_placeholders(sql), rows)

    def copy(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        # COPY in text format: psycopg adapts each value as it would a parameter, and
        # the server parses the columns' types (jsonb, timestamptz) as it would those.
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with self._connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def fetch(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._connection.cursor() as cursor:
            cursor.execute(_placeholders(sql), params or None)
            return cursor.fetchall()

    def state(self) -> TxState:
        if self._connection.closed or self._connection.broken:
            return TxState.LOST
        return _STATES.get(self._connection.info.transaction_status, TxState.LOST)

    def discard(self) -> None:
        # The pool sees the connection closed when it comes back, and replaces it.
        self._connection.close()


class PostgresStore(SQLStore):
    """A :class:`~clientcard.storage.protocol.ClientStore` in a PostgreSQL schema.

    ``conninfo`` is a libpq connection string or URI. The store keeps a pool of
    ``min_size`` to ``max_size`` connections and waits up to ``timeout`` seconds for one
    (and for the first when it opens) before raising
    :class:`~clientcard.errors.StorageError` ``unavailable``. Its tables live in
    ``schema`` (lower-case letters, digits and ``_``), created when missing; several
    stores, or several processes, may share one schema.

    With ``distributed=True`` the database is the coordinator of a Citus cluster, and
    the store spreads its tables over the cluster when it opens, each business's rows
    on one node (see the *Scaling out* page of the docs). It does so again on every
    open, for tables a migration added, and leaves the tables already placed alone. A
    database without the Citus extension then raises
    :class:`~clientcard.errors.StorageError` ``no_citus``.

    Use it as a context manager, or call :meth:`close` when done.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str = "clientcard",
        min_size: int = 1,
        max_size: int = 4,
        max_retries: int = 5,
        timeout: float = 30.0,
        distributed: bool = False,
    ) -> None:
        if not _SCHEMA_NAME.fullmatch(schema):
            raise ValueError("schema must be 1-63 of a-z, 0-9 and _, not starting with a digit")
        super().__init__(POSTGRES, max_retries=max_retries)
        self._schema = schema
        self._distributed = distributed
        self._conninfo = conninfo
        self._pool: ConnectionPool[psycopg.Connection[TupleRow]] = ConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            # Autocommit, so the store's own BEGIN sets the isolation level of every
            # transaction; reads run alone need no transaction at all.
            kwargs={"autocommit": True},
            configure=self._configure,
            open=False,
            name=f"clientcard:{schema}",
        )
        try:
            with self._translated():
                self._pool.open(wait=True, timeout=timeout)
            self._prepare()
        except BaseException:
            self._pool.close()
            raise

    @property
    def schema(self) -> str:
        """The schema the store's tables live in."""
        return self._schema

    @property
    def distributed(self) -> bool:
        """Whether the store places its tables on a Citus cluster when it opens.

        .. versionadded:: 0.1.0
        """
        return self._distributed

    def close(self) -> None:
        """Close the pool and every connection in it; the store can't be used afterwards."""
        self._pool.close()

    def scrub(
        self,
        tables: Sequence[str] | None = None,
        *,
        method: str = "auto",
        lock_timeout: float = 5.0,
        snapshot_wait: float = 60.0,
        checkpoint: bool = True,
        statistics: bool = True,
    ) -> ScrubReport:
        """Rewrite the store's tables so that no deleted row's bytes remain in their files.

        Deleted and updated rows stay in a table's files, and their values in its index
        files, until the table is rewritten; this rewrites each table of the schema (or
        those named in ``tables``) into new files holding the live rows only, one table
        at a time, and rebuilds its indexes. Run it after erasures, in a quiet hour.

        ``method`` is ``"pg_repack"`` (the table stays in use: an exclusive lock only
        briefly, at the start and for the swap), ``"vacuum_full"`` (``VACUUM FULL``: the
        table is locked against reads and writes while it is copied, about as long as it
        takes to write its size) or ``"auto"``: pg_repack when the database has the
        extension and its client is on the ``PATH``. A table whose lock is not granted
        within ``lock_timeout`` seconds is skipped and reported, never waited on longer:
        while waiting, ``VACUUM FULL`` would queue every other session's access to it.
        ``VACUUM FULL`` keeps the row versions that a transaction open before it may
        still read, so it first waits up to ``snapshot_wait`` seconds for the
        transactions open when the scrub began (``held_back`` counts those left).

        With ``statistics``, the planner's statistics (``pg_catalog.pg_statistic``, which
        samples column values and keeps replaced samples as dead rows) are rewritten
        last, with ``VACUUM FULL``: that needs a superuser, and is reported
        ``not_permitted`` otherwise. With ``checkpoint``, a ``CHECKPOINT`` follows, when
        the role may run one.

        Needs the table owner's rights (a superuser for pg_repack). What no rewrite
        reaches -- the write-ahead log, replicas, archives, backups -- is the host's: see
        the erasure guide.

        On a Citus cluster (``distributed=True``) the rows are in the workers' shards:
        each table is rewritten with ``VACUUM FULL``, which Citus sends to every
        placement (``"pg_repack"`` is refused: it would copy the coordinator's empty
        shell), and the wait, the statistics and the checkpoint reach every worker too.
        A placement whose lock is busy is skipped and asked again until
        ``lock_timeout`` has passed, then its table is reported ``locked``.

        :raises ValueError: an unknown ``method``, or a table the store doesn't have.
        :raises StorageError: ``unavailable`` when pg_repack was asked for and is missing
            (or the store is a cluster's);
            ``in_transaction`` inside a ``transaction()`` block (a rewrite runs alone).
        """
        if self.in_transaction():
            raise StorageError("in_transaction", "a scrub can't run inside a transaction")
        with self._checkout() as session:

            def fetch(statement: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
                with self._translated():
                    return session.fetch(statement, params)

            def execute(statement: str, params: Sequence[object]) -> int:
                with self._translated():
                    return session.execute(statement, params)

            return scrub_schema(
                fetch,
                execute,
                conninfo=self._conninfo,
                schema=self._schema,
                tables=tables,
                method=method,
                lock_timeout=lock_timeout,
                snapshot_wait=snapshot_wait,
                checkpoint=checkpoint,
                statistics=statistics,
                distributed=self._distributed,
            )

    # -- connections --------------------------------------------------------------------

    def _configure(self, connection: psycopg.Connection[TupleRow]) -> None:
        # The shared statements name tables unqualified; the search path points them here.
        connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self._schema)))

    @contextmanager
    def _checkout(self) -> Iterator[_PostgresSession]:
        with self._pool.connection() as connection:
            yield _PostgresSession(connection)

    def _prepare(self) -> None:
        """Create the schema if it is missing and apply the migrations it lacks."""
        key = int.from_bytes(
            hashlib.blake2b(f"clientcard:{self._schema}".encode(), digest_size=8).digest(),
            "big",
            signed=True,
        )
        with self._translated(), self._checkout() as session:
            # READ COMMITTED, not the store's REPEATABLE READ: once the lock below is ours,
            # the next statements must see what a migrator we waited for has committed.
            session.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
            try:
                session.fetch("SELECT pg_advisory_xact_lock(?)", (key,))
                ((encoding,),) = session.fetch("SHOW server_encoding")
                if encoding != "UTF8":
                    raise StorageError("incompatible", f"the database encoding is {encoding}")
                # Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even
                # when the schema is there, and a DBA may have created it for a user without.
                if not session.fetch(
                    "SELECT 1 FROM pg_namespace WHERE nspname = ?", (self._schema,)
                ):
                    session.execute(
                        sql.SQL("CREATE SCHEMA {}")
                        .format(sql.Identifier(self._schema))
                        .as_string(None)
                    )
                migrate(session, POSTGRES)
                if self._distributed:
                    distribute(session, self._schema)
                session.execute("COMMIT")
            except BaseException:
                self._abandon(session)
                raise

    # -- errors -------------------------------------------------------------------------

    @contextmanager
    def _translated(self, subject: tuple[str, str] | None = None) -> Iterator[None]:
        # Errors are raised "from None": PostgreSQL's message and detail may quote values
        # of the row at fault, and a clientcard error carries no personal data. The
        # SQLSTATE stays in the message for diagnosis.
        try:
            yield
        except errors.UniqueViolation:
            if subject is not None:
                raise DuplicateError(*subject) from None
            raise StorageError("rejected", "a unique constraint refused the write") from None
        except (errors.SerializationFailure, errors.DeadlockDetected) as error:
            raise StorageError(
                "conflict", f"a concurrent transaction changed the same rows ({_code(error)})"
            ) from None
        except errors.LockNotAvailable as error:
            raise StorageError("locked", f"a lock was not available ({_code(error)})") from None
        except errors.DiskFull as error:
            raise StorageError("disk_full", f"the database is full ({_code(error)})") from None
        except (psycopg.IntegrityError, psycopg.DataError) as error:
            raise StorageError(
                "rejected", f"the database refused a value ({_code(error)})"
            ) from None
        except psycopg.Error as error:
            raise StorageError("unavailable", f"the database failed ({_code(error)})") from None


def _code(error: psycopg.Error) -> str:
    return f"SQLSTATE {error.sqlstate}" if error.sqlstate else type(error).__name__
