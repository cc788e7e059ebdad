"""History values: what they accept, and their records round-trip."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from clientcard.contact.name import normalize_text
from clientcard.errors import DocumentError, InvalidValueError, ValidationError
from clientcard.history.model import (
    Appointment,
    AppointmentStatus,
    ConversationDirection,
    ConversationEntry,
    Payment,
    PaymentStatus,
    ServiceLine,
    SharedDocument,
)
from clientcard.history.records import (
    appointment_from_record,
    appointment_to_record,
    conversation_from_record,
    conversation_to_record,
    document_from_record,
    document_to_record,
    payment_from_record,
    payment_to_record,
    visit_from_record,
)
from clientcard.money import Money
from tests.history.helpers import visit
from tests.support import NOW


class TestAppointment:
    def test_its_price_is_the_sum_of_its_services(self) -> None:
        two = visit("c").services * 2
        appointment = Appointment(
            id="a", business_id="b", card_id="c", starts_at=NOW, duration_minutes=60, services=two
        )
        assert appointment.price == Money.of("60", "EUR")

    def test_spend_counts_only_a_completed_appointment(self) -> None:
        assert visit("c", status=AppointmentStatus.BOOKED).spend == Money.zero("EUR")
        assert visit("c", status=AppointmentStatus.NO_SHOW).spend == Money.zero("EUR")
        assert visit("c").spend == Money.of("30", "EUR")

    def test_spend_prefers_the_price_paid(self) -> None:
        assert visit("c", price_paid="25").spend == Money.of("25", "EUR")

    def test_a_naive_start_is_refused(self) -> None:
        with pytest.raises(ValidationError) as caught:
            visit("c").__class__(
                id="a",
                business_id="b",
                card_id="c",
                starts_at=dt.datetime(2026, 1, 1),
                duration_minutes=30,
                services=visit("c").services,
            )
        assert caught.value.codes == {"time.naive"}

    @pytest.mark.parametrize("minutes", [-1, 24 * 60 + 1])
    def test_a_duration_outside_a_day_is_refused(self, minutes: int) -> None:
        with pytest.raises(ValidationError) as caught:
            Appointment(
                id="a",
                business_id="b",
                card_id="c",
                starts_at=NOW,
                duration_minutes=minutes,
                services=visit("c").services,
            )
        assert caught.value.codes == {"appointment.duration_invalid"}

    def test_an_appointment_needs_a_service(self) -> None:
        with pytest.raises(ValidationError) as caught:
            Appointment(
                id="a",
                business_id="b",
                card_id="c",
                starts_at=NOW,
                duration_minutes=30,
                services=(),
            )
        assert caught.value.codes == {"appointment.no_service"}

    def test_mixed_currencies_are_refused(self) -> None:
        dollars = ServiceLine(service_id="x", name="X", price=Money.of("1", "USD"))
        with pytest.raises(ValidationError) as caught:
            Appointment(
                id="a",
                business_id="b",
                card_id="c",
                starts_at=NOW,
                duration_minutes=30,
                services=(*visit("c").services, dollars),
            )
        assert caught.value.codes == {"money.currency_mismatch"}

    def test_notes_are_cleaned_and_an_empty_note_is_none(self) -> None:
        assert visit("c", notes="  6.1 +  20 vol  ").notes == "6.1 + 20 vol"
        assert visit("c", technical_notes="   ").technical_notes is None

    def test_a_note_with_a_nul_names_its_field(self) -> None:
        with pytest.raises(ValidationError) as caught:
            visit("c", technical_notes="a\x00b")
        assert caught.value.fields == {"technical_notes"}

    def test_the_repr_leaves_notes_out(self) -> None:
        assert "secret" not in repr(visit("c", notes="secret"))

    def test_team_members_lists_each_once(self) -> None:
        appointment = visit("c", team_member_id="t1")
        assert appointment.team_members() == ("t1",)


class TestPayment:
    def test_a_negative_payment_is_refused(self) -> None:
        with pytest.raises(ValidationError) as caught:
            Payment(id="p", business_id="b", card_id="c", amount=Money.of("-1", "EUR"), at=NOW)
        assert caught.value.codes == {"payment.negative"}

    def test_tax_in_another_currency_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            Payment(
                id="p",
                business_id="b",
                card_id="c",
                amount=Money.of("10", "EUR"),
                at=NOW,
                tax_amount=Money.of("1", "USD"),
            )


_texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=40)


class TestRecords:
    @given(
        minutes=st.integers(0, 24 * 60),
        status=st.sampled_from(AppointmentStatus),
        cents=st.integers(0, 10**8),
        notes=_texts,
        offset=st.integers(-(10**9), 10**9),
    )
    def test_an_appointment_round_trips_through_its_record(
        self, minutes: int, status: AppointmentStatus, cents: int, notes: str, offset: int
    ) -> None:
        try:
            normalize_text(notes, 4000, multiline=True)
        except InvalidValueError:
            assume(False)
        appointment = Appointment(
            id="a",
            business_id="b",
            card_id="c",
            starts_at=NOW + dt.timedelta(seconds=offset),
            duration_minutes=minutes,
            services=(ServiceLine(service_id="s", name="S", price=Money.of(cents, "EUR") * 1),),
            status=status,
            notes=notes,
            technical_notes=notes,
            price_paid=Money.of(cents // 2, "EUR"),
        )
        assert appointment_from_record(appointment_to_record(appointment)) == appointment

    def test_a_payment_round_trips_through_its_record(self) -> None:
        payment = Payment(
            id="p",
            business_id="b",
            card_id="c",
            amount=Money.of("35.50", "EUR"),
            at=NOW,
            status=PaymentStatus.PENDING,
            invoice_number="2026/17",
            tax_amount=Money.of("6.40", "EUR"),
        )
        record = payment_to_record(payment)
        assert record.key == "2026/17"
        assert payment_from_record(record) == payment

    def test_a_document_and_a_conversation_round_trip(self) -> None:
        document = SharedDocument(
            id="d", business_id="b", card_id="c", title="Care sheet", ref="s3://x", shared_at=NOW
        )
        entry = ConversationEntry(
            id="m",
            business_id="b",
            card_id="c",
            at=NOW,
            direction=ConversationDirection.INCOMING,
            summary="Can I move to Friday?",
        )
        assert document_from_record(document_to_record(document)) == document
        assert conversation_from_record(conversation_to_record(entry)) == entry

    def test_a_record_of_another_kind_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            payment_from_record(appointment_to_record(visit("c")))

    def test_a_damaged_document_is_a_document_error(self) -> None:
        record = appointment_to_record(visit("c"))
        damaged = record.revised({**record.doc, "duration_minutes": "long"})
        with pytest.raises(DocumentError):
            appointment_from_record(damaged)


class TestVisitFacts:
    @given(
        status=st.sampled_from(AppointmentStatus),
        cents=st.integers(0, 10**7),
        paid=st.none() | st.integers(0, 10**7),
    )
    def test_the_light_read_agrees_with_the_appointment(
        self, status: AppointmentStatus, cents: int, paid: int | None
    ) -> None:
        appointment = Appointment(
            id="a",
            business_id="b",
            card_id="c",
            starts_at=NOW,
            duration_minutes=30,
            services=(ServiceLine(service_id="s", name="S", price=Money.of(cents, "EUR")),) * 2,
            status=status,
            price_paid=None if paid is None else Money.of(paid, "EUR"),
        )
        facts = visit_from_record(appointment_to_record(appointment))
        assert (facts.starts_at, facts.status, facts.spend, facts.currency) == (
            appointment.starts_at,
            appointment.status,
            appointment.spend,
            "EUR",
        )

    def test_another_kind_of_record_is_refused(self) -> None:
        payment = Payment(id="p", business_id="b", card_id="c", amount=Money.of(1, "EUR"), at=NOW)
        with pytest.raises(ValidationError):
            visit_from_record(payment_to_record(payment))
