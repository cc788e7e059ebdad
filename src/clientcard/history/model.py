"""A client's history: appointments, payments, shared documents and conversations.

The host records what happened -- clientcard never invents a booking -- and these types
keep it: an :class:`Appointment` with its services, team member, status and price; a
:class:`Payment` received or pending; a :class:`SharedDocument` reference; a
:class:`ConversationEntry` for every message and invoice on the client's timeline (the
messaging service files one for each message it delivers). All are pure values; each
converts to and from a :class:`~clientcard.storage.records.Record` for storage
(:mod:`clientcard.history.records`).

Money is :class:`~clientcard.money.Money` (an exact Decimal with its currency); times are
timezone-aware.

>>> import datetime as dt
>>> from clientcard.money import Money
>>> visit = Appointment(
...     id="a-1", business_id="b", card_id="c",
...     starts_at=dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), duration_minutes=45,
...     services=(ServiceLine(service_id="cut", name="Cut", price=Money.of("35", "EUR")),),
... )
>>> str(visit.price), visit.status.value
('35.00 EUR', 'booked')
>>> from clientcard.history.records import appointment_from_record, appointment_to_record
>>> appointment_from_record(appointment_to_record(visit)) == visit
True

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any, Final, TypeVar

import attrs

from clientcard.consent.purposes import Channel
from clientcard.contact.name import normalize_text
from clientcard.errors import InvalidValueError, ValidationError
from clientcard.money import Money

__all__ = [
    "APPOINTMENT_KIND",
    "CONVERSATION_KIND",
    "DOCUMENT_KIND",
    "PAYMENT_KIND",
    "Appointment",
    "AppointmentStatus",
    "ConversationDirection",
    "ConversationEntry",
    "ConversationKind",
    "Payment",
    "PaymentMethod",
    "PaymentStatus",
    "ServiceLine",
    "SharedDocument",
]

APPOINTMENT_KIND: Final = "appointment"
"""The record kind of appointments."""
PAYMENT_KIND: Final = "payment"
"""The record kind of payments."""
DOCUMENT_KIND: Final = "document"
"""The record kind of shared documents."""
CONVERSATION_KIND: Final = "conversation"
"""The record kind of conversation entries."""

_MAX_DURATION: Final = 24 * 60
_MAX_NOTE: Final = 4000
_MAX_LABEL: Final = 200
_MAX_REF: Final = 2000
_T = TypeVar("_T")


class AppointmentStatus(enum.Enum):
    """Where an appointment stands.

    .. versionadded:: 0.1.0
    """

    BOOKED = "booked"
    COMPLETED = "completed"
    CANCELLED_BY_CLIENT = "cancelled_by_client"
    CANCELLED_BY_BUSINESS = "cancelled_by_business"
    NO_SHOW = "no_show"

    @property
    def is_cancelled(self) -> bool:
        """Whether either side cancelled it."""
        return self in (
            AppointmentStatus.CANCELLED_BY_CLIENT,
            AppointmentStatus.CANCELLED_BY_BUSINESS,
        )


class PaymentStatus(enum.Enum):
    """Whether money came in.

    .. versionadded:: 0.1.0
    """

    RECEIVED = "received"
    PENDING = "pending"
    REFUNDED = "refunded"


class PaymentMethod(enum.Enum):
    """How a client paid.

    .. versionadded:: 0.1.0
    """

    CASH = "cash"
    CARD = "card"
    TRANSFER = "transfer"
    VOUCHER = "voucher"
    ONLINE = "online"
    OTHER = "other"


class ConversationDirection(enum.Enum):
    """Who wrote: the business (outgoing) or the client (incoming).

    .. versionadded:: 0.1.0
    """

    OUTGOING = "outgoing"
    INCOMING = "incoming"


class ConversationKind(enum.Enum):
    """What a timeline entry is.

    .. versionadded:: 0.1.0
    """

    MESSAGE = "message"
    INVOICE = "invoice"
    NOTE = "note"


# -- validation ---------------------------------------------------------------------------


def _issue(field: str, code: str) -> ValidationError:
    return ValidationError.of(field, code)


def _aware(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, dt.datetime) and value.utcoffset() is None:
        raise _issue(attribute.name, "time.naive")


def _optional_text(field: str, value: object, limit: int, *, multiline: bool) -> str | None:
    if value is None:
        return None
    try:
        text = normalize_text(value, limit, multiline=multiline)
    except InvalidValueError as error:
        raise _issue(field, error.code) from None
    return text or None


def _required_text(field: str, value: object, limit: int) -> str:
    text = _optional_text(field, value, limit, multiline=False)
    if text is None:
        raise _issue(field, "text.empty")
    return text


# Named converters, one per field, so a ValidationError can name the field at fault.
def _service_name(value: object) -> str:
    return _required_text("name", value, _MAX_LABEL)


def _title(value: object) -> str:
    return _required_text("title", value, _MAX_LABEL)


def _ref(value: object) -> str:
    return _required_text("ref", value, _MAX_REF)


def _notes(value: object) -> str | None:
    return _optional_text("notes", value, _MAX_NOTE, multiline=True)


def _technical_notes(value: object) -> str | None:
    return _optional_text("technical_notes", value, _MAX_NOTE, multiline=True)


def _summary(value: object) -> str | None:
    return _optional_text("summary", value, _MAX_NOTE, multiline=True)


def _invoice_number(value: object) -> str | None:
    return _optional_text("invoice_number", value, _MAX_LABEL, multiline=False)


def _nonempty_id(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value or "\x00" in value:
        raise _issue(attribute.name, "id.invalid")


# -- appointments -------------------------------------------------------------------------


@attrs.frozen
class ServiceLine:
    """One service within an appointment, with its list price.

    .. versionadded:: 0.1.0
    """

    service_id: str = attrs.field(validator=_nonempty_id)
    name: str = attrs.field(converter=_service_name)
    price: Money
    duration_minutes: int = 0
    team_member_id: str | None = None


def _services(value: Iterable[ServiceLine]) -> tuple[ServiceLine, ...]:
    return tuple(value)


@attrs.frozen
class Appointment:
    """One appointment of a client, past or future.

    ``price`` is the sum of the services' list prices; ``price_paid`` what the client
    actually paid, when the host knows it (after a discount, say). ``spend`` is what the
    statistics count: the price paid (or the list price) of a completed appointment,
    and nothing for any other status.

    :raises ValidationError: a naive time, a duration outside 0..24 hours, no service,
        services in different currencies, or text too long to keep.

    .. versionadded:: 0.1.0
    """

    id: str = attrs.field(validator=_nonempty_id)
    business_id: str = attrs.field(validator=_nonempty_id)
    card_id: str = attrs.field(validator=_nonempty_id)
    starts_at: dt.datetime = attrs.field(validator=_aware)
    duration_minutes: int
    services: tuple[ServiceLine, ...] = attrs.field(converter=_services)
    status: AppointmentStatus = AppointmentStatus.BOOKED
    team_member_id: str | None = None
    location_id: str | None = None
    price_paid: Money | None = None
    technical_notes: str | None = attrs.field(default=None, converter=_technical_notes)
    notes: str | None = attrs.field(default=None, converter=_notes)
    status_changed_at: dt.datetime | None = attrs.field(default=None, validator=_aware)

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.duration_minutes <= _MAX_DURATION:
            raise _issue("duration_minutes", "appointment.duration_invalid")
        if not self.services:
            raise _issue("services", "appointment.no_service")
        currencies = {line.price.currency for line in self.services}
        if self.price_paid is not None:
            currencies.add(self.price_paid.currency)
        if len(currencies) > 1:
            raise _issue("services", "money.currency_mismatch")

    def __repr__(self) -> str:
        return (
            f"Appointment(id={self.id!r}, card_id={self.card_id!r},"
            f" starts_at={self.starts_at.isoformat()!r}, status={self.status.value})"
        )

    @property
    def currency(self) -> str:
        """The currency of its prices."""
        return self.services[0].price.currency

    @property
    def price(self) -> Money:
        """The sum of its services' list prices."""
        return Money.total((line.price for line in self.services), self.currency)

    @property
    def ends_at(self) -> dt.datetime:
        """When it ends."""
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)

    @property
    def spend(self) -> Money:
        """What it adds to the client's spend: paid (or list) price once completed."""
        if self.status is not AppointmentStatus.COMPLETED:
            return Money.zero(self.currency)
        return self.price_paid if self.price_paid is not None else self.price

    def team_members(self) -> tuple[str, ...]:
        """Every team member on it: the appointment's own, then each service's."""
        members = [self.team_member_id] if self.team_member_id else []
        members.extend(line.team_member_id for line in self.services if line.team_member_id)
        return tuple(dict.fromkeys(members))

    def with_status(self, status: AppointmentStatus, at: dt.datetime) -> Appointment:
        """Return it with a new status, changed at ``at``."""
        return attrs.evolve(self, status=status, status_changed_at=at)


