"""Fixed points in time and small helpers shared by the tests."""

from __future__ import annotations

import datetime as dt

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
