"""The PostgreSQL store on a Citus cluster: placement, routing, cross-business work.

Most of these need the cluster (``CLIENTCARD_TEST_CITUS``, see ``tests/citus_support.py``);
the key check runs on the plain test server too, so a table another change adds with a
key Citus can't shard fails here even where no cluster runs.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import attrs
import pytest

if os.environ.get("CLIENTCARD_REQUIRE_POSTGRES") != "1":
    pytest.importorskip("psycopg", reason="psycopg is not installed (clientcard[postgres])")

import psycopg
from psycopg import sql

from clientcard import ClientBook
from clientcard.clock import FixedClock
from clientcard.consent import Channel, Purpose
from clientcard.errors import StorageError
from clientcard.messaging import MessageTemplate, MessagingSettings, TemplateText
from clientcard.storage._sql.citus import Layout, distribute, key_problems, read_layout
from clientcard.storage.postgres import PostgresStore, _PostgresSession
from clientcard.storage.protocol import CardQuery
from clientcard.testing.contracts import ClientStoreContract
from clientcard.testing.doubles import ListEventSink, RecordingNotifier
from tests.citus_support import drop_schema
from tests.storage.sql_behaviour import SQLStoreBehaviour
from tests.support import NOW

cluster = pytest.mark.citus


class _Down:
    """An event sink that is down: every event stays in the outbox."""

    def publish(self, event: object) -> None:
        raise ConnectionError("sink down")


@cluster
class TestCitusStore(ClientStoreContract, SQLStoreBehaviour):
    """The whole store contract, on a schema distributed over three nodes."""

    @pytest.fixture
    def store(self, citus_store: PostgresStore) -> PostgresStore:
        return citus_store


@contextmanager
def catalog(dsn: str) -> Iterator[_PostgresSession]:
    with psycopg.connect(dsn, autocommit=True) as connection:
        yield _PostgresSession(connection)


@pytest.fixture
def fresh_schema(citus: str) -> Iterator[str]:
    """A schema of the test's own on the coordinator, dropped afterwards."""
    name = f"cc_test_{uuid.uuid4().hex}"
    yield name
    drop_schema(citus, name)


def placement(dsn: str, schema: str) -> dict[str, tuple[str, str | None, int]]:
    """Per table Citus knows: its kind, distribution column and co-location group."""
    with psycopg.connect(dsn) as connection:
        rows = connection.execute(
            "SELECT c.relname, p.partmethod, column_to_column_name(p.logicalrelid, p.partkey),"
            " p.colocationid FROM pg_dist_partition AS p"
            " JOIN pg_class AS c ON c.oid = p.logicalrelid"
            " JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE n.nspname = %s",
            (schema,),
        ).fetchall()
    return {str(t): (str(kind), column, int(group)) for t, kind, column, group in rows}


# -- keys a cluster can shard ---------------------------------------------------------------


@pytest.mark.postgres
def test_every_tenant_tables_unique_keys_hold_the_business(
    postgres: str, postgres_schema: str
) -> None:
    """Read from the migrated schema: a table another change adds is checked too."""
    PostgresStore(postgres, schema=postgres_schema).close()
    with catalog(postgres) as session:
        layout = read_layout(session, postgres_schema)
    assert {"businesses", "cards", "consent_events", "sends", "outbox"} <= layout.tenant
    assert key_problems(layout) == []


def layout(**tables: tuple[str, ...]) -> Layout:
    """A layout of tables with the given columns in their one unique key."""
    return Layout(
        tables=frozenset(tables) | {"schema_migrations"},
        tenant=frozenset(tables),
        unique_keys={table: ((f"{table}_key", columns),) for table, columns in tables.items()},
        references={},
        placed=frozenset(),
    )


def test_a_unique_key_without_the_business_is_named_as_a_problem() -> None:
    found = layout(businesses=("id",), sends=("send_id",), cards=("business_id", "id"))
    assert key_problems(found) == ["sends: sends_key (send_id)"]


