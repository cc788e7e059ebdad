"""Shared setup of the erasure tests: a book on a fixed clock, and history to erase."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from clientcard.blacklist.model import BlockReason
from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.gallery.model import Photo, PhotoKind
from clientcard.history.model import Appointment, AppointmentStatus, Payment, ServiceLine
from clientcard.money import Money
from clientcard.storage.blobs import MemoryBlobStore
from clientcard.storage.protocol import ClientStore
from clientcard.storage.records import Record
from clientcard.testing.doubles import ListEventSink
from tests.storage.conftest import postgres, postgres_schema
from tests.support import NOW

__all__ = ["postgres", "postgres_schema"]  # shared with the storage tests

PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)


class FlakyBlobs(MemoryBlobStore):
    """A memory blob store that remembers deletions and can be made to fail."""

    def __init__(self) -> None:
        super().__init__()
        self.deleted: list[str] = []
        self.failing = False

    def delete(self, business_id: str, ref: str) -> None:
        if self.failing:
            raise OSError("blob store down")
        self.deleted.append(ref)
        super().delete(business_id, ref)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def sink() -> ListEventSink:
    return ListEventSink()


@pytest.fixture
def blobs() -> FlakyBlobs:
    return FlakyBlobs()


@pytest.fixture
def book(
    clock: FixedClock, sink: ListEventSink, blobs: FlakyBlobs, book_store: ClientStore
) -> ClientBook:
    return ClientBook(book_store, clock=clock, events=sink, blobs=blobs)


@pytest.fixture
def salon(book: ClientBook) -> str:
    return book.create_business(name="Salone", region="IT", language="it", business_id="salone").id


def days_ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def add(
    book: ClientBook,
    salon: str,
    card_id: str | None,
    kind: str,
    *,
    at: dt.datetime | None = None,
    key: str | None = None,
    **doc: object,
) -> Record:
    """File one raw record of ``kind`` under a card (or none) and return it."""
    record = Record(
        business_id=salon,
        kind=kind,
        id=str(uuid.uuid4()),
        at=at or days_ago(30),
        doc=doc,
        card_id=card_id,
        key=key,
    )
    book.store.add_records([record])
    return record


def visit(
    book: ClientBook,
    salon: str,
    card_id: str,
    days: int,
    status: AppointmentStatus = AppointmentStatus.COMPLETED,
) -> Appointment:
    """An appointment ``days`` ago (negative: ahead), with notes that identify the client."""
    return book.business(salon).history.add_appointment(
        Appointment(
            id=str(uuid.uuid4()),
            business_id=salon,
            card_id=card_id,
            starts_at=days_ago(days),
            duration_minutes=45,
            services=(ServiceLine(service_id="cut", name="Cut", price=Money.of("35", "EUR")),),
            status=status,
            notes="allergic to nickel",
            technical_notes="colour 6.1",
        )
    )


def pay(book: ClientBook, salon: str, card_id: str, days: int = 30) -> Payment:
    """A payment ``days`` ago, with a note about the payer."""
    return book.business(salon).history.add_payment(
        Payment(
            id=str(uuid.uuid4()),
            business_id=salon,
            card_id=card_id,
            amount=Money.of("35", "EUR"),
            at=days_ago(days),
            invoice_number="INV-2026-001",
            notes="paid by her sister",
        )
    )


def photo(book: ClientBook, salon: str, card_id: str) -> Photo:
    return book.business(salon).gallery.add(card_id, PNG, kind=PhotoKind.RESULT, caption="balayage")


def block(book: ClientBook, salon: str, card_id: str) -> None:
    book.business(salon).blacklist.add(
        card_id, BlockReason.NO_SHOW, by="staff-7", note="shouted at staff"
    )
