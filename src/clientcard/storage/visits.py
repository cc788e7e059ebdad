"""Figures a store sums from appointment records, for statistics and aggregates.

The history service asks the store for *figures* -- counts, exact sums and first and
last instants -- instead of reading every appointment: the SQL stores compute them in
one statement each (see :meth:`~clientcard.storage.protocol.ClientStore.visit_figures`
and :meth:`~clientcard.storage.protocol.ClientStore.audience_figures`), and
:mod:`clientcard.history.statistics` turns them into what a card or a report shows.

An appointment is a :class:`~clientcard.storage.records.Record` of kind
``"appointment"`` whose ``key`` is its status and whose document holds ``services``
(each with a ``name``, a ``price`` ``{"amount", "currency"}`` and a
``team_member_id``), an optional ``price_paid`` and a ``team_member_id``, as
:mod:`clientcard.history.records` writes it. Its *spend* is the price paid, or else the
sum of its services' prices, once completed; its currency is that of the price paid,
or else of its first service. Amounts are exact :class:`~decimal.Decimal` values.

Months are numbered ``year * 12 + month - 1`` and taken in the time zone of ``now``:
the history service passes ``now`` on the business's wall clock (an IANA zone, daylight
saving included), so a month starts at midnight on the first where the business is.

:func:`visit_figures_from_records` and :func:`audience_figures_from_records` compute the
figures in Python from a store's records: the memory store answers with them, the SQL
stores fall back to them for what their statement can't read exactly (an amount written
in another form than clientcard writes, more than a century of months, a zone whose
clock goes back across a month's first midnight), and a host's
own store may implement the two protocol methods by calling them.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import attrs

from clientcard.errors import ValidationError
from clientcard.money import Money
from clientcard.storage.records import Record, RecordQuery

if TYPE_CHECKING:
    from clientcard.storage.protocol import ClientStore

__all__ = [
    "APPOINTMENT_KIND",
    "AudienceClient",
    "AudienceFigures",
    "MonthTotals",
    "VisitFigures",
    "audience_figures_from_records",
    "audience_figures_of",
    "kept_lines",
    "kept_price",
    "month_index",
    "visit_figures_from_records",
    "visit_figures_of",
]

APPOINTMENT_KIND: Final = "appointment"
"""The record kind the figures are summed from."""

COMPLETED: Final = "completed"
BOOKED: Final = "booked"
NO_SHOW: Final = "no_show"
CANCELLED: Final = frozenset({"cancelled_by_client", "cancelled_by_business"})
_PAGE: Final = 500
TEN_THOUSANDTHS: Final = 4
"""The decimals a kept price has: more than any currency's minor units."""


def month_index(at: dt.datetime, now: dt.datetime) -> int:
    """The number of the month ``at`` falls in, in the time zone of ``now``."""
    local = at.astimezone(now.tzinfo)
    return local.year * 12 + local.month - 1


@attrs.frozen(repr=False)
class MonthTotals:
    """One month of a client's appointments.

    .. versionadded:: 0.1.0
    """

    month: int
    """The month's number (``year * 12 + month - 1``)."""
    appointments: int
    """Appointments that started in it, whatever became of them."""
    completed: int
    """Of those, the completed ones."""
    spend: Decimal
    """Their spend."""

    def __repr__(self) -> str:
        # A client's spend, visits and favourites are theirs: no figure in a log line.
        return "MonthTotals(<figures hidden>)"


@attrs.frozen(repr=False)
class VisitFigures:
    """What one client's appointments sum to, as of ``now`` (see the module docs).

    .. versionadded:: 0.1.0
    """

    appointments: int
    """How many appointments there are."""
    currencies: frozenset[str]
    """The currencies they are in (one, unless some were recorded in another)."""
    future_bookings: int
    """Booked appointments starting at ``now`` or later."""
    completed: int
    """Completed appointments."""
    spend: Decimal
    """The spend of the completed appointments."""
    first_completed: dt.datetime | None
    """When the earliest completed appointment started."""
    last_completed: dt.datetime | None
    """When the latest completed appointment started."""
    first_appointment: dt.datetime | None
    """When the earliest appointment of any status started."""
    past_no_shows: int
    """Missed appointments that started before ``now``."""
    past_kept: int
    """Appointments that started before ``now`` and were not cancelled."""
    cancelled: int
    """Appointments cancelled by either side."""
    months: tuple[MonthTotals, ...]
    """The months asked for that have appointments, oldest first."""
    services: Mapping[str, int]
    """How often each service (by name) was part of a completed appointment."""
    team_members: Mapping[str, int]
    """How many completed appointments each team member took part in."""

    def __repr__(self) -> str:
        # A client's spend, visits and favourites are theirs: no figure in a log line.
        return "VisitFigures(<figures hidden>)"


