"""The statements that sum appointment records (see :mod:`clientcard.storage.visits`).

Each figure set is one statement: a materialised selection of the appointment rows with
their spend and month worked out once, then ``UNION ALL`` branches tagged with what
they sum. Money is summed exactly, as integers: every appointment record keeps its
currency and price (in ten-thousandths) in columns of its own, worked out in Python
when it is written (:func:`~clientcard.storage.visits.kept_price`), so the statement
reads no price out of a document. Only the favourite services and team members are
read from the completed appointments' documents.

Months are cut on ``now``'s wall clock, whatever its time zone (an IANA zone with
daylight saving, as the history service passes the business's clock, or a fixed
offset). SQLite knows no time zones, and a database's zone rules need not be
Python's, so the statement converts no time itself: Python cuts the UTC months the
appointments can fall in into stretches of one local month each (:func:`_month_pieces`:
usually two a UTC month, before and after the local month starts, more where a clock
goes back across that midnight), and the statement gets them as a table ``b`` of bound
parameters. An appointment finds its stretch among the few rows of its UTC month, by
equality and then by comparing instants, so it costs one lookup, not a search.

What a statement can't sum is left to the Python computation over the same records,
and the functions here return ``None`` then for the store to fall back: an
appointment whose price could not be kept (its document unreadable); months spanning
more than :data:`_MOST_MONTHS` (a century of bound parameters); or a month outside the
years a datetime holds. A clock changing twice within an hour (no zone of the tz
database does) would have the second change missed (:func:`_changes`).
"""

# Every statement here is spliced together from constant expression texts built in this
# module (JSON paths, CASE expressions, rows of placeholders); every value is a bound
# parameter, so the SQL-injection rule is off for the file.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

from clientcard.errors import ValidationError
from clientcard.storage._sql._common import matchable
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session
from clientcard.storage.visits import (
    APPOINTMENT_KIND,
    TEN_THOUSANDTHS,
    AudienceFigures,
    MonthTotals,
    VisitFigures,
    month_index,
)

__all__ = ["select_audience_figures", "select_visit_figures"]

_CANCELLED: Final = "('cancelled_by_client', 'cancelled_by_business')"


class _Sql:
    """The JSON and date expressions of one database."""

    def __init__(self, dialect: Dialect) -> None:
        self.sqlite = dialect.name == "sqlite"

    def text(self, doc: str, *path: str) -> str:
        if self.sqlite:
            return f"json_extract({doc}, '$.{'.'.join(path)}')"
        inner = "".join(f"->'{part}'" for part in path[:-1])
        return f"{doc}{inner}->>'{path[-1]}'"

    def elements(self, array: str) -> str:
        """The texts of a kept JSON array, as rows of ``s.value``."""
        if self.sqlite:
            return f"json_each({array}) AS s"
        return f"jsonb_array_elements_text({array}) AS s(value)"

    def utc_month(self, at: str) -> str:
        """The number of the UTC month the instant ``at`` falls in."""
        if self.sqlite:
            # The kept text is fixed-width UTC (``YYYY-MM-DDTHH:...``).
            return (
                f"(CAST(substr({at}, 1, 4) AS INTEGER) * 12"
                f" + CAST(substr({at}, 6, 2) AS INTEGER) - 1)"
            )
        utc = f"({at} AT TIME ZONE 'UTC')"
        return f"(EXTRACT(YEAR FROM {utc}) * 12 + EXTRACT(MONTH FROM {utc}) - 1)::int"


_MOST_MONTHS: Final = 1200
"""The most UTC months a statement gets the local months of (a few parameters each)."""
_NEAR: Final = dt.timedelta(days=4)
"""How far from the midnight a month starts at a clock change can move an instant across
it: a jump is less than two days (offsets are within a day of UTC either way)."""
_HOUR: Final = dt.timedelta(hours=1)
_TICK: Final = dt.timedelta(microseconds=1)