def test_an_expression_in_a_unique_key_is_shown_as_such() -> None:
    assert key_problems(layout(tags=("", "business_id"))) == []
    assert key_problems(layout(tags=("",))) == ["tags: tags_key (<expr>)"]


def test_a_global_table_a_tenant_table_references_becomes_a_reference_table() -> None:
    found = attrs.evolve(
        layout(businesses=("id",), cards=("business_id", "id")),
        tables=frozenset({"businesses", "cards", "countries", "cursor", "schema_migrations"}),
        references={"cards": frozenset({"businesses", "countries"})},
    )
    assert found.reference == {"countries"}
    assert found.local == {"cursor", "schema_migrations"}


@pytest.mark.postgres
def test_a_server_without_citus_refuses_a_distributed_store_and_keeps_nothing(
    postgres: str, postgres_schema: str
) -> None:
    with pytest.raises(StorageError) as caught:
        PostgresStore(postgres, schema=postgres_schema, distributed=True)
    assert caught.value.reason == "no_citus"
    with psycopg.connect(postgres) as connection:
        schemas = connection.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (postgres_schema,)
        ).fetchall()
    assert schemas == []


# -- placement --------------------------------------------------------------------------


@cluster
def test_every_tenant_table_is_distributed_by_business_and_co_located(
    citus: str, citus_schema: str
) -> None:
    schema = citus_schema
    placed = placement(citus, schema)
    with catalog(citus) as session:
        found = read_layout(session, schema)
    assert set(placed) == found.tenant
    group = placed["businesses"][2]
    for table, (kind, column, colocation) in placed.items():
        assert kind == "h", table
        assert column == ("id" if table == "businesses" else "business_id"), table
        assert colocation == group, table
    # The migration history stays on the coordinator alone.
    assert "schema_migrations" in found.local


@cluster
def test_opening_a_distributed_store_again_places_nothing_new(
    citus: str, citus_schema: str
) -> None:
    with catalog(citus) as session:
        assert distribute(session, citus_schema) == ()


@cluster
def test_a_tenant_table_added_later_is_distributed_and_co_located_on_open(
    citus: str, fresh_schema: str
) -> None:
    PostgresStore(citus, schema=fresh_schema, distributed=True).close()
    with psycopg.connect(citus, autocommit=True) as connection:
        connection.execute(
            sql.SQL(
                'CREATE TABLE {}.notes (business_id TEXT COLLATE "C" NOT NULL,'
                " id TEXT NOT NULL, PRIMARY KEY (business_id, id))"
            ).format(sql.Identifier(fresh_schema))
        )
    PostgresStore(citus, schema=fresh_schema, distributed=True).close()
    placed = placement(citus, fresh_schema)
    assert placed["notes"][1:] == ("business_id", placed["businesses"][2])


@cluster
def test_a_tenant_table_keyed_without_the_business_is_refused_by_name(
    citus: str, fresh_schema: str
) -> None:
    PostgresStore(citus, schema=fresh_schema).close()
    with psycopg.connect(citus, autocommit=True) as connection:
        connection.execute(
            sql.SQL("CREATE TABLE {}.codes (business_id TEXT, code TEXT UNIQUE)").format(
                sql.Identifier(fresh_schema)
            )
        )
    with pytest.raises(StorageError) as caught:
        PostgresStore(citus, schema=fresh_schema, distributed=True)
    assert caught.value.reason == "incompatible"
    assert "codes: codes_code_key (code)" in str(caught.value)
    assert placement(citus, fresh_schema) == {}


