"""Sign-in throttles of one business's portal: failures counted under keyed fingerprints.

A login or a source (an IP address) is never stored as such: its counter is filed under
an HMAC of it, keyed with the business's fingerprint key, so a login nobody has is
counted exactly like one somebody has.

A login's counter never starts afresh with time: its back-off doubles with each failure
past ``max_failures`` and stays where it is until the client signs in (by password or a
link), or until the login has been quiet for ``failure_memory``. A window that reset
the count (as the source and link counters do, after ``failure_window``) would give an
attacker ``max_failures`` fresh guesses every window: with one-hour windows, about 250
guesses a day on one login.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Final

import attrs

from clientcard._core import Core
from clientcard.errors import NotFoundError
from clientcard.portal.accounts import THROTTLE_KIND, Throttle
from clientcard.portal.model import AuthenticationError
from clientcard.portal.settings import PortalSettings

__all__ = ["Throttles"]

_LOGIN: Final = "login"
"""The fingerprint prefix of a login's sign-in counter (and of its uniqueness claim)."""


class Throttles:
    """The failure counters of one business's portal."""

    def __init__(self, core: Core, business_id: str, settings: PortalSettings) -> None:
        self._core = core
        self._business_id = business_id
        self._settings = settings

    def fingerprint(self, what: str, value: str) -> str:
        """The keyed fingerprint of ``value`` (a login, a source) used as a record id."""
        key = self._core.fingerprint_key(self._business_id)
        digest = hmac.digest(key, f"portal.{what}\x00{value}".encode(), "sha256")
        return f"{what}:{digest.hex()[:40]}"

    def is_stale(self, throttle: Throttle, now: dt.datetime) -> bool:
        """Whether a throttle's failures are old and no lock stands: it may be forgotten.

        A login's failures are old once the login was quiet for ``failure_memory``
        since its last failure; a source's or a link counter's once ``failure_window``
        passed since its first.
        """
        if throttle.locked_until is not None and throttle.locked_until > now:
            return False
        if throttle.id.startswith(f"{_LOGIN}:"):
            last = throttle.last_failure_at or throttle.first_failure_at
            return now - last > self._settings.failure_memory
        return now - throttle.first_failure_at > self._settings.failure_window

    def current(self, throttle_id: str, now: dt.datetime) -> tuple[Throttle | None, int]:
        """The throttle under ``throttle_id`` as it stands at ``now`` (stale ones forgotten)."""
        try:
            record = self._core.store.get_record(self._business_id, THROTTLE_KIND, throttle_id)
        except NotFoundError:
            return None, 0
        throttle = Throttle.from_record(record)
        if self.is_stale(throttle, now):
            # Old failures expire: a typo a week is never a lock-out.
            throttle = attrs.evolve(throttle, failures=0, first_failure_at=now, locked_until=None)
        return throttle, record.revision

    def count(self, throttle_id: str, limit: int, now: dt.datetime) -> None:
        """Count one attempt under ``throttle_id``, locking it once ``limit`` is reached.

        :raises AuthenticationError: ``portal.locked`` while a lock stands (not counted).
        """
        settings = self._settings
        throttle, revision = self.current(throttle_id, now)
        if throttle and throttle.locked_until and throttle.locked_until > now:
            raise AuthenticationError("portal.locked", retry_after=throttle.locked_until)
        failures = (throttle.failures if throttle else 0) + 1
        locked_until = None
        if failures >= limit:
            wait = settings.backoff * 2 ** min(failures - limit, 20)
            locked_until = now + min(wait, settings.longest_lock)
        updated = Throttle(
            id=throttle_id,
            business_id=self._business_id,
            failures=failures,
            first_failure_at=throttle.first_failure_at if throttle else now,
            locked_until=locked_until,
            last_failure_at=now,
        )
        if throttle is None:
            self._core.store.add_records([updated.to_record()])
        else:
            self._core.store.update_record(
                updated.to_record(revision=revision + 1), expected_revision=revision
            )

    def uncount(self, throttle_id: str, now: dt.datetime) -> None:
        """Take back one counted attempt (it succeeded)."""
        throttle, revision = self.current(throttle_id, now)
        if throttle is None or throttle.failures == 0:
            return
        if throttle.failures == 1:
            self.forget(throttle_id)
            return
        updated = attrs.evolve(throttle, failures=throttle.failures - 1)
        self._core.store.update_record(
            updated.to_record(revision=revision + 1), expected_revision=revision
        )

    def forgive_login(self, login: str) -> None:
        """Drop the sign-in counter of ``login``: its client just proved who they are."""
        self.forget(self.fingerprint(_LOGIN, login.strip().casefold()))

    def forget(self, throttle_id: str) -> None:
        """Drop the counter under ``throttle_id`` (a login that signed in is forgiven)."""
        self._core.store.delete_records(
            self._business_id, kind=THROTTLE_KIND, record_ids=[throttle_id]
        )

    def attempt(self, login_key: str, source: str) -> tuple[str, str]:
        """Count a sign-in attempt under its login and its source before checking it.

        Counting first, in one unit of work, is what keeps parallel guesses within the
        limit: each must take its turn at the counter before it may verify. Returns the
        fingerprints of the login and of the source.

        :raises AuthenticationError: ``portal.locked``.
        """
        now = self._core.clock.now()
        by_login = self.fingerprint(_LOGIN, login_key)
        by_source = self.fingerprint("source", source)

        def work() -> None:
            self.count(by_login, self._settings.max_failures, now)
            self.count(by_source, self._settings.source_max_failures, now)

        self._core.write(work)
        return by_login, by_source

    def reserve_link(self, login_key: str, source: str) -> bool:
        """Count a request for a link under its source and its login; return if one may go.

        The login's link counter (``links_per_window``) is not its sign-in counter, so
        failed sign-ins never stop a reset. ``False`` once the source or the login is
        locked; the counts made stand either way, in one unit of work.
        """
        now = self._core.clock.now()
        by_login = self.fingerprint("link", login_key)
        by_source = self.fingerprint("source", source)

        def work() -> bool:
            try:
                self.count(by_source, self._settings.source_max_failures, now)
                self.count(by_login, self._settings.links_per_window, now)
            except AuthenticationError:
                return False
            return True

        return self._core.write(work)
