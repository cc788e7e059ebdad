"""Every unit of work that appends to a business's audit chain waits in its audit queue.

Each append moves the chain's one head record. On PostgreSQL, units that name the
business's audit queue (:func:`clientcard._core.audit_queue`) begin one after another
instead of failing each other with serialization errors until one runs out of replays;
a unit that appends without naming it can still fail that way. So every path of the
book that writes an audit entry must open its unit in that queue: the units are
watched here, on a store that notes the queue of the unit each head is read in.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from clientcard._core import audit_queue
from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.consent import Purpose
from clientcard.erasure import ErasureMode, ErasurePolicy, RetentionRules
from clientcard.erasure.audit import AUDIT_HEAD_KIND, AuditAction
from clientcard.erasure.plan import HOLD_MARK
from clientcard.erasure.requests import RequestKind
from clientcard.exchange.csv import open_csv
from clientcard.history.model import AppointmentStatus
from clientcard.storage.records import Record
from clientcard.storage.sqlite import SQLiteStore
from tests.erasure.conftest import add, days_ago, visit
from tests.history.helpers import visit as visit_of
from tests.support import NOW, record


class QueueWatchingStore(SQLiteStore):
    """A SQLite store noting, for each audit head read, the queue its unit waited in."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._queue = threading.local()
        self.heads_read_in: list[tuple[str, str | None]] = []

    @contextmanager
    def queued_transaction(self, queue: str | None) -> Iterator[None]:
        outermost = not self.in_transaction()
        if outermost:
            self._queue.name = queue
        try:
            with super().queued_transaction(queue):
                yield
        finally:
            if outermost:
                self._queue.name = None

    def get_record(self, business_id: str, kind: str, record_id: str) -> Record:
        if kind == AUDIT_HEAD_KIND and self.in_transaction():
            self.heads_read_in.append((business_id, getattr(self._queue, "name", None)))
        return super().get_record(business_id, kind, record_id)


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[QueueWatchingStore]:
    store = QueueWatchingStore(tmp_path / "book.db")
    yield store
    store.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def book(watched: QueueWatchingStore, clock: FixedClock) -> ClientBook:
    return ClientBook(watched, clock=clock, fingerprint_secret=bytes(32))


def queues_of(store: QueueWatchingStore) -> set[tuple[str, str | None]]:
    assert store.heads_read_in, "no audit entry was written"
    return set(store.heads_read_in)


def test_policy_requests_blocks_and_the_trail_append_in_the_audit_queue(
    book: ClientBook, watched: QueueWatchingStore
) -> None:
    salon = book.create_business(name="Salone", region="IT").id
    desk = book.business(salon)
    desk.erasure.set_policy(ErasurePolicy(mode=ErasureMode.ANONYMISE), by="owner")
    anna = desk.cards.add({"first_name": "Anna", "email": "anna@example.com"}).id
    request = desk.requests.receive(anna, RequestKind.ACCESS, by="desk")
    desk.requests.extend(request.request_id, "complexity", by="desk")
    entry = desk.blacklist.add(anna, "no_show", by="desk")
    # Bookings past the block: a new card with the blocked address, the card itself,
    # and an appointment, each filing its override.
    desk.cards.submit_booking(
        {"first_name": "A.", "email": "anna@example.com"}, override_block=True, by="manager"
    )
    desk.cards.submit_booking({"first_name": "Anna"}, card_id=anna, override_block=True, by="m")
    desk.history.add_appointment(
        visit_of(anna, business_id=salon, days=3, status=AppointmentStatus.BOOKED),
        override_block=True,
        by="m",
    )
    overrides = [e for e in desk.audit.trail() if e.action is AuditAction.BLOCK_OVERRIDDEN]
    assert len(overrides) == 3
    desk.blacklist.lift(entry.id, by="desk")
    desk.audit.record("viewed", by="desk", via="card.open", card_id=anna)
    assert queues_of(watched) == {(salon, audit_queue(salon))}


def test_exports_imports_and_merges_append_in_the_audit_queue(
    book: ClientBook, watched: QueueWatchingStore, tmp_path: Path
) -> None:
    salon = book.create_business(name="Salone", region="IT").id
    other = book.create_business(name="Altro", region="IT").id
    desk = book.business(salon)
    anna = desk.cards.add({"first_name": "Anna", "last_name": "Rossi"}).id
    twin = desk.cards.add({"first_name": "Anna", "last_name": "Rossi"}).id
    document = desk.portability.export_subject(anna, by="desk").to_dict()
    book.business(other).portability.import_subject(document, by="desk")
    merged = desk.exchange.merge(anna, twin, expected_versions=(1, 1), by="desk")
    desk.exchange.undo_merge(merged.merge_id, by="desk")
    source = tmp_path / "clients.csv"
    source.write_text("Nome;Cognome\nLia;Bruno\n", encoding="utf-8")
    with open_csv(source) as table:
        desk.exchange.import_cards(table, by="desk")
    desk.exchange.export_cards(tmp_path / "out.csv", format="csv", by="desk")
    assert queues_of(watched) == {(salon, audit_queue(salon)), (other, audit_queue(other))}


def test_retention_and_erasure_append_in_the_audit_queue(
    book: ClientBook, watched: QueueWatchingStore, clock: FixedClock
) -> None:
    salon = book.create_business(name="Salone", region="IT").id
    desk = book.business(salon)
    desk.erasure.set_policy(
        ErasurePolicy(
            mode=ErasureMode.ANONYMISE,
            retention=RetentionRules(
                inactive_months=24,
                consent_months={Purpose.MARKETING: 24},
                field_months={"notes": 12},
            ),
        ),
        by="owner",
    )
    clock.advance(dt.timedelta(days=-900))
    gone = desk.cards.add({"first_name": "Anna"}).id
    noted = desk.cards.add({"first_name": "Lia", "notes": "colour 6.1"}).id
    lapsing = desk.cards.add({"first_name": "Eva"}).id
    record(book, salon, lapsing)
    clock.advance(dt.timedelta(days=900))
    visit(book, salon, noted, 400)
    visit(book, salon, lapsing, 10)
    add(book, salon, None, "payment", at=days_ago(4000), **{HOLD_MARK: "2026-01-01"})
    run = desk.retention.run()
    assert [receipt.card_id for receipt in run.receipts] == [gone]
    staying = desk.cards.add({"first_name": "Mia"}).id
    desk.erasure.run(desk.erasure.plan(staying), by="desk")
    actions = {entry.action.value for entry in desk.audit.trail()}
    assert {"fields_cleared", "consent_lapsed", "hold_ended", "erased"} <= actions
    assert queues_of(watched) == {(salon, audit_queue(salon))}


@pytest.mark.postgres
def test_front_desks_blocking_at_once_on_postgres_all_get_through_without_replays(
    postgres: str, postgres_schema: str
) -> None:
    from clientcard.storage.postgres import PostgresStore

    with PostgresStore(postgres, schema=postgres_schema) as store:
        book = ClientBook(store, clock=FixedClock(NOW), conflict_retries=0)
        salon = book.create_business(name="Salone", region="IT").id
        desk = book.business(salon)
        clients = [desk.cards.add({"first_name": f"Cliente {n}"}).id for n in range(8)]
        failures: list[BaseException] = []

        def block(card_id: str) -> None:
            try:
                desk.blacklist.add(card_id, "no_show", by="desk")
            except BaseException as error:  # noqa: BLE001 - collected for the assertion
                failures.append(error)

        threads = [threading.Thread(target=block, args=(card_id,)) for card_id in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert desk.audit.verify().intact
        assert len(desk.audit.trail()) == len(clients)
