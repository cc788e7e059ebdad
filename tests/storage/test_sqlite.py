from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from clientcard.cards.card import ClientCard
from clientcard.errors import NotFoundError, StorageError
from clientcard.events import DomainEvent, EventKind
from clientcard.storage import CardQuery, MemoryStore, SearchTerms
from clientcard.storage import sqlite as sqlite_module
from clientcard.storage._sql import MIGRATIONS, Session, migrate
from clientcard.storage.sqlite import SQLiteStore
from clientcard.testing.contracts import ClientStoreContract
from tests.storage.sql_behaviour import SQLStoreBehaviour, business, card
from tests.support import NOW


class TestSQLiteStore(ClientStoreContract, SQLStoreBehaviour):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[SQLiteStore]:
        with SQLiteStore(tmp_path / "clients.db") as store:
            yield store


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "clients.db"


@pytest.fixture
def store(path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(path) as store:
        yield store


def pragmas(connection: sqlite3.Connection) -> dict[str, object]:
    names = ("journal_mode", "secure_delete", "synchronous", "foreign_keys", "busy_timeout")
    return {name: connection.execute(f"PRAGMA {name}").fetchone()[0] for name in names}


def migration_rows(path: Path) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("SELECT * FROM schema_migrations ORDER BY version").fetchall()


def big_card(business_id: str, number: int) -> ClientCard:
    return card(
        business_id,
        last_name=f"N{number:04d}",
        notes="private note " * 2_000,
        phones=("+393331234567",),
        tags=("colour", "bride"),
    )


def fill_until_full(store: SQLiteStore, business_id: str, added: list[str]) -> None:
    for number in range(10_000):
        candidate = big_card(business_id, number)
        added.append(candidate.id)
        store.add(candidate)


# -- the file -----------------------------------------------------------------------------


def test_every_connection_runs_in_wal_mode_with_secure_delete_and_a_safe_sync(
    store: SQLiteStore,
) -> None:
    seen = [pragmas(store._connection())]
    other = threading.Thread(target=lambda: seen.append(pragmas(store._connection())))
    other.start()
    other.join(timeout=30)
    for found in seen:
        assert found["journal_mode"] == "wal"
        assert found["secure_delete"] == 1
        assert found["synchronous"] in (1, 2)  # NORMAL or FULL, never OFF
        assert found["foreign_keys"] == 1
        assert found["busy_timeout"] == 5000
    assert len(seen) == 2


def test_opening_a_new_file_records_every_migration(path: Path) -> None:
    SQLiteStore(path).close()
    rows = migration_rows(path)
    assert [(version, name) for version, name, _ in rows] == [
        (migration.version, migration.name) for migration in MIGRATIONS
    ]


def test_reopening_a_file_runs_no_migration_again(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    SQLiteStore(path).close()
    before = migration_rows(path)
    applied: list[tuple[int, ...]] = []

    def recording(session: Session, dialect: object) -> tuple[int, ...]:
        applied.append(migrate(session, dialect))  # type: ignore[arg-type]
        return applied[-1]

    monkeypatch.setattr(sqlite_module, "migrate", recording)
    SQLiteStore(path).close()
    assert applied == [()]
    assert migration_rows(path) == before


def test_a_file_migrated_by_a_newer_clientcard_is_refused(path: Path) -> None:
    SQLiteStore(path).close()
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'later')")
    with pytest.raises(StorageError) as caught:
        SQLiteStore(path)
    assert caught.value.reason == "incompatible"


def test_everything_survives_closing_and_reopening(path: Path) -> None:
    event = DomainEvent(
        event_id="e1", kind=EventKind.CARD_CREATED, business_id="b", occurred_at=NOW
    )
    with SQLiteStore(path) as store:
        business_id = business(store)
        stored = card(business_id, email="anna@example.com", tags=("vip",))
        store.add(stored)
        store.set_permissions(business_id, stored.id, frozenset({("marketing", "email")}))
        store.append_events([event])
    with SQLiteStore(path) as store:
        assert store.get(business_id, stored.id) == stored
        assert store.permissions(business_id, stored.id) == {("marketing", "email")}
        assert store.pending_events() == [event]
        assert store.count(business_id, CardQuery(tag="vip")) == 1


def test_a_store_in_memory_is_refused() -> None:
    with pytest.raises(ValueError, match="MemoryStore"):
        SQLiteStore(":memory:")


def test_a_checkpoint_empties_the_write_ahead_log(store: SQLiteStore, path: Path) -> None:
    business_id = business(store)
    store.add(card(business_id))
    wal = Path(f"{path}-wal")
    assert wal.stat().st_size > 0
    store.checkpoint()
    assert wal.stat().st_size == 0


# -- connections and locks ----------------------------------------------------------------


def test_the_connection_of_an_ended_thread_is_closed_by_the_next_new_one(
    store: SQLiteStore,
) -> None:
    def use() -> None:
        store.count("any")

    first = threading.Thread(target=use)
    first.start()
    first.join(timeout=30)
    assert first in store._connections
    second = threading.Thread(target=use)
    second.start()
    second.join(timeout=30)
    assert first not in store._connections


def test_a_write_while_another_connection_holds_the_lock_is_locked_and_writes_nothing(
    path: Path,
) -> None:
    with SQLiteStore(path, busy_timeout_ms=50) as store:
        business_id = business(store)
        with closing(sqlite3.connect(path, isolation_level=None)) as blocker:
            blocker.execute("BEGIN EXCLUSIVE")
            with pytest.raises(StorageError) as caught:
                store.add(card(business_id))
            blocker.execute("ROLLBACK")
        assert caught.value.reason == "locked"
        assert store.count(business_id) == 0


def test_a_transaction_that_cannot_take_the_lock_is_locked_and_never_runs(path: Path) -> None:
    ran = False
    with (
        SQLiteStore(path, busy_timeout_ms=50) as store,
        closing(sqlite3.connect(path, isolation_level=None)) as blocker,
    ):
        blocker.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StorageError) as caught, store.transaction():
            ran = True
        blocker.execute("ROLLBACK")
    assert caught.value.reason == "locked"
    assert not ran


