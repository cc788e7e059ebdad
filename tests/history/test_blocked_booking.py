"""The booking path refuses a blocked client, and a block outlives the card it was put on."""

from __future__ import annotations

import datetime as dt

import pytest

from clientcard.blacklist.model import MATCH_KIND, BlockReason
from clientcard.book import ClientBook
from clientcard.erasure.audit import AuditAction
from clientcard.erasure.policy import ErasurePolicy
from clientcard.errors import BlockedClientError, ClientCardError, ValidationError
from clientcard.history.model import AppointmentStatus
from clientcard.storage.records import RecordQuery
from tests.history.helpers import visit

NO_SHOW = BlockReason.NO_SHOW
ANNA = {"first_name": "Anna", "email": "anna@example.com", "phones": "333 1234567"}


def _matches(book: ClientBook, salon: str) -> int:
    return len(book.store.find_records(salon, RecordQuery(kind=MATCH_KIND), limit=100))


class TestTheBookingFormRefusesABlockedClient:
    def test_a_new_card_with_a_blocked_email_is_refused(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        """Someone booking under a new card with a blocked address is refused, nothing stored."""
        desk = book.business(salon)
        entry = desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        with pytest.raises(BlockedClientError) as caught:
            desk.cards.submit_booking({"first_name": "A.", "email": "ANNA@example.com"})
        assert (caught.value.entry_id, caught.value.card_id) == (entry.id, None)
        assert desk.cards.count() == 1

    def test_a_new_card_with_a_blocked_phone_in_another_format_is_refused(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        """The number is compared as E.164, however it was typed."""
        desk = book.business(salon)
        desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        with pytest.raises(BlockedClientError):
            desk.cards.submit_booking({"first_name": "A.", "phones": "+39 333 123 4567"})

    def test_the_blocked_clients_own_card_is_refused(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        """Booking on the blocked card itself is refused and the card is left as it was."""
        desk = book.business(salon)
        desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        with pytest.raises(BlockedClientError) as caught:
            desk.cards.submit_booking({"first_name": "Annie"}, card_id=anna)
        assert caught.value.card_id == anna
        assert desk.cards.get(anna).first_name == "Anna"

    def test_the_error_carries_ids_only(self, book: ClientBook, salon: str, anna: str) -> None:
        """No e-mail, phone or name of the person reaches the message or the repr."""
        desk = book.business(salon)
        desk.blacklist.add(anna, NO_SHOW, by="staff-1", note="rude to staff")
        with pytest.raises(BlockedClientError) as caught:
            desk.cards.submit_booking({"first_name": "Anna", "email": "anna@example.com"})
        text = f"{caught.value} {caught.value!r}"
        for detail in ("anna", "Anna", "333", "rude", "no_show"):
            assert detail not in text
        assert isinstance(caught.value, ClientCardError)

    def test_a_lifted_block_lets_the_client_book(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        desk = book.business(salon)
        entry = desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        desk.blacklist.lift(entry.id, by="manager")
        card = desk.cards.submit_booking({"first_name": "Anna"}, card_id=anna)
        assert card.first_name == "Anna"

    def test_a_block_at_another_location_does_not_refuse_here(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        desk = book.business(salon)
        desk.blacklist.add(anna, NO_SHOW, by="staff-1", location_id="centro")
        with pytest.raises(BlockedClientError):
            desk.cards.submit_booking({"first_name": "A"}, card_id=anna, location_id="centro")
        card = desk.cards.submit_booking({"first_name": "A"}, card_id=anna, location_id="mare")
        assert card.first_name == "A"

    def test_staff_may_override_the_block_and_the_trail_says_so(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        """An explicit override books the client and leaves an audit entry of ids."""
        desk = book.business(salon)
        entry = desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        card = desk.cards.submit_booking(
            {"first_name": "A.", "email": "anna@example.com"}, override_block=True, by="manager"
        )
        (overridden,) = [
            item for item in desk.audit.trail() if item.action is AuditAction.BLOCK_OVERRIDDEN
        ]
        assert (overridden.card_id, overridden.actor) == (card.id, "manager")
        assert dict(overridden.detail) == {"entry": entry.id}

    def test_an_override_needs_the_staff_member_who_made_it(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        desk = book.business(salon)
        desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        with pytest.raises(ValidationError) as caught:
            desk.cards.submit_booking({"first_name": "A"}, card_id=anna, override_block=True)
        assert caught.value.fields == {"by"}

    def test_an_unblocked_booking_writes_no_override(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        desk = book.business(salon)
        desk.cards.submit_booking({"first_name": "Eva"}, override_block=True, by="manager")
        assert not [e for e in desk.audit.trail() if e.action is AuditAction.BLOCK_OVERRIDDEN]


class TestAnAppointmentForABlockedClient:
    def test_a_future_booking_is_refused(self, book: ClientBook, salon: str, anna: str) -> None:
        desk = book.business(salon)
        entry = desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        with pytest.raises(BlockedClientError) as caught:
            desk.history.add_appointment(visit(anna, days=3, status=AppointmentStatus.BOOKED))
        assert (caught.value.entry_id, caught.value.card_id) == (entry.id, anna)
        assert desk.history.list_appointments(anna) == []

    def test_a_past_visit_is_still_recorded(self, book: ClientBook, salon: str, anna: str) -> None:
        """The block is about booking; what already happened is history."""
        desk = book.business(salon)
        desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        desk.history.add_appointment(visit(anna, days=-3))
        assert len(desk.history.list_appointments(anna)) == 1

    def test_staff_may_override(self, book: ClientBook, salon: str, anna: str) -> None:
        desk = book.business(salon)
        desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        booked = visit(anna, days=3, status=AppointmentStatus.BOOKED)
        desk.history.add_appointment(booked, override_block=True, by="manager")
        assert desk.history.get_appointment(booked.id) == booked
        actions = [entry.action for entry in desk.audit.trail(card_id=anna)]
        assert AuditAction.BLOCK_OVERRIDDEN in actions

    def test_a_block_at_another_location_lets_the_booking_through(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        desk = book.business(salon)
        desk.blacklist.add(anna, NO_SHOW, by="staff-1", location_id="centro")
        desk.history.add_appointment(
            visit(anna, days=3, status=AppointmentStatus.BOOKED, location_id="mare")
        )
        with pytest.raises(BlockedClientError):
            desk.history.add_appointment(
                visit(anna, days=3, status=AppointmentStatus.BOOKED, location_id="centro")
            )


class TestABlockOutlivesTheCard:
    def test_a_plain_delete_keeps_the_block_as_fingerprints(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        """Deleting the card keeps the block: the same person booking again is refused."""
        desk = book.business(salon)
        entry = desk.blacklist.add(anna, NO_SHOW, by="staff-1", note="rude to staff")
        desk.cards.remove(anna, expected_version=1)
        with pytest.raises(BlockedClientError) as caught:
            desk.cards.submit_booking({"first_name": "Anna", "phones": "3331234567"})
        assert caught.value.entry_id == entry.id
        kept = desk.blacklist.get(entry.id)
        assert (kept.card_id, kept.note, kept.fingerprints) == (None, None, entry.fingerprints)

    def test_an_erasure_under_the_default_policy_keeps_the_block(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        desk = book.business(salon)
        desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        desk.erasure.run(desk.erasure.plan(anna), by="dpo")
        assert not desk.blacklist.may_book(email="anna@example.com").allowed
        with pytest.raises(BlockedClientError):
            desk.cards.submit_booking({"first_name": "Anna", "email": "anna@example.com"})

    def test_a_policy_that_drops_blocks_drops_them_on_delete_too(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        desk = book.business(salon)
        desk.erasure.set_policy(ErasurePolicy(keep_blocks=False), by="dpo")
        desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        desk.cards.remove(anna, expected_version=1)
        assert desk.blacklist.may_book(email="anna@example.com").allowed
        assert _matches(book, salon) == 0

    def test_a_lifted_block_is_not_kept_on_delete(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        desk = book.business(salon)
        entry = desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        desk.blacklist.lift(entry.id, by="manager")
        desk.cards.remove(anna, expected_version=1)
        assert desk.blacklist.kept() == []

    def test_an_expired_block_is_not_kept_on_delete(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        desk = book.business(salon)
        desk.blacklist.add(anna, NO_SHOW, by="s", expires_at=book.clock.now() + dt.timedelta(1))
        book.clock.advance(dt.timedelta(days=2))  # type: ignore[attr-defined]
        desk.cards.remove(anna, expected_version=1)
        assert desk.blacklist.kept() == []

    def test_kept_blocks_are_listed_for_staff(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        desk = book.business(salon)
        entry = desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        assert desk.blacklist.kept() == []
        desk.cards.remove(anna, expected_version=1)
        assert [kept.id for kept in desk.blacklist.kept()] == [entry.id]

    def test_lifting_a_kept_block_removes_its_fingerprints(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        """Once lifted, nothing of the person stays: the fingerprints go."""
        desk = book.business(salon)
        entry = desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        desk.cards.remove(anna, expected_version=1)
        lifted = desk.blacklist.lift(entry.id, by="manager")
        assert lifted.fingerprints == ()
        assert desk.blacklist.get(entry.id).fingerprints == ()
        assert _matches(book, salon) == 0
        card = desk.cards.submit_booking({"first_name": "Anna", "email": "anna@example.com"})
        assert card.email == "anna@example.com"

    def test_lifting_removes_the_fingerprints_of_a_live_card_too(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        desk = book.business(salon)
        entry = desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        assert _matches(book, salon) == 2
        desk.blacklist.lift(entry.id, by="manager")
        assert _matches(book, salon) == 0
        assert desk.blacklist.list(anna)[0].fingerprints == ()


class TestBlockingIsAudited:
    def test_blocking_writes_an_audit_entry_of_ids(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        desk = book.business(salon)
        entry = desk.blacklist.add(anna, NO_SHOW, by="staff-1", note="rude to staff")
        (audited,) = desk.audit.trail(card_id=anna)
        assert (audited.action, audited.actor, audited.card_id) == (
            AuditAction.BLACKLISTED,
            "staff-1",
            anna,
        )
        assert dict(audited.detail) == {"entry": entry.id, "reason": "no_show"}

    def test_lifting_writes_an_audit_entry(self, book: ClientBook, salon: str, anna: str) -> None:
        desk = book.business(salon)
        entry = desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        desk.blacklist.lift(entry.id, by="manager")
        lifted = desk.audit.trail()[-1]
        assert (lifted.action, lifted.actor, lifted.card_id) == (
            AuditAction.UNBLACKLISTED,
            "manager",
            anna,
        )
        assert dict(lifted.detail) == {"entry": entry.id}

    def test_lifting_twice_audits_once(self, book: ClientBook, salon: str, anna: str) -> None:
        desk = book.business(salon)
        entry = desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        desk.blacklist.lift(entry.id, by="manager")
        desk.blacklist.lift(entry.id, by="manager")
        actions = [item.action for item in desk.audit.trail()]
        assert actions.count(AuditAction.UNBLACKLISTED) == 1
