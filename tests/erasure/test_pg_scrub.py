"""After an erasure and a scrub, PostgreSQL's data files hold no byte of the client.

The erasure deletes and updates rows; PostgreSQL keeps the old row versions in the
table files, and their values in the index files, until the table is rewritten. Each
test here runs in a database of its own (so no other session's open transaction holds
old row versions back), seeds the client of :mod:`tests.erasure.test_scan` -- a marker
in every field, record, consent event and send -- and a witness, erases the first,
forces a ``CHECKPOINT`` and reads the server's files byte for byte: every file of every
table of the store's schema, of their indexes and of their TOAST tables, found through
``pg_relation_filepath`` in the data directory (so the tests need the server on this
machine and a user who may read its files, as CI has), and then every file of the
database's directory, catalogues included.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from clientcard.storage.postgres import PostgresStore

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.errors import StorageError
from clientcard.sinks import JsonLinesEventSink
from clientcard.storage.files import FileBlobStore
from clientcard.storage.scrub import ScrubMethod, ScrubReport
from tests.erasure.test_scan import found_in, prepare, record_markers, searchable
from tests.support import NOW

pytestmark = pytest.mark.postgres

SCHEMA = "clientcard"


@pytest.fixture
def database(postgres: str) -> Iterator[str]:
    """The DSN of a database of the test's own, dropped afterwards."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    name = f"cc_scrub_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(postgres, dbname=name)
    finally:
        with psycopg.connect(postgres, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def data_directory(database: str) -> Path:
    """The server's data directory, when this process may read it (else skip)."""
    import psycopg

    with psycopg.connect(database) as connection:
        row = connection.execute("SHOW data_directory").fetchone()
    assert row is not None
    path = Path(str(row[0]))
    if not os.access(path / "base", os.R_OK | os.X_OK):
        pytest.skip("the server's data directory is not readable here")
    return path


def relation_files(dsn: str, root: Path) -> dict[str, bytes]:
    """Every file of every table of the schema, its indexes and TOAST, after a CHECKPOINT."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("CHECKPOINT")
        rows = connection.execute(
            """
            WITH tables AS (
                SELECT c.oid, c.reltoastrelid FROM pg_class AS c
                JOIN pg_namespace AS n ON n.oid = c.relnamespace
                WHERE n.nspname = %s AND c.relkind = 'r'
            ), relations AS (
                SELECT oid FROM tables
                UNION SELECT reltoastrelid FROM tables WHERE reltoastrelid <> 0
                UNION SELECT i.indexrelid FROM pg_index AS i
                    WHERE i.indrelid IN (SELECT oid FROM tables)
                    OR i.indrelid IN (SELECT reltoastrelid FROM tables)
            )
            SELECT oid::regclass::text, pg_relation_filepath(oid) FROM relations
            """,
            (SCHEMA,),
        ).fetchall()
    files: dict[str, bytes] = {}
    for name, path in rows:
        base = root / str(path)
        for candidate in sorted(base.parent.glob(base.name + "*")):
            # The main fork, its 1 GB segments (.1, .2) and the free-space and visibility maps.
            if candidate.name == base.name or candidate.name[len(base.name)] in "._":
                files[f"{name}:{candidate.name}"] = candidate.read_bytes()
    return files


def database_files(dsn: str, root: Path) -> dict[str, bytes]:
    """Every file of the database's directory (catalogues too), after a CHECKPOINT."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("CHECKPOINT")
        row = connection.execute(
            "SELECT oid FROM pg_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    folder = root / "base" / str(row[0])
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def in_database(tag: str) -> list[str]:
    """What the scan looks for in the database: the markers, but the blob store's bytes."""
    blobs = {record_markers(tag)["picture"], record_markers(tag)["photo"]}
    return [marker for marker in searchable(tag) if marker not in blobs]


def holding(files: dict[str, bytes], wanted: list[str]) -> dict[str, set[str]]:
    """The files that hold any of ``wanted``, with what each holds."""
    found = {name: found_in(data, wanted) for name, data in files.items()}
    return {name: markers for name, markers in found.items() if markers}


@pytest.fixture
def erased(database: str, data_directory: Path, tmp_path: Path) -> Iterator[ClientBook]:
    """A book whose first client was erased (the witness stays); the client was on disk."""
    from clientcard.storage.postgres import PostgresStore

    blobs = FileBlobStore(tmp_path / "blobs")
    with PostgresStore(database, schema=SCHEMA) as store:
        book = ClientBook(
            store, clock=FixedClock(NOW), events=JsonLinesEventSink(tmp_path / "e"), blobs=blobs
        )
        salon = book.create_business(name="Salone", region="IT", language="it").id
        client, _ = prepare(book, salon, blobs)
        analyse(database)  # as autovacuum would: the planner's statistics sample values
        on_disk = relation_files(database, data_directory)
        gone = in_database("x")
        assert set().union(*holding(on_disk, gone).values()) == set(gone)
        desk = book.business(salon)
        desk.erasure.run(desk.erasure.plan(client), by="staff-7")
        yield book


def analyse(dsn: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("ANALYZE")


class TestWithoutAScrub:
    """What the issue found: the erasure alone leaves the client in the files."""

    def test_the_erased_client_is_still_in_the_table_and_index_files(
        self, erased: ClientBook, database: str, data_directory: Path
    ) -> None:
        left = holding(relation_files(database, data_directory), in_database("x"))
        tables = {name.split(":")[0].split(".")[-1] for name in left}
        assert {"cards", "card_phones", "records", "consent_events", "sends"} <= tables

    def test_a_plain_vacuum_leaves_most_of_it(
        self, erased: ClientBook, database: str, data_directory: Path
    ) -> None:
        import psycopg

        with psycopg.connect(database, autocommit=True) as connection:
            connection.execute(f"VACUUM {SCHEMA}.cards, {SCHEMA}.records, {SCHEMA}.sends")
        assert holding(relation_files(database, data_directory), in_database("x"))


def horizon_free(report: ScrubReport) -> None:
    """Skip (fail in CI) when a transaction older than the erasure stayed open.

    ``VACUUM FULL`` then had to keep the row versions that transaction may see -- the
    report says so (``held_back``), and nothing about the files can be concluded. On a
    server shared with other test runs, one of theirs can be open for minutes.
    """
    if report.held_back:
        problem = (
            f"{report.held_back} transaction(s) older than the erasure stayed open on the "
            "server, so VACUUM FULL had to keep the rows they may see"
        )
        if os.environ.get("CLIENTCARD_REQUIRE_POSTGRES") == "1":
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)


class TestAScrub:
    @pytest.mark.parametrize("method", ["vacuum_full", "pg_repack"])
    def test_no_byte_of_the_client_is_left_in_the_database_files(
        self, erased: ClientBook, database: str, data_directory: Path, method: str
    ) -> None:
        from clientcard.storage.postgres import PostgresStore

        if method == "pg_repack":
            with_repack(database)
        store = erased.store
        assert isinstance(store, PostgresStore)
        report = store.scrub(method=method, snapshot_wait=20)
        *tables, statistics = report.tables
        assert all(table.rewritten for table in report.tables)
        assert {table.method for table in tables} == {ScrubMethod(method)}
        assert statistics.table == "pg_catalog.pg_statistic"
        if method == "vacuum_full":
            horizon_free(report)
        # pg_repack copies what a fresh snapshot sees: no open transaction holds it back.
        files = relation_files(database, data_directory)
        assert holding(files, in_database("x")) == {}
        kept = in_database("w")
        assert set().union(*holding(files, kept).values()) == set(kept)
        # Every file of the database, the planner's statistics (VACUUM FULL) among them.
        horizon_free(report)
        assert report.complete
        assert holding(database_files(database, data_directory), in_database("x")) == {}

    def test_without_the_statistics_the_catalogue_keeps_sampled_values(
        self, erased: ClientBook, database: str, data_directory: Path
    ) -> None:
        from clientcard.storage.postgres import PostgresStore

        with_repack(database)
        store = erased.store
        assert isinstance(store, PostgresStore)
        store.scrub(method="pg_repack", statistics=False, snapshot_wait=0)
        assert holding(relation_files(database, data_directory), in_database("x")) == {}
        assert holding(database_files(database, data_directory), in_database("x"))


@pytest.fixture
def store(postgres: str, postgres_schema: str) -> Iterator[PostgresStore]:
    """A store with one client, in a schema of the shared test database."""
    from clientcard.storage.postgres import PostgresStore

    with PostgresStore(postgres, schema=postgres_schema) as opened:
        book = ClientBook(opened, clock=FixedClock(NOW))
        salon = book.create_business(name="Salone").id
        book.business(salon).cards.add({"first_name": "Anna"})
        yield opened


class TestBounds:
    def test_a_table_whose_lock_is_not_granted_is_skipped_and_reported(
        self, store: PostgresStore, postgres: str
    ) -> None:
        import psycopg

        with psycopg.connect(postgres) as holder:
            holder.execute(f"LOCK TABLE {store.schema}.sends IN ACCESS SHARE MODE")
            report = store.scrub(
                ["sends", "cards"], method="vacuum_full", lock_timeout=0.2, snapshot_wait=0
            )
        by_table = {table.table: table for table in report.tables}
        assert (by_table["sends"].rewritten, by_table["sends"].skipped) == (False, "locked")
        assert by_table["cards"].rewritten
        assert not report.complete

    def test_a_transaction_older_than_the_scrub_is_waited_for_then_reported(
        self, database: str
    ) -> None:
        import psycopg

        from clientcard.storage.postgres import PostgresStore

        with PostgresStore(database, schema=SCHEMA) as own, psycopg.connect(database) as holder:
            holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            holder.execute("SELECT count(*) FROM pg_class")
            report = own.scrub(["outbox"], method="vacuum_full", snapshot_wait=0.3)
        # At least the holder's; another test run on a shared server may add its own.
        assert report.held_back >= 1
        assert not report.complete

    def test_without_a_superuser_the_statistics_are_reported_not_permitted(
        self, store: PostgresStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from clientcard.storage import _pg_scrub

        monkeypatch.setattr(_pg_scrub, "_superuser", lambda fetch: False)
        report = store.scrub(["cards"], method="vacuum_full", snapshot_wait=0)
        statistics = report.tables[-1]
        assert (statistics.table, statistics.skipped) == (
            "pg_catalog.pg_statistic",
            "not_permitted",
        )
        assert not report.complete

    def test_an_unknown_table_is_a_value_error_naming_the_parameter(
        self, store: PostgresStore
    ) -> None:
        with pytest.raises(ValueError, match="tables"):
            store.scrub(["pg_authid"])

    def test_an_unknown_method_is_a_value_error(self, store: PostgresStore) -> None:
        with pytest.raises(ValueError, match="method"):
            store.scrub(method="cluster")

    def test_pg_repack_asked_for_without_its_extension_is_unavailable(self, database: str) -> None:
        from clientcard.storage.postgres import PostgresStore

        with PostgresStore(database, schema=SCHEMA) as own, pytest.raises(StorageError) as caught:
            own.scrub(method="pg_repack")
        assert caught.value.reason == "unavailable"

    def test_inside_a_transaction_it_is_refused(self, store: PostgresStore) -> None:
        with store.transaction(), pytest.raises(StorageError) as caught:
            store.scrub()
        assert caught.value.reason == "in_transaction"


def with_repack(dsn: str) -> None:
    """Create the pg_repack extension in the test's database, or skip (fail in CI)."""
    import shutil

    import psycopg

    with psycopg.connect(dsn, autocommit=True) as connection:
        available = connection.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_repack'"
        ).fetchone()
        if available is None or shutil.which("pg_repack") is None:
            problem = "pg_repack is not installed (Debian: postgresql-15-repack)"
            if os.environ.get("CLIENTCARD_REQUIRE_POSTGRES") == "1":
                pytest.fail(problem, pytrace=False)
            pytest.skip(problem)
        connection.execute("CREATE EXTENSION IF NOT EXISTS pg_repack")
