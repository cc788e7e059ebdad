"""Bulk benchmarks (issue 17): moving clients between groups, and importing into PostgreSQL.

* moving ``BENCH_MOVE_CARDS`` (30,000) clients to another group through
  ``GroupService.move`` on SQLite, beside one bare ``UPDATE`` of the same rows doing the
  same change (the group column, the version, and the card document's group, version
  and time) in a copy of the same file. Each call moves every card to the other group,
  so both sides write every row every time;
* the CSV import of ``BENCH_PG_IMPORT_ROWS`` (100,000) rows into a new PostgreSQL
  schema, beside its floor: reading and validating the file as the import floor of
  ``bench/exchange.py`` does (on one core) plus a bare psycopg ``COPY`` of exactly the
  rows the import streamed, captured during a warm-up import, in the same
  transactions. ``BENCH_PG_IMPORT_PAIRS`` (3) alternating pairs.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pairs import pairs, result

import exchange  # bench/exchange.py, beside this file
import storage  # bench/storage.py, beside this file
from clientcard.book import ClientBook
from clientcard.cards.card import ClientCard
from clientcard.cards.serialization import _timestamp_text
from clientcard.clock import FixedClock
from clientcard.exchange.csv import open_csv
from clientcard.storage import _sql

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


# -- group moves --------------------------------------------------------------------------


def _move_file(count: int) -> tuple[Path, str]:
    path, business_id, raw = storage.raw_file("cc-move-")
    for offset in range(0, count, 20_000):
        cards = [
            ClientCard(
                id=f"card-{i:08d}",
                business_id=business_id,
                created_at=NOW,
                updated_at=NOW,
                first_name=storage.FIRST[i % len(storage.FIRST)],
                last_name=f"{storage.LAST[i % len(storage.LAST)]} {i}",
                email=f"client{i}@example.com",
                phones=(f"+39333{i:07d}",),
                client_group="a",
            )
            for i in range(offset, min(offset + 20_000, count))
        ]
        for sql, params in storage.insert_statements(cards, _sql.SQLITE):
            raw.execute(sql, params)
    raw.execute("COMMIT")
    raw.execute("ANALYZE")
    raw.close()
    return path, business_id


def group_move(count: int | None = None) -> dict[str, Any]:
    """Move ``count`` clients between two groups, beside one bare UPDATE of the same rows."""
    import sqlite3

    from clientcard.storage.sqlite import SQLiteStore

    count = count or int(os.environ.get("BENCH_MOVE_CARDS", "30000"))
    path, business_id = _move_file(count)
    floor_path = path.with_name("floor.db")
    shutil.copy(path, floor_path)
    store = SQLiteStore(path)
    desk = ClientBook(store, clock=FixedClock(NOW)).business(business_id)
    desk.groups.add(key="a", label="A")
    desk.groups.add(key="b", label="B")
    versions = {f"card-{i:08d}": 1 for i in range(count)}
    state = {"ours": "a", "floor": "a"}

    def ours() -> None:
        target = "b" if state["ours"] == "a" else "a"
        moved = desk.groups.move(versions, target)
        if len(moved.moved) != count:
            raise RuntimeError("the bench move left cards behind")
        for card_id in versions:
            versions[card_id] += 1
        state["ours"] = target

    raw = sqlite3.connect(floor_path, isolation_level=None)
    stamp = _timestamp_text(NOW)
    update = (
        "UPDATE cards SET client_group = ?, version = version + 1,"
        " doc = json_set(doc, '$.client_group', ?, '$.version', version + 1, '$.updated_at', ?)"
        " WHERE business_id = ? AND client_group = ?"
    )

    def floor() -> None:
        source = state["floor"]
        target = "b" if source == "a" else "a"
        raw.execute("BEGIN IMMEDIATE")
        raw.execute(update, (target, target, stamp, business_id, source))
        raw.execute("COMMIT")
        state["floor"] = target

    timing = pairs(ours, floor)
    store.close()
    raw.close()
    return result(
        f"move {count} clients to another group (SQLite)",
        timing,
        "one sqlite3 UPDATE of the same rows: group column, version, document",
        per=count,
        unit="cards/s",
        target=3.0,
    )


# -- PostgreSQL import --------------------------------------------------------------------

Copied = tuple[str, tuple[str, ...], list[Sequence[object]]]


@contextmanager
def _capturing(transactions: list[list[Copied]]) -> Iterator[None]:
    """Record what the PostgreSQL store streams with COPY, grouped by transaction."""
    from clientcard.storage import postgres

    real_copy = postgres._PostgresSession.copy
    real_execute = postgres._PostgresSession.execute
    current: list[Copied] = []

    def copy(
        self: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]
    ) -> None:
        current.append((table, tuple(columns), list(rows)))
        real_copy(self, table, columns, rows)

    def execute(self: Any, sql: str, params: Sequence[object] = ()) -> int:
        if sql.strip().upper() == "COMMIT" and current:
            transactions.append(list(current))
            current.clear()
        return real_execute(self, sql, params)

    postgres._PostgresSession.copy = copy  # type: ignore[method-assign]
    postgres._PostgresSession.execute = execute  # type: ignore[method-assign]
    try:
        yield
    finally:
        postgres._PostgresSession.copy = real_copy  # type: ignore[method-assign]
        postgres._PostgresSession.execute = real_execute  # type: ignore[method-assign]


def _schema_book(dsn: str) -> tuple[Any, ClientBook, str]:
    from clientcard.storage.postgres import PostgresStore

    schema = f"cc_bench_{uuid.uuid4().hex[:10]}"
    store = PostgresStore(dsn, schema=schema)
    book = ClientBook(store, clock=FixedClock(NOW))
    book.create_business(name="Bench", region="IT", language="it", business_id="bench")
    return store, book, schema


def _drop(dsn: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )


def postgres_import(dsn: str, rows: int | None = None) -> dict[str, Any]:  # noqa: PLR0915
    """The CSV import into PostgreSQL, beside parse + validation + a raw COPY of its rows."""
    import psycopg
    from psycopg import sql

    rows = rows or int(os.environ.get("BENCH_PG_IMPORT_ROWS", "100000"))
    count = int(os.environ.get("BENCH_PG_IMPORT_PAIRS", "3"))
    directory = Path(tempfile.mkdtemp(prefix="cc-pg-import-"))
    source = directory / "clients.csv"
    exchange.write_file(source, rows)
    schemas: list[str] = []

    def import_once(capture: list[list[Copied]] | None = None) -> float:
        store, book, schema = _schema_book(dsn)
        schemas.append(schema)
        try:
            desk = book.business("bench")
            with _capturing(capture) if capture is not None else _nothing():
                start = time.perf_counter()
                with open_csv(source) as table:
                    report = desk.exchange.import_cards(
                        table, batch_size=1000, workers=exchange.WORKERS
                    )
                took = time.perf_counter() - start
            if report.imported != report.rows:
                raise RuntimeError(f"bench rows rejected: {report.summary()}")
        finally:
            store.close()
            _drop(dsn, schema)
        return took

    transactions: list[list[Copied]] = []
    import_once(transactions)
    copied_rows = sum(len(batch[2]) for transaction in transactions for batch in transaction)
    parse_validate: list[float] = []
    inserts: list[float] = []

    def floor() -> float:
        store, _book, schema = _schema_book(dsn)  # untimed, as the import's own schema is
        store.close()
        try:
            with psycopg.connect(dsn) as connection:
                connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
                connection.commit()
                read = exchange.timed(lambda: exchange.read_and_validate(source))

                def insert() -> None:
                    with connection.cursor() as cursor:
                        for transaction in transactions:
                            for table, columns, values in transaction:
                                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                                    sql.Identifier(table),
                                    sql.SQL(", ").join(map(sql.Identifier, columns)),
                                )
                                with cursor.copy(statement) as copy:
                                    for row in values:
                                        copy.write_row(row)
                            connection.commit()

                wrote = exchange.timed(insert)
        finally:
            _drop(dsn, schema)
        parse_validate.append(read)
        inserts.append(wrote)
        return read + wrote

    floor()
    parse_validate.clear()
    inserts.clear()
    ours, floors = exchange.pairs(import_once, floor, count)
    shutil.rmtree(directory, ignore_errors=True)
    row = exchange.result(
        f"CSV import into PostgreSQL, {rows} rows",
        ours,
        floors,
        rows,
        "csv module reading the file + phonenumbers and email-validator per row + bare"
        " psycopg COPY of the rows the import streamed (same transactions), one core",
        target=1.5,
    )
    row["floor_parse_validate_s"] = round(sorted(parse_validate)[len(parse_validate) // 2], 3)
    row["floor_copy_s"] = round(sorted(inserts)[len(inserts) // 2], 3)
    row["floor_copy_rows"] = copied_rows
    row["workers"] = exchange.WORKERS
    return row


@contextmanager
def _nothing() -> Iterator[None]:
    yield
