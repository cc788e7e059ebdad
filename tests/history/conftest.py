"""A book on each embedded store, with a salon and a client, for the history tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.storage import MemoryStore, SQLiteStore
from clientcard.testing.doubles import ListEventSink
from tests.support import NOW


@pytest.fixture
def sink() -> ListEventSink:
    return ListEventSink()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture(params=["memory", "sqlite"])
def book(
    request: pytest.FixtureRequest, tmp_path: Path, sink: ListEventSink, clock: FixedClock
) -> Iterator[ClientBook]:
    if request.param == "memory":
        yield ClientBook(MemoryStore(), clock=clock, events=sink)
        return
    store = SQLiteStore(tmp_path / "book.db")
    try:
        yield ClientBook(store, clock=clock, events=sink)
    finally:
        store.close()


@pytest.fixture
def salon(book: ClientBook) -> str:
    return book.create_business(name="Salone", region="IT", language="it", business_id="b").id


@pytest.fixture
def anna(book: ClientBook, salon: str) -> str:
    card = book.business(salon).cards.add(
        {"first_name": "Anna", "email": "anna@example.com", "phones": "333 1234567"}
    )
    return card.id
