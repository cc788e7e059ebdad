from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientcard.book import ClientBook
from clientcard.cards.card import CardStatus
from clientcard.clock import FixedClock
from clientcard.consent import (
    MESSAGE_PURPOSES,
    Channel,
    ConsentAction,
    ConsentSource,
    LawfulBasis,
    Purpose,
    make_unsubscribe_token,
)
from clientcard.errors import NotFoundError, ValidationError
from clientcard.storage import CardQuery, MemoryStore
from clientcard.storage.protocol import ClientStore
from clientcard.testing.doubles import ListEventSink
from tests.support import NOW

GRANT = ConsentAction.GRANT
STAFF = ConsentSource.STAFF


@pytest.fixture
def sink() -> ListEventSink:
    return ListEventSink()


@pytest.fixture
def book(sink: ListEventSink, book_store: ClientStore) -> ClientBook:
    return ClientBook(book_store, clock=FixedClock(NOW), events=sink)


@pytest.fixture
def salon(book: ClientBook) -> str:
    return book.create_business(name="Salone", region="IT", business_id="salone").id


def grant(book: ClientBook, salon: str, card_id: str, purpose: Purpose, channel: Channel) -> None:
    book.business(salon).consent.record(
        card_id,
        GRANT,
        source=STAFF,
        by="staff-1",
        purpose=purpose,
        channel=channel,
        wording_version="v1",
    )


class TestRecording:
    def test_a_grant_is_proof_in_the_ledger_and_allows_the_message(
        self, book: ClientBook, salon: str
    ) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna", "email": "anna@example.com"})
        assert not book.business(salon).consent.may_contact(
            card.id, Purpose.MARKETING, Channel.EMAIL
        )
        state = book.business(salon).consent.record(
            card.id,
            GRANT,
            source=ConsentSource.BOOKING_FORM,
            by="client",
            purpose=Purpose.MARKETING,
            channel=Channel.EMAIL,
            wording_version="newsletter-v2",
            evidence_ref="form-123",
        )
        assert state.is_granted(Purpose.MARKETING, Channel.EMAIL)
        (proof,) = book.business(salon).consent.ledger(card.id)
        assert (
            proof.at,
            proof.source,
            proof.recorded_by,
            proof.wording_version,
            proof.evidence_ref,
        ) == (NOW, ConsentSource.BOOKING_FORM, "client", "newsletter-v2", "form-123")
        assert (
            book.business(salon)
            .consent.may_contact(card.id, Purpose.MARKETING, Channel.EMAIL)
            .reason
            == "consent"
        )

    def test_withdrawing_is_one_call(self, book: ClientBook, salon: str) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna", "email": "anna@example.com"})
        grant(book, salon, card.id, Purpose.MARKETING, Channel.EMAIL)
        book.business(salon).consent.record(
            card.id,
            ConsentAction.WITHDRAW,
            source=ConsentSource.UNSUBSCRIBE_LINK,
            by="client",
            purpose=Purpose.MARKETING,
            channel=Channel.EMAIL,
        )
        assert book.business(salon).consent.may_contact(
            card.id, Purpose.MARKETING, Channel.EMAIL
        ).reason == ("withdrawn")
        assert len(book.business(salon).consent.ledger(card.id)) == 2

    def test_an_unsubscribe_link_withdraws_exactly_what_it_names(
        self, book: ClientBook, salon: str
    ) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna", "email": "anna@example.com"})
        grant(book, salon, card.id, Purpose.MARKETING, Channel.EMAIL)
        grant(book, salon, card.id, Purpose.BIRTHDAY_GREETINGS, Channel.EMAIL)
        secret = bytes(range(32))
        token = make_unsubscribe_token(
            secret,
            business_id=salon,
            card_id=card.id,
            purpose=Purpose.MARKETING,
            channel=Channel.EMAIL,
        )
        state = book.business(salon).consent.unsubscribe(token, secret=secret)
        assert not state.is_granted(Purpose.MARKETING, Channel.EMAIL)
        assert state.is_granted(Purpose.BIRTHDAY_GREETINGS, Channel.EMAIL)
        assert (
            book.business(salon).consent.ledger(card.id)[-1].source
            is ConsentSource.UNSUBSCRIBE_LINK
        )

    def test_every_change_tells_the_hosts_other_systems(
        self, book: ClientBook, salon: str, sink: ListEventSink
    ) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna", "email": "anna@example.com"})
        grant(book, salon, card.id, Purpose.MARKETING, Channel.EMAIL)
        book.business(salon).consent.record(
            card.id, ConsentAction.OBJECT, source=STAFF, by="staff-1"
        )
        changes = [e for e in sink.events if e.kind.value == "consent.changed"]
        assert [e.fields for e in changes] == [("marketing.email",), ("objection",)]
        assert all(e.card_id == card.id for e in changes)

    def test_an_incomplete_grant_records_nothing(self, book: ClientBook, salon: str) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna"})
        with pytest.raises(ValidationError):
            book.business(salon).consent.record(
                card.id,
                GRANT,
                source=STAFF,
                by="s",
                purpose=Purpose.MARKETING,
                channel=Channel.EMAIL,
            )
        assert book.business(salon).consent.ledger(card.id) == []

    def test_another_business_cannot_record_or_read_consent(
        self, book: ClientBook, salon: str
    ) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna"})
        other = book.create_business(name="Other").id
        with pytest.raises(NotFoundError):
            grant(book, other, card.id, Purpose.MARKETING, Channel.EMAIL)
        with pytest.raises(NotFoundError):
            book.business(other).consent.state(card.id)

    def test_a_business_may_choose_soft_opt_in(self, book: ClientBook) -> None:
        salon = book.create_business(
            name="Soft", lawful_bases={Purpose.REBOOK_INVITATIONS: LawfulBasis.LEGITIMATE_INTEREST}
        ).id
        card = book.business(salon).cards.add({"first_name": "Anna", "email": "anna@example.com"})
        book.business(salon).consent.record(
            card.id,
            ConsentAction.OFFER_OPT_OUT,
            source=STAFF,
            by="desk",
            purpose=Purpose.REBOOK_INVITATIONS,
            channel=Channel.EMAIL,
            wording_version="notice-v1",
        )
        assert (
            book.business(salon)
            .consent.may_contact(card.id, Purpose.REBOOK_INVITATIONS, Channel.EMAIL)
            .reason
            == "soft_opt_in"
        )


