"""A narrated tour of clientcard: a salon's schema, a booking form, a staff edit.

Run it with ``make demo``. Every step prints what happened and why.
"""

from __future__ import annotations

import datetime as dt
import json

from clientcard import (
    Choice,
    ClientCard,
    Context,
    FieldDefinition,
    FieldSchema,
    FieldType,
    ValidationError,
    card_to_dict,
)
from clientcard.contact import phone

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


def say(text: str) -> None:
    print(f"\n== {text}")


def main() -> None:
    say("Salone Bella (Milano) sets up its client card")
    schema = (
        FieldSchema.default()
        .add(
            FieldDefinition(
                key="allergies",
                type=FieldType.LONG_TEXT,
                labels={"en": "Allergies", "it": "Allergie", "nl": "Allergieën"},
                sensitive=True,
                collect_during_booking=True,
                keep_asking=True,
            )
        )
        .add(
            FieldDefinition(
                key="hair_type",
                type=FieldType.CHOICE,
                labels={"en": "Hair type", "it": "Tipo di capelli"},
                choices=(
                    Choice("straight", {"en": "Straight", "it": "Lisci"}),
                    Choice("curly", {"en": "Curly", "it": "Ricci"}),
                ),
                required=True,
                collect_during_booking=True,
            )
        )
        .configure("birth_date", collect_during_booking=True)
    )
    print(f"schema revision {schema.revision}, {len(schema.fields)} fields")
    print("booking form (it):")
    for field in schema.form(Context.BOOKING, "it"):
        flag = " *" if field.required else ""
        print(f"  - {field.label}{flag} [{field.type.value}]")

    say("A client books online and makes mistakes")
    submitted = {
        "first_name": "  giulia ",
        "email": "giulia@",
        "phones": "333 12",
        "birth_date": "2031-01-01",
    }
    try:
        schema.validate(submitted, Context.BOOKING, today=TODAY, lang="it")
    except ValidationError as error:
        print("the form shows every problem at once:")
        for issue in error.issues:
            print(f"  {issue.field}: {issue.message} ({issue.code})")

    say("She fixes them; the card is created")
    fixed = {
        "first_name": "  Giulia ",
        "last_name": "Bianchi",
        "email": "Giulia.Bianchi@Example.IT",
        "phones": "+39 333 123 4567",
        "birth_date": "--04-01",
        "hair_type": "curly",
    }
    values = schema.validate(fixed, Context.BOOKING, today=TODAY)
    card = ClientCard.create(card_id="card-0001", business_id="salone-bella", values=values, at=NOW)
    print(repr(card))
    print("mobile, as staff read it:", phone.format_national(card.mobile or ""))
    print("still to ask at the next booking:", schema.pending_fields(card, Context.BOOKING))

    say("At the desk, staff add an allergy and an invoicing code")
    edit = schema.validate(
        {"allergies": "Nickel", "sdi_code": "m5uxcr1", "tags": "colour, vip"},
        Context.STAFF,
        today=TODAY,
        current=card,
    )
    update = card.apply(edit, at=NOW + dt.timedelta(days=3))
    print(
        f"version {update.previous.version} -> {update.card.version}; changed:",
        sorted(update.changed),
    )

    say("The stored document (what a host keeps)")
    print(json.dumps(card_to_dict(update.card), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
