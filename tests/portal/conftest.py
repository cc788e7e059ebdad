"""A portal over a book on each embedded store, with a cheap hasher for speed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clientcard.book import BusinessBook, ClientBook
from clientcard.clock import FixedClock
from clientcard.consent import Channel, Purpose
from clientcard.messaging import MessageTemplate, MessagingSettings, TemplateText
from clientcard.messaging.service import MessagingService
from clientcard.portal import PasswordHasher, PortalSettings
from clientcard.portal.service import PortalService
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


def other_portal(book: ClientBook, business_id: str, settings: PortalSettings) -> PortalService:
    """The portal of a business, with other settings, on another book of ``book``'s store."""
    return ClientBook(book.store, clock=book.clock, portal=settings).business(business_id).portal


def messaging_settings(notifier: RecordingNotifier) -> MessagingSettings:
    """Messaging that sends portal links by e-mail through ``notifier``."""
    return MessagingSettings(
        {Channel.EMAIL: notifier},
        [LINK],
        token_secret=bytes(range(32)),
        unsubscribe_url="https://salon.example/u/{token}",
    )


def linking_book(
    book: ClientBook, portal: PortalSettings, notifier: RecordingNotifier
) -> ClientBook:
    """Another book on ``book``'s store, with these portal settings, sending to ``notifier``."""
    return ClientBook(
        book.store, clock=book.clock, messaging=messaging_settings(notifier), portal=portal
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture(params=["memory", "sqlite"])
def book(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock, notifier: RecordingNotifier
) -> Iterator[ClientBook]:
    messaging = messaging_settings(notifier)
    portal = PortalSettings(link_url="https://salon.example/portal/{token}", hasher=cheap_hasher())
    if request.param == "memory":
        yield ClientBook(MemoryStore(), clock=clock, messaging=messaging, portal=portal)
        return
    store = SQLiteStore(tmp_path / "portal.db")
    try:
        yield ClientBook(store, clock=clock, messaging=messaging, portal=portal)
    finally:
        store.close()


@pytest.fixture
def salon(book: ClientBook) -> str:
    return book.create_business(name="Salone", region="IT", language="en", business_id="b").id


@pytest.fixture
def desk(book: ClientBook, salon: str) -> BusinessBook:
    return book.business(salon)


@pytest.fixture
def portal(desk: BusinessBook) -> PortalService:
    return desk.portal


@pytest.fixture
def messaging(desk: BusinessBook) -> MessagingService:
    """The salon's messaging: the one its portal queues links on."""
    return desk.messaging


@pytest.fixture
def anna(desk: BusinessBook) -> str:
    return desk.cards.add({"first_name": "Anna", "email": "anna@example.com"}).id


@pytest.fixture
def account(portal: PortalService, anna: str) -> str:
    return portal.create_account(anna, password=PASSWORD).id