@cluster
def test_a_single_server_schema_moves_to_the_cluster_with_its_rows(
    citus: str, fresh_schema: str
) -> None:
    """Made as one server makes it (plain tables), then distributed on open."""
    with PostgresStore(citus, schema=fresh_schema) as single:
        book = ClientBook(single, clock=FixedClock(NOW))
        salon = book.create_business(name="Salone", region="IT").id
        card = book.business(salon).cards.add({"first_name": "Anna", "email": "anna@example.com"})
        book.business(salon).consent.grant(
            card.id, "marketing", "email", wording_version="v1", by="desk"
        )
    assert placement(citus, fresh_schema) == {}
    with PostgresStore(citus, schema=fresh_schema, distributed=True) as spread:
        book = ClientBook(spread, clock=FixedClock(NOW))
        desk = book.business(salon)
        assert desk.cards.get(card.id).first_name == "Anna"
        assert desk.cards.count(CardQuery(contactable=("marketing", "email"))) == 1
        assert len(spread.consent_events(salon, card.id)) == 1
    # The coordinator's own copies of the moved rows are gone (an erasure must reach
    # every copy of a client's data).
    with psycopg.connect(citus) as connection:
        sizes = connection.execute(
            "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class AS c"
            " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind = 'r' AND c.relname <> 'schema_migrations'",
            (fresh_schema,),
        ).fetchall()
    assert {table: size for table, size in sizes if size} == {}


# -- routing ------------------------------------------------------------------------------


