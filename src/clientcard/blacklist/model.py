"""Blacklist entries, and whether someone may book.

A business blocks a client with a reason code, for the whole business or one location,
until lifted or until an optional expiry. An entry remembers keyed fingerprints of the
client's e-mail address and phone numbers (:mod:`clientcard.fingerprints`), so a blocked
person who books again under a new card is still caught, and, where the business's
erasure policy says so, the block outlives the client's erasure with nothing but those
fingerprints. A blocked client also gets no marketing
(:func:`clientcard.consent.may_contact`'s ``blacklisted``).

>>> import datetime as dt
>>> now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
>>> entry = BlacklistEntry(
...     id="x", business_id="b", card_id="c", reason=BlockReason.NO_SHOW, at=now, by="staff-1",
...     fingerprints=("phone:ab12",),
... )
>>> booking_decision([entry], now=now).allowed
False
>>> booking_decision([entry.lifted(now, by="staff-2")], now=now).allowed
True

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any, Final

import attrs

from clientcard.cards.serialization import record_document, record_value
from clientcard.contact.name import normalize_text
from clientcard.errors import InvalidValueError, ValidationError
from clientcard.storage.records import Record

__all__ = [
    "BLACKLIST_KIND",
    "MATCH_KIND",
    "BlacklistEntry",
    "BlockReason",
    "BookingDecision",
    "booking_decision",
    "entry_from_record",
    "entry_to_records",
]

BLACKLIST_KIND: Final = "blacklist"
"""The record kind of blacklist entries."""
MATCH_KIND: Final = "blacklist.match"
"""The record kind that finds an entry by one of its fingerprints (the record's key)."""

_MAX_NOTE: Final = 1000


class BlockReason(enum.Enum):
    """Why a client was blocked.

    .. versionadded:: 0.1.0
    """

    NO_SHOW = "no_show"
    LATE_CANCELLATION = "late_cancellation"
    UNPAID = "unpaid"
    ABUSIVE = "abusive"
    FRAUD = "fraud"
    OTHER = "other"


def _aware(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, dt.datetime) and value.utcoffset() is None:
        raise ValidationError.of(attribute.name, "time.naive")


def _note(value: object) -> str | None:
    if value is None:
        return None
    try:
        return normalize_text(value, _MAX_NOTE, multiline=True) or None
    except InvalidValueError as error:
        raise ValidationError.of("note", error.code) from None


def _prints(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(value)))


@attrs.frozen
class BlacklistEntry:
    """One block: who, why, where, until when, and by whom.

    ``card_id`` is ``None`` once the client was erased and the business kept the block;
    ``location_id`` ``None`` means every location; ``expires_at`` ``None`` means until
    lifted.

    .. versionadded:: 0.1.0
    """

    id: str
    business_id: str
    card_id: str | None
    reason: BlockReason
    at: dt.datetime = attrs.field(validator=_aware)
    by: str | None
    location_id: str | None = None
    expires_at: dt.datetime | None = attrs.field(default=None, validator=_aware)
    note: str | None = attrs.field(default=None, converter=_note)
    fingerprints: tuple[str, ...] = attrs.field(default=(), converter=_prints)
    lifted_at: dt.datetime | None = attrs.field(default=None, validator=_aware)
    lifted_by: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.expires_at is not None and self.expires_at <= self.at:
            raise ValidationError.of("expires_at", "blacklist.expiry_past")

    def __repr__(self) -> str:
        return (
            f"BlacklistEntry(id={self.id!r}, card_id={self.card_id!r},"
            f" reason={self.reason.value}, active_until={self.ends_at})"
        )

    @property
    def ends_at(self) -> dt.datetime | None:
        """When it stops applying: lifted, expired, or ``None`` while open-ended."""
        ends = [time for time in (self.lifted_at, self.expires_at) if time is not None]
        return min(ends) if ends else None

    def applies(self, now: dt.datetime, location_id: str | None = None) -> bool:
        """Whether it blocks at ``now`` (at ``location_id``, or anywhere when ``None``)."""
        ends = self.ends_at
        if self.at > now or (ends is not None and ends <= now):
            return False
        return self.location_id is None or location_id is None or self.location_id == location_id

    def lifted(self, at: dt.datetime, *, by: str) -> BlacklistEntry:
        """Return it lifted at ``at`` by ``by``, without its fingerprints.

        A lifted block matches nobody any more, so it keeps nothing that could
        recognise the person: only who blocked, why, and who lifted it when.
        """
        return attrs.evolve(self, lifted_at=at, lifted_by=by, fingerprints=())

    def detached(self) -> BlacklistEntry:
        """Return it as it outlives the client's card: no card, no note, fingerprints only."""
        return attrs.evolve(self, card_id=None, note=None)

    @property
    def match_ids(self) -> tuple[str, ...]:
        """The ids of the match records :func:`entry_to_records` files for it."""
        return tuple(f"{self.id}:{number}" for number in range(len(self.fingerprints)))


@attrs.frozen
class BookingDecision:
    """Whether someone may book, and if not, which block says no.

    Tell the client only that booking online isn't possible; the reason is for staff.

    .. versionadded:: 0.1.0
    """

    allowed: bool
    reason: BlockReason | None = None
    entry_id: str | None = None
    location_id: str | None = None


def booking_decision(
    entries: Iterable[BlacklistEntry], *, now: dt.datetime, location_id: str | None = None
) -> BookingDecision:
    """Decide from the entries that match a person whether they may book at ``now``.

    The earliest block that applies is the one reported.
    """
    applying = sorted(
        (entry for entry in entries if entry.applies(now, location_id)),
        key=lambda entry: (entry.at, entry.id),
    )
    if not applying:
        return BookingDecision(allowed=True)
    first = applying[0]
    return BookingDecision(
        allowed=False, reason=first.reason, entry_id=first.id, location_id=first.location_id
    )


def entry_to_records(entry: BlacklistEntry, *, revision: int = 1) -> tuple[Record, ...]:
    """The entry's own record, then one match record per fingerprint."""
    own = Record(
        business_id=entry.business_id,
        kind=BLACKLIST_KIND,
        id=entry.id,
        at=entry.at,
        doc=record_document(entry),
        card_id=entry.card_id,
        revision=revision,
    )
    matches = tuple(
        Record(
            business_id=entry.business_id,
            kind=MATCH_KIND,
            id=match_id,
            at=entry.at,
            doc={"entry_id": entry.id},
            card_id=entry.card_id,
            key=fingerprint,
        )
        for match_id, fingerprint in zip(entry.match_ids, entry.fingerprints, strict=True)
    )
    return (own, *matches)


def entry_from_record(record: Record) -> BlacklistEntry:
    """Read an entry back. :raises DocumentError: the document is malformed."""
    return record_value(BlacklistEntry, record)
