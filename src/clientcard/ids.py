"""Ids: time-ordered UUIDs (version 7, RFC 9562), the default of every id the book makes.

A random UUID (version 4) lands anywhere in an index, so a bulk import touches nearly
every page of every index keyed by card id, in every transaction: 100,000 imported
cards took three times as long to store as with ids that grow. A version 7 UUID starts
with the millisecond it was made, so new ids go to the end of those indexes, and it is
still a UUID a host's own columns and validators accept.

The rest of the id is random (62 bits), so ids can't be guessed; within one
millisecond, ids made in one process still grow, by a counter (RFC 9562, section 6.2,
method 1). They tell when they were made, to the millisecond, as the card's own
``created_at`` does; they hold nothing about the client.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Final

__all__ = ["new_id", "uuid7"]

_COUNTER_BITS: Final = 12
_COUNTER_LIMIT: Final = 1 << _COUNTER_BITS
_VERSION: Final = 0x7
_VARIANT: Final = 0b10


_RANDOM_BATCH: Final = 4096
"""Bytes read from the system's random source at a time: each read costs a system call
(10 µs on a small virtual machine, more than the rest of an id), so ids share them."""


class _Clock:
    """The last millisecond and counter used, so ids made in this process keep growing.

    It also keeps the unused part of the last read from the system's random source.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.millisecond = -1
        self.counter = 0
        self.random = b""
        self.taken = 0
        self.pid = os.getpid()

    def forked(self) -> None:
        """Start this process's lock afresh (the ids keep growing from the parent's).

        The random bytes left are dropped: the parent draws the same ones, and two
        processes must never make the same id.
        """
        self.lock = threading.Lock()
        self.random = b""
        self.taken = 0
        self.pid = os.getpid()

    def _bits(self, count: int) -> int:
        """``count`` random bits (at most 64) from the system's random source."""
        # The pid too: a child forked by C code (an extension, an embedding server) runs
        # no fork hook, and must still never draw its parent's bytes.
        if self.taken + 8 > len(self.random) or self.pid != os.getpid():
            self.random = os.urandom(_RANDOM_BATCH)
            self.taken = 0
            self.pid = os.getpid()
        start = self.taken
        self.taken = start + 8
        return int.from_bytes(self.random[start : start + 8], "big") >> (64 - count)

    def next(self, now_ms: int) -> tuple[int, int, int]:
        """The millisecond, counter and 62 random bits of the next id."""
        with self.lock:
            if now_ms > self.millisecond:
                self.millisecond = now_ms
                # Started in the lower half, leaving room to count up.
                self.counter = self._bits(_COUNTER_BITS - 1)
            else:
                # The same millisecond, or the clock stepped back: count on from the last.
                self.counter += 1
                if self.counter >= _COUNTER_LIMIT:
                    self.millisecond += 1
                    self.counter = self._bits(_COUNTER_BITS - 1)
            return self.millisecond, self.counter, self._bits(62)


_CLOCK: Final = _Clock()


def _after_fork() -> None:
    # A child forked while another thread held the lock would wait on it for ever.
    _CLOCK.forked()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def uuid7(now_ms: int | None = None) -> uuid.UUID:
    """Return a new version 7 UUID for the Unix time ``now_ms`` (milliseconds; now by default).

    UUIDs made by one process are strictly increasing, also within one millisecond and
    when the system clock steps back.
    """
    now = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    millisecond, counter, random = _CLOCK.next(now)
    value = (
        (millisecond & ((1 << 48) - 1)) << 80
        | _VERSION << 76
        | counter << 64
        | _VARIANT << 62
        | random
    )
    return uuid.UUID(int=value)


def new_id() -> str:
    """Return a new id: a version 7 UUID as text (``019ae6f2-5c1e-7a3b-9d4e-...``)."""
    # str(UUID) in fewer steps: an import draws one per card.
    text = f"{uuid7().int:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
