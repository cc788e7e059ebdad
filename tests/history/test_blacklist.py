"""Blacklist: who may book, and who gets marketing, once a client is blocked."""

from __future__ import annotations

import datetime as dt

import pytest

from clientcard.blacklist.model import BlacklistEntry, BlockReason, booking_decision
from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.consent import Channel, Purpose
from clientcard.errors import NotFoundError, ValidationError
from clientcard.events import EventKind
from clientcard.fingerprints import contact_fingerprints
from clientcard.storage.protocol import CardQuery
from clientcard.testing.doubles import ListEventSink
from tests.support import NOW, record

NO_SHOW = BlockReason.NO_SHOW


class TestMayBook:
    def test_an_unblocked_client_may_book(self, book: ClientBook, salon: str, anna: str) -> None:
        assert book.business(salon).blacklist.may_book(card_id=anna).allowed

    def test_a_blocked_client_may_not_book(self, book: ClientBook, salon: str, anna: str) -> None:
        entry = book.business(salon).blacklist.add(anna, NO_SHOW, by="staff-1")
        decision = book.business(salon).blacklist.may_book(card_id=anna)
        assert (decision.allowed, decision.reason, decision.entry_id) == (False, NO_SHOW, entry.id)

    def test_the_same_phone_typed_differently_is_caught_on_a_new_card(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        book.business(salon).blacklist.add(anna, NO_SHOW, by="staff-1")
        assert not book.business(salon).blacklist.may_book(phone="+39 333 123 4567").allowed
        stranger = book.business(salon).cards.add({"first_name": "A.", "phones": "3331234567"}).id
        assert not book.business(salon).blacklist.may_book(card_id=stranger).allowed

    def test_the_same_email_in_other_case_is_caught(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        book.business(salon).blacklist.add(anna, NO_SHOW, by="staff-1")
        assert not book.business(salon).blacklist.may_book(email="ANNA@example.com").allowed

    def test_input_that_is_no_address_or_number_matches_nothing(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        book.business(salon).blacklist.add(anna, NO_SHOW, by="staff-1")
        assert book.business(salon).blacklist.may_book(email="not an address", phone="12").allowed

    def test_a_lifted_block_no_longer_applies(
        self, book: ClientBook, salon: str, anna: str, sink: ListEventSink
    ) -> None:
        entry = book.business(salon).blacklist.add(anna, NO_SHOW, by="staff-1")
        lifted = book.business(salon).blacklist.lift(entry.id, by="manager")
        assert (lifted.lifted_at, lifted.lifted_by) == (NOW, "manager")
        assert book.business(salon).blacklist.may_book(card_id=anna).allowed
        # Each is audited too; the audit's own events carry its head.
        kinds = [e.kind for e in sink.events if e.kind is not EventKind.AUDIT_APPENDED]
        assert kinds[-2:] == [EventKind.CLIENT_BLOCKED, EventKind.CLIENT_UNBLOCKED]

    def test_lifting_keeps_the_block_on_file(self, book: ClientBook, salon: str, anna: str) -> None:
        desk = book.business(salon)
        entry = desk.blacklist.add(anna, NO_SHOW, by="staff-1")
        lifted = desk.blacklist.lift(entry.id, by="manager")
        assert desk.blacklist.list(anna) == [lifted]
        # Lifting is no removal: the vocabulary keeps ``remove`` for deleting outright.
        assert not hasattr(desk.blacklist, "remove")

    def test_lifting_twice_changes_nothing(self, book: ClientBook, salon: str, anna: str) -> None:
        entry = book.business(salon).blacklist.add(anna, NO_SHOW, by="staff-1")
        first = book.business(salon).blacklist.lift(entry.id, by="manager")
        assert book.business(salon).blacklist.lift(entry.id, by="someone else") == first

    def test_a_block_expires(
        self, book: ClientBook, salon: str, anna: str, clock: FixedClock
    ) -> None:
        book.business(salon).blacklist.add(
            anna, NO_SHOW, by="s", expires_at=NOW + dt.timedelta(days=30)
        )
        clock.advance(dt.timedelta(days=30))
        assert book.business(salon).blacklist.may_book(card_id=anna).allowed

    def test_an_expiry_in_the_past_is_refused(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        with pytest.raises(ValidationError) as caught:
            book.business(salon).blacklist.add(
                anna, NO_SHOW, by="s", expires_at=NOW - dt.timedelta(days=1)
            )
        assert caught.value.codes == {"blacklist.expiry_past"}

    def test_a_location_block_applies_at_that_location_only(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        book.business(salon).blacklist.add(anna, NO_SHOW, by="s", location_id="centro")
        assert (
            not book.business(salon).blacklist.may_book(card_id=anna, location_id="centro").allowed
        )
        assert book.business(salon).blacklist.may_book(card_id=anna, location_id="mare").allowed

    def test_a_block_stays_within_its_business(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        book.business(salon).blacklist.add(anna, NO_SHOW, by="s")
        other = book.create_business(name="Other", region="IT", language="it").id
        assert (
            book.business(other)
            .blacklist.may_book(phone="3331234567", email="anna@example.com")
            .allowed
        )

    def test_blocking_an_unknown_card_is_not_found(self, book: ClientBook, salon: str) -> None:
        with pytest.raises(NotFoundError):
            book.business(salon).blacklist.add("nobody", NO_SHOW, by="s")

    def test_blocks_lists_every_block_of_a_card_oldest_first(
        self, book: ClientBook, salon: str, anna: str, clock: FixedClock
    ) -> None:
        first = book.business(salon).blacklist.add(anna, NO_SHOW, by="s")
        book.business(salon).blacklist.lift(first.id, by="s")
        clock.advance(dt.timedelta(minutes=1))
        second = book.business(salon).blacklist.add(anna, BlockReason.UNPAID, by="s")
        assert [entry.id for entry in book.business(salon).blacklist.list(anna)] == [
            first.id,
            second.id,
        ]

    def test_the_entry_holds_fingerprints_not_details(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        entry = book.business(salon).blacklist.add(anna, NO_SHOW, by="s")
        card = book.business(salon).cards.get(anna)
        key = book.admin.fingerprint_key(salon)
        expected = contact_fingerprints(key, email=card.email, phones=card.phones)
        assert set(entry.fingerprints) == expected
        assert not any(
            detail in print_
            for print_ in entry.fingerprints
            for detail in ("anna@example.com", "+393331234567")
        )


class TestMarketing:
    def test_a_blocked_client_gets_no_marketing(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        record(book, salon, anna)
        assert (
            book.business(salon).consent.may_contact(anna, Purpose.MARKETING, Channel.EMAIL).allowed
        )
        book.business(salon).blacklist.add(anna, NO_SHOW, by="s")
        decision = book.business(salon).consent.may_contact(anna, Purpose.MARKETING, Channel.EMAIL)
        assert (decision.allowed, decision.reason) == (False, "blacklisted")

    def test_a_blocked_client_leaves_the_marketing_audience(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        record(book, salon, anna)
        audience = CardQuery(contactable=("marketing", "email"))
        assert book.business(salon).cards.count(audience) == 1
        entry = book.business(salon).blacklist.add(anna, NO_SHOW, by="s")
        assert book.business(salon).cards.count(audience) == 0
        book.business(salon).blacklist.lift(entry.id, by="s")
        assert book.business(salon).cards.count(audience) == 1

    def test_a_second_card_with_the_same_address_leaves_the_audience_too(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        twin = book.business(salon).cards.add({"first_name": "A.", "email": "ANNA@example.com"}).id
        record(book, salon, anna)
        record(book, salon, twin)
        audience = CardQuery(contactable=("marketing", "email"))
        assert book.business(salon).cards.count(audience) == 2
        book.business(salon).blacklist.add(anna, NO_SHOW, by="s")
        assert book.business(salon).cards.count(audience) == 0
        assert (
            not book.business(salon)
            .consent.may_contact(twin, Purpose.MARKETING, Channel.EMAIL)
            .allowed
        )

    def test_a_blocked_client_still_gets_reminders(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        book.business(salon).blacklist.add(anna, NO_SHOW, by="s")
        assert (
            book.business(salon)
            .consent.may_contact(anna, Purpose.APPOINTMENT_REMINDERS, Channel.EMAIL)
            .allowed
        )


class TestBookingDecision:
    def test_the_earliest_applying_block_is_reported(self) -> None:
        def entry(entry_id: str, days: int) -> BlacklistEntry:
            return BlacklistEntry(
                id=entry_id,
                business_id="b",
                card_id="c",
                reason=NO_SHOW,
                at=NOW - dt.timedelta(days=days),
                by="s",
            )

        decision = booking_decision([entry("late", 1), entry("early", 5)], now=NOW)
        assert decision.entry_id == "early"

    def test_a_block_that_starts_later_does_not_apply_yet(self) -> None:
        future = BlacklistEntry(
            id="x", business_id="b", card_id="c", reason=NO_SHOW, at=NOW + dt.timedelta(1), by="s"
        )
        assert booking_decision([future], now=NOW).allowed
