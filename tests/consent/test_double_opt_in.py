from __future__ import annotations

import datetime as dt

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.consent import (
    Channel,
    ConsentAction,
    ConsentSource,
    Purpose,
    TokenError,
    replay,
)
from clientcard.errors import ValidationError
from clientcard.storage.protocol import ClientStore
from tests.consent.test_ledger import event
from tests.support import NOW

SECRET = bytes(range(32))


@pytest.fixture
def book(book_store: ClientStore) -> ClientBook:
    return ClientBook(book_store, clock=FixedClock(NOW))


def ask(book: ClientBook) -> tuple[str, str, str]:
    salon = book.create_business(name="Bella").id
    card = book.business(salon).cards.add({"first_name": "Anna", "email": "anna@example.com"}).id
    token = book.business(salon).consent.request(
        card,
        Purpose.MARKETING,
        Channel.EMAIL,
        source=ConsentSource.BOOKING_FORM,
        by="client",
        wording_version="newsletter-v3",
        secret=SECRET,
    )
    return salon, card, token


def test_a_request_waits_for_confirmation(book: ClientBook) -> None:
    salon, card, _ = ask(book)
    choice = book.business(salon).consent.state(card).choice(Purpose.MARKETING, Channel.EMAIL)
    assert choice is not None
    assert choice.status(NOW) == "pending"
    decision = book.business(salon).consent.may_contact(card, Purpose.MARKETING, Channel.EMAIL)
    assert (decision.allowed, decision.reason) == (False, "pending_confirmation")


def test_confirming_grants_with_the_request_as_evidence(book: ClientBook) -> None:
    salon, card, token = ask(book)
    book.clock.advance(dt.timedelta(hours=3))  # type: ignore[attr-defined]
    state = book.business(salon).consent.confirm(token, secret=SECRET)
    assert state.choice(Purpose.MARKETING, Channel.EMAIL).status(NOW) == "granted"  # type: ignore[union-attr]
    request, grant = book.business(salon).consent.ledger(card)
    assert grant.source is ConsentSource.CONFIRMATION_LINK
    assert grant.wording_version == "newsletter-v3"
    assert grant.evidence_ref == f"double-opt-in:{request.event_id}"
    assert book.business(salon).consent.may_contact(card, Purpose.MARKETING, Channel.EMAIL).allowed


def test_a_link_expires(book: ClientBook) -> None:
    salon, card, token = ask(book)
    book.clock.advance(dt.timedelta(days=8))  # type: ignore[attr-defined]
    with pytest.raises(TokenError) as caught:
        book.business(salon).consent.confirm(token, secret=SECRET)
    assert caught.value.reason == "expired"
    choice = book.business(salon).consent.state(card).choice(Purpose.MARKETING, Channel.EMAIL)
    assert choice.status(book.clock.now()) == "expired"  # type: ignore[union-attr]


def test_asking_again_never_takes_back_a_consent_given() -> None:
    grant = event()
    again = event(
        ConsentAction.REQUEST_CONFIRMATION,
        at=NOW + dt.timedelta(days=1),
        wording_version="v2",
        expires_at=NOW + dt.timedelta(days=8),
    )
    assert replay([grant, again]).is_granted(Purpose.MARKETING, Channel.EMAIL)


def test_only_a_request_carries_an_expiry() -> None:
    with pytest.raises(ValidationError) as caught:
        event(ConsentAction.REQUEST_CONFIRMATION, wording_version="v2")
    assert caught.value.codes == {"consent.expiry_mismatch"}
    with pytest.raises(ValidationError):
        event(expires_at=NOW)


def test_a_link_confirms_once_and_never_after_a_withdrawal(book: ClientBook) -> None:
    salon, card, token = ask(book)
    book.business(salon).consent.confirm(token, secret=SECRET)
    with pytest.raises(TokenError) as twice:
        book.business(salon).consent.confirm(token, secret=SECRET)
    assert twice.value.reason == "used"
    book.business(salon).consent.record(
        card,
        ConsentAction.WITHDRAW,
        source=ConsentSource.STAFF,
        by="s",
        purpose=Purpose.MARKETING,
        channel=Channel.EMAIL,
    )
    with pytest.raises(TokenError):
        book.business(salon).consent.confirm(token, secret=SECRET)
    assert (
        not book.business(salon).consent.may_contact(card, Purpose.MARKETING, Channel.EMAIL).allowed
    )


def test_an_old_link_cannot_confirm_a_newer_request(book: ClientBook) -> None:
    salon, card, old = ask(book)
    book.clock.advance(dt.timedelta(hours=1))  # type: ignore[attr-defined]
    book.business(salon).consent.request(
        card,
        Purpose.MARKETING,
        Channel.EMAIL,
        source=ConsentSource.BOOKING_FORM,
        by="client",
        wording_version="newsletter-v4",
        secret=SECRET,
    )
    with pytest.raises(TokenError) as caught:
        book.business(salon).consent.confirm(old, secret=SECRET)
    assert caught.value.reason == "used"