def _offset(at: dt.datetime, zone: dt.tzinfo | None) -> dt.timedelta:
    return at.astimezone(zone).utcoffset() or dt.timedelta(0)


def _changes(zone: dt.tzinfo | None, low: dt.datetime, high: dt.datetime) -> list[dt.datetime]:
    """The instants between ``low`` and ``high`` at which ``zone``'s offset changes.

    Looked for hour by hour, then to the microsecond, so two changes less than an hour
    apart (none in the tz database) would be missed; none are looked for when the
    offset is the same at both ends and midway, as it is almost every month.
    """
    middle = low + (high - low) / 2
    if _offset(low, zone) == _offset(middle, zone) == _offset(high, zone):
        return []
    found = []
    at, before = low, _offset(low, zone)
    while at < high:
        step = min(at + _HOUR, high)
        after = _offset(step, zone)
        if after != before:
            early, late = at, step
            while late - early > _TICK:
                half = early + _TICK * ((late - early) // _TICK // 2)
                early, late = (half, late) if _offset(half, zone) == before else (early, half)
            found.append(late)
        at, before = step, after
    return found


def _month_cuts(month: int, now: dt.datetime) -> set[dt.datetime]:
    """The instants near the start of ``month`` at which :func:`month_index` may change.

    The midnight the month starts at, read with every offset the zone has near it, and
    the clock changes there: between two of these instants the offset is fixed and the
    wall clock crosses no midnight, so the month is the same.

    :raises ValueError: the month is outside the years a datetime holds.
    :raises OverflowError: the same, at the edge of those years.
    """
    year, index = divmod(month, 12)
    midnight = dt.datetime(year, index + 1, 1)
    guess = midnight.replace(tzinfo=now.tzinfo).astimezone(dt.UTC)
    low, high = guess - _NEAR, guess + _NEAR
    changes = _changes(now.tzinfo, low, high)
    offsets = {_offset(at, now.tzinfo) for at in (low, *changes)}
    starts = {(midnight - offset).replace(tzinfo=dt.UTC) for offset in offsets}
    return {guess, *changes, *(start for start in starts if low < start < high)}


def _utc_start(month: int) -> dt.datetime:
    year, index = divmod(month, 12)
    return dt.datetime(year, index + 1, 1, tzinfo=dt.UTC)


def _month_pieces(
    dialect: Dialect, now: dt.datetime, first: int, last: int
) -> tuple[str, tuple[object, ...]] | None:
    """The ``b`` table for the UTC months ``first`` to ``last``, and its parameters.

    Each row is a stretch of time within one UTC month ``m``, from ``lo`` to before
    ``hi``, whose instants all fall in the month ``month`` on ``now``'s wall clock:
    usually two a UTC month (before and after the local month starts), more where the
    clock goes back across the midnight (America/St_Johns, November 2009). ``None``
    when the statement can't be given them (see the module docs).
    """
    if last - first + 1 > _MOST_MONTHS:
        return None
    try:
        span = (_utc_start(first), _utc_start(last + 1))
        cuts = {_utc_start(month) for month in range(first, last + 2)}
        for month in range(first, last + 2):
            cuts.update(_month_cuts(month, now))
    except (ValueError, OverflowError):
        return None
    ordered = sorted(cut for cut in cuts if span[0] <= cut <= span[1])
    rows: list[tuple[int, dt.datetime, dt.datetime, int]] = []
    for low, high in itertools.pairwise(ordered):
        key, local = month_index(low, low), month_index(low, now)
        if rows and rows[-1][0] == key and rows[-1][3] == local:
            rows[-1] = (key, rows[-1][1], high, local)
        else:
            rows.append((key, low, high, local))
    params: list[object] = []
    for key, low, high, local in rows:
        params.extend((key, dialect.timestamp(low), dialect.timestamp(high), local))
    # The first row types the columns: PostgreSQL reads an untyped parameter as text.
    values = ", ".join(
        ["(CAST(? AS INTEGER), ?, ?, CAST(? AS INTEGER))"] + ["(?, ?, ?, ?)"] * (len(rows) - 1)
    )
    return f"b(m, lo, hi, month) AS MATERIALIZED (VALUES {values})", tuple(params)


def _appointments(sql: _Sql, source: str, tables: str, where: str, counted: str) -> str:
    """The ``v`` selection: every appointment with its currency, spend and month.

    The currency and price are the columns the store keeps beside each appointment
    (:func:`~clientcard.storage.visits.kept_price`), so no document is read here;
    ``spend`` is the price where ``counted`` holds, ``unread`` is 1 for an appointment
    whose price could not be kept. ``month`` is the month on ``now``'s wall clock: that
    of the row of ``b`` holding the appointment's instant, found among the few rows of
    its UTC month (``NULL`` for a UTC month ``b`` has no rows for).
    """
    return (
        f"v AS MATERIALIZED (SELECT {source} r.id AS id, r.at AS at, r.key AS status,"
        " r.currency AS cur, r.amount AS amount,"
        f" CASE WHEN {counted} THEN r.amount END AS spend,"
        f" CASE WHEN {counted} THEN 1 END AS counted,"
        " CASE WHEN r.amount IS NULL OR r.services IS NULL THEN 1 ELSE 0 END AS unread,"
        f" b.month AS month FROM {tables} LEFT JOIN b ON b.m = {sql.utc_month('r.at')}"
        f" AND r.at >= b.lo AND r.at < b.hi WHERE {where})"
    )


def _decimal(value: object) -> Decimal:
    if value is None:
        return Decimal(0)
    return Decimal(str(value)).scaleb(-TEN_THOUSANDTHS)


def _instant(value: object) -> dt.datetime | None:
    if value is None:
        return None
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return when.astimezone(dt.UTC)


def select_visit_figures(
    session: Session,
    dialect: Dialect,
    business_id: str,
    card_id: str,
    *,
    now: dt.datetime,
    months: int,
) -> VisitFigures | None:
    """Sum one card's appointments in one statement; ``None`` to fall back to Python."""
    if not matchable(business_id) or not matchable(card_id):
        return VisitFigures(
            appointments=0, currencies=frozenset(), future_bookings=0, completed=0,
            spend=Decimal(0), first_completed=None, last_completed=None,
            first_appointment=None, past_no_shows=0, past_kept=0, cancelled=0,
            months=(), services={}, team_members={},
        )  # fmt: skip
    current = month_index(now, now)
    # Only the months asked for are summed by month: the UTC months that can fall in them.
    starts = _month_pieces(dialect, now, min(current - months + 1, current) - 1, current + 1)
    if starts is None:
        return None
    table, bounds = starts
    sql = _Sql(dialect)
    stamp = dialect.timestamp(now)
    where = "r.business_id = ? AND r.card_id = ? AND r.kind = ?"
    done = "v.status = 'completed'"
    selection = _appointments(sql, "", "records AS r", where, "r.key = 'completed'")
    # The completed appointments' service names and team members, from the short
    # arrays kept beside each record (each member once an appointment already).
    completed = "WHERE r.business_id = ? AND r.card_id = ? AND r.kind = ? AND r.key = 'completed'"
    statement = (
        f"WITH {table}, {selection}"
        " SELECT 'all', min(v.cur), max(v.cur), count(*),"
        " sum(CASE WHEN v.status = 'booked' AND v.at >= ? THEN 1 ELSE 0 END),"
        f" sum(CASE WHEN {done} THEN 1 ELSE 0 END),"
        " sum(CASE WHEN v.status = 'no_show' AND v.at < ? THEN 1 ELSE 0 END),"
        f" sum(CASE WHEN v.at < ? AND v.status NOT IN {_CANCELLED} THEN 1 ELSE 0 END),"
        f" sum(CASE WHEN v.status IN {_CANCELLED} THEN 1 ELSE 0 END),"
        f" sum(v.spend), min(CASE WHEN {done} THEN v.at END),"
        f" max(CASE WHEN {done} THEN v.at END), min(v.at), max(v.unread), count(v.cur)"
        " FROM v"
        " UNION ALL SELECT 'month', NULL, NULL, v.month, count(*),"
        f" sum(CASE WHEN {done} THEN 1 ELSE 0 END), NULL, NULL, NULL, sum(v.spend),"
        " NULL, NULL, NULL, NULL, NULL FROM v WHERE v.month >= ? AND v.month <= ?"
        " GROUP BY v.month"
        " UNION ALL SELECT 'service', s.value, NULL, count(*), NULL, NULL, NULL, NULL, NULL,"
        " NULL, NULL, NULL, NULL, NULL, NULL"
        f" FROM records AS r, {sql.elements('r.services')} {completed} GROUP BY s.value"
        " UNION ALL SELECT 'member', s.value, NULL, count(*), NULL, NULL, NULL, NULL, NULL,"
        " NULL, NULL, NULL, NULL, NULL, NULL"
        f" FROM records AS r, {sql.elements('r.members')} {completed} GROUP BY s.value"
    )
    rows = session.fetch(
        statement,
        (
            *bounds,
            *(business_id, card_id, APPOINTMENT_KIND),
            *(stamp, stamp, stamp),
            *(current - months + 1, current),
            *(business_id, card_id, APPOINTMENT_KIND),
            *(business_id, card_id, APPOINTMENT_KIND),
        ),
    )
    return _visit_figures(rows)


def _visit_figures(rows: Sequence[Sequence[Any]]) -> VisitFigures | None:
    totals = next(row for row in rows if row[0] == "all")
    (_, low, high, count, future, completed, no_shows, kept, cancelled, spend) = totals[:10]
    first_done, last_done, first, unread, priced = totals[10:]
    if int(count) and (int(priced) < int(count) or int(unread or 0)):
        return None
    return VisitFigures(
        appointments=int(count),
        currencies=frozenset(str(c) for c in (low, high) if c is not None),
        future_bookings=int(future or 0),
        completed=int(completed or 0),
        spend=_decimal(spend),
        first_completed=_instant(first_done),
        last_completed=_instant(last_done),
        first_appointment=_instant(first),
        past_no_shows=int(no_shows or 0),
        past_kept=int(kept or 0),
        cancelled=int(cancelled or 0),
        months=tuple(
            sorted(
                (
                    MonthTotals(
                        month=int(row[3]),
                        appointments=int(row[4]),
                        completed=int(row[5] or 0),
                        spend=_decimal(row[9]),
                    )
                    for row in rows
                    if row[0] == "month"
                ),
                key=lambda totals: totals.month,
            )
        ),
        services={str(row[1]): int(row[3]) for row in rows if row[0] == "service"},
        team_members={str(row[1]): int(row[3]) for row in rows if row[0] == "member"},
    )


def select_audience_figures(
    session: Session,
    dialect: Dialect,
    business_id: str,
    *,
    audience: tuple[str, str],
    now: dt.datetime,
    currency: str,
) -> AudienceFigures | None:
    """Sum the audience's appointments in one statement; ``None`` to fall back to Python.

    :raises ValidationError: ``money.currency_mismatch``.
    """
    purpose, channel = audience
    if not all(matchable(value) for value in (business_id, purpose, channel, currency)):
        return AudienceFigures(clients=0, clients_by_source={}, spend_by_group={}, cohorts={})
    # Cohorts count every month a client came: the UTC months of the business's first
    # and last appointments bound them (an index range's two ends).
    span = session.fetch(
        "SELECT min(at), max(at) FROM records WHERE business_id = ? AND kind = ?",
        (business_id, APPOINTMENT_KIND),
    )
    ends = [_instant(value) or now.astimezone(dt.UTC) for value in span[0]]
    first, last = (end.year * 12 + end.month - 1 for end in ends)
    starts = _month_pieces(dialect, now, first, last)
    if starts is None:
        return None
    table, bounds = starts
    sql = _Sql(dialect)
    stamp = dialect.timestamp(now)
    source = sql.text("c.doc", "referral_source")
    tables = "p JOIN records AS r ON r.business_id = ? AND r.card_id = p.card_id AND r.kind = ?"
    counted = "r.key = 'completed' AND r.at < ?"
    source_columns = "p.card_id AS card_id, p.grp AS grp,"
    selection = _appointments(sql, source_columns, tables, "1 = 1", counted)
    statement = (
        f"WITH {table}, p AS MATERIALIZED (SELECT c.id AS card_id, c.client_group AS grp,"
        f" {source} AS src FROM card_permissions AS x JOIN cards AS c"
        " ON c.business_id = x.business_id AND c.id = x.card_id"
        " WHERE x.business_id = ? AND x.purpose = ? AND x.channel = ?),"
        f" {selection},"
        " cm AS MATERIALIZED (SELECT DISTINCT v.card_id AS card_id, v.month AS month FROM v"
        " WHERE v.counted = 1),"
        " f AS (SELECT cm.card_id AS card_id, min(cm.month) AS first FROM cm"
        " GROUP BY cm.card_id)"
        # The first branch types the columns: PostgreSQL reads an untyped NULL as text.
        " SELECT 'client', p.grp, p.src, count(*), CAST(NULL AS BIGINT),"
        " CAST(NULL AS BIGINT), CAST(NULL AS NUMERIC) FROM p"
        " GROUP BY p.grp, p.src"
        " UNION ALL SELECT 'spend', v.grp, NULL, max(v.unread), NULL, NULL, sum(v.spend)"
        " FROM v GROUP BY v.grp"
        " UNION ALL SELECT 'currency', NULL, NULL,"
        " sum(CASE WHEN v.cur <> ? THEN 1 ELSE 0 END),"
        " sum(CASE WHEN v.cur IS NULL THEN 1 ELSE 0 END), NULL, NULL FROM v"
        " UNION ALL SELECT 'cohort', NULL, NULL, f.first, cm.month - f.first, count(*), NULL"
        " FROM f JOIN cm ON cm.card_id = f.card_id GROUP BY f.first, cm.month - f.first"
    )
    rows = session.fetch(
        statement,
        # In the order of the text: the month starts, the permissions, then the counted
        # appointments' time (in the selection's columns, before its FROM), the records,
        # the currency.
        (
            *bounds,
            *(business_id, purpose, channel, stamp, stamp),
            *(business_id, APPOINTMENT_KIND, currency),
        ),
    )
    return _audience_figures(rows, currency)


def _audience_figures(rows: Sequence[Sequence[Any]], currency: str) -> AudienceFigures | None:
    checks = next(row for row in rows if row[0] == "currency")
    if int(checks[4] or 0):
        return None
    spends = [row for row in rows if row[0] == "spend"]
    if any(int(row[3] or 0) for row in spends):
        return None
    if int(checks[3] or 0):
        raise ValidationError.of("currency", "money.currency_mismatch")
    sources: dict[str, int] = {}
    groups: dict[str, Decimal] = {}
    clients = 0
    for row in rows:
        if row[0] == "client":
            clients += int(row[3])
            key = str(row[2] or "")
            sources[key] = sources.get(key, 0) + int(row[3])
            groups.setdefault(str(row[1] or ""), Decimal(0))
    for row in spends:
        groups[str(row[1] or "")] = _decimal(row[6])
    cohorts: dict[int, dict[int, int]] = {}
    for row in rows:
        if row[0] == "cohort":
            cohorts.setdefault(int(row[3]), {})[int(row[4])] = int(row[5])
    return AudienceFigures(
        clients=clients, clients_by_source=sources, spend_by_group=groups, cohorts=cohorts
    )
