"""The history service: one business's appointments, payments, documents and conversations.

A host reaches it as ``book.business(id).history``. It records what happened with a
client (clientcard never invents a booking), reads it back as a card's history tab, a
timeline or the header of a card, and draws statistics from it: one client's figures
for staff, and aggregates over only the clients whose consent allows profiling.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import attrs

from clientcard._core import Service, as_enum, as_id
from clientcard.cards.card import ClientCard
from clientcard.consent import PROFILING_PERMISSION, Purpose, replay
from clientcard.errors import ValidationError
from clientcard.events import EventKind
from clientcard.history.model import (
    APPOINTMENT_KIND,
    CONVERSATION_KIND,
    DOCUMENT_KIND,
    PAYMENT_KIND,
    Appointment,
    AppointmentStatus,
    ConversationDirection,
    ConversationEntry,
    ConversationKind,
    Payment,
    PaymentStatus,
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
)
from clientcard.history.statistics import (
    Aggregates,
    ClientStatistics,
    aggregates_from_figures,
    client_statistics,
    statistics_from_figures,
)
from clientcard.history.views import CardOverview, ClientHistory
from clientcard.storage.records import RecordQuery

__all__ = ["HistoryService"]

_OVERVIEW_BOOKINGS: Final = 3
_TREND_MONTHS: Final = 12


class HistoryService(Service):
    """Appointments, payments, documents, conversations and statistics of one business.

    Reached as ``book.business(id).history``; every call is scoped to that business.
    Values recorded through it (an :class:`~clientcard.history.model.Appointment`, a
    :class:`~clientcard.history.model.Payment`, ...) carry their own ``business_id``,
    which must be this service's.

    .. versionadded:: 0.1.0
    """

    # -- helpers ------------------------------------------------------------------------

    def _check_business(self, name: str, business_id: str) -> None:
        """Refuse a value made for another business: this service writes only its own."""
        if business_id != self.business_id:
            raise ValueError(
                f"{name}.business_id is {business_id!r}, "
                f"not this service's business {self.business_id!r}"
            )

    def _card(self, card_id: str) -> ClientCard:
        return self._core.store.get(self.business_id, card_id)

    def _history_event(
        self, kind: EventKind, card: ClientCard, record_id: str, fields: list[str] | None = None
    ) -> None:
        event = self._core.event(kind, self.business_id, card, fields, record_id=record_id)
        self._core.store_events([event])

    def _check_technical_notes(
        self, appointment: Appointment, previous: Appointment | None = None
    ) -> None:
        """New or changed sensitive technical notes need explicit (Art. 9) consent.

        Notes already kept don't block other changes (a cancellation after the
        client withdrew): removing them is the business's call, not a side effect.
        """
        if appointment.technical_notes is None:
            return
        if previous is not None and previous.technical_notes == appointment.technical_notes:
            return
        business = self._core.store.get_business(self.business_id)
        if "technical_notes" not in business.schema.sensitive_keys:
            return
        state = replay(self._core.store.consent_events(self.business_id, appointment.card_id))
        if not state.is_granted(Purpose.SPECIAL_CATEGORY_DATA, None):
            raise ValidationError.of("technical_notes", "consent.sensitive_without_consent")

    # -- appointments -------------------------------------------------------------------

    def add_appointment(
        self,
        appointment: Appointment,
        *,
        override_block: bool = False,
        by: str | None = None,
    ) -> Appointment:
        """Record a booking (or a past visit) the host made for an existing card.

        A booking still to come (status ``booked``, starting now or later) asks the
        blacklist first, at the appointment's location: a block on the card, or on
        anyone sharing its e-mail address or a phone number, refuses it. Staff may book
        the client all the same with ``override_block=True`` and ``by=`` their id (the
        audit trail records it). A visit already made is history and is recorded as it is.

        :raises ValueError: ``appointment.business_id`` is not this service's business.
        :raises NotFoundError: the card is not in the business.
        :raises DuplicateError: the appointment id is taken.
        :raises BlockedClientError: a block applies to a booking still to come.
        :raises ValidationError: ``consent.sensitive_without_consent`` for technical
            notes the schema marks sensitive, without the client's explicit consent;
            ``by`` for an override that names nobody.
        """
        self._check_business("appointment", appointment.business_id)

        def work() -> Appointment:
            card = self._card(appointment.card_id)
            decision = None
            if (
                appointment.status is AppointmentStatus.BOOKED
                and appointment.starts_at >= self._core.clock.now()
            ):
                decision = self._business.blacklist.check_booking(
                    card_id=card.id,
                    location_id=appointment.location_id,
                    override_block=override_block,
                    by=by,
                )
            self._check_technical_notes(appointment)
            self._core.store.add_records([appointment_to_record(appointment)])
            self._history_event(EventKind.APPOINTMENT_RECORDED, card, appointment.id)
            if decision is not None:
                self._business.blacklist.record_override(
                    decision, card_id=card.id, by=str(by), via="history.add_appointment"
                )
            return appointment

        return self._core.write(work, queue=self._business.blacklist.booking_queue(override_block))

    def get_appointment(self, appointment_id: str) -> Appointment:
        """Return one appointment. :raises NotFoundError: no such appointment."""
        appointment_id = as_id("appointment_id", appointment_id)
        return appointment_from_record(
            self._core.store.get_record(self.business_id, APPOINTMENT_KIND, appointment_id)
        )

    def edit_appointment(
        self, appointment: Appointment, *, expected_revision: int | None = None
    ) -> Appointment:
        """Replace an appointment (moved, services changed, notes added).

        With ``expected_revision`` the change applies only if nobody changed the
        appointment since that revision; without, it applies to the current one.

        :raises ValueError: ``appointment.business_id`` is not this service's business.
        :raises NotFoundError: no such appointment.
        :raises VersionConflictError: the stored revision is not ``expected_revision``.
        :raises ValidationError: it would move to another card; or
            ``consent.sensitive_without_consent`` for new sensitive technical notes
            without the client's explicit consent.
        """
        self._check_business("appointment", appointment.business_id)

        def work() -> Appointment:
            store = self._core.store
            stored = store.get_record(self.business_id, APPOINTMENT_KIND, appointment.id)
            if stored.card_id != appointment.card_id:
                raise ValidationError.of("card_id", "appointment.card_changed")
            previous = appointment_from_record(stored)
            self._check_technical_notes(appointment, previous)
            revision = stored.revision if expected_revision is None else expected_revision
            record = appointment_to_record(appointment, revision=revision + 1)
            store.update_record(record, expected_revision=revision)
            changed = sorted(
                name
                for name in attrs.fields_dict(Appointment)
                if getattr(previous, name) != getattr(appointment, name)
            )
            card = self._card(appointment.card_id)
            self._history_event(EventKind.APPOINTMENT_CHANGED, card, appointment.id, changed)
            return appointment

        return self._core.write(work)

    def set_appointment_status(
        self,
        appointment_id: str,
        status: AppointmentStatus | str,
        *,
        expected_revision: int | None = None,
    ) -> Appointment:
        """Mark an appointment completed, cancelled (by either side), missed or booked.

        ``status`` is an :class:`~clientcard.history.model.AppointmentStatus` or its
        value (``"completed"``).

        :raises NotFoundError: no such appointment.
        :raises VersionConflictError: the stored revision is not ``expected_revision``.
        :raises ValueError: ``status`` is not an appointment status.
        """
        appointment_id = as_id("appointment_id", appointment_id)
        new_status = as_enum(AppointmentStatus, "status", status)

        def work() -> Appointment:
            current = self.get_appointment(appointment_id)
            changed = current.with_status(new_status, self._core.clock.now())
            return self.edit_appointment(changed, expected_revision=expected_revision)

        return self._core.write(work)

    def list_appointments(
        self,
        card_id: str,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[Appointment]:
        """Return a client's appointments starting in ``[since, until)``, oldest first."""
        card_id = as_id("card_id", card_id)
        query = RecordQuery(kind=APPOINTMENT_KIND, card_id=card_id, since=since, until=until)
        records = self._core.iter_records(self.business_id, query)
        return [appointment_from_record(record) for record in records]

    # -- payments, documents, conversations ----------------------------------------------

    def add_payment(self, payment: Payment) -> Payment:
        """Record money received from a client, or due from them.

        :raises ValueError: ``payment.business_id`` is not this service's business.
        :raises NotFoundError: the card is not in the business.
        :raises DuplicateError: the payment id is taken.
        """
        self._check_business("payment", payment.business_id)

        def work() -> Payment:
            card = self._card(payment.card_id)
            self._core.store.add_records([payment_to_record(payment)])
            self._history_event(EventKind.PAYMENT_RECORDED, card, payment.id)
            return payment

        return self._core.write(work)

    def set_payment_status(
        self, payment_id: str, status: PaymentStatus | str, *, at: dt.datetime
    ) -> Payment:
        """Mark a payment received (at ``at``), pending or refunded.

        ``status`` is a :class:`~clientcard.history.model.PaymentStatus` or its value.

        :raises NotFoundError: no such payment.
        :raises ValueError: ``status`` is not a payment status.
        """
        payment_id = as_id("payment_id", payment_id)
        new_status = as_enum(PaymentStatus, "status", status)

        def work() -> Payment:
            store = self._core.store
            stored = store.get_record(self.business_id, PAYMENT_KIND, payment_id)
            payment = attrs.evolve(payment_from_record(stored), status=new_status, at=at)
            record = payment_to_record(payment, revision=stored.revision + 1)
            store.update_record(record, expected_revision=stored.revision)
            card = self._card(payment.card_id)
            self._history_event(EventKind.PAYMENT_CHANGED, card, payment.id, ["status"])
            return payment

        return self._core.write(work)

    def list_payments(self, card_id: str) -> list[Payment]:
        """Return a client's payments, oldest first."""
        card_id = as_id("card_id", card_id)
        query = RecordQuery(kind=PAYMENT_KIND, card_id=card_id)
        records = self._core.iter_records(self.business_id, query)
        return [payment_from_record(record) for record in records]

    def add_document(self, document: SharedDocument) -> SharedDocument:
        """Record that a document was shared with a client (the reference only).

        :raises ValueError: ``document.business_id`` is not this service's business.
        :raises NotFoundError: the card is not in the business.
        """
        self._check_business("document", document.business_id)

        def work() -> SharedDocument:
            card = self._card(document.card_id)
            self._core.store.add_records([document_to_record(document)])
            self._history_event(EventKind.DOCUMENT_SHARED, card, document.id)
            return document

        return self._core.write(work)

    def add_conversation(self, entry: ConversationEntry) -> ConversationEntry:
        """Put a message (either way) or a note on a client's timeline.

        Messages the dispatcher delivers are filed by the dispatcher itself.

        :raises ValueError: ``entry.business_id`` is not this service's business.
        :raises NotFoundError: the card is not in the business.
        """
        self._check_business("entry", entry.business_id)

        def work() -> ConversationEntry:
            card = self._card(entry.card_id)
            self._core.store.add_records([conversation_to_record(entry)])
            self._history_event(EventKind.CONVERSATION_RECORDED, card, entry.id)
            return entry

        return self._core.write(work)

    # -- reading a client's history -----------------------------------------------------

    def timeline(self, card_id: str) -> list[ConversationEntry]:
        """Return a client's messages and invoices, latest first.

        Invoices are the payments with an invoice number, shown as entries of kind
        ``invoice`` with the payment's id.
        """
        card_id = as_id("card_id", card_id)
        query = RecordQuery(kind=CONVERSATION_KIND, card_id=card_id)
        records = self._core.iter_records(self.business_id, query)
        entries = [conversation_from_record(record) for record in records]
        entries.extend(
            ConversationEntry(
                id=payment.id,
                business_id=self.business_id,
                card_id=card_id,
                at=payment.at,
                direction=ConversationDirection.OUTGOING,
                kind=ConversationKind.INVOICE,
                summary=payment.invoice_number,
                payment_id=payment.id,
            )
            for payment in self.list_payments(card_id)
            if payment.invoice_number is not None
        )
        return sorted(entries, key=lambda entry: (entry.at, entry.id), reverse=True)

    def get(self, card_id: str) -> ClientHistory:
        """Return a client's whole history as of now.

        :raises NotFoundError: the card is not in the business.
        """
        card_id = as_id("card_id", card_id)
        self._card(card_id)
        now = self._core.clock.now()
        visits = self.list_appointments(card_id)
        upcoming = tuple(
            visit
            for visit in visits
            if visit.starts_at >= now and visit.status is AppointmentStatus.BOOKED
        )
        past = tuple(visit for visit in reversed(visits) if visit not in upcoming)
        payments = self.list_payments(card_id)
        query = RecordQuery(kind=DOCUMENT_KIND, card_id=card_id)
        records = self._core.iter_records(self.business_id, query)
        documents = [document_from_record(record) for record in records]
        return ClientHistory(
            upcoming=upcoming,
            past=past,
            payments_received=tuple(p for p in payments if p.status is PaymentStatus.RECEIVED),
            payments_pending=tuple(p for p in payments if p.status is PaymentStatus.PENDING),
            documents=tuple(reversed(documents)),
            timeline=tuple(self.timeline(card_id)),
        )

    # -- statistics ---------------------------------------------------------------------

    def statistics(self, card_id: str, *, currency: str | None = None) -> ClientStatistics:
        """Return one client's statistics as of now (see :mod:`clientcard.history.statistics`).

        A client's own figures are shown to staff whatever their profiling consent;
        only aggregates and market research need it.

        :raises NotFoundError: the card is not in the business.
        :raises ValidationError: ``money.currency_mismatch`` when appointments (or
            ``currency``) disagree on the currency.
        """
        card_id = as_id("card_id", card_id)
        card = self._card(card_id)
        # The business's wall clock: months are counted where it is.
        now = self._local_now()
        # The store sums the appointments (in SQL on the database stores); the figures
        # are turned into what client_statistics would compute from the appointments.
        figures = self._core.store.visit_figures(
            self.business_id, card_id, now=now, months=_TREND_MONTHS
        )
        return statistics_from_figures(
            figures, now=now, client_since=card.created_at, currency=currency, months=_TREND_MONTHS
        )

    def aggregates(self, *, currency: str, cohort_months: int = 6) -> Aggregates:
        """Aggregate the appointments of every client whose consent allows profiling.

        A client without profiling consent is left out entirely: their absence is the
        only trace they leave, and no figure counts them. The store sums the figures
        (in one SQL statement on the database stores) over the cards whose stored
        permissions include profiling, so no one else's appointments are even read.

        :raises ValidationError: ``money.currency_mismatch`` for an appointment of a
            profiling client in another currency.
        """
        now = self._local_now()  # months where the business is
        figures = self._core.store.audience_figures(
            self.business_id, audience=PROFILING_PERMISSION, now=now, currency=currency
        )
        return aggregates_from_figures(
            figures, now=now, currency=currency, cohort_months=cohort_months
        )

    def _local_now(self) -> dt.datetime:
        """Now on the business's wall clock: statistics count months where it is."""
        return self._business.details().local(self._core.clock.now())

    # -- overview -----------------------------------------------------------------------

    def overview(self, card_id: str) -> CardOverview:
        """Return what a host shows at the top of a card.

        :raises NotFoundError: the card is not in the business.
        """
        card_id = as_id("card_id", card_id)
        card = self._card(card_id)
        now = self._core.clock.now()
        visits = self.list_appointments(card_id)
        stats = client_statistics(visits, now=self._local_now(), client_since=card.created_at)
        upcoming = tuple(
            visit
            for visit in visits
            if visit.starts_at >= now and visit.status is AppointmentStatus.BOOKED
        )
        blocked = self._business.blacklist.is_blocked(card_id)
        promotions = self._business.promotions.active_for(card_id, at=now)
        return CardOverview(
            card_id=card.id,
            display_name=card.display_name,
            picture=card.picture,
            status=card.status,
            next_bookings=upcoming[:_OVERVIEW_BOOKINGS],
            future_bookings=stats.future_bookings,
            average_spend=stats.average_spend,
            last_appointment=stats.last_appointment,
            important_notes=card.notes,
            blocked=blocked,
            active_promotions=tuple(promotion.code for promotion in promotions),
        )
