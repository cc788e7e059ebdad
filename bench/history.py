"""Statistics benchmarks: one client with many appointments, and aggregates over many.

* per-client statistics over ``BENCH_VISITS`` (1,000) appointments through
  ``HistoryService.statistics`` on SQLite, beside one raw SQL query over the same rows that
  computes the headline figures (visits, spend, last visit, future bookings);
* aggregates over ``BENCH_STATS_CLIENTS`` (100,000) clients with three appointments each,
  half of them with profiling consent, through ``HistoryService.aggregates``, beside one raw
  SQL query computing spend by group over the same consenting clients.

The business keeps its months on ``BENCH_ZONE``'s wall clock (``Europe/Rome``, daylight
saving included), as a salon does: the statements cut months there.

The floors compute less than the library (no rates, trend, favourites or cohorts; sums
in floating point rather than Decimal), so the ratios are an upper bound of what the
library adds. Each operation and its floor run in alternating pairs; the median of the
pair ratios is reported.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any, Final

import attrs
from pairs import pairs

import storage  # bench/storage.py, beside this file
from clientcard.book import ClientBook
from clientcard.cards.card import ClientCard
from clientcard.clock import FixedClock
from clientcard.history.model import (
    Appointment,
    AppointmentStatus,
    ServiceLine,
)
from clientcard.history.records import (
    appointment_to_record,
)
from clientcard.money import Money
from clientcard.storage import _sql
from clientcard.storage._sql._record_rows import record_row
from clientcard.storage.protocol import ClientStore
from clientcard.storage.sqlite import SQLiteStore

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
CHUNK = 20_000
_STATUSES = (
    AppointmentStatus.COMPLETED,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
    AppointmentStatus.CANCELLED_BY_CLIENT,
)
_SERVICES = [
    ServiceLine(service_id=name.lower(), name=name, price=Money.of(price, "EUR"))
    for name, price in (("Cut", "35"), ("Colour", "60"), ("Blow-dry", "20"))
]


def _on_wall_clock(store: ClientStore, business_id: str) -> None:
    """Put the business in ``BENCH_ZONE``, as a salon is: its months are cut there."""
    business = store.get_business(business_id)
    zone = os.environ.get("BENCH_ZONE", "Europe/Rome")
    store.update_business(
        attrs.evolve(business, time_zone=zone), expected_revision=business.schema.revision
    )


def _visit(business_id: str, card_id: str, number: int) -> Appointment:
    status = _STATUSES[number % len(_STATUSES)]
    starts = NOW - dt.timedelta(days=7 * number + 3)
    if number % 50 == 0:
        status, starts = AppointmentStatus.BOOKED, NOW + dt.timedelta(days=number + 1)
    service = _SERVICES[number % len(_SERVICES)]
    return Appointment(
        id=f"{card_id}-{number}",
        business_id=business_id,
        card_id=card_id,
        starts_at=starts,
        duration_minutes=45,
        services=(service,),
        status=status,
        team_member_id=f"team-{number % 4}",
        price_paid=service.price,
    )


def _insert_records(raw: sqlite3.Connection, appointments: list[Appointment]) -> None:
    # The store's own row values, kept price included, so the figures read them as the
    # store wrote them.
    dialect = _sql.SQLITE
    raw.executemany(
        "INSERT INTO records"
        " (business_id, kind, id, card_id, at, key, revision, doc, currency, amount,"
        " services, members) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [record_row(dialect, record) for record in map(appointment_to_record, appointments)],
    )


def _row(
    name: str,
    timing: tuple[float, float, float],
    floor_is: str,
    per: int,
    unit: str,
    *,
    target: float | None = None,
) -> dict[str, Any]:
    ours, floor, ratio = timing
    result = storage.row(name, ours, floor, floor_is, per=per, unit=unit)
    result["ratio"] = round(ratio, 2)
    result["target"] = target
    result["met"] = None if target is None else ratio <= target
    return result


# The months of a client's trend, as the history service asks for them.
_TREND_MONTHS: Final = 12


def client_statistics(visits: int | None = None) -> list[dict[str, Any]]:
    """Time one client's statistics over ``visits`` appointments beside raw SQL."""
    visits = visits or int(os.environ.get("BENCH_VISITS", "1000"))
    path = Path(tempfile.mkdtemp(prefix="cc-stats-")) / "stats.db"
    store = SQLiteStore(path)
    book = ClientBook(store, clock=FixedClock(NOW))
    business_id = storage._business(store)
    _on_wall_clock(store, business_id)
    card = ClientCard(
        id="regular", business_id=business_id, created_at=NOW, updated_at=NOW, first_name="Anna"
    )
    store.add(card)
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("BEGIN")
    _insert_records(raw, [_visit(business_id, card.id, n) for n in range(visits)])
    raw.execute("COMMIT")
    # The floor is the one statement the store sends for these figures, captured on the
    # store and replayed through bare sqlite3 with its rows fetched: what the library adds
    # is reading the business, building the figures and the statistics from them.
    local_now = store.get_business(business_id).local(NOW)
    statement = _statistics_statement(store, business_id, card.id, local_now)
    timing = pairs(
        lambda: book.business(business_id).history.statistics(card.id),
        lambda: raw.execute(*statement).fetchall(),
    )
    # Beside it, for scale: a query of the headline figures alone (visits, spend, last
    # visit, future bookings), with no trend, rates or favourites.
    stamp = _sql.SQLITE.timestamp(NOW)
    headline_sql = (
        "SELECT count(*) FILTER (WHERE key = 'completed'),"
        " sum(CAST(json_extract(doc, '$.price_paid.amount') AS REAL))"
        " FILTER (WHERE key = 'completed'),"
        " max(at) FILTER (WHERE key = 'completed'),"
        " count(*) FILTER (WHERE key = 'booked' AND at >= ?)"
        " FROM records WHERE business_id = ? AND card_id = ? AND kind = 'appointment'"
    )
    headline = pairs(
        lambda: book.business(business_id).history.statistics(card.id),
        lambda: raw.execute(headline_sql, (stamp, business_id, card.id)).fetchall(),
    )
    store.close()
    raw.close()
    return [
        _row(
            f"per-client statistics over {visits} appointments (SQLite)",
            timing,
            "the store's one statement for the same figures, through bare sqlite3",
            1,
            "clients/s",
            target=2.0,
        ),
        _row(
            f"per-client statistics over {visits} appointments, beside the headline figures",
            headline,
            "one sqlite3 query of visits, spend, last visit, future bookings only",
            1,
            "clients/s",
        ),
    ]


