"""Replays of work the database refused: jittered, growing, bounded in number and time."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard._backoff import Backoff, replay
from clientcard.errors import StorageError


class Conflicting:
    """Work that meets a conflict ``times`` times, then succeeds; a clock that sleeps."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.calls = 0
        self.now = 0.0
        self.pauses: list[float] = []

    def __call__(self) -> str:
        self.calls += 1
        self.now += 0.001  # each attempt takes a millisecond
        if self.calls <= self.times:
            raise StorageError("conflict", "a concurrent transaction changed the same rows")
        return "done"

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds

    def run(self, *, replays: int, backoff: Backoff) -> str:
        return replay(
            self,
            retryable=lambda error: isinstance(error, StorageError) and error.reason == "conflict",
            replays=replays,
            backoff=backoff,
            sleep=self.sleep,
            clock=lambda: self.now,
        )


def test_a_conflict_is_replayed_after_a_pause_until_the_work_goes_through() -> None:
    work = Conflicting(times=3)
    assert work.run(replays=10, backoff=Backoff()) == "done"
    assert work.calls == 4
    assert len(work.pauses) == 3


@given(st.integers(min_value=1, max_value=40))
def test_every_pause_is_jittered_under_a_ceiling_that_doubles_up_to_the_longest(
    replay_number: int,
) -> None:
    backoff = Backoff(first=0.005, longest=0.25)
    ceiling = backoff.ceiling(replay_number)
    assert ceiling == min(0.25, 0.005 * 2 ** (replay_number - 1))
    assert 0 <= backoff.pause(replay_number) <= ceiling


def test_pauses_are_random_not_in_step() -> None:
    """Two processes that collided must not collide again at the same moment."""
    backoff = Backoff(first=0.005, longest=0.25)
    assert len({backoff.pause(6) for _ in range(20)}) > 1


def test_replays_stop_after_their_number_and_the_last_conflict_goes_up() -> None:
    work = Conflicting(times=100)
    with pytest.raises(StorageError) as caught:
        work.run(replays=5, backoff=Backoff(budget=1_000))
    assert caught.value.reason == "conflict"
    assert work.calls == 6


def test_replays_stop_once_the_time_budget_is_spent() -> None:
    work = Conflicting(times=10_000)
    with pytest.raises(StorageError):
        work.run(replays=10_000, backoff=Backoff(first=0.05, longest=0.05, budget=2.0))
    assert work.now <= 2.0 + 0.001
    assert 20 < work.calls < 2_000


def test_other_errors_are_never_replayed() -> None:
    calls = []

    def work() -> None:
        calls.append(1)
        raise StorageError("disk_full", "the database is full")

    with pytest.raises(StorageError):
        replay(work, retryable=lambda error: False, replays=10, sleep=lambda _: None)
    assert calls == [1]
