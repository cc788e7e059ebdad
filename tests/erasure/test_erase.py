from __future__ import annotations

import datetime as dt

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.consent import Channel, ConsentAction, ConsentSource, GuardianConsent, Purpose
from clientcard.contact import name, phone
from clientcard.erasure import (
    AuditAction,
    ErasureMode,
    ErasurePolicy,
    ErasureReceipt,
    RecordAction,
    RequestKind,
)
from clientcard.erasure.plan import HOLD_MARK
from clientcard.errors import NotFoundError, ValidationError
from clientcard.messaging.sends import Send, SendStatus
from clientcard.storage.protocol import CardQuery
from clientcard.storage.records import RecordQuery
from clientcard.testing.doubles import ListEventSink
from tests.erasure.conftest import FlakyBlobs, add, block, pay, photo, visit
from tests.support import NOW, record


def client(book: ClientBook, salon: str, **values: object) -> str:
    fields = {
        "first_name": "Anna",
        "email": "anna@example.com",
        "phones": "333 1234567",
        **values,
    }
    return book.business(salon).cards.add(fields).id


def erase(
    book: ClientBook,
    salon: str,
    card_id: str,
    *,
    mode: ErasureMode | None = None,
    suppress: bool | None = None,
) -> ErasureReceipt:
    plan = book.business(salon).erasure.plan(card_id, mode=mode, suppress=suppress)
    return book.business(plan.business_id).erasure.run(plan, by="staff-7")


def kinds_left(book: ClientBook, salon: str, kind: str) -> list[dict[str, object]]:
    return [dict(r.doc) for r in book.store.find_records(salon, RecordQuery(kind=kind))]


def anonymising(book: ClientBook, salon: str, **settings: object) -> None:
    policy = ErasurePolicy(mode=ErasureMode.ANONYMISE, **settings)  # type: ignore[arg-type]
    book.business(salon).erasure.set_policy(policy, by="owner")


class TestDeleting:
    def test_the_card_goes_with_its_history(self, book: ClientBook, salon: str) -> None:
        card_id = client(book, salon)
        visit(book, salon, card_id, 10)
        add(book, salon, card_id, "conversation", text="see you")
        erase(book, salon, card_id)
        with pytest.raises(NotFoundError):
            book.business(salon).cards.get(card_id)
        assert kinds_left(book, salon, "appointment") == []
        assert kinds_left(book, salon, "conversation") == []

    def test_fiscal_records_stay_without_identity_under_the_hold(
        self, book: ClientBook, salon: str
    ) -> None:
        card_id = client(book, salon)
        pay(book, salon, card_id)
        erase(book, salon, card_id)
        (kept,) = kinds_left(book, salon, "payment")
        assert kept[HOLD_MARK] == "2036-10-24"
        assert (kept["amount"], kept["invoice_number"]) == (
            {"amount": "35.00", "currency": "EUR"},
            "INV-2026-001",
        )
        assert "notes" not in kept

    def test_the_ledger_is_deleted_and_kept_as_pseudonymised_proof(
        self, book: ClientBook, salon: str
    ) -> None:
        card_id = client(book, salon)
        record(book, salon, card_id, evidence_ref="signed-form-12")
        erase(book, salon, card_id)
        assert book.store.consent_events(salon, card_id) == []
        (proof,) = book.business(salon).erasure.consent_proof(card_id)
        assert proof.card_id.startswith("subject:")
        assert (proof.purpose, proof.channel, proof.wording_version, proof.at) == (
            Purpose.MARKETING,
            Channel.EMAIL,
            "v1",
            NOW,
        )
        assert proof.evidence_ref is None

    def test_proof_drops_the_guardians_card_but_keeps_how_they_were_verified(
        self, book: ClientBook, salon: str
    ) -> None:
        parent = client(book, salon, first_name="Marta", email="marta@example.com")
        child = client(book, salon, first_name="Lia", email=None, phones=None)
        guardian = GuardianConsent(verified_by="identity_document", guardian_card_id=parent)
        record(book, salon, child, guardian=guardian)
        erase(book, salon, child)
        (proof,) = book.business(salon).erasure.consent_proof(child)
        assert proof.guardian == GuardianConsent(verified_by="identity_document")

    def test_a_client_recording_their_own_consent_becomes_the_subject(
        self, book: ClientBook, salon: str
    ) -> None:
        card_id = client(book, salon)
        book.business(salon).consent.record(
            card_id,
            ConsentAction.WITHDRAW,
            source=ConsentSource.API,
            by=card_id,
            purpose=Purpose.MARKETING,
            channel=Channel.EMAIL,
        )
        erase(book, salon, card_id)
        assert [e.recorded_by for e in book.business(salon).erasure.consent_proof(card_id)] == [
            "subject"
        ]

    def test_sends_go_with_the_card(self, book: ClientBook, salon: str) -> None:
        card_id = client(book, salon)
        book.store.add_sends(
            [
                Send(
                    send_id="s-1",
                    batch_id="b-1",
                    business_id=salon,
                    card_id=card_id,
                    purpose=Purpose.MARKETING,
                    channel=Channel.EMAIL,
                    template_key="promo",
                    status=SendStatus.SENT,
                    queued_at=NOW,
                    updated_at=NOW,
                    values={"first_name": "Anna"},
                )
            ]
        )
        receipt = erase(book, salon, card_id)
        assert book.store.card_sends(salon, card_id) == []
        assert receipt.sends == 1

    def test_no_folded_name_or_number_of_the_client_stays_in_memory(
        self, book: ClientBook, salon: str
    ) -> None:
        card_id = client(book, salon, last_name="Núñez")  # the number classified
        book.business(salon).cards.search("Núñez")  # the names folded
        erase(book, salon, card_id)
        assert name.fold.cache_info().currsize == 0
        assert "+393331234567" not in phone._kinds

    def test_an_erasure_in_the_hosts_transaction_forgets_too(
        self, book: ClientBook, salon: str
    ) -> None:
        card_id = client(book, salon, last_name="Núñez")
        book.business(salon).cards.search("Núñez")
        plan = book.business(salon).erasure.plan(card_id)
        with book.transaction():
            book.business(plan.business_id).erasure.run(plan, by="staff-7")
            assert name.fold.cache_info().currsize == 0
            assert "+393331234567" not in phone._kinds

    def test_another_clients_data_is_untouched(self, book: ClientBook, salon: str) -> None:
        card_id = client(book, salon)
        other = client(book, salon, first_name="Bea", email="bea@example.com")
        kept = visit(book, salon, other, 3)
        erase(book, salon, card_id)
        assert book.business(salon).cards.get(other).first_name == "Bea"
        assert book.business(salon).history.get_appointment(kept.id) == kept


