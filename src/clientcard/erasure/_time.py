"""Calendar arithmetic the privacy rules are written in: months, and years of months."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    """Return ``day`` moved by whole calendar ``months`` (negative goes back).

    A day the target month lacks becomes its last day: one month after 31 January is
    28 (or 29) February, as EU law counts periods (Regulation 1182/71, Art. 3(2)(c)).

    >>> add_months(dt.date(2026, 1, 31), 1)
    datetime.date(2026, 2, 28)
    >>> add_months(dt.date(2026, 3, 15), -24)
    datetime.date(2024, 3, 15)
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def months_before(now: dt.datetime, months: int) -> dt.datetime:
    """The instant ``months`` calendar months before ``now`` (same time of day)."""
    moved = add_months(now.date(), -months)
    return now.replace(year=moved.year, month=moved.month, day=moved.day)


def start_of(day: dt.date) -> dt.datetime:
    """Midnight UTC at the start of ``day``."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