# -- payments, documents, conversations --------------------------------------------------


@attrs.frozen
class Payment:
    """Money received from a client, or still due.

    ``at`` is when it was received (or fell due, while pending). ``invoice_number`` and
    ``tax_amount`` are the fiscal part that a legal hold keeps after erasure.

    .. versionadded:: 0.1.0
    """

    id: str = attrs.field(validator=_nonempty_id)
    business_id: str = attrs.field(validator=_nonempty_id)
    card_id: str = attrs.field(validator=_nonempty_id)
    amount: Money
    at: dt.datetime = attrs.field(validator=_aware)
    status: PaymentStatus = PaymentStatus.RECEIVED
    method: PaymentMethod = PaymentMethod.OTHER
    appointment_id: str | None = None
    invoice_number: str | None = attrs.field(default=None, converter=_invoice_number)
    tax_amount: Money | None = None
    notes: str | None = attrs.field(default=None, converter=_notes)

    def __attrs_post_init__(self) -> None:
        if self.amount.amount < 0:
            raise _issue("amount", "payment.negative")
        if self.tax_amount is not None and self.tax_amount.currency != self.amount.currency:
            raise _issue("tax_amount", "money.currency_mismatch")

    def __repr__(self) -> str:
        return f"Payment(id={self.id!r}, card_id={self.card_id!r}, status={self.status.value})"