class Recording:
    """The store's sessions, recording every statement with its parameters."""

    def __init__(self, inner: Any, seen: list[tuple[str, Sequence[object]]]) -> None:
        self._inner = inner
        self._seen = seen

    def execute(self, statement: str, params: Sequence[object] = ()) -> int:
        self._seen.append((statement, params))
        return int(self._inner.execute(statement, params))

    def execute_many(self, statement: str, rows: Sequence[Sequence[object]]) -> None:
        self._seen.extend((statement, row) for row in rows)
        self._inner.execute_many(statement, rows)

    def fetch(self, statement: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        self._seen.append((statement, params))
        return list(self._inner.fetch(statement, params))

    def copy(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        # COPY has no plan to EXPLAIN: Citus sends each row to its shard by business_id.
        self._inner.copy(table, columns, rows)

    def state(self) -> Any:
        return self._inner.state()

    def discard(self) -> None:
        self._inner.discard()


@pytest.fixture
def recorded(
    citus_store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, Sequence[object]]]:
    seen: list[tuple[str, Sequence[object]]] = []
    checkout = citus_store._checkout

    @contextmanager
    def recording() -> Iterator[Recording]:
        with checkout() as session:
            yield Recording(session, seen)

    monkeypatch.setattr(citus_store, "_checkout", recording)
    return seen


# Transaction control, and the advisory locks audit writers queue on (taken before
# BEGIN on the coordinator's own connection, touching no table).
CONTROL = re.compile(
    r"(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET|SELECT pg_advisory_(un)?lock)\b"
)
# Work that spans businesses by nature: the outbox relay reads the oldest events of all.
FANS_OUT = ("SELECT business_id, doc FROM outbox ORDER BY seq LIMIT ?",)
CSV = "Nome;Cognome;Cellulare;E-mail\n" + "".join(
    f"Cliente;Rossi {chr(65 + i % 26)}{chr(65 + i // 26)};333 {1000000 + i};\n" for i in range(30)
)


PROMO = MessageTemplate(
    key="promo",
    purpose=Purpose.MARKETING,
    texts={"it": TemplateText(subject="Per te", body="Offerta. Disiscriviti: $unsubscribe_url")},
)


def sending(store: PostgresStore, notifier: RecordingNotifier) -> ClientBook:
    """A book on ``store`` sending promos by e-mail through ``notifier``."""
    return ClientBook(
        store,
        clock=FixedClock(NOW),
        messaging=MessagingSettings(
            {Channel.EMAIL: notifier},
            [PROMO],
            token_secret=bytes(range(32)),
            unsubscribe_url="https://x/{token}",
        ),
    )


def tasks(dsn: str, schema: str, statement: str, params: Sequence[object]) -> int:
    """How many tasks (shards) Citus plans for the statement, as EXPLAIN tells."""
    with psycopg.connect(dsn) as connection:
        connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        cursor = psycopg.ClientCursor(connection)
        # Bound on the client: the plan is then the one for these very values.
        arguments = [list(p) if isinstance(p, tuple) else p for p in params]
        cursor.execute("EXPLAIN " + statement.replace("?", "%s"), arguments)
        plan = "\n".join(str(row[0]) for row in cursor.fetchall())
        connection.rollback()
    counts = [int(n) for n in re.findall(r"Task Count: (\d+)", plan)]
    assert counts, f"no distributed plan for {statement}"
    return max(counts)


@cluster
def test_every_statement_of_a_business_s_work_is_routed_to_one_shard(
    citus: str, citus_store: PostgresStore, recorded: list[tuple[str, Sequence[object]]]
) -> None:
    from tests.exchange.support import imported

    book = ClientBook(citus_store, clock=FixedClock(NOW), events=ListEventSink())
    salon = book.create_business(name="Salone", region="IT", language="it").id
    other = book.create_business(name="Altro", region="IT").id
    desk = book.business(salon)
    card = desk.cards.add({"first_name": "Anna", "last_name": "Rossi", "phones": "333 1234567"})
    desk.cards.edit(card.id, {"email": "anna@example.com"}, expected_version=1)
    desk.consent.grant(card.id, "marketing", "email", wording_version="v1", by="desk")
    sending(citus_store, RecordingNotifier()).business(salon).messaging.send(
        "promo", Channel.EMAIL, [card.id]
    )
    desk.cards.find_by_phone("+39 333 1234567")
    desk.cards.find_by_email("anna@example.com")
    desk.cards.search("ross")
    desk.cards.count(CardQuery(contactable=("marketing", "email")))
    desk.cards.count()
    desk.consent.withdraw(card.id, "marketing", "email", by="desk")
    assert imported(book, salon, CSV, batch_size=10).imported == 30
    desk.groups.add(key="vip", label="VIP")
    assert desk.groups.move({card.id: desk.cards.get(card.id).version}, "vip").moved
    book.business(other).cards.add({"first_name": "Eva"})
    desk.erasure.run(desk.erasure.plan(card.id), by="staff")
    statements = {
        # An array parameter (the keys a statement probes) is kept as a tuple, to be hashed.
        (statement, tuple(tuple(p) if isinstance(p, list) else p for p in params))
        for statement, params in recorded
        if not CONTROL.match(statement) and statement not in FANS_OUT
    }
    assert len({s for s, _ in statements}) > 20  # the work above did reach the store
    fanned = {
        statement
        for statement, params in statements
        if tasks(citus, citus_store.schema, statement, params) != 1
    }
    assert fanned == set()


# -- work that spans businesses -----------------------------------------------------------


def salons_with_clients(store: PostgresStore, count: int, clients: int) -> dict[str, list[str]]:
    """``count`` businesses (spread over the shards), each with consenting clients."""
    book = ClientBook(store, clock=FixedClock(NOW))
    salons: dict[str, list[str]] = {}
    for number in range(count):
        desk = book.business(book.create_business(name=f"Salone {number}", region="IT").id)
        for client in range(clients):
            card = desk.cards.add({"first_name": "Anna", "email": f"a{client}@example.com"})
            desk.consent.grant(card.id, "marketing", "email", wording_version="v1", by="desk")
            salons.setdefault(desk.id, []).append(card.id)
    return salons


@cluster
def test_sending_pending_messages_claims_every_business_on_every_shard(
    citus: str, citus_store: PostgresStore
) -> None:
    notifier = RecordingNotifier()
    book = sending(citus_store, notifier)
    salons = salons_with_clients(citus_store, 6, 2)
    for salon, cards in salons.items():
        book.business(salon).messaging.queue("promo", Channel.EMAIL, cards)
    with psycopg.connect(citus) as connection:
        (nodes,) = connection.execute(
            "SELECT count(DISTINCT get_shard_id_for_distribution_column(%s::regclass, b))"
            " FROM unnest(%s::text[]) AS b",
            (f"{citus_store.schema}.sends", list(salons)),
        ).fetchone() or (0,)
    assert nodes > 1  # the sends are spread over shards, so the claim must reach several
    assert book.admin.send_pending(limit=5) == 5
    assert book.admin.send_pending(limit=100) == 12 - 5
    assert book.admin.send_pending() == 0
    assert sorted(m.card_id for m in notifier.sent) == sorted(
        c for cs in salons.values() for c in cs
    )


@cluster
def test_concurrent_senders_across_businesses_never_send_one_message_twice(
    citus_store: PostgresStore,
) -> None:
    notifier = RecordingNotifier()
    salons = salons_with_clients(citus_store, 4, 3)
    sender = sending(citus_store, notifier)
    for salon, cards in salons.items():
        sender.business(salon).messaging.queue("promo", Channel.EMAIL, cards)
    barrier = threading.Barrier(3)

    def send() -> None:
        book = sending(citus_store, notifier)
        barrier.wait()
        while book.admin.send_pending(limit=2):
            pass

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    sent = [message.card_id for message in notifier.sent]
    assert sorted(sent) == sorted(c for cs in salons.values() for c in cs)


@cluster
def test_the_outbox_relay_delivers_the_events_of_every_business_once(
    citus_store: PostgresStore,
) -> None:
    sink = ListEventSink()
    failing = ClientBook(citus_store, clock=FixedClock(NOW), events=_Down())
    salons = [failing.create_business(name=f"S{n}", region="IT").id for n in range(5)]
    for salon in salons:
        failing.business(salon).cards.add({"first_name": "Anna"})
    relay = ClientBook(citus_store, clock=FixedClock(NOW), events=sink)
    assert relay.admin.deliver_pending() == 10
    assert citus_store.pending_events() == []
    assert {event.business_id for event in sink.events} == set(salons)


# -- the migration that made the keys shardable ---------------------------------------------


@pytest.mark.postgres
def test_the_keys_migration_carries_every_row_forward_on_a_single_server(
    postgres: str, postgres_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientcard.storage._sql import migrations

    every = migrations.MIGRATIONS
    keys = next(m for m in every if m.name == "keys hold the business")
    before = tuple(m for m in every if m.version < keys.version)
    monkeypatch.setattr(migrations, "MIGRATIONS", before)
    with PostgresStore(postgres, schema=postgres_schema) as old:
        book = ClientBook(old, clock=FixedClock(NOW), events=_Down())
        salon = book.create_business(name="Salone", region="IT").id
        card = book.business(salon).cards.add({"first_name": "Anna", "email": "a@example.com"})
        book.business(salon).consent.grant(
            card.id, "marketing", "email", wording_version="v1", by="desk"
        )
        sending(old, RecordingNotifier()).business(salon).messaging.queue(
            "promo", Channel.EMAIL, [card.id]
        )
        rows = {table: _rows(postgres, postgres_schema, table) for table in _KEYED}
    monkeypatch.setattr(migrations, "MIGRATIONS", every)
    with PostgresStore(postgres, schema=postgres_schema) as new:
        assert {table: _rows(postgres, postgres_schema, table) for table in _KEYED} == rows
        assert all(rows.values())
        with catalog(postgres) as session:
            assert key_problems(read_layout(session, postgres_schema)) == []
        assert len(new.consent_events(salon, card.id)) == 1
        assert len(new.pending_events()) == len(rows["outbox"])


_KEYED = ("consent_events", "sends", "outbox")


def _rows(dsn: str, schema: str, table: str) -> list[str]:
    with psycopg.connect(dsn) as connection:
        found = connection.execute(
            sql.SQL("SELECT t::text FROM {} AS t ORDER BY 1").format(sql.Identifier(schema, table))
        ).fetchall()
    return [str(row[0]) for row in found]
