"""Rewriting a PostgreSQL schema's tables so that deleted rows leave no bytes behind.

Internal to :mod:`clientcard.storage.postgres` (``PostgresStore.scrub``). One table at a
time, each its own command outside any transaction:

* with pg_repack (the extension in the database, its client on the ``PATH``), the table
  is copied into new files from a fresh snapshot while it stays in use; an exclusive
  lock is taken only briefly, to install the trigger that logs concurrent changes and
  to swap the files at the end (waiting at most the lock timeout, and never cancelling
  other sessions: ``--no-kill-backend``);
* otherwise with ``VACUUM (FULL, ANALYZE)``, which holds an ``ACCESS EXCLUSIVE`` lock on
  the table for the whole copy -- no reads, no writes -- and copies the row versions
  that a transaction older than their deletion may still see (see
  :func:`_wait_for_older_transactions`). So it first waits (bounded) for the
  transactions open when the scrub began, and ``lock_timeout`` bounds its wait for the
  lock, during which it would queue every other session's access to the table.

The rewrite analyses each table again, and the planner's statistics of the database
(``pg_catalog.pg_statistic``), which sample column values -- an erased client's name
among them, if an ``ANALYZE`` (autovacuum's, say) saw it -- keep the replaced samples as
dead rows of their own. So the scrub ends by rewriting that catalogue too, with
``VACUUM FULL`` (a superuser's right; it is small, and locked for milliseconds, during
which planning a query that needs statistics not yet cached waits).

On a Citus cluster (a store opened with ``distributed=True``) the rows are in the
workers' shards: the scrub uses ``VACUUM FULL``, which Citus sends to every placement,
and waits for, rewrites the statistics of, and checkpoints each worker as well (see
:mod:`clientcard.storage._pg_scrub_cluster`).

Whether a table was rewritten is read back from the catalogue (its file number changed,
on a cluster that of every placement of every shard), not taken from an exit status.
Nothing of a table's content is logged; pg_repack's output is not read, since a server
message can quote a row.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any, Final

from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from clientcard.errors import StorageError
from clientcard.storage import _pg_scrub_cluster as cluster
from clientcard.storage.scrub import ScrubMethod, ScrubReport, TableScrub

__all__ = ["scrub_schema"]

Fetch = Callable[[str, Sequence[object]], list[tuple[Any, ...]]]
Execute = Callable[[str, Sequence[object]], int]

# libpq connection parameters pg_repack's client takes from the environment.
_ENVIRONMENT: Final = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "passfile": "PGPASSFILE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
}
_POLL: Final = 0.1
_NOT_SCRUBBED: Final = frozenset({"schema_migrations"})


def scrub_schema(
    fetch: Fetch,
    execute: Execute,
    *,
    conninfo: str,
    schema: str,
    tables: Sequence[str] | None,
    method: str,
    lock_timeout: float,
    snapshot_wait: float,
    checkpoint: bool,
    statistics: bool,
    distributed: bool = False,
) -> ScrubReport:
    """Rewrite ``tables`` of ``schema`` (all of its tables by default); see the module docs.

    With ``statistics``, the planner's statistics catalogue follows. ``distributed``:
    the schema is a Citus cluster's, whose workers hold the rows.

    ``fetch`` and ``execute`` run statements on one autocommit connection.

    :raises ValueError: an unknown method, or a table the schema doesn't have.
    :raises StorageError: ``unavailable`` when pg_repack was asked for and is missing,
        or for a cluster, whose shards it can't reach.
    """
    chosen = _method(fetch, method, distributed=distributed)
    names = _tables(fetch, schema, tables)
    held = _wait_everywhere(fetch, snapshot_wait, distributed=distributed)
    if chosen is ScrubMethod.PG_REPACK:
        held = 0  # it copies what a fresh snapshot sees
    done = [
        _rewrite(
            fetch,
            execute,
            conninfo=conninfo,
            schema=schema,
            table=name,
            method=chosen,
            lock_timeout=lock_timeout,
            distributed=distributed,
        )
        for name in names
    ]
    if statistics:
        # The rewrites above replaced statistics rows: the replaced ones are dead rows
        # of the catalogue, kept by VACUUM FULL while a transaction older than their
        # replacement (an autovacuum worker's, say) may still read them. Wait again.
        held += _wait_everywhere(fetch, snapshot_wait, distributed=distributed)
        done.append(
            _rewrite(
                fetch,
                execute,
                conninfo=conninfo,
                schema="pg_catalog",
                table="pg_statistic",
                method=ScrubMethod.VACUUM_FULL,
                lock_timeout=lock_timeout,
            )
        )
        if distributed:
            done.append(_workers_statistics(fetch, lock_timeout))
    checkpointed = checkpoint and _checkpoint(execute)
    if checkpointed and distributed:
        answers = cluster.workers_run(fetch, "CHECKPOINT").values()
        checkpointed = all(success for success, _result in answers)
    return ScrubReport(tables=tuple(done), held_back=held, checkpointed=checkpointed)


def _wait_everywhere(fetch: Fetch, patience: float, *, distributed: bool) -> int:
    """Wait up to ``patience`` s in all for the transactions open now, the workers' too."""
    if not distributed:
        return _wait_for_older_transactions(fetch, patience)
    deadline = time.monotonic() + patience
    ((began,),) = fetch("SELECT statement_timestamp()::text", ())
    held = _wait_for_older_transactions(fetch, patience)
    while True:
        older = cluster.workers_holding_back(fetch, str(began))
        if not older or time.monotonic() >= deadline:
            return held + older
        time.sleep(_POLL)


