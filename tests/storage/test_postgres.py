from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator

import attrs
import pytest

if os.environ.get("CLIENTCARD_REQUIRE_POSTGRES") != "1":
    pytest.importorskip("psycopg", reason="psycopg is not installed (clientcard[postgres])")

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from clientcard.errors import DuplicateError, StorageError
from clientcard.storage import _sql
from clientcard.storage import postgres as postgres_module
from clientcard.storage._sql import MIGRATIONS, Session, migrate
from clientcard.storage.postgres import PostgresStore
from clientcard.testing.contracts import ClientStoreContract
from tests.storage.sql_behaviour import SQLStoreBehaviour, business, card

needs_server = pytest.mark.postgres


@needs_server
class TestPostgresStore(ClientStoreContract, SQLStoreBehaviour):
    @pytest.fixture
    def store(self, postgres: str, postgres_schema: str) -> Iterator[PostgresStore]:
        with PostgresStore(postgres, schema=postgres_schema) as store:
            yield store


@pytest.fixture
def store(postgres: str, postgres_schema: str) -> Iterator[PostgresStore]:
    # Named after its schema, so a test that kills connections kills only this store's.
    named = make_conninfo(postgres, application_name=postgres_schema)
    with PostgresStore(named, schema=postgres_schema) as store:
        yield store


def in_schema(schema: str, statement: str) -> sql.Composed:
    """``statement`` with ``{}`` standing for the schema."""
    return sql.SQL(statement).format(sql.Identifier(schema))


def touch_card(
    connection: psycopg.Connection[tuple[object, ...]], schema: str, card_id: str
) -> None:
    """Write the card's row without changing it: enough to conflict with a snapshot."""
    connection.execute(
        in_schema(schema, "UPDATE {}.cards SET version = version WHERE id = %s"), (card_id,)
    )


def wait_for_a_lock_wait(connection: psycopg.Connection[tuple[object, ...]]) -> None:
    for _ in range(500):
        (waiting,) = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        ).fetchone() or (0,)
        if waiting:
            return
        time.sleep(0.01)
    pytest.fail("the store's update never waited for the row lock")


# -- opening ------------------------------------------------------------------------------


def test_importing_without_psycopg_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.delitem(sys.modules, "clientcard.storage.postgres")
    with pytest.raises(ImportError, match=r"clientcard\[postgres\]"):
        importlib.import_module("clientcard.storage.postgres")


def test_a_schema_name_that_would_need_quoting_is_refused() -> None:
    with pytest.raises(ValueError, match="schema"):
        PostgresStore("postgresql://unused", schema='Bad"Name')


def test_an_unreachable_server_is_unavailable() -> None:
    with pytest.raises(StorageError) as caught:
        PostgresStore("postgresql://postgres@127.0.0.1:1/test", timeout=1)
    assert caught.value.reason == "unavailable"


@needs_server
def test_the_tables_live_in_the_chosen_schema(
    store: PostgresStore, postgres: str, postgres_schema: str
) -> None:
    with psycopg.connect(postgres) as connection:
        rows = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (postgres_schema,),
        ).fetchall()
    assert {name for (name,) in rows} == {
        "businesses",
        "cards",
        "card_phones",
        "card_tags",
        "card_permissions",
        "card_search",
        "consent_events",
        "sends",
        "outbox",
        "records",
        "schema_migrations",
    }