class _Tee:
    """A session that runs what a row function sends on a real one, and records it."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.statements: list[tuple[str, list[object]]] = []

    def fetch(self, sql: str, params: Any = ()) -> Any:
        self.statements.append((sql, list(params)))
        return self.session.fetch(sql, params)


def _statistics_statement(
    store: SQLiteStore, business_id: str, card_id: str, now: dt.datetime
) -> tuple[str, list[object]]:
    """The statement ``visit_figures`` sends for one card, captured on ``store``."""
    found: list[tuple[str, list[object]]] = []

    def capture(session: Any) -> None:
        tee = _Tee(session)
        _sql.rows.select_visit_figures(
            tee,  # type: ignore[arg-type]
            _sql.SQLITE,
            business_id,
            card_id,
            now=now,
            months=_TREND_MONTHS,
        )
        found.extend(tee.statements)

    store._run(capture, write=False)
    (statement,) = found  # one statement: the figures are summed in the database
    return statement


def aggregates(clients: int | None = None) -> dict[str, Any]:
    """Time aggregates over ``clients`` clients beside a raw spend-by-group query."""
    clients = clients or int(os.environ.get("BENCH_STATS_CLIENTS", "100000"))
    path, business_id, raw = storage.raw_file("cc-aggregates-")
    for offset in range(0, clients, CHUNK):
        cards = [
            ClientCard(
                id=f"card-{i:08d}",
                business_id=business_id,
                created_at=NOW - dt.timedelta(days=400),
                updated_at=NOW,
                first_name="Anna",
                last_name=f"Rossi {i}",
                client_group=("vip", "regular", None)[i % 3],
                referral_source=("friend", "instagram", None)[i % 3],
            )
            for i in range(offset, min(offset + CHUNK, clients))
        ]
        for sql, params in storage.insert_statements(cards, _sql.SQLITE):
            raw.execute(sql, params)
        raw.executemany(
            "INSERT INTO card_permissions (business_id, card_id, purpose, channel)"
            " VALUES (?, ?, 'profiling', 'any')",
            [(business_id, card.id) for n, card in enumerate(cards, offset) if n % 2 == 0],
        )
        _insert_records(
            raw, [_visit(business_id, card.id, n) for card in cards for n in range(1, 4)]
        )
    raw.execute("COMMIT")
    raw.execute("ANALYZE")
    store = SQLiteStore(path)
    _on_wall_clock(store, business_id)
    book = ClientBook(store, clock=FixedClock(NOW))
    floor_sql = (
        "SELECT c.client_group, sum(CAST(json_extract(r.doc, '$.price_paid.amount') AS REAL))"
        " FROM card_permissions p"
        " JOIN cards c ON c.business_id = p.business_id AND c.id = p.card_id"
        " JOIN records r ON r.business_id = p.business_id AND r.card_id = p.card_id"
        " WHERE p.business_id = ? AND p.purpose = 'profiling' AND p.channel = 'any'"
        " AND r.kind = 'appointment' AND r.key = 'completed' AND r.at < ?"
        " GROUP BY c.client_group"
    )
    stamp = _sql.SQLITE.timestamp(NOW)
    repeats = int(os.environ.get("BENCH_AGGREGATE_PAIRS", "3"))
    timing = pairs(
        lambda: book.business(business_id).history.aggregates(currency="EUR"),
        lambda: raw.execute(floor_sql, (business_id, stamp)).fetchall(),
        repeats,
    )
    store.close()
    raw.close()
    return _row(
        f"aggregates over {clients} clients, half with profiling consent (SQLite)",
        timing,
        "one sqlite3 query: spend by group over the consenting clients",
        clients // 2,
        "clients/s",
        target=2.0,
    )


def erasure(clients: int | None = None) -> dict[str, Any]:
    """Erase one client (with 20 appointments) among ``clients``, beside raw deletes.

    The floor deletes the same client's rows (phones, tags, permissions, ledger,
    records, card) with bare sqlite3 in one transaction; the library also plans,
    writes the receipt and the audit entry, files the event and checkpoints.
    """
    clients = clients or int(os.environ.get("BENCH_ERASURE_CLIENTS", "100000"))
    path, business_id, raw = storage.raw_file("cc-erasure-")
    for offset in range(0, clients, CHUNK):
        cards = [
            ClientCard(
                id=f"card-{i:08d}",
                business_id=business_id,
                created_at=NOW,
                updated_at=NOW,
                first_name="Anna",
                last_name=f"Rossi {i}",
                email=f"c{i}@example.com",
                phones=(f"+39333{i:07d}",),
            )
            for i in range(offset, min(offset + CHUNK, clients))
        ]
        for sql, params in storage.insert_statements(cards, _sql.SQLITE):
            raw.execute(sql, params)
    victims = [f"card-{i:08d}" for i in range(40)]
    _insert_records(raw, [_visit(business_id, card, n) for card in victims for n in range(20)])
    raw.execute("COMMIT")
    raw.execute("ANALYZE")
    store = SQLiteStore(path)
    book = ClientBook(store, clock=FixedClock(NOW))
    ours_ids = iter(victims[::2])
    floor_ids = iter(victims[1::2])
    owner = "card_id = ? AND business_id = ?"

    def ours() -> None:
        card_id = next(ours_ids)
        book.business(business_id).erasure.run(
            book.business(business_id).erasure.plan(card_id), by="bench"
        )

    def floor() -> None:
        card_id = next(floor_ids)
        raw.execute("BEGIN IMMEDIATE")
        for table in ("card_phones", "card_tags", "card_permissions", "consent_events", "records"):
            raw.execute(f"DELETE FROM {table} WHERE {owner}", (card_id, business_id))
        raw.execute("DELETE FROM cards WHERE id = ? AND business_id = ?", (card_id, business_id))
        raw.execute("COMMIT")

    timing = pairs(ours, floor)
    store.close()
    raw.close()
    return _row(
        f"erase one client (20 appointments) among {clients} (SQLite)",
        timing,
        "sqlite3 deleting the same client's rows in one transaction",
        1,
        "erasures/s",
    )