@attrs.frozen(repr=False)
class AudienceFigures:
    """What the appointments of the clients holding one permission sum to.

    Counted are the clients (cards) with the permission; spend and cohorts count
    their completed appointments that started before ``now``.

    .. versionadded:: 0.1.0
    """

    clients: int
    """How many clients hold the permission."""
    clients_by_source: Mapping[str, int]
    """How many gave each referral source (``""``: none)."""
    spend_by_group: Mapping[str, Decimal]
    """Spend per client group (``""``: none); every group of a counted client is here."""
    cohorts: Mapping[int, Mapping[int, int]]
    """By the month of a client's first completed appointment: how many clients had a
    completed appointment that many months later (``0``: the cohort's size)."""

    def __repr__(self) -> str:
        # A client's spend, visits and favourites are theirs: no figure in a log line.
        return "AudienceFigures(<figures hidden>)"


def _amount(document: object) -> Money:
    if not isinstance(document, dict):
        raise ValidationError.of("price", "money.amount_invalid")
    return Money.of(str(document["amount"]), str(document["currency"]))


def _priced(doc: Mapping[str, Any]) -> tuple[str, Decimal]:
    """The currency and spend (if completed) of one appointment's document."""
    paid = doc.get("price_paid")
    if paid is not None:
        money = _amount(paid)
        return money.currency, money.amount
    lines = doc.get("services") or []
    prices = [_amount(line.get("price") if isinstance(line, dict) else None) for line in lines]
    if not prices:
        raise ValidationError.of("services", "appointment.no_service")
    return prices[0].currency, Money.total(prices, prices[0].currency).amount


def kept_price(kind: str, doc: Mapping[str, Any]) -> tuple[str | None, int | None]:
    """The currency and price a SQL store keeps beside an appointment record.

    The price is the one the figures sum once the appointment is completed (the price
    paid, or else the sum of the services' prices, each read as
    :class:`~clientcard.money.Money` reads it), in ten-thousandths, so a database sums
    it exactly as an integer. ``(None, None)`` for another kind of record, and for an
    appointment whose prices can't be read: the figures of its client are then summed
    in Python, which reports the problem as it always did.
    """
    if kind != APPOINTMENT_KIND:
        return None, None
    try:
        currency, amount = _priced(doc)
    except (ValueError, KeyError, TypeError):
        return None, None
    kept = int(amount.scaleb(TEN_THOUSANDTHS))
    # A 64-bit column holds it (PostgreSQL's BIGINT); a larger price is summed in Python.
    return currency, kept if abs(kept) < 2**63 else None