def attempt(call: Callable[[], object]) -> str | None:
    """The reason of the StorageError ``call`` raised, or ``None``."""
    try:
        call()
    except StorageError as error:
        return error.reason
    return None


def test_a_block_that_carries_on_after_sqlite_ended_its_transaction_keeps_nothing(
    store: SQLiteStore,
) -> None:
    business_id = business(store)
    connection = store._connection()
    reasons: list[str | None] = []

    def interrupt_card_inserts(statement: str) -> None:
        # An interrupted write inside a transaction makes SQLite roll all of it back.
        if statement.startswith("INSERT INTO cards"):
            connection.interrupt()

    def carry_on() -> None:
        store.add(card(business_id))
        connection.set_trace_callback(interrupt_card_inserts)
        reasons.append(attempt(lambda: store.add(card(business_id))))
        connection.set_trace_callback(None)
        reasons.append(attempt(lambda: store.add(card(business_id))))

    with pytest.raises(StorageError) as ended, store.transaction():
        carry_on()
    assert reasons == ["unavailable", "aborted"]
    assert ended.value.reason == "aborted"
    assert store.count(business_id) == 0


@pytest.mark.parametrize(
    ("error", "code", "reason"),
    [
        (sqlite3.OperationalError, "SQLITE_BUSY", "locked"),
        (sqlite3.OperationalError, "SQLITE_LOCKED", "locked"),
        (sqlite3.OperationalError, "SQLITE_FULL", "disk_full"),
        (sqlite3.OperationalError, "SQLITE_IOERR", "unavailable"),
        (sqlite3.DatabaseError, "SQLITE_CORRUPT", "unavailable"),
        (sqlite3.IntegrityError, "SQLITE_CONSTRAINT_FOREIGNKEY", "rejected"),
        (sqlite3.IntegrityError, "SQLITE_CONSTRAINT_PRIMARYKEY", "rejected"),
    ],
)
def test_driver_errors_become_storage_errors_with_a_reason(
    store: SQLiteStore, error: type[sqlite3.Error], code: str, reason: str
) -> None:
    raised = error("a message that could quote a value")
    raised.sqlite_errorname = code
    raised.sqlite_errorcode = getattr(sqlite3, code)
    with pytest.raises(StorageError) as caught, store._translated():
        raise raised
    assert caught.value.reason == reason
    assert code in str(caught.value)
    assert "quote" not in str(caught.value)


# -- a full disk --------------------------------------------------------------------------