@attrs.frozen
class SharedDocument:
    """A reference to a document shared with a client (a consent form, a care sheet).

    clientcard keeps the reference, not the file: ``ref`` is the host's URL or storage
    key.

    .. versionadded:: 0.1.0
    """

    id: str = attrs.field(validator=_nonempty_id)
    business_id: str = attrs.field(validator=_nonempty_id)
    card_id: str = attrs.field(validator=_nonempty_id)
    title: str = attrs.field(converter=_title)
    ref: str = attrs.field(converter=_ref)
    shared_at: dt.datetime = attrs.field(validator=_aware)
    content_type: str | None = None
    appointment_id: str | None = None

    def __repr__(self) -> str:
        return f"SharedDocument(id={self.id!r}, card_id={self.card_id!r})"


@attrs.frozen
class ConversationEntry:
    """One entry on a client's timeline: a message either way, an invoice, a note.

    ``send_id`` links a message to the dispatcher's send that delivered it.

    .. versionadded:: 0.1.0
    """

    id: str = attrs.field(validator=_nonempty_id)
    business_id: str = attrs.field(validator=_nonempty_id)
    card_id: str = attrs.field(validator=_nonempty_id)
    at: dt.datetime = attrs.field(validator=_aware)
    direction: ConversationDirection
    kind: ConversationKind = ConversationKind.MESSAGE
    channel: Channel | None = None
    summary: str | None = attrs.field(default=None, converter=_summary)
    template_key: str | None = None
    send_id: str | None = None
    payment_id: str | None = None

    def __repr__(self) -> str:
        return (
            f"ConversationEntry(id={self.id!r}, card_id={self.card_id!r}, kind={self.kind.value})"
        )
