"""History, statistics and the card overview of :class:`~clientcard.book.ClientBook`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Final, TypeVar

import attrs

from clientcard._book_consent import PROFILING_PERMISSION
from clientcard.card import CardStatus, ClientCard
from clientcard.consent import Purpose, replay
from clientcard.errors import ValidationError
from clientcard.events import DomainEvent, EventKind
from clientcard.history import (
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
from clientcard.stats import Aggregates, ClientFacts, ClientStatistics, aggregate, client_statistics
from clientcard.storage.protocol import CardQuery
from clientcard.storage.records import Record, RecordQuery

if TYPE_CHECKING:
    from clientcard.clock import Clock
    from clientcard.promotions import Promotion
    from clientcard.storage.protocol import ClientStore

__all__ = ["CardOverview", "ClientHistory", "HistoryMixin"]

T = TypeVar("T")

_PAGE: Final = 500
_OVERVIEW_BOOKINGS: Final = 3


@attrs.frozen
class ClientHistory:
    """Everything that happened with one client, as a card's history tab shows it.

    .. versionadded:: 0.1.0
    """

    upcoming: tuple[Appointment, ...]
    """Booked appointments from now on, soonest first."""
    past: tuple[Appointment, ...]
    """Every other appointment, latest first."""
    payments_received: tuple[Payment, ...]
    payments_pending: tuple[Payment, ...]
    documents: tuple[SharedDocument, ...]
    timeline: tuple[ConversationEntry, ...]
    """Messages either way and invoices, latest first."""


@attrs.frozen
class CardOverview:
    """What a host shows at the top of a card.

    ``important_notes`` are the card's notes; ``blocked`` whether a block applies now.

    .. versionadded:: 0.1.0
    """

    card_id: str
    display_name: str
    picture: str | None
    status: CardStatus
    next_bookings: tuple[Appointment, ...]
    future_bookings: int
    average_spend: Money | None
    last_appointment: dt.datetime | None
    important_notes: str
    blocked: bool
    active_promotions: tuple[str, ...] = ()
    """The codes of the promotions the client could redeem now."""


class HistoryMixin:
    """History operations of :class:`~clientcard.book.ClientBook` (see its docs).

    .. versionadded:: 0.1.0
    """

    if TYPE_CHECKING:
        # What ClientBook provides; declared so the type checker can follow the mixin.
        store: ClientStore
        clock: Clock
        _new_id: Callable[[], str]

        def _write(self, work: Callable[[], T]) -> T: ...
        def store_events(self, events: list[DomainEvent]) -> None: ...
        def _event(
            self,
            kind: EventKind,
            business_id: str,
            card: ClientCard | None = None,
            fields: list[str] | None = None,
        ) -> DomainEvent: ...
        def get(self, business_id: str, card_id: str) -> ClientCard: ...
        def is_blocked(self, business_id: str, card_id: str) -> bool: ...
        def active_promotions(
            self, business_id: str, card_id: str, *, at: dt.datetime | None = None
        ) -> list[Promotion]: ...

    # -- helpers ------------------------------------------------------------------------

    def _history_event(
        self, kind: EventKind, card: ClientCard, record_id: str, fields: list[str] | None = None
    ) -> None:
        event = attrs.evolve(self._event(kind, card.business_id, card, fields), record_id=record_id)
        self.store_events([event])

    def _records(self, business_id: str, query: RecordQuery) -> Iterator[Record]:
        cursor: str | None = None
        while True:
            page = self.store.find_records(business_id, query, limit=_PAGE, cursor=cursor)
            yield from page
            cursor = page.next_cursor
            if cursor is None:
                return

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
        business = self.store.get_business(appointment.business_id)
        if "technical_notes" not in business.schema.sensitive_keys:
            return
        state = replay(self.store.consent_events(appointment.business_id, appointment.card_id))
        if not state.is_granted(Purpose.SPECIAL_CATEGORY_DATA, None):
            code = "consent.sensitive_without_consent"
            raise ValidationError.of("technical_notes", code)

    # -- appointments -------------------------------------------------------------------

    def record_appointment(self, appointment: Appointment) -> Appointment:
        """Record a booking (or a past visit) the host made for an existing card.

        :raises NotFoundError: the card is not in the business.
        :raises DuplicateError: the appointment id is taken.
        :raises ValidationError: ``consent.sensitive_without_consent`` for technical
            notes the schema marks sensitive, without the client's explicit consent.
        """

        def work() -> Appointment:
            card = self.store.get(appointment.business_id, appointment.card_id)
            self._check_technical_notes(appointment)
            self.store.add_records([appointment_to_record(appointment)])
            self._history_event(EventKind.APPOINTMENT_RECORDED, card, appointment.id)
            return appointment

        return self._write(work)

    def appointment(self, business_id: str, appointment_id: str) -> Appointment:
        """Return one appointment. :raises NotFoundError: no such appointment."""
        return appointment_from_record(
            self.store.get_record(business_id, APPOINTMENT_KIND, appointment_id)
        )

    def update_appointment(
        self, appointment: Appointment, *, expected_revision: int | None = None
    ) -> Appointment:
        """Replace an appointment (moved, services changed, notes added).

        With ``expected_revision`` the change applies only if nobody changed the
        appointment since that revision; without, it applies to the current one.

        :raises NotFoundError: no such appointment.
        :raises VersionConflictError: the stored revision is not ``expected_revision``.
        :raises ValidationError: it would move to another card or business.
        """

        def work() -> Appointment:
            stored = self.store.get_record(
                appointment.business_id, APPOINTMENT_KIND, appointment.id
            )
            if stored.card_id != appointment.card_id:
                raise ValidationError.of("card_id", "appointment.card_changed")
            previous = appointment_from_record(stored)
            self._check_technical_notes(appointment, previous)
            revision = stored.revision if expected_revision is None else expected_revision
            record = appointment_to_record(appointment, revision=revision + 1)
            self.store.update_record(record, expected_revision=revision)
            changed = sorted(
                name
                for name in attrs.fields_dict(Appointment)
                if getattr(previous, name) != getattr(appointment, name)
            )
            card = self.store.get(appointment.business_id, appointment.card_id)
            self._history_event(EventKind.APPOINTMENT_CHANGED, card, appointment.id, changed)
            return appointment

        return self._write(work)

    def set_appointment_status(
        self,
        business_id: str,
        appointment_id: str,
        status: AppointmentStatus,
        *,
        expected_revision: int | None = None,
    ) -> Appointment:
        """Mark an appointment completed, cancelled (by either side), missed or booked.

        :raises NotFoundError: no such appointment.
        :raises VersionConflictError: the stored revision is not ``expected_revision``.
        """

        def work() -> Appointment:
            current = self.appointment(business_id, appointment_id)
            changed = current.with_status(status, self.clock.now())
            return self.update_appointment(changed, expected_revision=expected_revision)

        return self._write(work)

    def appointments(
        self,
        business_id: str,
        card_id: str,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[Appointment]:
        """Return a client's appointments starting in ``[since, until)``, oldest first."""
        query = RecordQuery(kind=APPOINTMENT_KIND, card_id=card_id, since=since, until=until)
        return [appointment_from_record(record) for record in self._records(business_id, query)]

    # -- payments, documents, conversations ----------------------------------------------

    def record_payment(self, payment: Payment) -> Payment:
        """Record money received from a client, or due from them.

        :raises NotFoundError: the card is not in the business.
        :raises DuplicateError: the payment id is taken.
        """

        def work() -> Payment:
            card = self.store.get(payment.business_id, payment.card_id)
            self.store.add_records([payment_to_record(payment)])
            self._history_event(EventKind.PAYMENT_RECORDED, card, payment.id)
            return payment

        return self._write(work)

    def set_payment_status(
        self, business_id: str, payment_id: str, status: PaymentStatus, *, at: dt.datetime
    ) -> Payment:
        """Mark a payment received (at ``at``), pending or refunded.

        :raises NotFoundError: no such payment.
        """

        def work() -> Payment:
            stored = self.store.get_record(business_id, PAYMENT_KIND, payment_id)
            payment = attrs.evolve(payment_from_record(stored), status=status, at=at)
            record = payment_to_record(payment, revision=stored.revision + 1)
            self.store.update_record(record, expected_revision=stored.revision)
            card = self.store.get(business_id, payment.card_id)
            self._history_event(EventKind.PAYMENT_CHANGED, card, payment.id, ["status"])
            return payment

        return self._write(work)

    def payments(self, business_id: str, card_id: str) -> list[Payment]:
        """Return a client's payments, oldest first."""
        query = RecordQuery(kind=PAYMENT_KIND, card_id=card_id)
        return [payment_from_record(record) for record in self._records(business_id, query)]

    def share_document(self, document: SharedDocument) -> SharedDocument:
        """Record that a document was shared with a client (the reference only).

        :raises NotFoundError: the card is not in the business.
        """

        def work() -> SharedDocument:
            card = self.store.get(document.business_id, document.card_id)
            self.store.add_records([document_to_record(document)])
            self._history_event(EventKind.DOCUMENT_SHARED, card, document.id)
            return document

        return self._write(work)

    def record_conversation(self, entry: ConversationEntry) -> ConversationEntry:
        """Put a message (either way) or a note on a client's timeline.

        Messages the dispatcher delivers are filed by the dispatcher itself.

        :raises NotFoundError: the card is not in the business.
        """

        def work() -> ConversationEntry:
            card = self.store.get(entry.business_id, entry.card_id)
            self.store.add_records([conversation_to_record(entry)])
            self._history_event(EventKind.CONVERSATION_RECORDED, card, entry.id)
            return entry

        return self._write(work)

    def timeline(self, business_id: str, card_id: str) -> list[ConversationEntry]:
        """Return a client's messages and invoices, latest first.

        Invoices are the payments with an invoice number, shown as entries of kind
        ``invoice`` with the payment's id.
        """
        query = RecordQuery(kind=CONVERSATION_KIND, card_id=card_id)
        entries = [conversation_from_record(record) for record in self._records(business_id, query)]
        entries.extend(
            ConversationEntry(
                id=payment.id,
                business_id=business_id,
                card_id=card_id,
                at=payment.at,
                direction=ConversationDirection.OUTGOING,
                kind=ConversationKind.INVOICE,
                summary=payment.invoice_number,
                payment_id=payment.id,
            )
            for payment in self.payments(business_id, card_id)
            if payment.invoice_number is not None
        )
        return sorted(entries, key=lambda entry: (entry.at, entry.id), reverse=True)

    def history(self, business_id: str, card_id: str) -> ClientHistory:
        """Return a client's whole history as of now.

        :raises NotFoundError: the card is not in the business.
        """
        self.store.get(business_id, card_id)
        now = self.clock.now()
        visits = self.appointments(business_id, card_id)
        upcoming = tuple(
            visit
            for visit in visits
            if visit.starts_at >= now and visit.status is AppointmentStatus.BOOKED
        )
        past = tuple(visit for visit in reversed(visits) if visit not in upcoming)
        payments = self.payments(business_id, card_id)
        query = RecordQuery(kind=DOCUMENT_KIND, card_id=card_id)
        documents = [document_from_record(record) for record in self._records(business_id, query)]
        return ClientHistory(
            upcoming=upcoming,
            past=past,
            payments_received=tuple(p for p in payments if p.status is PaymentStatus.RECEIVED),
            payments_pending=tuple(p for p in payments if p.status is PaymentStatus.PENDING),
            documents=tuple(reversed(documents)),
            timeline=tuple(self.timeline(business_id, card_id)),
        )

    # -- statistics ---------------------------------------------------------------------

    def statistics(
        self, business_id: str, card_id: str, *, currency: str | None = None
    ) -> ClientStatistics:
        """Return one client's statistics as of now (see :mod:`clientcard.stats`).

        A client's own figures are shown to staff whatever their profiling consent;
        only aggregates and market research need it.

        :raises NotFoundError: the card is not in the business.
        """
        card = self.store.get(business_id, card_id)
        return client_statistics(
            self.appointments(business_id, card_id),
            now=self.clock.now(),
            client_since=card.created_at,
            currency=currency,
        )

    def aggregates(self, business_id: str, *, currency: str, cohort_months: int = 6) -> Aggregates:
        """Aggregate the appointments of every client whose consent allows profiling.

        A client without profiling consent is left out entirely: their absence is the
        only trace they leave, and no figure counts them.
        """
        return aggregate(
            self._profiling_clients(business_id),
            now=self.clock.now(),
            currency=currency,
            cohort_months=cohort_months,
        )

    def _profiling_clients(self, business_id: str) -> Iterator[ClientFacts]:
        query = CardQuery(contactable=PROFILING_PERMISSION)
        cursor: str | None = None
        while True:
            page = self.store.find(business_id, query, limit=_PAGE, cursor=cursor)
            for card in page:
                visits = RecordQuery(kind=APPOINTMENT_KIND, card_id=card.id)
                yield ClientFacts(
                    card_id=card.id,
                    client_group=card.client_group,
                    referral_source=card.referral_source,
                    appointments=tuple(
                        visit_from_record(record) for record in self._records(business_id, visits)
                    ),
                )
            cursor = page.next_cursor
            if cursor is None:
                return

    # -- overview -----------------------------------------------------------------------

    def overview(self, business_id: str, card_id: str) -> CardOverview:
        """Return what a host shows at the top of a card.

        :raises NotFoundError: the card is not in the business.
        """
        card = self.store.get(business_id, card_id)
        now = self.clock.now()
        visits = self.appointments(business_id, card_id)
        stats = client_statistics(visits, now=now, client_since=card.created_at)
        upcoming = tuple(
            visit
            for visit in visits
            if visit.starts_at >= now and visit.status is AppointmentStatus.BOOKED
        )
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
            blocked=self.is_blocked(business_id, card_id),
            active_promotions=tuple(
                promotion.code for promotion in self.active_promotions(business_id, card_id, at=now)
            ),
        )
