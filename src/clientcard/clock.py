"""Clocks: the one place the library learns the time, injected so tests control it.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    """**Protocol:** tells the current time, timezone-aware.

    .. versionadded:: 0.1.0
    """

    def now(self) -> dt.datetime:
        """Return the current time, timezone-aware (UTC recommended)."""
        ...


class SystemClock:
    """The machine's clock, in UTC.

    .. versionadded:: 0.1.0
    """

    def now(self) -> dt.datetime:
        """Return the current UTC time."""
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that says what it is told; :meth:`advance` moves it on.

    .. versionadded:: 0.1.0
    """

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware time")
        self._at = at

    def now(self) -> dt.datetime:
        """Return the time the clock was set to."""
        return self._at

    def advance(self, delta: dt.timedelta) -> None:
        """Move the clock on by ``delta``."""
        self._at += delta
