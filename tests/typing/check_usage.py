"""Type-checked, never run: how a host's code uses clientcard's public API."""

from __future__ import annotations

import datetime as dt

from clientcard import CardUpdate, ClientCard, Context, FieldSchema, FieldValue
from clientcard.contact import phone


def create(schema: FieldSchema, form: dict[str, object], now: dt.datetime) -> ClientCard:
    values: dict[str, FieldValue] = schema.validate(form, Context.BOOKING, today=now.date())
    return ClientCard.create(card_id="c", business_id="b", values=values, at=now)


def edit(card: ClientCard, now: dt.datetime) -> CardUpdate:
    update = card.apply({"email": "a@example.com"}, at=now)
    changed: frozenset[str] = update.changed
    assert changed is not None
    return update


def display(card: ClientCard) -> str:
    return phone.format_national(card.mobile) if card.mobile else card.display_name
