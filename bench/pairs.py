"""Timing in alternating pairs: the machine's speed drifts, so each operation runs right
beside its floor (A B A B ...) and the figure is the median of the pair ratios."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

MIN_PAIRS = 15


def timed(job: Callable[[], object]) -> float:
    """Seconds one call of ``job`` took."""
    start = time.perf_counter()
    job()
    return time.perf_counter() - start


def pairs(
    ours: Callable[[], object], floor: Callable[[], object], count: int = MIN_PAIRS
) -> tuple[float, float, float]:
    """Run ``ours`` and ``floor`` alternately ``count`` times (after one warm-up each).

    Returns the median time of each and the median of the per-pair ratios.
    """
    ours()
    floor()
    mine: list[float] = []
    theirs: list[float] = []
    ratios: list[float] = []
    for _ in range(count):
        first = timed(ours)
        second = timed(floor)
        mine.append(first)
        theirs.append(second)
        ratios.append(first / second if second else float("inf"))
    return statistics.median(mine), statistics.median(theirs), statistics.median(ratios)


def result(
    name: str,
    timing: tuple[float, float, float],
    floor_is: str,
    *,
    per: int,
    unit: str,
    target: float | None = None,
) -> dict[str, Any]:
    """One row of the report, with the target ratio and whether it was met."""
    ours, floor, ratio = timing
    return {
        "benchmark": name,
        "clientcard_s": round(ours, 5),
        "floor_s": round(floor, 5),
        "floor": floor_is,
        "ratio": round(ratio, 2),
        "target": target,
        "met": None if target is None else ratio <= target,
        "rate": f"{per / ours:,.0f} {unit}" if ours else "",
    }
