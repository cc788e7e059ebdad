"""The benchmarks with targets (issue 8), each timed beside its floor in alternating pairs.

The per-record targets as settled in issue 17 (pure Python: no compiled modules):

| figure | floor | target |
|---|---|---|
| validate and normalise a card | raw phonenumbers + email-validator on the same rows | <= 1.25x |
| card JSON round trip | pydantic v2 on the same shape | <= 1.25x |
| audience count, SQLite and PostgreSQL | the raw count on the covering index | <= 1.2x |
| phone lookup typed in any format, returning validated cards | parse + raw lookup | <= 2.5x |
| accent-insensitive name search | a raw prefix query | (reported) |

The SQLite import's target (<= 1.5x of the one-core floor on two CPUs, under 300 MiB)
is in ``bench/exchange.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import email_validator
import phonenumbers
import pydantic
from pairs import pairs, result

import consent  # bench/consent.py, beside this file
import storage  # bench/storage.py, beside this file
from clientcard import Context, FieldSchema
from clientcard.book import ClientBook
from clientcard.cards.card import CardStatus, ClientCard, Gender
from clientcard.cards.serialization import card_from_dict, card_to_dict
from clientcard.storage import _sql
from clientcard.storage.protocol import CardQuery
from clientcard.storage.sqlite import SQLiteStore

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


def _rows(count: int) -> list[dict[str, str]]:
    return [
        {
            "first_name": f"Anna {chr(65 + i % 26)}",
            "last_name": "Rossi",
            "email": f"anna.{i}@example.com",
            "phones": f"333 {1000000 + i:07d}",
        }
        for i in range(count)
    ]


def validation(count: int = 500) -> dict[str, Any]:
    """Validate and normalise ``count`` rows, beside the raw libraries on the same rows."""
    rows = _rows(count)
    schema = FieldSchema.default()

    def ours() -> None:
        for row in rows:
            schema.validate(row, Context.IMPORT, today=TODAY)

    def floor() -> None:
        for row in rows:
            number = phonenumbers.parse(row["phones"], "IT")
            phonenumbers.is_valid_number(number)
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            email_validator.validate_email(row["email"], check_deliverability=False)

    return result(
        f"validate and normalise a card ({count} rows)",
        pairs(ours, floor),
        "phonenumbers parse + is_valid + E.164, email-validator",
        per=count,
        unit="cards/s",
        target=1.25,
    )


class _Address(pydantic.BaseModel):
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None


class _Invoicing(pydantic.BaseModel):
    pec: str | None = None
    sdi_code: str | None = None


class _PydanticCard(pydantic.BaseModel):
    """The card's document shape in pydantic v2, as a host might write it.

    Every key ``card_to_dict`` writes, with the card's declared types and the checks
    pydantic states in a type (aware timestamps, a version of at least 1, the two
    enumerations); not the card's own checks that would need a validator written in
    Python (sorted tags, text no store can keep). :func:`json_round_trip` refuses to
    run if the two shapes part.
    """

    schema_version: int = 1
    id: str
    business_id: str
    created_at: pydantic.AwareDatetime
    updated_at: pydantic.AwareDatetime
    version: int = pydantic.Field(default=1, ge=1)
    status: CardStatus = CardStatus.ACTIVE
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    phones: tuple[str, ...] = ()
    address: _Address = _Address()
    birth_date: str | None = None
    gender: Gender | None = None
    weight_kg: Decimal | None = None
    height_cm: Decimal | None = None
    tax_code: str | None = None
    invoicing: _Invoicing = _Invoicing()
    notes: str = ""
    client_group: str | None = None
    tags: tuple[str, ...] = ()
    referral_source: str | None = None
    education: str | None = None
    profession: str | None = None
    picture: str | None = None
    language: str | None = None
    # A custom value as the document holds it: text, true/false, a list of texts, or a
    # tagged object ({"$decimal": "1.5"}).
    custom: dict[str, str | bool | list[str] | dict[str, str]] = {}
    guardian_id: str | None = None


def _cards(count: int) -> list[ClientCard]:
    return [
        ClientCard(
            id=f"card-{i}",
            business_id="salon",
            created_at=NOW,
            updated_at=NOW,
            first_name="Anna",
            last_name=f"Rossi {i}",
            email=f"anna.{i}@example.com",
            phones=(f"+39333{1000000 + i:07d}",),
            notes="Prefers mornings",
            client_group="vip",
            tags=("colour", "regular"),
            weight_kg=Decimal("61.5"),
            custom={"hair_length": "long", "newsletter": True},
        )
        for i in range(count)
    ]


def json_round_trip(count: int = 500) -> dict[str, Any]:
    """Card to JSON-ready dict and back, beside pydantic v2 on the same shape."""
    cards = _cards(count)
    documents = [card_to_dict(card) for card in cards]
    models = [_PydanticCard.model_validate(document) for document in documents]
    dumped = models[0].model_dump(mode="json")
    if dumped.keys() != documents[0].keys() or dumped["custom"] != documents[0]["custom"]:
        raise RuntimeError("the pydantic model no longer has the card document's shape")

    def ours() -> None:
        for card in cards:
            card_from_dict(card_to_dict(card))

    def floor() -> None:
        for model in models:
            _PydanticCard.model_validate(model.model_dump(mode="json"))

    return result(
        f"card JSON round trip ({count} cards)",
        pairs(ours, floor),
        "pydantic v2 model_dump(mode='json') + model_validate, same shape",
        per=count,
        unit="cards/s",
        target=1.25,
    )


def _sqlite_book(count: int) -> tuple[ClientBook, SQLiteStore, str, Path]:
    path, business_id, raw = storage.raw_file("cc-targets-")
    for offset in range(0, count, 20_000):
        cards = storage.make_cards(business_id, min(20_000, count - offset))
        cards = [
            ClientCard(
                id=f"card-{offset + n:08d}",
                business_id=business_id,
                created_at=NOW,
                updated_at=NOW,
                first_name=card.first_name,
                last_name=f"{storage.LAST[(offset + n) % len(storage.LAST)]} {offset + n}",
                phones=(f"+39333{offset + n:07d}",),
            )
            for n, card in enumerate(cards)
        ]
        for sql, params in storage.insert_statements(cards, _sql.SQLITE):
            raw.execute(sql, params)
    raw.execute("COMMIT")
    raw.execute("ANALYZE")
    raw.close()
    store = SQLiteStore(path)
    return ClientBook(store), store, business_id, path


def lookups(
    count: int | None = None, *, phone: bool = True, names: bool = True
) -> list[dict[str, Any]]:
    """Phone lookup typed in any format and name search, over ``count`` SQLite cards.

    ``phone`` and ``names`` choose which of the two run (the name search is the slow one).
    """
    count = count or int(os.environ.get("BENCH_CARDS", "100000"))
    book, store, business_id, path = _sqlite_book(count)
    raw = sqlite3.connect(path)
    step = max(count // 200, 1)
    typed = [f"333 {i // 10000:03d} {i % 10000:04d}" for i in range(0, count, step)][:200]
    lookup_sql = (
        "SELECT c.doc FROM card_phones p JOIN cards c"
        " ON c.business_id = p.business_id AND c.id = p.card_id"
        " WHERE p.business_id = ? AND p.number = ?"
    )

    def ours_phone() -> None:
        for number in typed:
            book.business(business_id).cards.find_by_phone(number)

    def floor_phone() -> None:
        for number in typed:
            parsed = phonenumbers.parse(number, "IT")
            e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            raw.execute(lookup_sql, (business_id, e164)).fetchall()

    searched = [
        f"{storage.LAST[i % len(storage.LAST)].lower()} {i}" for i in range(0, count, step)
    ][:50]
    prefix_sql = (
        "SELECT doc FROM cards WHERE business_id = ? AND sort_key >= ? AND sort_key < ?"
        " ORDER BY sort_key, id LIMIT 20"
    )

    def ours_name() -> None:
        for name in searched:
            book.business(business_id).cards.search(name)

    def floor_name() -> None:
        for name in searched:
            raw.execute(prefix_sql, (business_id, name, name + "\uffff")).fetchall()

    rows = []
    if phone:
        rows.append(
            result(
                f"phone lookup typed in any format, {len(typed)} lookups over {count} cards"
                " (SQLite)",
                pairs(ours_phone, floor_phone),
                "phonenumbers parse + E.164 + the raw indexed SELECT",
                per=len(typed),
                unit="lookups/s",
                target=2.5,
            )
        )
    if names:
        rows.append(
            result(
                f"accent-insensitive name search, {len(searched)} searches over {count} cards"
                " (SQLite)",
                pairs(ours_name, floor_name),
                "a raw prefix query on the sort key",
                per=len(searched),
                unit="searches/s",
            )
        )
    store.close()
    raw.close()
    return rows


_AUDIENCE = CardQuery(contactable=("marketing", "email"))
_COVERING = (
    "SELECT count(*) FROM card_permissions"
    " WHERE business_id = ? AND purpose = 'marketing' AND channel = 'email'"
)


def audience_sqlite(count: int | None = None) -> dict[str, Any]:
    """The audience count over ``count`` SQLite cards, beside the covering-index count."""
    count = count or consent.audience_cards()
    path, business_id = consent._load(count)
    store = SQLiteStore(path)
    raw = sqlite3.connect(path)
    timing = pairs(
        lambda: store.count(business_id, _AUDIENCE),
        lambda: raw.execute(_COVERING, (business_id,)).fetchall(),
    )
    store.close()
    raw.close()
    return result(
        f"audience count over {count} cards (SQLite)",
        timing,
        "sqlite3 COUNT on the covering (business, purpose, channel) index",
        per=1,
        unit="queries/s",
        target=1.2,
    )


def audience_postgres(dsn: str, count: int | None = None) -> dict[str, Any]:
    """The audience count over ``count`` PostgreSQL cards, beside the covering count."""
    import psycopg
    from psycopg import sql as pgsql

    from clientcard.storage.postgres import PostgresStore

    count = count or int(os.environ.get("BENCH_AUDIENCE_PG", str(consent.audience_cards())))
    schema = f"cc_bench_{uuid.uuid4().hex[:10]}"
    store = PostgresStore(dsn, schema=schema)
    try:
        business_id = storage._business(store)
        with psycopg.connect(dsn) as raw:
            raw.execute(pgsql.SQL("SET search_path TO {}").format(pgsql.Identifier(schema)))
            with raw.cursor() as cursor:
                for offset in range(0, count, 20_000):
                    size = min(20_000, count - offset)
                    cursor.executemany(
                        "INSERT INTO cards (business_id, id, version, sort_key, name_fold,"
                        " name_fold_reversed, email_key, status, client_group, guardian_id, doc)"
                        " VALUES (%s, %s, 1, %s, %s, %s, NULL, 'active', NULL, NULL, '{}')",
                        [
                            (
                                business_id,
                                f"card-{offset + n:08d}",
                                f"rossi {offset + n}",
                                f"anna rossi {offset + n}",
                                f"rossi {offset + n} anna",
                            )
                            for n in range(size)
                        ],
                    )
                    cursor.executemany(
                        "INSERT INTO card_permissions (business_id, card_id, purpose, channel)"
                        " VALUES (%s, %s, 'marketing', 'email')",
                        [
                            (business_id, f"card-{offset + n:08d}")
                            for n in range(size)
                            if (offset + n) % 3 == 0
                        ],
                    )
            raw.commit()
            raw.execute("ANALYZE")
            # Committed, so the store's connections plan from the same statistics as this
            # one: uncommitted, they planned from none and the two sides ran different plans.
            raw.commit()
            covering = _COVERING.replace("?", "%s")
            timing = pairs(
                lambda: store.count(business_id, _AUDIENCE),
                lambda: raw.execute(covering, (business_id,)).fetchall(),
            )
            raw.rollback()
    finally:
        store.close()
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(
                pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(schema))
            )
    return result(
        f"audience count over {count} cards (PostgreSQL)",
        timing,
        "psycopg COUNT on the covering (business, purpose, channel) index",
        per=1,
        unit="queries/s",
        target=1.2,
    )
