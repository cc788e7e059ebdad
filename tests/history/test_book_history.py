"""ClientBook's history: recording, changing and reading what happened with a client."""

from __future__ import annotations

import datetime as dt

import pytest

from clientcard.book import ClientBook
from clientcard.cards.schema import FieldDefinition, FieldType
from clientcard.clock import FixedClock
from clientcard.consent import ConsentAction, Purpose
from clientcard.errors import DuplicateError, NotFoundError, ValidationError, VersionConflictError
from clientcard.events import EventKind
from clientcard.history.model import (
    AppointmentStatus,
    ConversationDirection,
    ConversationEntry,
    ConversationKind,
    Payment,
    PaymentStatus,
    SharedDocument,
)
from clientcard.money import Money
from clientcard.testing.doubles import ListEventSink
from tests.history.helpers import visit
from tests.support import NOW, record

BOOKED = AppointmentStatus.BOOKED


class TestAppointments:
    def test_a_recorded_appointment_reads_back(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        appointment = book.business(salon).history.add_appointment(
            visit(anna, business_id=salon, days=2)
        )
        assert book.business(salon).history.get_appointment(appointment.id) == appointment
        assert book.business(salon).history.list_appointments(anna) == [appointment]

    def test_recording_emits_an_event_naming_the_appointment(
        self, book: ClientBook, salon: str, anna: str, sink: ListEventSink
    ) -> None:
        appointment = book.business(salon).history.add_appointment(visit(anna, business_id=salon))
        event = sink.events[-1]
        assert (event.kind, event.card_id, event.record_id) == (
            EventKind.APPOINTMENT_RECORDED,
            anna,
            appointment.id,
        )

    def test_an_appointment_needs_a_card_of_the_business(
        self, book: ClientBook, salon: str
    ) -> None:
        with pytest.raises(NotFoundError):
            book.business(salon).history.add_appointment(visit("nobody", business_id=salon))

    def test_an_appointment_id_is_recorded_once(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        appointment = book.business(salon).history.add_appointment(visit(anna, business_id=salon))
        with pytest.raises(DuplicateError):
            book.business(appointment.business_id).history.add_appointment(appointment)

    def test_a_status_change_is_recorded_with_its_time(
        self, book: ClientBook, salon: str, anna: str, clock: FixedClock
    ) -> None:
        appointment = book.business(salon).history.add_appointment(
            visit(anna, business_id=salon, status=BOOKED)
        )
        clock.advance(dt.timedelta(hours=1))
        done = book.business(salon).history.set_appointment_status(
            appointment.id, AppointmentStatus.NO_SHOW
        )
        assert (done.status, done.status_changed_at) == (AppointmentStatus.NO_SHOW, clock.now())
        assert book.business(salon).history.get_appointment(appointment.id) == done

    def test_a_stale_revision_is_refused(self, book: ClientBook, salon: str, anna: str) -> None:
        appointment = book.business(salon).history.add_appointment(visit(anna, business_id=salon))
        book.business(salon).history.set_appointment_status(
            appointment.id, AppointmentStatus.COMPLETED
        )
        with pytest.raises(VersionConflictError):
            book.business(salon).history.set_appointment_status(
                appointment.id, AppointmentStatus.NO_SHOW, expected_revision=1
            )

    def test_an_update_cannot_move_an_appointment_to_another_card(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        other = book.business(salon).cards.add({"first_name": "Bea"}).id
        appointment = book.business(salon).history.add_appointment(visit(anna, business_id=salon))
        moved = visit(other, business_id=salon).__class__(
            **{**_fields(appointment), "card_id": other}
        )
        with pytest.raises(ValidationError) as caught:
            book.business(moved.business_id).history.edit_appointment(moved)
        assert caught.value.codes == {"appointment.card_changed"}

    def test_an_update_names_what_changed(
        self, book: ClientBook, salon: str, anna: str, sink: ListEventSink
    ) -> None:
        appointment = book.business(salon).history.add_appointment(visit(anna, business_id=salon))
        later = appointment.__class__(
            **{**_fields(appointment), "starts_at": appointment.starts_at + dt.timedelta(days=1)}
        )
        book.business(later.business_id).history.edit_appointment(later, expected_revision=1)
        assert sink.events[-1].fields == ("starts_at",)

    def test_sensitive_technical_notes_need_explicit_consent(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        book.business(salon).cards.change_schema(
            lambda schema: schema.add(
                FieldDefinition(
                    key="technical_notes",
                    type=FieldType.LONG_TEXT,
                    labels={"en": "Technical notes"},
                    sensitive=True,
                )
            )
        )
        notes = visit(anna, business_id=salon, technical_notes="scalp condition")
        with pytest.raises(ValidationError) as caught:
            book.business(notes.business_id).history.add_appointment(notes)
        assert caught.value.codes == {"consent.sensitive_without_consent"}
        record(book, salon, anna, purpose=Purpose.SPECIAL_CATEGORY_DATA, channel=None)
        assert book.business(notes.business_id).history.add_appointment(notes) == notes

    def test_plain_technical_notes_need_no_consent(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        notes = visit(anna, business_id=salon, technical_notes="6.1 + 20 vol")
        assert (
            book.business(notes.business_id).history.add_appointment(notes).technical_notes
            == "6.1 + 20 vol"
        )

    def test_deleting_the_card_deletes_its_history(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        appointment = book.business(salon).history.add_appointment(visit(anna, business_id=salon))
        book.business(salon).cards.remove(anna, expected_version=1)
        with pytest.raises(NotFoundError):
            book.business(salon).history.get_appointment(appointment.id)


def _fields(value: object) -> dict[str, object]:
    import attrs

    return attrs.asdict(value, recurse=False)  # type: ignore[arg-type]


def _payment(salon: str, card_id: str, **changes: object) -> Payment:
    values: dict[str, object] = {
        "id": f"p-{len(changes)}-{sorted(changes)}",
        "business_id": salon,
        "card_id": card_id,
        "amount": Money.of("35", "EUR"),
        "at": NOW,
    }
    values.update(changes)
    return Payment(**values)  # type: ignore[arg-type]


class TestHistory:
    def test_history_splits_upcoming_from_past_and_received_from_pending(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        soon = book.business(salon).history.add_appointment(
            visit(anna, business_id=salon, days=1, status=BOOKED)
        )
        done = book.business(salon).history.add_appointment(
            visit(anna, business_id=salon, days=-10)
        )
        missed = book.business(salon).history.add_appointment(
            visit(anna, business_id=salon, days=-5, status=AppointmentStatus.NO_SHOW)
        )
        paid = book.business(salon).history.add_payment(_payment(salon, anna, id="p1"))
        due = book.business(salon).history.add_payment(
            _payment(salon, anna, id="p2", status=PaymentStatus.PENDING)
        )
        history = book.business(salon).history.get(anna)
        assert history.upcoming == (soon,)
        assert history.past == (missed, done)
        assert (history.payments_received, history.payments_pending) == ((paid,), (due,))

    def test_a_pending_payment_can_be_marked_received(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        book.business(salon).history.add_payment(
            _payment(salon, anna, id="p", status=PaymentStatus.PENDING)
        )
        received = book.business(salon).history.set_payment_status(
            "p", PaymentStatus.RECEIVED, at=NOW
        )
        assert book.business(salon).history.list_payments(anna) == [received]

    def test_the_timeline_holds_messages_and_invoices_latest_first(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        message = book.business(salon).history.add_conversation(
            ConversationEntry(
                id="m1",
                business_id=salon,
                card_id=anna,
                at=NOW - dt.timedelta(days=1),
                direction=ConversationDirection.INCOMING,
                summary="Running late",
            )
        )
        book.business(salon).history.add_payment(
            _payment(salon, anna, id="p", invoice_number="2026/1")
        )
        book.business(salon).history.add_payment(_payment(salon, anna, id="q"))
        timeline = book.business(salon).history.timeline(anna)
        assert [(entry.kind, entry.id) for entry in timeline] == [
            (ConversationKind.INVOICE, "p"),
            (ConversationKind.MESSAGE, message.id),
        ]

    def test_shared_documents_are_listed_latest_first(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        first = SharedDocument(
            id="d1",
            business_id=salon,
            card_id=anna,
            title="Consent form",
            ref="doc://1",
            shared_at=NOW - dt.timedelta(days=2),
        )
        second = SharedDocument(
            id="d2",
            business_id=salon,
            card_id=anna,
            title="Care sheet",
            ref="doc://2",
            shared_at=NOW,
        )
        book.business(first.business_id).history.add_document(first)
        book.business(second.business_id).history.add_document(second)
        assert book.business(salon).history.get(anna).documents == (second, first)

    def test_history_of_another_business_card_is_not_found(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        other = book.create_business(name="Other", region="IT", language="it").id
        with pytest.raises(NotFoundError):
            book.business(other).history.get(anna)


class TestStatisticsAndOverview:
    def test_statistics_read_the_clients_appointments(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        book.business(salon).history.add_appointment(
            visit(anna, business_id=salon, days=-3, price="40")
        )
        book.business(salon).history.add_appointment(
            visit(anna, business_id=salon, days=3, status=BOOKED)
        )
        stats = book.business(salon).history.statistics(anna)
        assert (stats.total_spend, stats.future_bookings) == (Money.of("40", "EUR"), 1)

    def test_the_overview_shows_the_top_of_the_card(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        book.business(salon).cards.edit(anna, {"notes": "Allergic to nickel"}, expected_version=1)
        next_visit = book.business(salon).history.add_appointment(
            visit(anna, business_id=salon, days=1, status=BOOKED)
        )
        last = book.business(salon).history.add_appointment(
            visit(anna, business_id=salon, days=-7, price="50")
        )
        overview = book.business(salon).history.overview(anna)
        assert overview.display_name == "Anna"
        assert overview.next_bookings == (next_visit,)
        assert overview.average_spend == Money.of("50", "EUR")
        assert overview.last_appointment == last.starts_at
        assert overview.important_notes == "Allergic to nickel"
        assert overview.blocked is False


class TestAggregates:
    def _client(self, book: ClientBook, salon: str, name: str, *, profiling: bool) -> str:
        if not book.business(salon).groups.list():
            book.business(salon).groups.add(key="vip", label="VIP")
        card = book.business(salon).cards.add(
            {"first_name": name, "client_group": "vip", "referral_source": "friend"}
        )
        if profiling:
            record(book, salon, card.id, purpose=Purpose.PROFILING, channel=None)
        book.business(salon).history.add_appointment(
            visit(card.id, business_id=salon, days=-40, price="80")
        )
        return card.id

    def test_aggregates_count_clients_who_allow_profiling(
        self, book: ClientBook, salon: str
    ) -> None:
        self._client(book, salon, "Bea", profiling=True)
        result = book.business(salon).history.aggregates(currency="EUR")
        assert result.clients == 1
        assert result.spend_by_group == {"vip": Money.of("80", "EUR")}

    def test_a_client_without_profiling_consent_changes_no_aggregate(
        self, book: ClientBook, salon: str
    ) -> None:
        self._client(book, salon, "Bea", profiling=True)
        before = book.business(salon).history.aggregates(currency="EUR")
        self._client(book, salon, "Carla", profiling=False)
        assert book.business(salon).history.aggregates(currency="EUR") == before

    def test_withdrawing_profiling_consent_takes_a_client_out(
        self, book: ClientBook, salon: str
    ) -> None:
        card_id = self._client(book, salon, "Bea", profiling=True)
        record(
            book,
            salon,
            card_id,
            action=ConsentAction.WITHDRAW,
            purpose=Purpose.PROFILING,
            channel=None,
        )
        assert book.business(salon).history.aggregates(currency="EUR").clients == 0