class TestAnonymising:
    def test_visits_stay_detached_without_their_notes(self, book: ClientBook, salon: str) -> None:
        anonymising(book, salon)
        card_id = client(book, salon)
        kept = visit(book, salon, card_id, 10)
        erase(book, salon, card_id)
        stored = book.store.get_record(salon, "appointment", kept.id)
        assert stored.card_id is None
        assert stored.doc["status"] == "completed"
        assert "notes" not in stored.doc
        assert "technical_notes" not in stored.doc

    def test_messages_and_photos_are_deleted_with_their_bytes(
        self, book: ClientBook, salon: str, blobs: FlakyBlobs
    ) -> None:
        anonymising(book, salon)
        picture = blobs.put(salon, b"a face")
        card_id = client(book, salon, picture=picture)
        shot = photo(book, salon, card_id)
        add(book, salon, card_id, "conversation", summary="see you tuesday")
        erase(book, salon, card_id)
        assert kinds_left(book, salon, "photo") == []
        assert kinds_left(book, salon, "conversation") == []
        assert sorted(blobs.deleted) == sorted([picture, shot.ref])
        assert len(blobs) == 0

    def test_a_picture_outside_the_blob_store_is_the_hosts_to_delete(
        self, book: ClientBook, salon: str, blobs: FlakyBlobs
    ) -> None:
        erase(book, salon, client(book, salon, picture="https://cdn.example/face.jpg"))
        assert blobs.deleted == []

    def test_the_erasures_mode_can_differ_from_the_policys(
        self, book: ClientBook, salon: str
    ) -> None:
        card_id = client(book, salon)
        visit(book, salon, card_id, 10)
        erase(book, salon, card_id, mode=ErasureMode.ANONYMISE)
        assert len(kinds_left(book, salon, "appointment")) == 1