def _workers_statistics(fetch: Fetch, lock_timeout: float) -> TableScrub:
    """Rewrite the workers' statistics catalogues, reported as one table."""
    if not _superuser(fetch):
        return TableScrub(
            _WORKER_STATISTICS, ScrubMethod.VACUUM_FULL, False, 0.0, 0, 0, "not_permitted"
        )
    started = time.monotonic()
    skipped = cluster.workers_rewrite_statistics(fetch, lock_timeout)
    return TableScrub(
        table=_WORKER_STATISTICS,
        method=ScrubMethod.VACUUM_FULL,
        rewritten=skipped is None,
        seconds=round(time.monotonic() - started, 3),
        bytes_before=0,
        bytes_after=0,
        skipped=skipped,
    )


_WORKER_STATISTICS: Final = "pg_catalog.pg_statistic (workers)"


def _method(fetch: Fetch, method: str, *, distributed: bool) -> ScrubMethod:
    if method not in {"auto", ScrubMethod.VACUUM_FULL, ScrubMethod.PG_REPACK}:
        raise ValueError("method must be 'auto', 'pg_repack' or 'vacuum_full'")
    if distributed:
        # pg_repack would copy the coordinator's empty shell of each table; VACUUM FULL
        # of a distributed table is sent to every placement of every shard.
        if method == ScrubMethod.PG_REPACK:
            raise StorageError(
                "unavailable",
                "pg_repack rewrites the coordinator's tables only; on a cluster the scrub"
                " uses vacuum_full, which Citus sends to every shard",
            )
        return ScrubMethod.VACUUM_FULL
    repack = shutil.which("pg_repack") is not None and bool(
        fetch("SELECT 1 FROM pg_extension WHERE extname = 'pg_repack'", ())
    )
    if method == "auto":
        return ScrubMethod.PG_REPACK if repack else ScrubMethod.VACUUM_FULL
    if method == ScrubMethod.VACUUM_FULL:
        return ScrubMethod.VACUUM_FULL
    if method == ScrubMethod.PG_REPACK:
        if not repack:
            raise StorageError(
                "unavailable",
                "pg_repack needs its extension in the database and its client on the PATH",
            )
        return ScrubMethod.PG_REPACK
    raise ValueError("method must be 'auto', 'pg_repack' or 'vacuum_full'")


def _tables(fetch: Fetch, schema: str, tables: Sequence[str] | None) -> list[str]:
    rows = fetch(
        "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace"
        " WHERE n.nspname = ? AND c.relkind = 'r' ORDER BY c.relname",
        (schema,),
    )
    present = [str(row[0]) for row in rows if row[0] not in _NOT_SCRUBBED]
    if tables is None:
        return present
    unknown = sorted(set(tables) - set(present))
    if unknown:
        raise ValueError(f"tables: {', '.join(unknown)} is not a table of the store")
    return [name for name in present if name in set(tables)]


def _wait_for_older_transactions(fetch: Fetch, patience: float) -> int:
    """Wait up to ``patience`` s for the transactions open now; return how many remain.

    ``VACUUM FULL`` keeps a dead row version while a transaction that may still see it
    is open: one of this database whose snapshot is older than the row's deletion, or
    -- through the xmin of ``VACUUM FULL``'s own snapshot, which counts every running
    transaction of the server -- one of any database that was running before the
    deletion committed, prepared transactions included. Idle sessions hold nothing.
    Seeing other roles' transactions needs ``pg_read_all_stats`` (or a superuser).
    """
    ((now,),) = fetch("SELECT xid(pg_current_xact_id())::text", ())
    query = (
        "SELECT (SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND ("
        "  (backend_xid IS NOT NULL AND age(backend_xid) >= age(?::xid))"
        "  OR (datname = current_database() AND backend_xmin IS NOT NULL"
        "   AND age(backend_xmin) >= age(?::xid))))"
        " + (SELECT count(*) FROM pg_prepared_xacts WHERE age(transaction) >= age(?::xid))"
    )
    deadline = time.monotonic() + patience
    while True:
        ((older,),) = fetch(query, (now, now, now))
        if not older or time.monotonic() >= deadline:
            return int(older)
        time.sleep(_POLL)


