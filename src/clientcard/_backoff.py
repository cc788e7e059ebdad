"""Jittered exponential back-off between replays of work the database refused.

When PostgreSQL reports a serialization failure or a deadlock, the losing transaction
is replayed. Replayed at once, the losers of a race collide again, in step: with four
processes, about a third of erasures failed after their few replays. Each replay here
waits first, a random time between zero and a ceiling that doubles with each replay
("full jitter"), so the losers spread out, and replays stop once the work has spent
its time budget, so a caller never waits unboundedly.

The unit of work (:meth:`clientcard._core.Core.write`) and a SQL store's operations run
alone (:class:`clientcard.storage._sql._units.TransactionRunner`) both replay with it.

Internal: hosts tune it through ``ClientBook(conflict_retries=..., conflict_budget=...)``
and the stores' ``max_retries``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Final, TypeVar

import attrs

__all__ = ["DEFAULT_BACKOFF", "Backoff", "replay"]

T = TypeVar("T")


@attrs.frozen
class Backoff:
    """How long to wait before each replay, and how long replays may take in all.

    ``first`` is the ceiling of the first pause (seconds), doubled for each further
    replay up to ``longest``; ``budget`` bounds the time from the first attempt after
    which no replay starts (the attempt under way still finishes).
    """

    first: float = 0.005
    longest: float = 0.25
    budget: float = 10.0

    def ceiling(self, replay: int) -> float:
        """The longest pause before replay number ``replay`` (1 for the first)."""
        return float(min(self.longest, self.first * 2 ** min(replay - 1, 60)))

    def pause(self, replay: int) -> float:
        """A random pause before replay number ``replay``, up to its ceiling."""
        return random.uniform(0, self.ceiling(replay))  # noqa: S311 - jitter, not a secret


DEFAULT_BACKOFF: Final = Backoff()
"""Up to 5 ms before the first replay, doubling to at most 250 ms; no replay after 10 s."""


def replay(
    work: Callable[[], T],
    *,
    retryable: Callable[[BaseException], bool],
    replays: int,
    backoff: Backoff = DEFAULT_BACKOFF,
    on_replay: Callable[[int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run ``work``; after a ``retryable`` error, wait and run it again.

    At most ``replays`` replays, none starting past ``backoff.budget`` seconds after
    the first attempt began; then the last error goes up.
    """
    started = clock()
    done = 0
    while True:
        try:
            return work()
        except Exception as error:
            if not retryable(error) or done >= replays:
                raise
            done += 1
            pause = backoff.pause(done)
            if clock() + pause - started > backoff.budget:
                raise
            if on_replay is not None:
                on_replay(done)
            sleep(pause)
