"""Where the test Citus cluster is, whether it's up, and a distributed store on it.

The cluster's coordinator is named by ``CLIENTCARD_TEST_CITUS`` (a DSN; ``.ci/run`` starts
the cluster with ``../shared/citus/cluster start`` and sets it). Without it, or when the
coordinator can't be reached or has no Citus, the Citus tests are skipped -- or fail,
when ``CLIENTCARD_REQUIRE_CITUS=1``, so a broken cluster can't pass for a green run
(as ``tests/storage/conftest.py`` does for PostgreSQL).

Distributing a schema takes about a second, so the tests share one per session, with
four shards a table, and each test starts from its tables emptied.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from clientcard.storage.postgres import PostgresStore

__all__ = ["citus", "citus_dsn_or_skip", "citus_schema", "citus_store", "drop_schema", "shards_of"]

SHARDS = 4


def _citus_dsn() -> str | None:
    return os.environ.get("CLIENTCARD_TEST_CITUS") or None


@functools.cache
def _citus_problem() -> str | None:
    """Why Citus tests can't run, or ``None``; checked once per test session."""
    dsn = _citus_dsn()
    if dsn is None:
        return (
            "CLIENTCARD_TEST_CITUS is not set (the DSN of a Citus coordinator;"
            " ../shared/citus/cluster start prints one)"
        )
    try:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        return "psycopg is not installed (pip install 'clientcard[postgres]')"
    try:
        where = conninfo_to_dict(dsn)
        place = f"{where.get('host', 'localhost')}:{where.get('port', 5432)}/{where.get('dbname')}"
    except psycopg.ProgrammingError:
        return "CLIENTCARD_TEST_CITUS is not a valid connection string"
    try:
        with psycopg.connect(dsn, connect_timeout=3) as connection:
            workers = connection.execute(
                "SELECT count(*) FROM pg_extension AS e, LATERAL"
                " (SELECT 1 FROM pg_dist_node WHERE noderole = 'primary' AND groupid > 0) AS n"
                " WHERE e.extname = 'citus'"
            ).fetchone()
    except psycopg.Error as error:
        return f"the Citus coordinator at {place} is unreachable ({type(error).__name__})"
    if not workers or not workers[0]:
        return f"the server at {place} is no Citus coordinator with workers"
    return None


def citus_dsn_or_skip() -> str:
    """Return the coordinator's DSN, or skip the test (fail it when Citus is required)."""
    problem = _citus_problem()
    if problem is not None:
        if os.environ.get("CLIENTCARD_REQUIRE_CITUS") == "1":
            pytest.fail(f"{problem}; CLIENTCARD_REQUIRE_CITUS=1", pytrace=False)
        pytest.skip(problem)
    dsn = _citus_dsn()
    assert dsn is not None
    return dsn


@pytest.fixture(scope="session")
def citus() -> str:
    """The coordinator's DSN, its tables made with four shards (few, so tests are quick)."""
    from psycopg.conninfo import make_conninfo

    return make_conninfo(citus_dsn_or_skip(), options=f"-c citus.shard_count={SHARDS}")


def drop_schema(dsn: str, schema: str) -> None:
    """Drop a test schema with its distributed tables and their shards."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )


@pytest.fixture(scope="session")
def citus_schema(citus: str) -> Iterator[str]:
    """One distributed schema for the session, dropped at its end."""
    from clientcard.storage.postgres import PostgresStore

    schema = f"cc_citus_{uuid.uuid4().hex}"
    try:
        PostgresStore(citus, schema=schema, distributed=True).close()
        yield schema
    finally:
        drop_schema(citus, schema)


@pytest.fixture
def citus_store(citus_schema: str, citus: str) -> Iterator[PostgresStore]:
    """A distributed store on the session's schema, every tenant table emptied."""
    import psycopg
    from psycopg import sql

    from clientcard.storage._sql.citus import read_layout
    from clientcard.storage.postgres import PostgresStore, _PostgresSession

    # DELETE, not TRUNCATE: on a few rows a tenth of the time, which adds up per test.
    with psycopg.connect(citus) as connection:
        layout = read_layout(_PostgresSession(connection), citus_schema)
        for table in reversed(layout.tenant_order()):
            connection.execute(
                sql.SQL("DELETE FROM {}").format(sql.Identifier(citus_schema, table))
            )
    with PostgresStore(citus, schema=citus_schema, distributed=True, max_size=8) as store:
        yield store


def shards_of(dsn: str, schema: str) -> list[tuple[str, int, str]]:
    """Every shard placement of the schema's tables as ``(host, port, shard table)``."""
    import psycopg

    with psycopg.connect(dsn) as connection:
        rows = connection.execute(
            "SELECT p.nodename, p.nodeport, n.nspname || '.' || c.relname || '_' || s.shardid"
            " FROM pg_dist_shard AS s JOIN pg_dist_placement AS pl USING (shardid)"
            " JOIN pg_dist_node AS p ON p.groupid = pl.groupid"
            " JOIN pg_class AS c ON c.oid = s.logicalrelid"
            " JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE n.nspname = %s",
            (schema,),
        ).fetchall()
    return [(str(host), int(port), str(shard)) for host, port, shard in rows]