def _rewrite(
    fetch: Fetch,
    execute: Execute,
    *,
    conninfo: str,
    schema: str,
    table: str,
    method: ScrubMethod,
    lock_timeout: float,
    distributed: bool = False,
) -> TableScrub:
    qualified = f"{schema}.{table}"
    if schema == "pg_catalog" and not _superuser(fetch):
        return TableScrub(qualified, method, False, 0.0, 0, 0, "not_permitted")
    if distributed and schema != "pg_catalog" and cluster.is_distributed(fetch, qualified):
        return _rewrite_shards(fetch, execute, schema, table, lock_timeout)
    measure = "SELECT pg_relation_filenode(?::regclass), pg_total_relation_size(?::regclass)"
    ((node_before, size_before),) = fetch(measure, (qualified, qualified))
    started = time.monotonic()
    skipped: str | None = None
    if method is ScrubMethod.PG_REPACK:
        skipped = _repack(conninfo, qualified, lock_timeout)
        # Analysed here, not by pg_repack, so that the statistics sampled before the
        # erasure are replaced -- committed -- before the catalogue is rewritten.
        execute(
            sql.SQL("ANALYZE {}.{}")
            .format(sql.Identifier(schema), sql.Identifier(table))
            .as_string(None),
            (),
        )
    else:
        # The catalogue is not analysed: its own statistics are not wanted.
        analyse = schema != "pg_catalog"
        skipped = _vacuum_full(execute, schema, table, lock_timeout, analyse=analyse)
    seconds = time.monotonic() - started
    ((node_after, size_after),) = fetch(measure, (qualified, qualified))
    rewritten = node_after != node_before
    return TableScrub(
        table=qualified if schema == "pg_catalog" else table,
        method=method,
        rewritten=rewritten,
        seconds=round(seconds, 3),
        bytes_before=int(size_before),
        bytes_after=int(size_after),
        skipped=None if rewritten else (skipped or "failed"),
    )


def _rewrite_shards(
    fetch: Fetch, execute: Execute, schema: str, table: str, lock_timeout: float
) -> TableScrub:
    """Rewrite every placement of a distributed table (see ``_pg_scrub_cluster``)."""
    quoted = sql.Identifier(schema, table).as_string(None)
    size_before = cluster.table_size(fetch, quoted)
    started = time.monotonic()
    skipped = cluster.rewrite_table(fetch, execute, quoted, analyse=True, lock_timeout=lock_timeout)
    return TableScrub(
        table=table,
        method=ScrubMethod.VACUUM_FULL,
        rewritten=skipped is None,
        seconds=round(time.monotonic() - started, 3),
        bytes_before=size_before,
        bytes_after=cluster.table_size(fetch, quoted),
        skipped=skipped,
    )


def _superuser(fetch: Fetch) -> bool:
    ((superuser,),) = fetch("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", ())
    return bool(superuser)


def _vacuum_full(
    execute: Execute, schema: str, table: str, lock_timeout: float, *, analyse: bool
) -> str | None:
    options = sql.SQL("FULL, ANALYZE" if analyse else "FULL")
    statement = sql.SQL("VACUUM ({}) {}.{}").format(
        options, sql.Identifier(schema), sql.Identifier(table)
    )
    execute(f"SET lock_timeout = {max(1, math.ceil(lock_timeout * 1000))}", ())
    try:
        execute(statement.as_string(None), ())
    except StorageError as error:
        if error.reason == "locked":
            return "locked"
        raise
    finally:
        execute("RESET lock_timeout", ())
    return None


def _repack(conninfo: str, qualified: str, lock_timeout: float) -> str | None:
    program = shutil.which("pg_repack")
    if program is None:  # pragma: no cover - checked when the method was chosen
        return "failed"
    environment = dict(os.environ)
    for name, value in conninfo_to_dict(conninfo).items():
        if name in _ENVIRONMENT and value is not None:
            environment[_ENVIRONMENT[name]] = str(value)
    command = [
        program,
        "--no-order",  # a plain copy, like VACUUM FULL: no ordering by an index
        "--no-kill-backend",  # give up on a lock rather than cancel the host's queries
        f"--wait-timeout={max(1, math.ceil(lock_timeout))}",
        f"--table={qualified}",
        "--no-analyze",  # the scrub analyses the table itself, and waits for it
        "--no-password",
    ]
    # The output is not read: a server message may quote a row (see the module docs).
    finished = subprocess.run(  # noqa: S603 - a fixed program and arguments, no shell
        command,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return None if finished.returncode == 0 else "failed"


def _checkpoint(execute: Execute) -> bool:
    """Run CHECKPOINT if the role may (superuser, or pg_checkpoint from PostgreSQL 15)."""
    try:
        execute("CHECKPOINT", ())
    except StorageError:
        return False
    return True