def limit_growth(store: SQLiteStore, pages: int) -> None:
    connection = store._connection()
    (used,) = connection.execute("PRAGMA page_count").fetchone()
    connection.execute(f"PRAGMA max_page_count = {used + pages}")


def test_a_full_disk_is_disk_full_and_keeps_every_card_committed_before(store: SQLiteStore) -> None:
    business_id = business(store)
    limit_growth(store, 60)
    added: list[str] = []
    with pytest.raises(StorageError) as caught:
        fill_until_full(store, business_id, added)
    assert caught.value.reason == "disk_full"
    assert "private note" not in str(caught.value)
    *committed, failed = added
    assert committed, "the limit should leave room for a few cards"
    assert store.count(business_id) == len(committed)
    for card_id in committed:
        assert store.get(business_id, card_id).phones == ("+393331234567",)
    with pytest.raises(NotFoundError):
        store.get(business_id, failed)
    connection = store._connection()
    for table in ("card_phones", "card_tags"):
        rows = connection.execute(f"SELECT card_id FROM {table} WHERE card_id = ?", (failed,))  # noqa: S608
        assert rows.fetchall() == [], table


def test_a_full_disk_inside_a_transaction_keeps_nothing_of_it(store: SQLiteStore) -> None:
    business_id = business(store)
    limit_growth(store, 60)
    added: list[str] = []
    with pytest.raises(StorageError), store.transaction():
        fill_until_full(store, business_id, added)
    assert len(added) > 1
    assert store.count(business_id) == 0


def test_the_store_works_again_once_there_is_room(store: SQLiteStore) -> None:
    business_id = business(store)
    limit_growth(store, 60)
    with pytest.raises(StorageError):
        fill_until_full(store, business_id, [])
    limit_growth(store, 10_000)
    fresh = card(business_id)
    store.add(fresh)
    assert store.get(business_id, fresh.id) == fresh


# -- queries ------------------------------------------------------------------------------


def test_search_agrees_with_the_reference_on_compatibility_letters(store: SQLiteStore) -> None:
    # fold("\u210cugo") is "hugo": both the reference and SQL must find it, and a folded
    # term never matches the unfolded capital stored nowhere.
    memory = MemoryStore()
    for each in (store, memory):
        business_id = business(each)  # type: ignore[arg-type]
        each.add(card(business_id, id="hugo", first_name="\u210cugo"))
        assert each.count(business_id, CardQuery(search=SearchTerms(name="hugo"))) == 1
        assert each.count(business_id, CardQuery(search=SearchTerms(name="HUGO"))) == 1


def test_a_listing_page_is_read_from_the_sort_index(store: SQLiteStore) -> None:
    business_id = business(store)
    for last in ("A", "B", "C"):
        store.add(card(business_id, last_name=last))
    cursor = store.find(business_id, limit=1).next_cursor
    statements: list[str] = []
    connection = store._connection()
    connection.set_trace_callback(statements.append)
    store.find(business_id, limit=1, cursor=cursor)
    connection.set_trace_callback(None)
    (listing,) = statements
    plan = " / ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {listing}"))
    assert "USING INDEX cards_by_sort_key" in plan
    assert "TEMP B-TREE" not in plan


def query_plan(store: SQLiteStore, run: Callable[[], object]) -> str:
    statements: list[str] = []
    connection = store._connection()
    connection.set_trace_callback(statements.append)
    run()
    connection.set_trace_callback(None)
    (statement,) = (s for s in statements if s.lstrip().upper().startswith("SELECT"))
    return " / ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}"))


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (CardQuery(email="client@example.com"), "cards_by_email_key"),
        (CardQuery(phone="+393331234567"), "card_phones_by_number"),
        (CardQuery(tag="colour"), "card_tags_by_tag"),
        (CardQuery(contactable=("marketing", "sms")), "card_permissions_by_pair"),
        (CardQuery(source="Instagram"), "cards_by_source"),
    ],
)
def test_a_selective_lookup_starts_from_its_own_index_in_a_fresh_database(
    store: SQLiteStore, query: CardQuery, index: str
) -> None:
    business_id = business(store)
    store.add(card(business_id, email="client@example.com", phones=("+393331234567",)))
    plan = query_plan(store, lambda: store.find(business_id, query))
    assert index in plan
    assert "cards_by_sort_key" not in plan  # not a walk over every card of the business
