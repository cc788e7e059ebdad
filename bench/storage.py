"""Storage benchmarks: the stores beside the raw driver running the same statements.

For each figure, the SQL a store issues is captured once (by running clientcard's own
statement builders against a recording session), then replayed through the bare driver
(sqlite3 or psycopg) in the same run. The ratio is the store's cost over that floor: what
clientcard adds in Python (documents, folding, savepoints, error translation).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from clientcard.business import Business
from clientcard.cards.card import ClientCard
from clientcard.storage import _sql
from clientcard.storage.protocol import CardQuery, ClientStore, SearchTerms
from clientcard.storage.sqlite import SQLiteStore

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
FIRST = ["Anna", "José", "Giulia", "Sanne", "Eva", "Marco", "Lotte", "Chiara", "Daan", "Sofia"]
LAST = ["Rossi", "Núñez", "Bianchi", "de Vries", "Jansen", "Ricci", "Bakker", "Conti"]
Statement = tuple[str, Sequence[object]]


class Recorder:
    """A Session that records statements instead of running them."""

    def __init__(self) -> None:
        self.statements: list[Statement] = []

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        self.statements.append((sql, tuple(params)))
        return 1

    def execute_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        self.statements.extend((sql, tuple(row)) for row in rows)

    def copy(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        marks = ", ".join("?" for _ in columns)
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        self.statements.extend((head, tuple(row)) for row in rows)

    def fetch(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        self.statements.append((sql, tuple(params)))
        # Insert checks that the business exists, a count reads one number; the rows of
        # a search are never read here.
        if "FROM businesses" in sql or "COUNT(" in sql.upper():
            return [(0,)]
        return []

    def state(self) -> _sql.TxState:
        return _sql.TxState.ACTIVE

    def discard(self) -> None:
        """Nothing to discard."""


def make_cards(business_id: str, count: int) -> list[ClientCard]:
    return [
        ClientCard(
            id=f"card-{i:07d}",
            business_id=business_id,
            created_at=NOW,
            updated_at=NOW,
            first_name=FIRST[i % len(FIRST)],
            last_name=f"{LAST[i % len(LAST)]} {i}",
            email=f"client{i}@example.com",
            phones=(f"+39333{i:07d}",),
            client_group="vip" if i % 10 == 0 else None,
        )
        for i in range(count)
    ]


def insert_statements(cards: list[ClientCard], dialect: _sql.Dialect) -> list[Statement]:
    recorder = Recorder()
    for card in cards:
        _sql.rows.insert_card(recorder, dialect, card)  # type: ignore[arg-type]
    return recorder.statements


def find_statements(
    dialect: _sql.Dialect, business_id: str, queries: list[CardQuery], limit: int
) -> list[Statement]:
    recorder = Recorder()
    for query in queries:
        _sql.rows.select_cards(recorder, dialect, business_id, query, limit=limit, after=None)  # type: ignore[arg-type]
    return [s for s in recorder.statements if s[0].lstrip().upper().startswith("SELECT")]


def timed(job: Callable[[], object]) -> float:
    start = time.perf_counter()
    job()
    return time.perf_counter() - start


def _business(store: ClientStore) -> str:
    business = Business(
        id=uuid.uuid4().hex, name="Bench", region="IT", language="en", created_at=NOW
    )
    store.add_business(business)
    return business.id


def raw_file(prefix: str) -> tuple[Path, str, sqlite3.Connection]:
    """A new store file with one business, and a bare connection to it inside BEGIN.

    The loaders fill it with the library's own statements, far faster than the store.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix)) / "bench.db"
    store = SQLiteStore(path)
    business_id = _business(store)
    store.close()
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    raw.execute("BEGIN")
    return path, business_id, raw


def _bulk_add(store: ClientStore, cards: list[ClientCard]) -> None:
    with store.transaction():
        for card in cards:
            store.add(card)


