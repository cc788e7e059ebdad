"""The blacklist: clients a business won't book, and how a booking is decided.

This package holds the concept's pure types (no I/O, no clock reads); its service,
the object a host calls, is reached through a business handle
(``book.business(id).blacklist``) and lives in :mod:`clientcard.blacklist.service`.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.blacklist.model import (
    BLACKLIST_KIND,
    MATCH_KIND,
    BlacklistEntry,
    BlockReason,
    BookingDecision,
    booking_decision,
    entry_from_record,
    entry_to_records,
)

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
