"""Bulk statements on PostgreSQL find a business's rows by index probes, whatever the plan.

psycopg prepares a statement run five times, and a generic plan chosen without fresh
statistics (a table an import has just filled, a server with autovacuum off) can read
every row of a business to find a few hundred of them: quadratic in an import. Each
statement a bulk path sends is explained here with a generic plan, on a business of
3,000 cards whose statistics were never gathered, and must read about as many rows as
the keys it names -- not the business.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

if os.environ.get("CLIENTCARD_REQUIRE_POSTGRES") != "1":
    pytest.importorskip("psycopg", reason="psycopg is not installed (clientcard[postgres])")

import psycopg
from psycopg import sql

from clientcard.consent import Channel, ConsentAction, ConsentEvent, ConsentSource, Purpose
from clientcard.storage import postgres as postgres_module
from clientcard.storage.postgres import PostgresStore
from clientcard.testing._contract_builders import domain_event
from clientcard.testing.contracts import new_business, new_card
from tests.support import NOW

pytestmark = pytest.mark.postgres

BUSINESS_CARDS = 3_000
PROBED = 40
TABLES = frozenset({"cards", "card_phones", "card_tags", "card_search", "consent_events", "outbox"})

Sent = list[tuple[str, Sequence[object]]]


@pytest.fixture
def store(postgres: str, postgres_schema: str) -> Iterator[PostgresStore]:
    with PostgresStore(postgres, schema=postgres_schema) as store:
        yield store


@pytest.fixture
def filled(store: PostgresStore) -> tuple[str, list[str]]:
    """A business of 3,000 cards (its statistics never gathered), and the ids of 40."""
    business_id = new_business(store)
    cards = [
        new_card(business_id, last_name=f"Rossi {i}", phones=(f"+39333{i:07d}",), tags=("vip",))
        for i in range(BUSINESS_CARDS)
    ]
    for start in range(0, len(cards), 1_000):
        store.add_many(cards[start : start + 1_000])
    return business_id, [card.id for card in cards[:: BUSINESS_CARDS // PROBED]]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Sent:
    """Every statement the store's sessions run from now on, with its parameters."""
    seen: Sent = []
    session = postgres_module._PostgresSession
    real_fetch, real_execute = session.fetch, session.execute

    def fetch(self: Any, statement: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        seen.append((statement, params))
        return real_fetch(self, statement, params)

    def execute(self: Any, statement: str, params: Sequence[object] = ()) -> int:
        seen.append((statement, params))
        return real_execute(self, statement, params)

    monkeypatch.setattr(session, "fetch", fetch)
    monkeypatch.setattr(session, "execute", execute)
    return seen


def rows_read(plan: dict[str, Any]) -> int:
    """Rows the plan's scans of the business's tables produced or threw away, all loops.

    A bitmap index scan names its index, not its table: its rows count too (those the
    bitmap collects are read, whatever the heap scan above it keeps).
    """
    loops = int(plan.get("Actual Loops", 1))
    read = 0
    index = str(plan.get("Index Name", ""))
    scans_a_table = plan.get("Relation Name") in TABLES or (
        plan.get("Node Type") == "Bitmap Index Scan" and index.startswith(tuple(TABLES))
    )
    if scans_a_table:
        kept = int(plan.get("Actual Rows", 0))
        read = (kept + int(plan.get("Rows Removed by Filter", 0))) * loops
    return read + sum(rows_read(child) for child in plan.get("Plans", ()))


def most_rows_read(dsn: str, schema: str, statements: Sent) -> dict[str, int]:
    """Each statement that names the business, explained with a generic plan: rows read."""
    found: dict[str, int] = {}
    with psycopg.connect(dsn) as connection:
        connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        connection.execute("SET plan_cache_mode = force_generic_plan")
        connection.commit()  # kept, while each explained statement is rolled back
        for statement, params in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
                continue
            explain = "EXPLAIN (ANALYZE, FORMAT JSON) " + statement.replace("?", "%s")
            # Prepared, as psycopg does with a statement run five times: a generic plan.
            row = connection.execute(explain, list(params), prepare=True).fetchone()
            connection.rollback()  # an explained UPDATE ran: undone
            assert row is not None
            document = row[0] if isinstance(row[0], list) else json.loads(row[0])
            read = rows_read(document[0]["Plan"])
            found[statement] = max(found.get(statement, 0), read)
    return found


def assert_probed(found: dict[str, int]) -> None:
    assert found, "the work reached no statement"
    # A few rows per key probed (a card's phones, tags, tokens): never the business.
    too_many = {statement[:80]: read for statement, read in found.items() if read > 8 * PROBED}
    assert too_many == {}


def test_get_many_reads_the_cards_asked_for_not_the_business(
    store: PostgresStore, filled: tuple[str, list[str]], sent: Sent, postgres: str
) -> None:
    business_id, ids = filled
    assert len(store.get_many(business_id, ids)) == PROBED
    assert_probed(most_rows_read(postgres, store.schema, sent))


def test_add_many_checks_its_ids_by_probes(
    store: PostgresStore, filled: tuple[str, list[str]], sent: Sent, postgres: str
) -> None:
    business_id, _ids = filled
    store.add_many([new_card(business_id) for _ in range(PROBED)])
    assert_probed(most_rows_read(postgres, store.schema, sent))


def test_update_many_locks_and_compares_the_cards_it_writes_by_probes(
    store: PostgresStore, filled: tuple[str, list[str]], sent: Sent, postgres: str
) -> None:
    business_id, ids = filled
    cards = store.get_many(business_id, ids)
    changed = [card.apply({"notes": "richiamare"}, at=NOW).card for card in cards.values()]
    store.update_many(changed, expected_versions={card.id: card.version for card in cards.values()})
    assert_probed(most_rows_read(postgres, store.schema, sent))


def test_set_group_locks_and_moves_the_cards_it_names_by_probes(
    store: PostgresStore, filled: tuple[str, list[str]], sent: Sent, postgres: str
) -> None:
    business_id, ids = filled
    moved = store.set_group(business_id, dict.fromkeys(ids, 1), "vip", at=NOW)
    assert len(moved.moved) == PROBED
    assert_probed(most_rows_read(postgres, store.schema, sent))


def test_append_consent_checks_cards_and_event_ids_by_probes(
    store: PostgresStore, filled: tuple[str, list[str]], sent: Sent, postgres: str
) -> None:
    business_id, ids = filled
    store.append_consent(
        [
            ConsentEvent(
                event_id=f"event-{number}",
                business_id=business_id,
                card_id=card_id,
                action=ConsentAction.GRANT,
                at=NOW,
                source=ConsentSource.IMPORT,
                recorded_by="import",
                purpose=Purpose.MARKETING,
                channel=Channel.EMAIL,
                wording_version="v1",
            )
            for number, card_id in enumerate(ids)
        ]
    )
    assert_probed(most_rows_read(postgres, store.schema, sent))


def test_the_relay_reads_the_oldest_events_and_deletes_those_delivered_by_probes(
    store: PostgresStore, filled: tuple[str, list[str]], postgres: str, sent: Sent
) -> None:
    business_id, ids = filled
    events = [domain_event(business_id, ids[0]) for _ in range(BUSINESS_CARDS)]
    store.append_events(events)
    sent.clear()
    pending = store.pending_events(PROBED)
    store.mark_delivered([event.event_id for event in pending])
    assert [event.event_id for event in pending] == [event.event_id for event in events[:PROBED]]
    assert_probed(most_rows_read(postgres, store.schema, sent))


def test_the_outbox_order_migration_keeps_the_pending_events_in_order(
    postgres: str, postgres_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientcard.storage._sql import migrations

    every = migrations.MIGRATIONS
    monkeypatch.setattr(migrations, "MIGRATIONS", tuple(m for m in every if m.version < 14))
    with PostgresStore(postgres, schema=postgres_schema) as old:
        business_id = new_business(old)
        events = [domain_event(business_id) for _ in range(5)]
        old.append_events(events)
    monkeypatch.setattr(migrations, "MIGRATIONS", every)
    with PostgresStore(postgres, schema=postgres_schema) as new:
        assert new.pending_events() == events


def test_keys_are_probed_and_locked_in_key_order_once_each() -> None:
    from clientcard.storage import _sql
    from clientcard.storage._sql._common import among, select_among

    # Rows are locked in the order of the array: overlapping batches given in different
    # orders would otherwise deadlock each other.
    _statement, params = select_among(
        _sql.POSTGRES, "cards", ("id",), "b1", ["k2", "k1", "k2"], key="id", lock=True
    )
    assert params == [["k1", "k2"], "b1"]
    _condition, keys = among(_sql.POSTGRES, "cards", "id", "b1", ["k2", "k1"])
    assert keys == [["k1", "k2"], "b1"]