class TestBlocksAndSuppression:
    def test_a_block_is_kept_by_default(self, book: ClientBook, salon: str) -> None:
        """As the salon products keep a blocked client blocked (issue 20)."""
        card_id = client(book, salon)
        block(book, salon, card_id)
        erase(book, salon, card_id)
        (kept,) = kinds_left(book, salon, "blacklist")
        assert "note" not in kept
        assert not book.business(salon).blacklist.may_book(email="anna@example.com").allowed

    def test_a_block_is_lost_when_the_policy_says_so(self, book: ClientBook, salon: str) -> None:
        book.business(salon).erasure.set_policy(ErasurePolicy(keep_blocks=False), by="owner")
        card_id = client(book, salon)
        block(book, salon, card_id)
        erase(book, salon, card_id)
        assert kinds_left(book, salon, "blacklist") == []
        assert kinds_left(book, salon, "blacklist.match") == []
        assert book.business(salon).blacklist.may_book(email="anna@example.com").allowed

    def test_a_kept_block_still_stops_the_person_booking_under_a_new_card(
        self, book: ClientBook, salon: str
    ) -> None:
        book.business(salon).erasure.set_policy(ErasurePolicy(keep_blocks=True), by="owner")
        card_id = client(book, salon)
        block(book, salon, card_id)
        erase(book, salon, card_id)
        (kept,) = kinds_left(book, salon, "blacklist")
        assert "note" not in kept
        assert not book.business(salon).blacklist.may_book(email="anna@example.com").allowed
        again = client(book, salon, first_name="Annie")
        assert not book.business(salon).blacklist.may_book(card_id=again).allowed

    def test_a_lifted_block_stays_lifted_through_erasure(
        self, book: ClientBook, salon: str
    ) -> None:
        book.business(salon).erasure.set_policy(ErasurePolicy(keep_blocks=True), by="owner")
        card_id = client(book, salon)
        block(book, salon, card_id)
        (entry,) = book.business(salon).blacklist.list(card_id)
        book.business(salon).blacklist.lift(entry.id, by="staff-7")
        erase(book, salon, card_id)
        assert book.business(salon).blacklist.may_book(email="anna@example.com").allowed
        (kept,) = kinds_left(book, salon, "blacklist")
        assert kept["fingerprints"] == []

    def test_suppression_is_off_by_default(self, book: ClientBook, salon: str) -> None:
        erase(book, salon, client(book, salon))
        assert not book.business(salon).erasure.is_suppressed(email="anna@example.com")

    def test_a_do_not_contact_request_survives_as_fingerprints(
        self, book: ClientBook, salon: str
    ) -> None:
        erase(book, salon, client(book, salon), suppress=True)
        assert book.business(salon).erasure.is_suppressed(email="Anna@Example.com")
        assert book.business(salon).erasure.is_suppressed(phones=["+393331234567"])
        assert not book.business(salon).erasure.is_suppressed(email="bea@example.com")

    def test_a_new_card_at_a_suppressed_address_gets_no_marketing(
        self, book: ClientBook, salon: str
    ) -> None:
        erase(book, salon, client(book, salon), suppress=True)
        again = client(book, salon)
        record(book, salon, again)
        decision = book.business(salon).consent.may_contact(again, Purpose.MARKETING, Channel.EMAIL)
        assert (decision.allowed, decision.reason) == (False, "suppressed")
        assert book.business(salon).cards.count(CardQuery(contactable=("marketing", "email"))) == 0
        assert book.business(salon).consent.may_contact(
            again, Purpose.APPOINTMENT_REMINDERS, Channel.EMAIL
        )

    def test_two_erased_cards_of_one_person_keep_one_fingerprint_each(
        self, book: ClientBook, salon: str
    ) -> None:
        erase(book, salon, client(book, salon), suppress=True)
        erase(book, salon, client(book, salon), suppress=True)
        assert len(kinds_left(book, salon, "suppression")) == 2


class TestConfirmation:
    def test_planning_changes_nothing(self, book: ClientBook, salon: str) -> None:
        card_id = client(book, salon)
        book.business(salon).erasure.plan(card_id)
        assert book.business(salon).cards.get(card_id).version == 1

    def test_a_plan_made_before_a_change_is_refused(self, book: ClientBook, salon: str) -> None:
        card_id = client(book, salon)
        plan = book.business(salon).erasure.plan(card_id)
        visit(book, salon, card_id, 0)
        with pytest.raises(ValidationError) as caught:
            book.business(plan.business_id).erasure.run(plan, by="staff-7")
        assert caught.value.codes == {"erasure.plan_changed"}
        assert book.business(salon).cards.get(card_id).first_name == "Anna"

    def test_erasing_twice_gives_the_same_receipt(self, book: ClientBook, salon: str) -> None:
        card_id = client(book, salon)
        plan = book.business(salon).erasure.plan(card_id)
        first = book.business(plan.business_id).erasure.run(plan, by="staff-7")
        assert book.business(plan.business_id).erasure.run(plan, by="staff-7") == first
        assert len(book.business(salon).erasure.receipts()) == 1

    def test_an_unknown_card_is_not_found(self, book: ClientBook, salon: str) -> None:
        with pytest.raises(NotFoundError):
            book.business(salon).erasure.plan("nobody")

    def test_inside_a_failed_transaction_nothing_is_erased(
        self, book: ClientBook, salon: str
    ) -> None:
        card_id = client(book, salon)
        plan = book.business(salon).erasure.plan(card_id)

        def erase_then_fail() -> None:
            with book.transaction():
                book.business(plan.business_id).erasure.run(plan, by="staff-7")
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            erase_then_fail()
        assert book.business(salon).cards.get(card_id).first_name == "Anna"
        assert book.business(salon).erasure.receipts() == []


