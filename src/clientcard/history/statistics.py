"""Statistics of one client, and aggregates across the clients who allow profiling.

Pure functions over :class:`~clientcard.history.model.Appointment` values:

* :func:`client_statistics` -- what a card shows: future bookings, total and average
  spend, last visit, booking frequency, no-show and cancellation rates, tenure, the
  monthly trend and favourite services and team members;
* :func:`aggregate` -- spend by client group, the "how did you hear about us" sources and
  retention cohorts across clients. Its caller passes only the clients whose consent
  allows profiling (:meth:`~clientcard.history.service.HistoryService.aggregates`
  does): a client who refused changes no figure, not even a count.

Spend counts completed appointments only, at the price paid (or the list price), so a
cancelled or missed appointment never changes it. Money stays Decimal; rates are
Decimals rounded to four places.

>>> import datetime as dt
>>> from clientcard.history.model import Appointment, AppointmentStatus, ServiceLine
>>> from clientcard.money import Money
>>> now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
>>> def visit(day, status):
...     return Appointment(
...         id=f"a{day}", business_id="b", card_id="c", status=status, duration_minutes=30,
...         starts_at=dt.datetime(2026, 11, day, tzinfo=dt.UTC),
...         services=(ServiceLine(service_id="cut", name="Cut", price=Money.of(30, "EUR")),),
...     )
>>> stats = client_statistics(
...     [visit(2, AppointmentStatus.COMPLETED), visit(16, AppointmentStatus.COMPLETED),
...      visit(20, AppointmentStatus.NO_SHOW), visit(30, AppointmentStatus.BOOKED)],
...     now=now, client_since=now - dt.timedelta(days=90),
... )
>>> str(stats.total_spend), str(stats.average_spend), stats.future_bookings
('60.00 EUR', '30.00 EUR', 1)
>>> stats.mean_interval_days, stats.no_show_rate
(Decimal('14.0'), Decimal('0.3333'))

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Final, Protocol

import attrs

from clientcard.errors import ValidationError
from clientcard.history.model import Appointment, AppointmentStatus
from clientcard.money import Money
from clientcard.storage.visits import AudienceFigures, VisitFigures, month_index

__all__ = [
    "Aggregates",
    "ClientFacts",
    "ClientStatistics",
    "Cohort",
    "MonthFigures",
    "Visit",
    "aggregate",
    "aggregates_from_figures",
    "client_statistics",
    "statistics_from_figures",
]

_RATE: Final = Decimal("0.0001")
_DAYS: Final = Decimal("0.1")
_MICROSECONDS_PER_DAY: Final = 86_400_000_000


@attrs.frozen
class MonthFigures:
    """One calendar month of a client's (or a business's) appointments.

    .. versionadded:: 0.1.0
    """

    month: str
    """``YYYY-MM``."""
    appointments: int
    """Appointments that started in the month, whatever became of them."""
    completed: int
    spend: Money | None


@attrs.frozen(repr=False)
class ClientStatistics:
    """What a client's card shows about their bookings (see :func:`client_statistics`).

    Money figures are ``None`` while the client has no appointment (no currency yet);
    rates are ``None`` with nothing to divide by.

    .. versionadded:: 0.1.0
    """

    future_bookings: int
    completed_visits: int
    total_spend: Money | None
    average_spend: Money | None
    first_appointment: dt.datetime | None
    last_appointment: dt.datetime | None
    mean_interval_days: Decimal | None
    no_show_rate: Decimal | None
    cancellation_rate: Decimal | None
    tenure_days: int
    monthly_trend: tuple[MonthFigures, ...]
    favourite_services: tuple[tuple[str, int], ...]
    favourite_team_members: tuple[tuple[str, int], ...]

    def __repr__(self) -> str:
        # A client's spending and habits are client data: a repr that may be logged
        # says only what it is.
        return "ClientStatistics(<figures hidden>)"


class Visit(Protocol):
    """**Protocol:** what the aggregates read of an appointment.

    :class:`~clientcard.history.model.Appointment` is one; so is the lighter
    :class:`~clientcard.history.model.VisitFacts` the history service reads for aggregates.

    .. versionadded:: 0.1.0
    """

    @property
    def starts_at(self) -> dt.datetime:
        """When it started."""
        ...

    @property
    def status(self) -> AppointmentStatus:
        """Where it stands."""
        ...

    @property
    def currency(self) -> str:
        """The currency of its prices."""
        ...

    @property
    def spend(self) -> Money:
        """What it adds to the client's spend (nothing unless completed)."""
        ...