def kept_lines(kind: str, doc: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The service names and team members a SQL store keeps beside an appointment record.

    Two JSON arrays: the name of every service line (a name twice if two lines have it),
    and every team member who took part (the appointment's own and its lines', each
    once). The favourites count them, so a statement reads these few bytes instead of
    the whole document. ``(None, None)`` for another kind of record.
    """
    if kind != APPOINTMENT_KIND:
        return None, None
    names = [str(line.get("name")) for line in _lines(doc)]
    members = sorted(_members(doc))
    return (
        json.dumps(names, ensure_ascii=False, separators=(",", ":")),
        json.dumps(members, ensure_ascii=False, separators=(",", ":")),
    )


def _lines(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    lines = doc.get("services") or []
    return [line for line in lines if isinstance(line, dict)]


def _members(doc: Mapping[str, Any]) -> set[str]:
    found = [doc.get("team_member_id"), *(line.get("team_member_id") for line in _lines(doc))]
    return {str(member) for member in found if member}


def visit_figures_from_records(
    records: Iterable[Record], *, now: dt.datetime, months: int
) -> VisitFigures:
    """Sum one client's appointment records in Python (see the module docs).

    ``months`` is how many months, ending with ``now``'s, :attr:`VisitFigures.months`
    covers.

    :raises ValidationError: an appointment's prices are malformed.
    """
    current = month_index(now, now)
    window = range(current - months + 1, current + 1)
    currencies: set[str] = set()
    counts: Counter[str] = Counter()
    spend = Decimal(0)
    completed_at: list[dt.datetime] = []
    first: dt.datetime | None = None
    per_month: dict[int, list[Any]] = {}
    services: Counter[str] = Counter()
    members: Counter[str] = Counter()
    for record in records:
        status, at = record.key, record.at
        currency, amount = _priced(record.doc)
        currencies.add(currency)
        counts["all"] += 1
        first = at if first is None or at < first else first
        past = at < now
        counts["future"] += status == BOOKED and not past
        counts["no_show"] += status == NO_SHOW and past
        counts["kept"] += past and status not in CANCELLED
        counts["cancelled"] += status in CANCELLED
        done = status == COMPLETED
        month = month_index(at, now)
        if month in window:
            totals = per_month.setdefault(month, [0, 0, Decimal(0)])
            totals[0] += 1
            if done:
                totals[1] += 1
                totals[2] += amount
        if not done:
            continue
        counts["completed"] += 1
        spend += amount
        completed_at.append(at)
        services.update(str(line.get("name")) for line in _lines(record.doc))
        members.update(_members(record.doc))
    return VisitFigures(
        appointments=counts["all"],
        currencies=frozenset(currencies),
        future_bookings=counts["future"],
        completed=counts["completed"],
        spend=spend,
        first_completed=min(completed_at, default=None),
        last_completed=max(completed_at, default=None),
        first_appointment=first,
        past_no_shows=counts["no_show"],
        past_kept=counts["kept"],
        cancelled=counts["cancelled"],
        months=tuple(
            MonthTotals(month=month, appointments=a, completed=c, spend=s)
            for month, (a, c, s) in sorted(per_month.items())
        ),
        services=dict(services),
        team_members=dict(members),
    )


@attrs.frozen(repr=False)
class AudienceClient:
    """One client counted by :func:`audience_figures_from_records`, with their records.

    .. versionadded:: 0.1.0
    """

    client_group: str | None
    referral_source: str | None
    appointments: Iterable[Record]

    def __repr__(self) -> str:
        # A client's group, source and appointments are theirs: none in a log line.
        return "AudienceClient(<hidden>)"


def audience_figures_from_records(
    clients: Iterable[AudienceClient], *, now: dt.datetime, currency: str
) -> AudienceFigures:
    """Sum the appointment records of the given clients in Python (see the module docs).

    :raises ValidationError: ``money.currency_mismatch`` for an appointment in another
        currency than ``currency``; an appointment's prices are malformed.
    """
    count = 0
    sources: Counter[str] = Counter()
    spend: dict[str, Decimal] = {}
    cohorts: dict[int, Counter[int]] = defaultdict(Counter)
    for client in clients:
        count += 1
        sources[client.referral_source or ""] += 1
        group = client.client_group or ""
        total = spend.setdefault(group, Decimal(0))
        visited: set[int] = set()
        for record in client.appointments:
            found, amount = _priced(record.doc)
            if found != currency:
                raise ValidationError.of("currency", "money.currency_mismatch")
            if record.key == COMPLETED and record.at < now:
                total += amount
                visited.add(month_index(record.at, now))
        spend[group] = total
        if visited:
            start = min(visited)
            cohorts[start].update(month - start for month in visited)
    return AudienceFigures(
        clients=count,
        clients_by_source=dict(sources),
        spend_by_group=spend,
        cohorts={month: dict(offsets) for month, offsets in cohorts.items()},
    )


# -- computed from a store's records, for stores without a statement of their own ---------


def _records(store: ClientStore, business_id: str, query: RecordQuery) -> Iterator[Record]:
    cursor: str | None = None
    while True:
        page = store.find_records(business_id, query, limit=_PAGE, cursor=cursor)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def visit_figures_of(
    store: ClientStore, business_id: str, card_id: str, *, now: dt.datetime, months: int
) -> VisitFigures:
    """:meth:`~clientcard.storage.protocol.ClientStore.visit_figures`, read from records.

    What a host's store may answer with: it pages through the card's appointment
    records with ``find_records``.
    """
    query = RecordQuery(kind=APPOINTMENT_KIND, card_id=card_id)
    return visit_figures_from_records(_records(store, business_id, query), now=now, months=months)


def audience_figures_of(
    store: ClientStore,
    business_id: str,
    *,
    audience: tuple[str, str],
    now: dt.datetime,
    currency: str,
) -> AudienceFigures:
    """:meth:`~clientcard.storage.protocol.ClientStore.audience_figures`, read from records.

    What a host's store may answer with: it pages through the cards holding the
    permission (``find``) and each one's appointment records (``find_records``).
    """
    from clientcard.storage.protocol import CardQuery  # noqa: PLC0415 - protocol imports us

    def clients() -> Iterator[AudienceClient]:
        cursor: str | None = None
        while True:
            page = store.find(
                business_id, CardQuery(contactable=audience), limit=_PAGE, cursor=cursor
            )
            for card in page.items:
                query = RecordQuery(kind=APPOINTMENT_KIND, card_id=card.id)
                yield AudienceClient(
                    client_group=card.client_group,
                    referral_source=card.referral_source,
                    appointments=_records(store, business_id, query),
                )
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    return audience_figures_from_records(clients(), now=now, currency=currency)