class TestReceiptsAndEvents:
    def test_the_receipt_counts_what_was_done_without_personal_data(
        self, book: ClientBook, salon: str
    ) -> None:
        card_id = client(book, salon)
        visit(book, salon, card_id, 10)
        pay(book, salon, card_id)
        record(book, salon, card_id)
        receipt = erase(book, salon, card_id)
        assert receipt.records == {
            "appointment": {RecordAction.DELETE.value: 1},
            "payment": {RecordAction.HOLD.value: 1},
        }
        assert (receipt.consent_events, receipt.actor, receipt.legal_hold_years) == (
            1,
            "staff-7",
            10,
        )
        assert "Anna" not in repr(receipt)
        assert "anna@" not in repr(receipt)

    def test_the_host_hears_card_erased_with_ids_only(
        self, book: ClientBook, salon: str, sink: ListEventSink
    ) -> None:
        card_id = client(book, salon)
        receipt = erase(book, salon, card_id)
        event = sink.events[-1]
        assert (event.kind.value, event.card_id, event.fields, event.record_id) == (
            "card.erased",
            card_id,
            (),
            receipt.receipt_id,
        )

    def test_the_erasure_fulfils_the_clients_erasure_request(
        self, book: ClientBook, salon: str
    ) -> None:
        card_id = client(book, salon)
        request = book.business(salon).requests.receive(card_id, RequestKind.ERASURE, by="staff-7")
        receipt = erase(book, salon, card_id)
        (done,) = book.business(salon).requests.list()
        assert done.request_id == request.request_id
        assert done.outcome == f"receipt:{receipt.receipt_id}"
        assert receipt.requests == (request.request_id,)

    def test_the_audit_trail_names_who_erased_whom_through_which_call(
        self, book: ClientBook, salon: str
    ) -> None:
        card_id = client(book, salon)
        erase(book, salon, card_id)
        entry = book.business(salon).audit.trail(card_id=card_id)[-1]
        assert (entry.action, entry.actor, entry.via) == (
            AuditAction.ERASED,
            "staff-7",
            "erasure.run",
        )

    def test_children_of_an_erased_guardian_are_refreshed(
        self, book: ClientBook, salon: str
    ) -> None:
        parent = client(book, salon, first_name="Marta", email="marta@example.com")
        child = client(book, salon, first_name="Lia", email=None, phones=None)
        book.business(salon).consent.link_guardian(child, parent, expected_version=1)
        plan = book.business(salon).erasure.plan(parent)
        assert plan.wards == 1
        book.business(plan.business_id).erasure.run(plan, by="staff-7")
        assert (
            book.business(book.business(salon).cards.get(child).business_id).consent.guardian_of(
                book.business(salon).cards.get(child).id
            )
            is None
        )


class TestBlobStoreFailures:
    def test_bytes_wait_while_the_blob_store_fails_and_go_later(
        self, book: ClientBook, salon: str, blobs: FlakyBlobs
    ) -> None:
        picture = blobs.put(salon, b"a face")
        card_id = client(book, salon, picture=picture)
        blobs.failing = True
        erase(book, salon, card_id)
        assert blobs.exists(salon, picture)
        blobs.failing = False
        assert book.business(salon).erasure.finish() == 1
        assert not blobs.exists(salon, picture)
        assert kinds_left(book, salon, "blob.deletion") == []


class TestRecordsOfAnyKind:
    def test_a_kind_nobody_described_is_deleted_with_the_client(
        self, book: ClientBook, salon: str
    ) -> None:
        anonymising(book, salon)
        card_id = client(book, salon)
        add(book, salon, card_id, "loyalty.stamp", stamp="7")
        erase(book, salon, card_id)
        assert kinds_left(book, salon, "loyalty.stamp") == []

    def test_records_of_other_clients_and_none_stay(
        self, book: ClientBook, salon: str, clock: FixedClock
    ) -> None:
        promotion = add(book, salon, None, "promotion", code="SUMMER")
        card_id = client(book, salon)
        clock.advance(dt.timedelta(days=1))
        erase(book, salon, card_id)
        assert book.store.get_record(salon, "promotion", promotion.id) == promotion
