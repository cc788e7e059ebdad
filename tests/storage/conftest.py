"""Shared setup of the storage tests: where the test PostgreSQL is, and whether it's up.

The server is ``postgresql://postgres@127.0.0.1:5432/test`` unless
``CLIENTCARD_TEST_POSTGRES`` names another. When it can't be reached, PostgreSQL tests
are skipped -- or fail, when ``CLIENTCARD_REQUIRE_POSTGRES=1`` (as CI sets it), so a
broken server can't pass for a green run.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator

import pytest

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_dsn() -> str:
    """The DSN of the test server."""
    return os.environ.get("CLIENTCARD_TEST_POSTGRES", DEFAULT_DSN)


@functools.cache
def _postgres_problem() -> str | None:
    """Why PostgreSQL tests can't run, or ``None``; checked once per test session."""
    try:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        return "psycopg is not installed (pip install 'clientcard[postgres]')"
    try:
        # The password, if any, stays out of the skip reason.
        where = conninfo_to_dict(postgres_dsn())
        place = f"{where.get('host', 'localhost')}:{where.get('port', 5432)}/{where.get('dbname')}"
    except psycopg.ProgrammingError:
        return "CLIENTCARD_TEST_POSTGRES is not a valid connection string"
    try:
        with psycopg.connect(postgres_dsn(), connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return f"PostgreSQL at {place} is unreachable ({type(error).__name__})"
    return None


def postgres_dsn_or_skip() -> str:
    """Return the test server's DSN, or skip the test (fail it when it's required)."""
    problem = _postgres_problem()
    if problem is not None:
        if os.environ.get("CLIENTCARD_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{problem}; CLIENTCARD_REQUIRE_POSTGRES=1", pytrace=False)
        pytest.skip(problem)
    return postgres_dsn()


@pytest.fixture(scope="session")
def postgres() -> str:
    """The DSN of a reachable test server (see the module docs for skip and fail)."""
    return postgres_dsn_or_skip()


@pytest.fixture
def postgres_schema(postgres: str) -> Iterator[str]:
    """A schema name of the test's own, dropped with everything in it afterwards."""
    import psycopg
    from psycopg import sql

    name = f"cc_test_{uuid.uuid4().hex}"
    yield name
    with psycopg.connect(postgres, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
