"""Fixed points in time and small helpers shared by the tests."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from clientcard.consent import Channel, ConsentAction, ConsentSource, Purpose

if TYPE_CHECKING:
    from clientcard.book import ClientBook

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


def record(
    book: ClientBook,
    business_id: str,
    card_id: str,
    *,
    action: ConsentAction = ConsentAction.GRANT,
    purpose: Purpose | None = Purpose.MARKETING,
    channel: Channel | None = Channel.EMAIL,
    **extra: object,
) -> None:
    """Record a consent event from staff; grants get a wording version."""
    if action is ConsentAction.GRANT:
        extra.setdefault("wording_version", "v1")
    book.business(business_id).consent.record(
        card_id,
        action,
        source=ConsentSource.STAFF,
        by="s",
        purpose=purpose,
        channel=channel,
        **extra,  # type: ignore[arg-type]
    )
