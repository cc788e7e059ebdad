"""History values filed as records, and read back.

Each history value is kept as a :class:`~clientcard.storage.records.Record` of its kind
(:data:`~clientcard.history.model.APPOINTMENT_KIND`, ...), keyed by its time so a client's
history reads in order; :class:`VisitFacts` is the slice of an appointment record that
aggregates read without building the whole :class:`~clientcard.history.model.Appointment`.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

import attrs

from clientcard.cards.serialization import record_document, record_value
from clientcard.errors import ValidationError
from clientcard.history.model import (
    APPOINTMENT_KIND,
    CONVERSATION_KIND,
    DOCUMENT_KIND,
    PAYMENT_KIND,
    Appointment,
    AppointmentStatus,
    ConversationEntry,
    Payment,
    SharedDocument,
)
from clientcard.money import Money
from clientcard.storage.records import Record

__all__ = [
    "VisitFacts",
    "appointment_from_record",
    "appointment_to_record",
    "conversation_from_record",
    "conversation_to_record",
    "document_from_record",
    "document_to_record",
    "payment_from_record",
    "payment_to_record",
    "visit_from_record",
]

_T = TypeVar("_T")

# -- records ------------------------------------------------------------------------------


def _value(cls: type[_T], record: Record, kind: str) -> _T:
    if record.kind != kind or record.card_id is None:
        raise ValidationError.of("kind", "record.kind_mismatch")
    return record_value(cls, record)


def appointment_to_record(appointment: Appointment, *, revision: int = 1) -> Record:
    """File an appointment under its start time."""
    return Record(
        business_id=appointment.business_id,
        kind=APPOINTMENT_KIND,
        id=appointment.id,
        at=appointment.starts_at,
        doc=record_document(appointment),
        card_id=appointment.card_id,
        key=appointment.status.value,
        revision=revision,
    )


def appointment_from_record(record: Record) -> Appointment:
    """Read an appointment back. :raises DocumentError: the document is malformed."""
    return _value(Appointment, record, APPOINTMENT_KIND)


def payment_to_record(payment: Payment, *, revision: int = 1) -> Record:
    """File a payment under its time, looked up by invoice number."""
    return Record(
        business_id=payment.business_id,
        kind=PAYMENT_KIND,
        id=payment.id,
        at=payment.at,
        doc=record_document(payment),
        card_id=payment.card_id,
        key=payment.invoice_number,
        revision=revision,
    )


def payment_from_record(record: Record) -> Payment:
    """Read a payment back. :raises DocumentError: the document is malformed."""
    return _value(Payment, record, PAYMENT_KIND)


def document_to_record(document: SharedDocument) -> Record:
    """File a shared document under the time it was shared."""
    return Record(
        business_id=document.business_id,
        kind=DOCUMENT_KIND,
        id=document.id,
        at=document.shared_at,
        doc=record_document(document),
        card_id=document.card_id,
    )


def document_from_record(record: Record) -> SharedDocument:
    """Read a shared document back. :raises DocumentError: the document is malformed."""
    return _value(SharedDocument, record, DOCUMENT_KIND)


def conversation_to_record(entry: ConversationEntry) -> Record:
    """File a timeline entry under its time, looked up by its send."""
    return Record(
        business_id=entry.business_id,
        kind=CONVERSATION_KIND,
        id=entry.id,
        at=entry.at,
        doc=record_document(entry),
        card_id=entry.card_id,
        key=entry.send_id,
    )


def conversation_from_record(record: Record) -> ConversationEntry:
    """Read a timeline entry back. :raises DocumentError: the document is malformed."""
    return _value(ConversationEntry, record, CONVERSATION_KIND)


@attrs.frozen
class VisitFacts:
    """The part of an appointment aggregates read: when, what became of it, the spend.

    .. versionadded:: 0.1.0
    """

    starts_at: dt.datetime
    status: AppointmentStatus
    currency: str
    paid: Money = attrs.field(repr=False)

    @property
    def spend(self) -> Money:
        """The price paid (or list price) once completed; nothing otherwise."""
        if self.status is not AppointmentStatus.COMPLETED:
            return Money.zero(self.currency)
        return self.paid


def _money(document: object) -> Money:
    if not isinstance(document, dict):
        raise ValidationError.of("price", "money.amount_invalid")
    return Money.of(str(document["amount"]), str(document["currency"]))


def visit_from_record(record: Record) -> VisitFacts:
    """Read just the :class:`VisitFacts` of an appointment record, without the rest.

    Aggregates read every appointment of every consenting client; building whole
    :class:`Appointment` values for them costs ten times as much.

    :raises ValidationError: not an appointment record, or its prices are malformed.
    """
    if record.kind != APPOINTMENT_KIND or record.key is None:
        raise ValidationError.of("kind", "record.kind_mismatch")
    paid = record.doc.get("price_paid")
    if paid is not None:
        amount = _money(paid)
    else:
        services = record.doc.get("services") or []
        prices = [
            _money(line.get("price") if isinstance(line, dict) else None) for line in services
        ]
        if not prices:
            raise ValidationError.of("services", "appointment.no_service")
        amount = Money.total(prices, prices[0].currency)
    try:
        status = AppointmentStatus(record.key)
    except ValueError:
        raise ValidationError.of("status", "record.kind_mismatch") from None
    return VisitFacts(starts_at=record.at, status=status, currency=amount.currency, paid=amount)
