"""A portal over a book on each embedded store, with a cheap hasher for speed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.consent import Channel, Purpose
from clientcard.messaging import MessageTemplate, TemplateText
from clientcard.messaging.dispatcher import Dispatcher
from clientcard.portal import PasswordHasher, Portal
from clientcard.storage import MemoryStore, SQLiteStore
from clientcard.testing.doubles import RecordingNotifier
from tests.support import NOW

PASSWORD = "a long and quiet river"
LINK = MessageTemplate(
    key="portal_link",
    purpose=Purpose.ACCOUNT,
    extra=frozenset({"link"}),
    texts={"en": TemplateText(subject="Your link", body="Sign in: $link")},
)


def cheap_hasher() -> PasswordHasher:
    """Argon2id with the smallest parameters: the logic is the same, the tests fast."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture(params=["memory", "sqlite"])
def book(request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock) -> Iterator[ClientBook]:
    if request.param == "memory":
        yield ClientBook(MemoryStore(), clock=clock)
        return
    store = SQLiteStore(tmp_path / "portal.db")
    try:
        yield ClientBook(store, clock=clock)
    finally:
        store.close()


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def dispatcher(book: ClientBook, notifier: RecordingNotifier) -> Dispatcher:
    return Dispatcher(
        book,
        {Channel.EMAIL: notifier},
        [LINK],
        token_secret=bytes(range(32)),
        unsubscribe_url="https://salon.example/u/{token}",
    )


@pytest.fixture
def portal(book: ClientBook, dispatcher: Dispatcher) -> Portal:
    return Portal(
        book,
        dispatcher=dispatcher,
        link_url="https://salon.example/portal/{token}",
        hasher=cheap_hasher(),
    )


@pytest.fixture
def salon(book: ClientBook) -> str:
    return book.create_business(name="Salone", region="IT", language="en", business_id="b").id


@pytest.fixture
def anna(book: ClientBook, salon: str) -> str:
    return book.add_client(salon, {"first_name": "Anna", "email": "anna@example.com"}).id


@pytest.fixture
def account(portal: Portal, salon: str, anna: str) -> str:
    return portal.create_account(salon, anna, password=PASSWORD).id