@needs_server
def test_reopening_a_schema_runs_no_migration_again(
    postgres: str, postgres_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    PostgresStore(postgres, schema=postgres_schema).close()
    applied: list[tuple[int, ...]] = []

    def recording(session: Session, dialect: object) -> tuple[int, ...]:
        applied.append(migrate(session, dialect))  # type: ignore[arg-type]
        return applied[-1]

    monkeypatch.setattr(postgres_module, "migrate", recording)
    PostgresStore(postgres, schema=postgres_schema).close()
    assert applied == [()]


@needs_server
def test_stores_opening_one_new_schema_at_once_migrate_it_once(
    postgres: str, postgres_schema: str
) -> None:
    outcomes: list[str] = []
    barrier = threading.Barrier(3)

    def open_store() -> None:
        barrier.wait()
        PostgresStore(postgres, schema=postgres_schema).close()
        outcomes.append("opened")

    threads = [threading.Thread(target=open_store) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == ["opened"] * 3
    with psycopg.connect(postgres) as connection:
        rows = connection.execute(
            in_schema(postgres_schema, "SELECT version FROM {}.schema_migrations")
        ).fetchall()
    assert rows == [(migration.version,) for migration in MIGRATIONS]


@needs_server
def test_a_schema_migrated_by_a_newer_clientcard_is_refused(
    postgres: str, postgres_schema: str
) -> None:
    PostgresStore(postgres, schema=postgres_schema).close()
    with psycopg.connect(postgres) as connection:
        connection.execute(
            in_schema(
                postgres_schema, "INSERT INTO {}.schema_migrations VALUES (999, 'future', 'later')"
            )
        )
    with pytest.raises(StorageError) as caught:
        PostgresStore(postgres, schema=postgres_schema)
    assert caught.value.reason == "incompatible"


# -- conflicts and retries ----------------------------------------------------------------


@needs_server
def test_a_serialization_failure_of_an_operation_run_alone_is_retried(
    store: PostgresStore, postgres: str, postgres_schema: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="clientcard.storage")
    stored = card(business(store))
    store.add(stored)
    changed = attrs.evolve(stored, version=2, last_name="Retried")
    errors: list[BaseException] = []

    def update() -> None:
        try:
            store.update(changed, expected_version=1)
        except StorageError as error:
            errors.append(error)

    with psycopg.connect(postgres, autocommit=True) as other:
        other.execute("BEGIN")
        touch_card(other, postgres_schema, stored.id)
        writer = threading.Thread(target=update)
        writer.start()
        # The store's snapshot is taken while it waits for our row lock; committing now
        # makes its FOR UPDATE fail with a serialization failure.
        wait_for_a_lock_wait(other)
        other.execute("COMMIT")
        writer.join(timeout=30)
    assert errors == []
    assert store.get(stored.business_id, stored.id) == changed
    assert "retry 1 of 5" in caplog.text


@needs_server
def test_a_deadlock_of_an_operation_run_alone_is_retried(
    store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = card(business(store))
    store.add(stored)
    replace = _sql.rows.replace_card
    injected = [psycopg.errors.DeadlockDetected("injected")]

    def deadlocking_once(*args: object) -> None:
        if injected:
            raise injected.pop()
        replace(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(_sql.rows, "replace_card", deadlocking_once)
    changed = attrs.evolve(stored, version=2, last_name="Second try")
    store.update(changed, expected_version=1)
    assert injected == []
    assert store.get(stored.business_id, stored.id) == changed


@needs_server
def test_retries_are_bounded_and_a_lasting_conflict_ends_as_a_storage_error(
    store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = card(business(store))
    store.add(stored)
    attempts = 0

    def always_conflicting(*args: object) -> None:
        nonlocal attempts
        attempts += 1
        raise psycopg.errors.SerializationFailure("injected")

    monkeypatch.setattr(_sql.rows, "replace_card", always_conflicting)
    with pytest.raises(StorageError) as caught:
        store.update(attrs.evolve(stored, version=2), expected_version=1)
    assert caught.value.reason == "conflict"
    assert attempts == 1 + store.max_retries
    assert store.get(stored.business_id, stored.id) == stored


@needs_server
def test_a_conflict_inside_a_transaction_is_raised_once_not_retried(
    store: PostgresStore, postgres: str, postgres_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = card(business(store))
    store.add(stored)
    replace = _sql.rows.replace_card
    attempts = 0

    def counting(*args: object) -> None:
        nonlocal attempts
        attempts += 1
        replace(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(_sql.rows, "replace_card", counting)
    # The failed operation ends the unit: the block, which went on, commits nothing.
    with pytest.raises(StorageError) as ended, store.transaction():  # noqa: PT012
        store.get(stored.business_id, stored.id)  # the unit's snapshot starts here
        with psycopg.connect(postgres, autocommit=True) as other:
            touch_card(other, postgres_schema, stored.id)
        with pytest.raises(StorageError) as caught:
            store.update(attrs.evolve(stored, version=2), expected_version=1)
    assert caught.value.reason == "conflict"
    assert ended.value.reason == "aborted"
    assert attempts == 1
    assert store.get(stored.business_id, stored.id).version == 1


# -- errors -------------------------------------------------------------------------------


@needs_server
@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (psycopg.errors.SerializationFailure, "conflict"),
        (psycopg.errors.DeadlockDetected, "conflict"),
        (psycopg.errors.LockNotAvailable, "locked"),
        (psycopg.errors.DiskFull, "disk_full"),
        (psycopg.errors.UniqueViolation, "rejected"),
        (psycopg.errors.ForeignKeyViolation, "rejected"),
        (psycopg.errors.UntranslatableCharacter, "rejected"),
        (psycopg.errors.AdminShutdown, "unavailable"),
        (psycopg.OperationalError, "unavailable"),
    ],
)
def test_driver_errors_become_storage_errors_with_a_reason(
    store: PostgresStore, error: type[psycopg.Error], reason: str
) -> None:
    with pytest.raises(StorageError) as caught, store._translated():
        raise error("a message that could quote a value")
    assert caught.value.reason == reason
    assert "quote" not in str(caught.value)


@needs_server
def test_a_taken_key_of_the_row_being_added_is_a_duplicate(store: PostgresStore) -> None:
    with pytest.raises(DuplicateError) as caught, store._translated(("card", "c1")):
        raise psycopg.errors.UniqueViolation("a message that could quote a value")
    assert (caught.value.kind, caught.value.ident) == ("card", "c1")


def lose_the_connection_mid_block(store: PostgresStore, business_id: str, postgres: str) -> None:
    store.add(card(business_id))
    with psycopg.connect(postgres, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE state = 'idle in transaction' AND datname = current_database()"
            " AND application_name = %s",
            (store.schema,),
        )
    store.add(card(business_id))


@needs_server
def test_a_connection_lost_inside_a_transaction_is_unavailable_and_the_pool_recovers(
    store: PostgresStore, postgres: str
) -> None:
    business_id = business(store)
    with pytest.raises(StorageError) as caught, store.transaction():
        lose_the_connection_mid_block(store, business_id, postgres)
    assert caught.value.reason == "unavailable"
    assert store.count(business_id) == 0
    kept = card(business_id)
    store.add(kept)
    assert store.get(business_id, kept.id) == kept


@needs_server
def test_a_duplicate_inside_a_unit_of_work_does_not_end_it(store: PostgresStore) -> None:
    business_id = business(store)
    first, second = card(business_id), card(business_id)
    with store.transaction():
        store.add(first)
        with pytest.raises(DuplicateError):
            store.add(first)
        store.add(second)
    assert store.count(business_id) == 2


class TestCopy:
    """Bulk writes stream their rows with COPY, and a failure keeps nothing."""

    def test_add_many_streams_cards_and_their_rows_with_copy(
        self, store: PostgresStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        copied: list[str] = []
        real = postgres_module._PostgresSession.copy

        def spy(self: object, table: str, columns: object, rows: object) -> None:
            copied.append(table)
            real(self, table, columns, rows)  # type: ignore[arg-type]

        monkeypatch.setattr(postgres_module._PostgresSession, "copy", spy)
        business_id = business(store)
        cards = [card(business_id, phones=(f"+39333000000{i}",)) for i in range(5)]
        store.add_many(cards, permissions={cards[0].id: frozenset({("marketing", "email")})})
        assert copied == ["cards", "card_phones", "card_search", "card_permissions"]
        assert store.get_many(business_id, [c.id for c in cards]) == {c.id: c for c in cards}

    def test_a_copy_that_fails_part_way_keeps_none_of_the_batch(
        self, store: PostgresStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        real = postgres_module._PostgresSession.copy

        def failing(self: object, table: str, columns: object, rows: object) -> None:
            if table == "card_phones":
                raise psycopg.errors.DiskFull("no space left")
            real(self, table, columns, rows)  # type: ignore[arg-type]

        monkeypatch.setattr(postgres_module._PostgresSession, "copy", failing)
        business_id = business(store)
        cards = [card(business_id, phones=(f"+39333000000{i}",)) for i in range(5)]
        with pytest.raises(StorageError):
            store.add_many(cards)
        assert store.get_many(business_id, [c.id for c in cards]) == {}
