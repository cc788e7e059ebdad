"""What the reference salon offers: its field schema, services, times and consent texts.

A real host keeps these in its own settings; they are plain values here so the example
reads top to bottom.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Final
from zoneinfo import ZoneInfo

import attrs

from clientcard import Choice, FieldDefinition, FieldSchema, FieldType
from clientcard.consent import Channel, Purpose
from clientcard.money import Money


def booking_schema() -> FieldSchema:
    """The salon's card fields: names and a phone are required on the booking form.

    The e-mail address stays optional; gender and a custom "hair length" field show how
    choice fields become select boxes, labelled in the business's language.
    """
    hair = FieldDefinition(
        key="hair_length",
        type=FieldType.CHOICE,
        labels={"en": "Hair length", "it": "Lunghezza capelli", "nl": "Haarlengte"},
        choices=(
            Choice("short", {"en": "Short", "it": "Corti", "nl": "Kort"}),
            Choice("medium", {"en": "Medium", "it": "Medi", "nl": "Halflang"}),
            Choice("long", {"en": "Long", "it": "Lunghi", "nl": "Lang"}),
        ),
        collect_during_booking=True,
    )
    return (
        FieldSchema.default()
        .configure("first_name", required=True)
        .configure("last_name", required=True)
        .configure("phones", required=True)
        .configure("gender", collect_during_booking=True)
        .add(hair)
    )


@attrs.frozen
class Service:
    """Something a client can book, with its list price and length."""

    id: str
    names: Mapping[str, str]
    price: Money
    minutes: int

    def name(self, lang: str) -> str:
        """The service's name in ``lang`` (English when missing)."""
        return self.names.get(lang) or self.names["en"]


SERVICES: Final = (
    Service("cut", {"en": "Cut", "it": "Taglio", "nl": "Knippen"}, Money.of("35", "EUR"), 45),
    Service("colour", {"en": "Colour", "it": "Colore", "nl": "Kleuren"}, Money.of("60", "EUR"), 90),
    Service(
        "blow_dry", {"en": "Blow-dry", "it": "Piega", "nl": "Föhnen"}, Money.of("25", "EUR"), 30
    ),
)

SLOT_DAYS: Final = 3
SLOT_TIMES: Final = (dt.time(10, 0), dt.time(14, 30), dt.time(17, 0))


def offered_slots(now: dt.datetime, timezone: str) -> tuple[dt.datetime, ...]:
    """The times offered for booking: the next days' fixed times, local to the salon, in UTC."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    return tuple(
        dt.datetime.combine(today + dt.timedelta(days=day), at, tzinfo=zone).astimezone(dt.UTC)
        for day in range(1, SLOT_DAYS + 1)
        for at in SLOT_TIMES
    )


@attrs.frozen
class ConsentOffer:
    """A consent checkbox: what it asks for, and its text in each language.

    The wording version recorded with a grant is derived from the text itself, so a
    changed text can never be recorded under the old version.
    """

    name: str
    purpose: Purpose
    channel: Channel
    texts: Mapping[str, str]

    def text(self, lang: str) -> str:
        """The checkbox's text in ``lang`` (English when missing)."""
        return self.texts.get(lang) or self.texts["en"]

    def version(self, lang: str) -> str:
        """The wording version of the text shown in ``lang``."""
        digest = hashlib.sha256(self.text(lang).encode()).hexdigest()[:10]
        return f"{self.purpose.value}-{self.channel.value}-{lang}-{digest}"


CONSENT_OFFERS: Final = (
    ConsentOffer(
        "_consent_email",
        Purpose.MARKETING,
        Channel.EMAIL,
        {
            "en": "Send me offers and news by e-mail.",
            "it": "Inviatemi offerte e novità via e-mail.",
            "nl": "Stuur mij aanbiedingen en nieuws per e-mail.",
        },
    ),
    ConsentOffer(
        "_consent_sms",
        Purpose.MARKETING,
        Channel.SMS,
        {
            "en": "Send me offers and news by text message (SMS).",
            "it": "Inviatemi offerte e novità via SMS.",
            "nl": "Stuur mij aanbiedingen en nieuws per sms.",
        },
    ),
)
