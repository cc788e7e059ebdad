"""Shared setup of the exchange tests: a book with a salon, and files in memory."""

from __future__ import annotations

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.storage import MemoryStore
from clientcard.testing.doubles import ListEventSink
from tests.support import NOW


@pytest.fixture
def sink() -> ListEventSink:
    return ListEventSink()


@pytest.fixture
def book(sink: ListEventSink) -> ClientBook:
    return ClientBook(MemoryStore(), clock=FixedClock(NOW), events=sink)


@pytest.fixture
def salon(book: ClientBook) -> str:
    return book.create_business(
        name="Salone Bella", region="IT", language="it", business_id="bella"
    ).id
