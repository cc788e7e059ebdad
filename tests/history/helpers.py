"""Builders of history values for the history tests."""

from __future__ import annotations

import datetime as dt
import itertools

from clientcard.history.model import Appointment, AppointmentStatus, ServiceLine
from clientcard.money import Money
from tests.support import NOW

_ids = itertools.count()


def visit(
    card_id: str,
    *,
    business_id: str = "b",
    days: float = 0,
    status: AppointmentStatus = AppointmentStatus.COMPLETED,
    price: str = "30",
    service: str = "Cut",
    team_member_id: str | None = None,
    price_paid: str | None = None,
    **extra: object,
) -> Appointment:
    """An appointment ``days`` after NOW (negative: before) with one service."""
    return Appointment(
        id=f"a-{next(_ids)}",
        business_id=business_id,
        card_id=card_id,
        starts_at=NOW + dt.timedelta(days=days),
        duration_minutes=45,
        services=(
            ServiceLine(
                service_id=service.lower(),
                name=service,
                price=Money.of(price, "EUR"),
                team_member_id=team_member_id,
            ),
        ),
        status=status,
        price_paid=None if price_paid is None else Money.of(price_paid, "EUR"),
        **extra,  # type: ignore[arg-type]
    )
