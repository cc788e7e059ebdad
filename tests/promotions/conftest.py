"""Fixtures of the promotion and group tests: a book on a memory store at a fixed time."""

from __future__ import annotations

import datetime as dt

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.storage import MemoryStore
from clientcard.testing.doubles import ListEventSink
from tests.storage.conftest import postgres, postgres_schema  # noqa: F401 - fixtures
from tests.support import NOW

SALON = "salon"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def sink() -> ListEventSink:
    return ListEventSink()


@pytest.fixture
def book(clock: FixedClock, sink: ListEventSink) -> ClientBook:
    book = ClientBook(MemoryStore(), clock=clock, events=sink)
    book.create_business(name="Salone Bella", business_id=SALON, language="en")
    return book


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)