def _currency(appointments: Sequence[Visit], currency: str | None) -> str | None:
    currencies = {appointment.currency for appointment in appointments}
    if currency is not None:
        currencies.add(currency)
    if len(currencies) > 1:
        raise ValidationError.of("currency", "money.currency_mismatch")
    return next(iter(currencies), None)


def _rate(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(_RATE, rounding=ROUND_HALF_UP)


def _month(at: dt.datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def _months_back(now: dt.datetime, count: int) -> list[str]:
    year, month = now.year, now.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _top(counter: Counter[str], top: int) -> tuple[tuple[str, int], ...]:
    # Ties go to the name that sorts first, so the answer doesn't depend on input order.
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    return tuple(ranked[:top])


def client_statistics(
    appointments: Iterable[Appointment],
    *,
    now: dt.datetime,
    client_since: dt.datetime,
    currency: str | None = None,
    months: int = 12,
    top: int = 3,
) -> ClientStatistics:
    """Compute one client's statistics from their appointments as of ``now``.

    ``client_since`` is when the card was created (tenure counts from it, or from the
    first appointment if that is earlier); ``months`` is the length of the trend, ending
    with ``now``'s month; ``top`` the length of the favourites lists.

    :raises ValidationError: ``money.currency_mismatch`` when appointments (or
        ``currency``) disagree on the currency.
    """
    visits = sorted(appointments, key=lambda appointment: (appointment.starts_at, appointment.id))
    money = _currency(visits, currency)
    past = [visit for visit in visits if visit.starts_at < now]
    completed = [visit for visit in visits if visit.status is AppointmentStatus.COMPLETED]
    future = [
        visit
        for visit in visits
        if visit.starts_at >= now and visit.status is AppointmentStatus.BOOKED
    ]
    total = None if money is None else Money.total((visit.spend for visit in completed), money)
    average = (
        None
        if total is None or not completed
        else Money.of(total.amount / len(completed), total.currency)
    )
    gaps = [later.starts_at - earlier.starts_at for earlier, later in pairwise(completed)]
    interval = _interval(sum(gaps, dt.timedelta()), len(gaps)) if gaps else None
    since = min([client_since, *(visit.starts_at for visit in visits[:1])])
    services: Counter[str] = Counter()
    members: Counter[str] = Counter()
    for visit in completed:
        services.update(line.name for line in visit.services)
        members.update(visit.team_members())
    return ClientStatistics(
        future_bookings=len(future),
        completed_visits=len(completed),
        total_spend=total,
        average_spend=average,
        first_appointment=completed[0].starts_at if completed else None,
        last_appointment=completed[-1].starts_at if completed else None,
        mean_interval_days=interval,
        no_show_rate=_rate(
            sum(visit.status is AppointmentStatus.NO_SHOW for visit in past),
            sum(not visit.status.is_cancelled for visit in past),
        ),
        cancellation_rate=_rate(sum(visit.status.is_cancelled for visit in visits), len(visits)),
        tenure_days=max(0, (now - since).days),
        monthly_trend=_trend(visits, now=now, months=months, currency=money),
        favourite_services=_top(services, top),
        favourite_team_members=_top(members, top),
    )


def _interval(span: dt.timedelta, gaps: int) -> Decimal:
    """The mean of ``gaps`` gaps spanning ``span``, in days to a tenth (exact arithmetic)."""
    microseconds = Decimal(span // dt.timedelta(microseconds=1))
    return (microseconds / gaps / _MICROSECONDS_PER_DAY).quantize(_DAYS, ROUND_HALF_UP)


def _month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def statistics_from_figures(
    figures: VisitFigures,
    *,
    now: dt.datetime,
    client_since: dt.datetime,
    currency: str | None = None,
    months: int = 12,
    top: int = 3,
) -> ClientStatistics:
    """What :func:`client_statistics` computes, from the figures a store summed.

    ``figures`` are the client's appointments summed as of ``now`` over ``months``
    months (:meth:`~clientcard.storage.protocol.ClientStore.visit_figures`); the other
    arguments mean what they mean to :func:`client_statistics`, and the answer is the
    same.

    :raises ValidationError: ``money.currency_mismatch`` when appointments (or
        ``currency``) disagree on the currency.
    """
    currencies = set(figures.currencies)
    if currency is not None:
        currencies.add(currency)
    if len(currencies) > 1:
        raise ValidationError.of("currency", "money.currency_mismatch")
    money = next(iter(currencies), None)
    total = None if money is None else Money.of(figures.spend, money)
    average = (
        None
        if total is None or not figures.completed
        else Money.of(total.amount / figures.completed, total.currency)
    )
    interval = None
    if figures.completed > 1 and figures.first_completed and figures.last_completed:
        span = figures.last_completed - figures.first_completed
        interval = _interval(span, figures.completed - 1)
    since = min(client_since, figures.first_appointment or client_since)
    by_month = {totals.month: totals for totals in figures.months}
    current = month_index(now, now)
    trend = tuple(
        MonthFigures(
            month=_month_name(index),
            appointments=by_month[index].appointments if index in by_month else 0,
            completed=by_month[index].completed if index in by_month else 0,
            spend=None
            if money is None
            else Money.of(by_month[index].spend if index in by_month else 0, money),
        )
        for index in range(current - months + 1, current + 1)
    )
    return ClientStatistics(
        future_bookings=figures.future_bookings,
        completed_visits=figures.completed,
        total_spend=total,
        average_spend=average,
        first_appointment=figures.first_completed,
        last_appointment=figures.last_completed,
        mean_interval_days=interval,
        no_show_rate=_rate(figures.past_no_shows, figures.past_kept),
        cancellation_rate=_rate(figures.cancelled, figures.appointments),
        tenure_days=max(0, (now - since).days),
        monthly_trend=trend,
        favourite_services=_top(Counter(figures.services), top),
        favourite_team_members=_top(Counter(figures.team_members), top),
    )


def _trend(
    visits: Sequence[Appointment], *, now: dt.datetime, months: int, currency: str | None
) -> tuple[MonthFigures, ...]:
    if months <= 0:
        return ()
    keys = _months_back(now, months)
    booked: Counter[str] = Counter()
    done: Counter[str] = Counter()
    spend: dict[str, list[Money]] = defaultdict(list)
    for visit in visits:
        key = _month(visit.starts_at.astimezone(now.tzinfo))
        booked[key] += 1
        if visit.status is AppointmentStatus.COMPLETED:
            done[key] += 1
            spend[key].append(visit.spend)
    return tuple(
        MonthFigures(
            month=key,
            appointments=booked[key],
            completed=done[key],
            spend=None if currency is None else Money.total(spend[key], currency),
        )
        for key in keys
    )


# -- aggregates ---------------------------------------------------------------------------


@attrs.frozen
class ClientFacts:
    """What the aggregates need of one client: their group, source and appointments.

    .. versionadded:: 0.1.0
    """

    card_id: str
    client_group: str | None = attrs.field(repr=False)
    referral_source: str | None = attrs.field(repr=False)
    appointments: Sequence[Visit] = attrs.field(repr=False)


@attrs.frozen
class Cohort:
    """The clients whose first completed visit fell in ``month``, and how many came back.

    ``returned[n]`` counts those with another completed visit ``n + 1`` months later (in
    that calendar month); months not reached yet are left out.

    .. versionadded:: 0.1.0
    """

    month: str
    size: int
    returned: tuple[int, ...]


@attrs.frozen
class Aggregates:
    """Figures across the clients given to :func:`aggregate`.

    .. versionadded:: 0.1.0
    """

    clients: int
    spend_by_group: Mapping[str, Money]
    """Total spend per client group (``""`` for clients in none)."""
    clients_by_source: Mapping[str, int]
    """How many clients gave each "how did you hear about us" answer (``""``: none)."""
    cohorts: tuple[Cohort, ...]


def _month_index(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def aggregate(
    clients: Iterable[ClientFacts],
    *,
    now: dt.datetime,
    currency: str,
    cohort_months: int = 6,
) -> Aggregates:
    """Aggregate the given clients' appointments as of ``now``, in ``currency``.

    Pass only clients who allow profiling; every figure is computed from them alone.

    :raises ValidationError: ``money.currency_mismatch`` for an appointment in another
        currency.
    """
    spend: dict[str, Money] = {}
    sources: Counter[str] = Counter()
    firsts: dict[str, list[set[int]]] = defaultdict(list)
    count = 0
    for client in clients:
        count += 1
        sources[client.referral_source or ""] += 1
        completed = sorted(
            (
                visit
                for visit in client.appointments
                if visit.status is AppointmentStatus.COMPLETED and visit.starts_at < now
            ),
            key=lambda visit: visit.starts_at,
        )
        _currency(client.appointments, currency)
        group = client.client_group or ""
        spend[group] = spend.get(group, Money.zero(currency)) + Money.total(
            (visit.spend for visit in completed), currency
        )
        if completed:
            # One clock for every store and client: months are taken in now's zone.
            months = [_month(visit.starts_at.astimezone(now.tzinfo)) for visit in completed]
            firsts[months[0]].append({_month_index(month) for month in months})
    current = _month_index(_month(now))
    cohorts = []
    for month in sorted(firsts):
        start = _month_index(month)
        reach = min(cohort_months, current - start)
        members = firsts[month]
        returned = tuple(
            sum(start + offset in visited for visited in members) for offset in range(1, reach + 1)
        )
        cohorts.append(Cohort(month=month, size=len(members), returned=returned))
    return Aggregates(
        clients=count,
        spend_by_group=dict(sorted(spend.items())),
        clients_by_source=dict(sorted(sources.items())),
        cohorts=tuple(cohorts),
    )


def aggregates_from_figures(
    figures: AudienceFigures, *, now: dt.datetime, currency: str, cohort_months: int = 6
) -> Aggregates:
    """What :func:`aggregate` computes, from the figures a store summed.

    ``figures`` are the profiling clients' appointments summed as of ``now`` in
    ``currency`` (:meth:`~clientcard.storage.protocol.ClientStore.audience_figures`);
    the answer is the one :func:`aggregate` gives over the same clients.
    """
    current = month_index(now, now)
    cohorts = []
    for start in sorted(figures.cohorts):
        offsets = figures.cohorts[start]
        reach = min(cohort_months, current - start)
        returned = tuple(offsets.get(offset, 0) for offset in range(1, reach + 1))
        cohorts.append(Cohort(month=_month_name(start), size=offsets[0], returned=returned))
    return Aggregates(
        clients=figures.clients,
        spend_by_group={
            group: Money.of(amount, currency)
            for group, amount in sorted(figures.spend_by_group.items())
        },
        clients_by_source=dict(sorted(figures.clients_by_source.items())),
        cohorts=tuple(cohorts),
    )
