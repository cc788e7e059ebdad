"""The versioned history of the stores' tables, applied on open."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Final, cast

import attrs

from clientcard.contact.name import fold
from clientcard.errors import (
    StorageError,
)
from clientcard.storage._search import tokens_of
from clientcard.storage._sql._card_rows import insert_tokens
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session

# -- migrations ---------------------------------------------------------------------------


@attrs.frozen
class Migration:
    """One step of the schema history: a version, a name and its statements per dialect.

    A released migration never changes; a new shape is a new migration.

    .. versionadded:: 0.1.0
    """

    version: int
    name: str
    statements: Mapping[str, tuple[str, ...]]
    carry_forward: Callable[[Session, Dialect], None] | None = None
    """Run after the statements, in the same transaction, to bring existing rows into the
    new shape where SQL alone can't (it needs the library's own normalisation)."""


_MIGRATIONS_TABLE: Final = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER NOT NULL PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)"
)

# (table, index, "rows, then rows per distinct prefix of the index's columns")
_SEEDED_STATISTICS: Final = (
    ("cards", "cards_by_sort_key", "100000 10000 2 1"),
    ("cards", "cards_by_email_key", "100000 10000 1"),
    ("cards", "cards_by_group", "100000 10000 2000"),
    ("cards", "sqlite_autoindex_cards_1", "100000 10000 1"),
    ("card_phones", "card_phones_by_number", "100000 10000 1"),
    ("card_phones", "card_phones", "100000 10000 1 1"),
    ("card_tags", "card_tags_by_tag", "100000 10000 500"),
    ("card_tags", "card_tags", "100000 10000 3 1"),
    ("card_permissions", "card_permissions_by_pair", "100000 10000 2000 1000"),
    ("card_permissions", "card_permissions", "100000 10000 8 4 1"),
)

# A business of 10,000 cards holds about 60,000 search tokens; a name token is shared
# by a few cards, a phone or e-mail token by one.
_SEEDED_SEARCH_STATISTICS: Final = (
    ("card_search", "card_search", "600000 60000 4 1"),
    ("card_search", "card_search_by_card", "600000 60000 6 1"),
)

_BACKFILL_BATCH: Final = 1000


def _index_existing_cards(session: Session, dialect: Dialect) -> None:
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


MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(
        version=1,
        name="initial",
        statements={
            "sqlite": (
                """CREATE TABLE IF NOT EXISTS businesses (
                    id TEXT NOT NULL PRIMARY KEY,
                    revision INTEGER NOT NULL,
                    doc TEXT NOT NULL
                )""",
                """CREATE TABLE IF NOT EXISTS cards (
                    business_id TEXT NOT NULL REFERENCES businesses (id),
                    id TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    sort_key TEXT NOT NULL,
                    name_fold TEXT NOT NULL,
                    name_fold_reversed TEXT NOT NULL,
                    email_key TEXT,
                    status TEXT NOT NULL,
                    client_group TEXT,
                    guardian_id TEXT,
                    doc TEXT NOT NULL,
                    PRIMARY KEY (business_id, id)
                )""",
                "CREATE INDEX IF NOT EXISTS cards_by_sort_key ON cards (business_id, sort_key, id)",
                "CREATE INDEX IF NOT EXISTS cards_by_email_key ON cards (business_id, email_key)",
                "CREATE INDEX IF NOT EXISTS cards_by_group ON cards (business_id, client_group)",
                (
                    "CREATE INDEX IF NOT EXISTS cards_by_guardian"
                    " ON cards (business_id, guardian_id)"
                ),
                """CREATE TABLE IF NOT EXISTS card_phones (
                    business_id TEXT NOT NULL,
                    card_id TEXT NOT NULL,
                    number TEXT NOT NULL,
                    PRIMARY KEY (business_id, card_id, number),
                    FOREIGN KEY (business_id, card_id)
                        REFERENCES cards (business_id, id) ON DELETE CASCADE
                ) WITHOUT ROWID""",
                (
                    "CREATE INDEX IF NOT EXISTS card_phones_by_number"
                    " ON card_phones (business_id, number)"
                ),
                """CREATE TABLE IF NOT EXISTS card_tags (
                    business_id TEXT NOT NULL,
                    card_id TEXT NOT NULL,
                    tag TEXT NOT NULL,
                    PRIMARY KEY (business_id, card_id, tag),
                    FOREIGN KEY (business_id, card_id)
                        REFERENCES cards (business_id, id) ON DELETE CASCADE
                ) WITHOUT ROWID""",
                "CREATE INDEX IF NOT EXISTS card_tags_by_tag ON card_tags (business_id, tag)",
                """CREATE TABLE IF NOT EXISTS card_permissions (
                    business_id TEXT NOT NULL,
                    card_id TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    PRIMARY KEY (business_id, card_id, purpose, channel),
                    FOREIGN KEY (business_id, card_id)
                        REFERENCES cards (business_id, id) ON DELETE CASCADE
                ) WITHOUT ROWID""",
                (
                    "CREATE INDEX IF NOT EXISTS card_permissions_by_pair"
                    " ON card_permissions (business_id, purpose, channel)"
                ),
                """CREATE TABLE IF NOT EXISTS outbox (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    event_id TEXT NOT NULL,
                    business_id TEXT NOT NULL,
                    doc TEXT NOT NULL
                )""",
                "CREATE INDEX IF NOT EXISTS outbox_by_event_id ON outbox (event_id)",
            ),
            # COLLATE "C" orders by code point, as protocol.sort_key and Python do, and
            # as SQLite's BINARY does; a locale collation would page in another order.
            "postgresql": (
                """CREATE TABLE IF NOT EXISTS businesses (
                    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
                    revision INTEGER NOT NULL,
                    doc JSONB NOT NULL
                )""",
                """CREATE TABLE IF NOT EXISTS cards (
                    business_id TEXT COLLATE "C" NOT NULL REFERENCES businesses (id),
                    id TEXT COLLATE "C" NOT NULL,
                    version INTEGER NOT NULL,
                    sort_key TEXT COLLATE "C" NOT NULL,
                    name_fold TEXT COLLATE "C" NOT NULL,
                    name_fold_reversed TEXT COLLATE "C" NOT NULL,
                    email_key TEXT COLLATE "C",
                    status TEXT COLLATE "C" NOT NULL,
                    client_group TEXT COLLATE "C",
                    guardian_id TEXT COLLATE "C",
                    doc JSONB NOT NULL,
                    PRIMARY KEY (business_id, id)
                )""",
                "CREATE INDEX IF NOT EXISTS cards_by_sort_key ON cards (business_id, sort_key, id)",
                "CREATE INDEX IF NOT EXISTS cards_by_email_key ON cards (business_id, email_key)",
                "CREATE INDEX IF NOT EXISTS cards_by_group ON cards (business_id, client_group)",
                (
                    "CREATE INDEX IF NOT EXISTS cards_by_guardian"
                    " ON cards (business_id, guardian_id)"
                ),
                """CREATE TABLE IF NOT EXISTS card_phones (
                    business_id TEXT COLLATE "C" NOT NULL,
                    card_id TEXT COLLATE "C" NOT NULL,
                    number TEXT COLLATE "C" NOT NULL,
                    PRIMARY KEY (business_id, card_id, number),
                    FOREIGN KEY (business_id, card_id)
                        REFERENCES cards (business_id, id) ON DELETE CASCADE
                )""",
                (
                    "CREATE INDEX IF NOT EXISTS card_phones_by_number"
                    " ON card_phones (business_id, number)"
                ),
                """CREATE TABLE IF NOT EXISTS card_tags (
                    business_id TEXT COLLATE "C" NOT NULL,
                    card_id TEXT COLLATE "C" NOT NULL,
                    tag TEXT COLLATE "C" NOT NULL,
                    PRIMARY KEY (business_id, card_id, tag),
                    FOREIGN KEY (business_id, card_id)
                        REFERENCES cards (business_id, id) ON DELETE CASCADE
                )""",
                "CREATE INDEX IF NOT EXISTS card_tags_by_tag ON card_tags (business_id, tag)",
                """CREATE TABLE IF NOT EXISTS card_permissions (
                    business_id TEXT COLLATE "C" NOT NULL,
                    card_id TEXT COLLATE "C" NOT NULL,
                    purpose TEXT COLLATE "C" NOT NULL,
                    channel TEXT COLLATE "C" NOT NULL,
                    PRIMARY KEY (business_id, card_id, purpose, channel),
                    FOREIGN KEY (business_id, card_id)
                        REFERENCES cards (business_id, id) ON DELETE CASCADE
                )""",
                (
                    "CREATE INDEX IF NOT EXISTS card_permissions_by_pair"
                    " ON card_permissions (business_id, purpose, channel)"
                ),
                """CREATE TABLE IF NOT EXISTS outbox (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    event_id TEXT COLLATE "C" NOT NULL,
                    business_id TEXT COLLATE "C" NOT NULL,
                    doc JSONB NOT NULL
                )""",
                "CREATE INDEX IF NOT EXISTS outbox_by_event_id ON outbox (event_id)",
            ),
        },
    ),
    # SQLite plans from statistics; without any it prefers walking the sort index (no
    # sort needed) even where an equality on e-mail or phone would find one card. ANALYZE
    # measures what is there; an empty database is seeded with the shape of a big
    # business (many cards each, few per e-mail, phone or id) until PRAGMA optimize, run
    # on close, measures the real one. PostgreSQL keeps its own statistics.
    Migration(
        version=2,
        name="planner statistics",
        statements={
            "sqlite": (
                "ANALYZE",
                *(
                    # Constant text only: the names and figures come from the table below.
                    "INSERT INTO sqlite_stat1 (tbl, idx, stat)"  # noqa: S608
                    f" SELECT '{table}', '{index}', '{figures}'"
                    f" WHERE NOT EXISTS (SELECT 1 FROM sqlite_stat1 WHERE idx = '{index}')"
                    for table, index, figures in _SEEDED_STATISTICS
                ),
                "ANALYZE sqlite_schema",
            ),
            "postgresql": (),
        },
    ),
    Migration(
        version=3,
        name="consent ledger",
        statements={
            "sqlite": (
                """CREATE TABLE consent_events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    event_id TEXT NOT NULL UNIQUE,
                    business_id TEXT NOT NULL,
                    card_id TEXT NOT NULL,
                    doc TEXT NOT NULL,
                    FOREIGN KEY (business_id, card_id)
                        REFERENCES cards (business_id, id) ON DELETE CASCADE
                )""",
                "CREATE INDEX consent_events_by_card ON consent_events (business_id, card_id, seq)",
            ),
            "postgresql": (
                """CREATE TABLE consent_events (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    event_id TEXT COLLATE "C" NOT NULL UNIQUE,
                    business_id TEXT COLLATE "C" NOT NULL,
                    card_id TEXT COLLATE "C" NOT NULL,
                    doc JSONB NOT NULL,
                    FOREIGN KEY (business_id, card_id)
                        REFERENCES cards (business_id, id) ON DELETE CASCADE
                )""",
                "CREATE INDEX consent_events_by_card ON consent_events (business_id, card_id, seq)",
            ),
        },
    ),
    Migration(
        version=4,
        name="dispatcher sends",
        statements={
            "sqlite": (
                """CREATE TABLE sends (
                    send_id TEXT NOT NULL PRIMARY KEY,
                    business_id TEXT NOT NULL,
                    batch_id TEXT NOT NULL,
                    card_id TEXT NOT NULL,
                    template_key TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    status TEXT NOT NULL,
                    queued_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    not_before TEXT,
                    dedupe_key TEXT,
                    doc TEXT NOT NULL,
                    UNIQUE (business_id, dedupe_key)
                )""",
                "CREATE INDEX sends_to_claim ON sends (status, queued_at, send_id)",
                "CREATE INDEX sends_by_batch ON sends (business_id, batch_id)",
                "CREATE INDEX sends_by_card ON sends (business_id, card_id)",
            ),
            "postgresql": (
                """CREATE TABLE sends (
                    send_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
                    business_id TEXT COLLATE "C" NOT NULL,
                    batch_id TEXT COLLATE "C" NOT NULL,
                    card_id TEXT COLLATE "C" NOT NULL,
                    template_key TEXT COLLATE "C" NOT NULL,
                    channel TEXT COLLATE "C" NOT NULL,
                    status TEXT COLLATE "C" NOT NULL,
                    queued_at TIMESTAMPTZ NOT NULL,
                    updated_at TIMESTAMPTZ NOT NULL,
                    not_before TIMESTAMPTZ,
                    dedupe_key TEXT COLLATE "C",
                    doc JSONB NOT NULL,
                    UNIQUE (business_id, dedupe_key)
                )""",
                "CREATE INDEX sends_to_claim ON sends (status, queued_at, send_id)",
                "CREATE INDEX sends_by_batch ON sends (business_id, batch_id)",
                "CREATE INDEX sends_by_card ON sends (business_id, card_id)",
            ),
        },
    ),
    Migration(
        version=5,
        name="records",
        statements={
            "sqlite": (
                """CREATE TABLE records (
                    business_id TEXT NOT NULL REFERENCES businesses (id),
                    kind TEXT NOT NULL,
                    id TEXT NOT NULL,
                    card_id TEXT,
                    at TEXT NOT NULL,
                    key TEXT,
                    revision INTEGER NOT NULL,
                    doc TEXT NOT NULL,
                    PRIMARY KEY (business_id, kind, id)
                )""",
                "CREATE INDEX records_by_time ON records (business_id, kind, at, id)",
                "CREATE INDEX records_by_card ON records (business_id, card_id, kind, at, id)",
                "CREATE INDEX records_by_key ON records (business_id, kind, key)",
            ),
            "postgresql": (
                """CREATE TABLE records (
                    business_id TEXT COLLATE "C" NOT NULL REFERENCES businesses (id),
                    kind TEXT COLLATE "C" NOT NULL,
                    id TEXT COLLATE "C" NOT NULL,
                    card_id TEXT COLLATE "C",
                    at TIMESTAMPTZ NOT NULL,
                    key TEXT COLLATE "C",
                    revision INTEGER NOT NULL,
                    doc JSONB NOT NULL,
                    PRIMARY KEY (business_id, kind, id)
                )""",
                "CREATE INDEX records_by_time ON records (business_id, kind, at, id)",
                "CREATE INDEX records_by_card ON records (business_id, card_id, kind, at, id)",
                "CREATE INDEX records_by_key ON records (business_id, kind, key)",
            ),
        },
    ),
    # Search by word prefix, served by a range scan of (business_id, token): the same
    # statements on both databases, the same cost per business however many there are,
    # sharded with the rest by business_id, and a card's rows go when the card goes.
    Migration(
        version=6,
        name="search tokens",
        statements={
            "sqlite": (
                """CREATE TABLE card_search (
                    business_id TEXT NOT NULL,
                    token TEXT NOT NULL,
                    card_id TEXT NOT NULL,
                    sort_key TEXT NOT NULL,
                    PRIMARY KEY (business_id, token, card_id),
                    FOREIGN KEY (business_id, card_id)
                        REFERENCES cards (business_id, id) ON DELETE CASCADE
                ) WITHOUT ROWID""",
                "CREATE INDEX card_search_by_card ON card_search (business_id, card_id, token)",
            ),
            "postgresql": (
                """CREATE TABLE card_search (
                    business_id TEXT COLLATE "C" NOT NULL,
                    token TEXT COLLATE "C" NOT NULL,
                    card_id TEXT COLLATE "C" NOT NULL,
                    sort_key TEXT COLLATE "C" NOT NULL,
                    PRIMARY KEY (business_id, token, card_id),
                    FOREIGN KEY (business_id, card_id)
                        REFERENCES cards (business_id, id) ON DELETE CASCADE
                )""",
                "CREATE INDEX card_search_by_card ON card_search (business_id, card_id, token)",
            ),
        },
        carry_forward=_index_existing_cards,
    ),
)
"""The schema history, oldest first."""


def migrate(session: Session, dialect: Dialect) -> tuple[int, ...]:
    """Apply the migrations the database has not recorded, in order; return their versions.

    Runs in the caller's transaction, which must keep other migrators out until it ends.

    :raises StorageError: ``incompatible`` when a newer clientcard migrated the database.
    """
    session.execute(_MIGRATIONS_TABLE)
    recorded = {int(row[0]) for row in session.fetch("SELECT version FROM schema_migrations")}
    newest = MIGRATIONS[-1].version
    if recorded and max(recorded) > newest:
        raise StorageError(
            "incompatible",
            f"the database schema is at version {max(recorded)}; "
            f"this clientcard knows versions up to {newest}",
        )
    applied = []
    for migration in MIGRATIONS:
        if migration.version in recorded:
            continue
        for statement in migration.statements[dialect.name]:
            session.execute(statement)
        if migration.carry_forward is not None:
            migration.carry_forward(session, dialect)
        session.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            (migration.version, migration.name, dt.datetime.now(dt.UTC).isoformat()),
        )
        applied.append(migration.version)
    return tuple(applied)