class TestAudience:
    def test_the_audience_query_follows_consent_and_card_changes(
        self, book: ClientBook, salon: str
    ) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna"})
        marketing_email = CardQuery(contactable=("marketing", "email"))
        grant(book, salon, card.id, Purpose.MARKETING, Channel.EMAIL)
        assert book.business(salon).cards.count(marketing_email) == 0  # no address yet
        book.business(salon).cards.edit(card.id, {"email": "anna@example.com"}, expected_version=1)
        assert book.business(salon).cards.count(marketing_email) == 1
        book.business(salon).consent.record(
            card.id, ConsentAction.OBJECT, source=STAFF, by="staff-1"
        )
        assert book.business(salon).cards.count(marketing_email) == 0
        reminders = CardQuery(contactable=("appointment_reminders", "email"))
        assert book.business(salon).cards.count(reminders) == 1


CARD_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "email": st.just("client@example.com"),
        "phones": st.sampled_from(["333 1234567", "02 1234 5678"]),
        "birth_date": st.sampled_from(["2014-05-01", "1990-05-01", "--05-01"]),
    },
)
ACTIONS = st.tuples(
    st.sampled_from(
        [
            ConsentAction.GRANT,
            ConsentAction.WITHDRAW,
            ConsentAction.OBJECT,
            ConsentAction.OFFER_OPT_OUT,
        ]
    ),
    st.sampled_from(MESSAGE_PURPOSES),
    st.sampled_from([Channel.EMAIL, Channel.SMS]),
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(
    cards=st.lists(
        st.tuples(CARD_FIELDS, st.booleans(), st.lists(ACTIONS, max_size=4)), min_size=1, max_size=5
    ),
    soft=st.booleans(),
)
def test_an_audience_query_equals_asking_may_contact_of_every_card(
    cards: list[tuple[dict[str, str], bool, list[tuple[ConsentAction, Purpose, Channel]]]],
    soft: bool,
) -> None:
    book = ClientBook(MemoryStore(), clock=FixedClock(NOW))
    bases = {Purpose.REBOOK_INVITATIONS: LawfulBasis.LEGITIMATE_INTEREST} if soft else {}
    salon = book.create_business(name="S", lawful_bases=bases).id
    ids = []
    for fields, prospect, actions in cards:
        values = {"first_name": "Anna", **fields}
        status = CardStatus.PROSPECT if prospect else CardStatus.ACTIVE
        card = book.business(salon).cards.add(values, status=status)
        for step, (action, purpose, channel) in enumerate(actions):
            scope = (
                {} if action is ConsentAction.OBJECT else {"purpose": purpose, "channel": channel}
            )
            book.clock.advance(dt.timedelta(minutes=step + 1))  # type: ignore[attr-defined]
            book.business(salon).consent.record(
                card.id,
                action,
                source=STAFF,
                by="s",
                wording_version="v1" if action in (GRANT, ConsentAction.OFFER_OPT_OUT) else None,
                **scope,
            )  # type: ignore[arg-type]
        ids.append(card.id)
    for purpose in MESSAGE_PURPOSES:
        for channel in Channel:
            query = CardQuery(contactable=(purpose.value, channel.value))
            expected = {
                i
                for i in ids
                if book.business(salon).consent.may_contact(i, purpose, channel).allowed
            }
            assert {c.id for c in book.business(salon).cards.list(query, limit=50)} == expected
