"""Migration steps that carry existing rows into a new shape (see :mod:`.migrations`).

Each needs more than a fixed statement: the library's own normalisation (e-mail keys,
search tokens) or a table of countries and zones. They run inside the migrating
transaction, after the migration's statements.
"""

from __future__ import annotations

from typing import Any, Final, cast

from clientcard._zones import COUNTRY_ZONES
from clientcard.contact.email import lookup_key
from clientcard.contact.name import fold
from clientcard.storage._search import tokens_of
from clientcard.storage._sql._card_rows import insert_tokens
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session

__all__ = [
    "POSTGRES_TIME_ZONE",
    "SOURCE_INDEX",
    "SQLITE_TIME_ZONE",
    "index_existing_cards",
    "rekey_emails",
]


def rekey_emails(session: Session, dialect: Dialect) -> None:
    """Recompute the stored e-mail keys of cards and portal accounts with ``lookup_key``.

    Keys were ``str.casefold`` of the address, which merged distinct mailboxes; an
    ASCII address keeps its key, so only the rows whose key changes are written.
    """
    path = "json_extract(doc, '$.{}')" if dialect.name == "sqlite" else "doc->>'{}'"
    tables = (
        ("cards", "email_key", "email", "", "id"),
        (
            "records",
            "key",
            "login",
            " AND kind = 'portal.account'",
            "kind = 'portal.account' AND id",
        ),
    )
    for table, column, field, only, row in tables:
        # Constant text only: the names come from the table above.
        found = session.fetch(
            f"SELECT business_id, id, {column}, {path.format(field)} FROM {table}"  # noqa: S608
            f" WHERE {column} IS NOT NULL{only}"
        )
        changed = [
            (lookup_key(address), business_id, key_id)
            for business_id, key_id, key, address in found
            if isinstance(address, str) and lookup_key(address) != key
        ]
        if changed:
            session.execute_many(
                f"UPDATE {table} SET {column} = ? WHERE business_id = ? AND {row} = ?",  # noqa: S608
                changed,
            )


def _zone_case(region: str) -> str:
    """A CASE giving the zone of a country of one zone (``'UTC'`` for any other)."""
    # Constant text only: the codes and zones come from clientcard._zones.
    arms = " ".join(f"WHEN '{country}' THEN '{zone}'" for country, zone in COUNTRY_ZONES.items())
    return f"CASE {region} {arms} ELSE 'UTC' END"


# Businesses had a "timezone" that defaulted to UTC, which nobody chose for a salon: it
# becomes "time_zone", and UTC (or none) becomes the country's zone where it has one.
# A zone a business did choose is kept. A country of several zones keeps UTC until the
# business names its zone (desk.set_time_zone).
SQLITE_TIME_ZONE: Final = (
    # Constant text only (see _zone_case).
    "UPDATE businesses SET doc = json_set(json_remove(doc, '$.timezone'), '$.time_zone',"  # noqa: S608
    " CASE WHEN coalesce(json_extract(doc, '$.timezone'), 'UTC') <> 'UTC'"
    " THEN json_extract(doc, '$.timezone')"
    " ELSE " + _zone_case("json_extract(doc, '$.region')") + " END)"
    " WHERE json_type(doc, '$.time_zone') IS NULL"
)
POSTGRES_TIME_ZONE: Final = (
    "UPDATE businesses SET doc = (doc - 'timezone') || jsonb_build_object('time_zone',"  # noqa: S608
    " CASE WHEN coalesce(doc ->> 'timezone', 'UTC') <> 'UTC' THEN doc ->> 'timezone'"
    " ELSE " + _zone_case("doc ->> 'region'") + " END)"
    " WHERE doc -> 'time_zone' IS NULL"
)

SOURCE_INDEX: Final = (
    "CREATE INDEX cards_by_source ON cards (business_id, referral_source, sort_key, id)"
)

# A business of 10,000 cards holds about 60,000 search tokens; a name token is shared
# by a few cards, a phone or e-mail token by one.
_SEEDED_SEARCH_STATISTICS: Final = (
    ("card_search", "card_search", "600000 60000 4 1"),
    ("card_search", "card_search_by_card", "600000 60000 6 1"),
)

_BACKFILL_BATCH: Final = 1000


def index_existing_cards(session: Session, dialect: Dialect) -> None:
    """Write the search tokens of every card already stored (migration 6).

    Cards are read a thousand at a time in key order, and their tokens are taken from
    the stored document as a card's own are (names, phones, e-mail).
    """
    after: tuple[object, ...] = ("", "")
    indexed = 0
    while True:
        rows = session.fetch(
            "SELECT business_id, id, doc FROM cards WHERE (business_id, id) > (?, ?)"
            " ORDER BY business_id, id LIMIT ?",
            (*after, _BACKFILL_BATCH),
        )
        if not rows:
            break
        tokens: list[tuple[object, ...]] = []
        for business_id, card_id, stored in rows:
            doc = cast("dict[str, Any]", dialect.decode_card(stored))
            first, last = doc.get("first_name") or "", doc.get("last_name") or ""
            found = tokens_of(first, last, doc.get("phones") or (), doc.get("email"))
            key = fold(f"{last} {first}".strip())  # protocol.sort_key, from the document
            tokens.extend((business_id, token, card_id, key) for token in sorted(found))
        insert_tokens(session, dialect, tokens)
        indexed += len(rows)
        after = tuple(rows[-1][:2])
    if dialect.name == "sqlite":
        if indexed:
            session.execute("ANALYZE card_search")
        for table, index, figures in _SEEDED_SEARCH_STATISTICS:
            session.execute(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) SELECT ?, ?, ?"
                " WHERE NOT EXISTS (SELECT 1 FROM sqlite_stat1 WHERE idx = ?)",
                (table, index, figures, index),
            )
        session.execute("ANALYZE sqlite_schema")