def _lookups(count: int, total: int) -> tuple[list[CardQuery], list[CardQuery]]:
    step = max(total // count, 1)
    phones = [CardQuery(phone=f"+39333{i:07d}") for i in range(0, total, step)][:count]
    names = [
        CardQuery(search=SearchTerms(name=f"{LAST[i % len(LAST)]} {i}"))
        for i in range(0, total, step)
    ][: count // 4]
    return phones, names


def sqlite_suite(count: int) -> list[dict[str, Any]]:
    directory = Path(tempfile.mkdtemp(prefix="cc-bench-"))
    store = SQLiteStore(directory / "store.db")
    business_id = _business(store)
    cards = make_cards(business_id, count)
    ours_insert = timed(lambda: _bulk_add(store, cards))

    # The floor: a second file with the same tables, the same statements, bare sqlite3.
    raw_store = SQLiteStore(directory / "raw.db")
    raw_business = _business(raw_store)
    raw_store.close()
    raw_cards = make_cards(raw_business, count)
    statements = insert_statements(raw_cards, _sql.SQLITE)
    raw = sqlite3.connect(directory / "raw.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")

    def raw_insert() -> None:
        raw.execute("BEGIN IMMEDIATE")
        for sql, params in statements:
            raw.execute(sql, params).fetchall()
        raw.execute("COMMIT")

    floor_insert = timed(raw_insert)

    # Lookups are replayed on the store's own file, so both find the same rows.
    raw.close()
    raw = sqlite3.connect(directory / "store.db", isolation_level=None)
    phones, names = _lookups(2000, count)
    ours_phone = timed(lambda: [store.find(business_id, q, limit=20) for q in phones])
    phone_sql = find_statements(_sql.SQLITE, business_id, phones, 20)
    floor_phone = timed(lambda: [store_conn_fetch(raw, s) for s in phone_sql])
    ours_name = timed(lambda: [store.find(business_id, q, limit=20) for q in names])
    name_sql = find_statements(_sql.SQLITE, business_id, names, 20)
    floor_name = timed(lambda: [store_conn_fetch(raw, s) for s in name_sql])
    store.close()
    raw.close()
    return [
        row(
            f"SQLite bulk insert, {count} cards (one transaction)",
            ours_insert,
            floor_insert,
            "sqlite3 executing the same INSERTs",
            per=count,
            unit="cards/s",
        ),
        row(
            f"SQLite point lookup by phone, {len(phones)} lookups",
            ours_phone,
            floor_phone,
            "sqlite3 executing the same SELECTs",
            per=len(phones),
            unit="lookups/s",
        ),
        row(
            f"SQLite name search, {len(names)} searches",
            ours_name,
            floor_name,
            "sqlite3 executing the same SELECTs",
            per=len(names),
            unit="searches/s",
        ),
    ]


def store_conn_fetch(connection: sqlite3.Connection, statement: Statement) -> list[Any]:
    sql, params = statement
    return connection.execute(sql, params).fetchall()


def postgres_suite(count: int, dsn: str) -> list[dict[str, Any]]:
    import psycopg
    from psycopg import sql as pgsql

    from clientcard.storage.postgres import PostgresStore

    schema = f"cc_bench_{uuid.uuid4().hex[:10]}"
    raw_schema = f"{schema}_raw"
    store = PostgresStore(dsn, schema=schema)
    raw_store = PostgresStore(dsn, schema=raw_schema)
    try:
        business_id = _business(store)
        raw_business = _business(raw_store)
        raw_store.close()
        cards = make_cards(business_id, count)
        ours_insert = timed(lambda: _bulk_add(store, cards))
        statements = [
            (s.replace("?", "%s"), p)
            for s, p in insert_statements(make_cards(raw_business, count), _sql.POSTGRES)
        ]
        with psycopg.connect(dsn) as raw:
            raw.execute(pgsql.SQL("SET search_path TO {}").format(pgsql.Identifier(raw_schema)))
            raw.commit()

            def raw_insert() -> None:
                with raw.transaction(), raw.cursor() as cursor:
                    for text, params in statements:
                        cursor.execute(text, params)

            floor_insert = timed(raw_insert)
            raw.execute(pgsql.SQL("SET search_path TO {}").format(pgsql.Identifier(schema)))
            phones, names = _lookups(2000, count)

            def replay(found: list[Statement]) -> None:
                with raw.cursor() as cursor:
                    for text, params in found:
                        cursor.execute(text.replace("?", "%s"), params)
                        cursor.fetchall()

            ours_phone = timed(lambda: [store.find(business_id, q, limit=20) for q in phones])
            phone_sql = find_statements(_sql.POSTGRES, business_id, phones, 20)
            floor_phone = timed(lambda: replay(phone_sql))
            ours_name = timed(lambda: [store.find(business_id, q, limit=20) for q in names])
            name_sql = find_statements(_sql.POSTGRES, business_id, names, 20)
            floor_name = timed(lambda: replay(name_sql))
            raw.rollback()
    finally:
        store.close()
        with psycopg.connect(dsn, autocommit=True) as connection:
            for name in (schema, raw_schema):
                connection.execute(
                    pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(name))
                )
    return [
        row(
            f"PostgreSQL bulk insert, {count} cards (one transaction)",
            ours_insert,
            floor_insert,
            "psycopg executing the same INSERTs",
            per=count,
            unit="cards/s",
        ),
        row(
            f"PostgreSQL point lookup by phone, {len(phones)} lookups",
            ours_phone,
            floor_phone,
            "psycopg executing the same SELECTs",
            per=len(phones),
            unit="lookups/s",
        ),
        row(
            f"PostgreSQL name search, {len(names)} searches",
            ours_name,
            floor_name,
            "psycopg executing the same SELECTs",
            per=len(names),
            unit="searches/s",
        ),
    ]


def row(
    name: str, ours: float, floor: float, floor_is: str, *, per: int, unit: str
) -> dict[str, Any]:
    return {
        "benchmark": name,
        "clientcard_s": round(ours, 4),
        "floor_s": round(floor, 4),
        "floor": floor_is,
        "ratio": round(ours / floor, 2) if floor else None,
        "rate": f"{per / ours:,.0f} {unit}" if ours else "",
    }


def cards_to_bench() -> int:
    return int(os.environ.get("BENCH_CARDS", "100000"))
