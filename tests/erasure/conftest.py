"""Shared setup of the erasure tests: a book on a fixed clock, and records to erase."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.kinds import KINDS, ErasureTreatment, RecordKind
from clientcard.storage import MemoryStore
from clientcard.storage.records import Record
from clientcard.testing.doubles import ListEventSink
from tests.storage.conftest import postgres, postgres_schema
from tests.support import NOW

__all__ = ["postgres", "postgres_schema"]  # shared with the storage tests


class RecordingBlobs:
    """A blob store that remembers what it was told to delete, and can be made to fail."""

    def __init__(self) -> None:
        self.deleted: list[str] = []
        self.failing = False

    def delete(self, ref: str) -> None:
        if self.failing:
            raise OSError("blob store down")
        self.deleted.append(ref)


@pytest.fixture(autouse=True)
def photo_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    # The gallery describes its kind when it lands; until then the tests say what it is.
    if "photo" not in KINDS:
        monkeypatch.setitem(
            KINDS,
            "photo",
            RecordKind("photo", ErasureTreatment.DELETE, blob_fields=("blob_ref",)),
        )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def sink() -> ListEventSink:
    return ListEventSink()


@pytest.fixture
def blobs() -> RecordingBlobs:
    return RecordingBlobs()


@pytest.fixture
def book(clock: FixedClock, sink: ListEventSink, blobs: RecordingBlobs) -> ClientBook:
    book = ClientBook(MemoryStore(), clock=clock, events=sink)
    book.blobs = blobs
    return book


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
    """File one record of ``kind`` under a card (or none) and return it."""
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
    book: ClientBook, salon: str, card_id: str, days: int, status: str = "completed"
) -> Record:
    """An appointment ``days`` ago (negative: ahead) with ``status``."""
    return add(
        book,
        salon,
        card_id,
        "appointment",
        at=days_ago(days),
        status=status,
        service="cut",
        notes="allergic to nickel",
    )
