from __future__ import annotations

import datetime as dt

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.consent import Channel, GuardianConsent, Purpose
from clientcard.errors import NotFoundError, ValidationError
from clientcard.messaging import MessageTemplate, MessagingSettings, TemplateText
from clientcard.storage.protocol import ClientStore
from clientcard.testing.doubles import RecordingNotifier
from tests.support import NOW, record

REMINDER = MessageTemplate(
    key="reminder",
    purpose=Purpose.APPOINTMENT_REMINDERS,
    texts={"it": TemplateText(subject="Promemoria", body="A domani")},
)


@pytest.fixture
def book(book_store: ClientStore) -> ClientBook:
    return ClientBook(book_store, clock=FixedClock(NOW))


def family(book: ClientBook) -> tuple[str, str, str]:
    salon = book.create_business(name="Bella", language="it").id
    mum = book.business(salon).cards.add({"first_name": "Maria", "email": "maria@example.com"}).id
    child = book.business(salon).cards.add({"first_name": "Sofia", "birth_date": "2016-03-01"}).id
    book.business(salon).consent.link_guardian(child, mum, expected_version=1)
    return salon, mum, child


def test_a_childs_service_messages_go_to_the_guardian(book: ClientBook) -> None:
    salon, _, child = family(book)
    assert (
        book.business(salon)
        .consent.may_contact(child, Purpose.APPOINTMENT_REMINDERS, Channel.EMAIL)
        .allowed
    )
    notifier = RecordingNotifier()
    sender = ClientBook(
        book.store,
        clock=book.clock,
        messaging=MessagingSettings(
            {Channel.EMAIL: notifier},
            [REMINDER],
            token_secret=bytes(32),
            unsubscribe_url="https://x/{token}",
        ),
    )
    assert sender.business(salon).messaging.send("reminder", Channel.EMAIL, [child]).sent == 1
    assert notifier.sent[0].to == "maria@example.com"
    assert notifier.sent[0].card_id == child


def test_marketing_to_a_child_still_needs_a_guardians_consent(book: ClientBook) -> None:
    salon, mum, child = family(book)
    book.business(salon).cards.edit(child, {"email": "sofia@example.com"}, expected_version=2)
    record(book, salon, child)
    decision = book.business(salon).consent.may_contact(child, Purpose.MARKETING, Channel.EMAIL)
    assert decision.reason == "minor_without_guardian_consent"
    book.clock.advance(dt.timedelta(minutes=1))  # type: ignore[attr-defined]
    record(
        book, salon, child, guardian=GuardianConsent(verified_by="in_person", guardian_card_id=mum)
    )
    assert book.business(salon).consent.may_contact(child, Purpose.MARKETING, Channel.EMAIL).allowed


def test_linking_checks_both_cards(book: ClientBook) -> None:
    salon, mum, child = family(book)
    other = book.create_business(name="Other").id
    stranger = book.business(other).cards.add({"first_name": "X"}).id
    with pytest.raises(NotFoundError):
        book.business(salon).consent.link_guardian(child, stranger, expected_version=2)
    with pytest.raises(ValidationError) as caught:
        book.business(salon).consent.link_guardian(mum, mum, expected_version=1)
    assert caught.value.codes == {"card.own_guardian"}


def test_unlinking_sends_service_messages_back_to_the_card(book: ClientBook) -> None:
    salon, _, child = family(book)
    book.business(salon).consent.link_guardian(child, None, expected_version=2)
    decision = book.business(salon).consent.may_contact(
        child, Purpose.APPOINTMENT_REMINDERS, Channel.EMAIL
    )
    assert decision.reason == "no_address"


def test_the_childs_audience_follows_the_guardians_address(book: ClientBook) -> None:
    from clientcard.storage import CardQuery

    salon, mum, child = family(book)
    reminders = CardQuery(contactable=("appointment_reminders", "email"))
    assert child in {c.id for c in book.business(salon).cards.list(reminders)}
    book.business(salon).cards.edit(
        mum, {"email": None, "phones": "333 1234567"}, expected_version=1
    )
    assert child not in {c.id for c in book.business(salon).cards.list(reminders)}
    assert not book.business(salon).consent.may_contact(
        child, Purpose.APPOINTMENT_REMINDERS, Channel.EMAIL
    )
    book.business(salon).cards.remove(mum, expected_version=2)
    assert book.business(salon).cards.count(reminders) == 0


def test_a_refresh_of_the_guardian_alone_leaves_the_wards_as_they_were(
    book: ClientBook,
) -> None:
    from clientcard.storage import CardQuery

    salon, mum, child = family(book)
    desk = book.business(salon)
    reminders = CardQuery(contactable=("appointment_reminders", "email"))
    # The guardian's address goes behind the services' back, as a host's own migration
    # would take it: only a refresh brings the audience in step.
    stored = book.store.get(salon, mum)
    book.store.update(stored.apply({"email": None}, at=NOW).card, expected_version=1)
    desk.consent.refresh_permissions(mum, wards=False)
    assert child in {c.id for c in desk.cards.list(reminders)}
    desk.consent.refresh_permissions(mum)
    assert child not in {c.id for c in desk.cards.list(reminders)}


def test_a_guardians_block_leaves_the_childs_audience_and_decisions_alone(
    book: ClientBook,
) -> None:
    from clientcard.storage import CardQuery

    salon, mum, child = family(book)
    desk = book.business(salon)
    reminders = CardQuery(contactable=("appointment_reminders", "email"))
    desk.blacklist.add(mum, "no_show", by="staff-1")
    # Blocking refreshes the guardian alone: the child's decision doesn't read the
    # guardian's block, so the stored audience and the decision still agree.
    assert desk.consent.may_contact(child, Purpose.APPOINTMENT_REMINDERS, Channel.EMAIL).allowed
    assert child in {c.id for c in desk.cards.list(reminders)}


def test_cards_can_be_found_by_their_guardian(book: ClientBook) -> None:
    from clientcard.storage import CardQuery

    salon, mum, child = family(book)
    assert [c.id for c in book.business(salon).cards.list(CardQuery(guardian_id=mum))] == [child]


def test_a_guardian_named_by_card_must_be_a_client_of_the_business(book: ClientBook) -> None:
    salon, _, child = family(book)
    with pytest.raises(NotFoundError):
        record(
            book,
            salon,
            child,
            guardian=GuardianConsent(verified_by="in_person", guardian_card_id="stranger"),
        )
    assert book.business(salon).consent.ledger(child) == []


def test_how_the_guardian_was_verified_must_be_said() -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - attrs' own validator error
        GuardianConsent(verified_by="")
