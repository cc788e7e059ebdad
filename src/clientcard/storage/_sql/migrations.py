"""The versioned history of the stores' tables, applied on open."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Final

import attrs

from clientcard.errors import (
    StorageError,
)
from clientcard.storage._sql._record_rows import fill_kept_prices
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
    then: Callable[[Session, Dialect], None] | None = None
    """A step run after the statements, for data a statement can't work out."""


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
    # Most cards have no guardian, so planner statistics of the full index said a lookup
    # by guardian matched every card of the business, and SQLite walked the business
    # instead: every change of a card read every card (a group move of 30,000 cards
    # took hours). The index now holds only cards that have a guardian.
    # Appointment records keep their currency and price (in ten-thousandths), service
    # names and team members in columns, so statistics sum integers and count short
    # arrays instead of reading every document's JSON; the records stored before get
    # theirs worked out in Python, once.
    Migration(
        version=7,
        name="guardian index of linked cards only; kept appointment prices",
        statements={
            "sqlite": (
                "DROP INDEX IF EXISTS cards_by_guardian",
                (
                    "CREATE INDEX cards_by_guardian ON cards (business_id, guardian_id)"
                    " WHERE guardian_id IS NOT NULL"
                ),
                "ALTER TABLE records ADD COLUMN currency TEXT",
                "ALTER TABLE records ADD COLUMN amount INTEGER",
                "ALTER TABLE records ADD COLUMN services TEXT",
                "ALTER TABLE records ADD COLUMN members TEXT",
            ),
            "postgresql": (
                "DROP INDEX IF EXISTS cards_by_guardian",
                (
                    "CREATE INDEX cards_by_guardian ON cards (business_id, guardian_id)"
                    " WHERE guardian_id IS NOT NULL"
                ),
                (
                    'ALTER TABLE records ADD COLUMN currency TEXT COLLATE "C",'
                    " ADD COLUMN amount BIGINT, ADD COLUMN services JSONB,"
                    " ADD COLUMN members JSONB"
                ),
            ),
        },
        then=fill_kept_prices,
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
        if migration.then is not None:
            migration.then(session, dialect)
        session.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            (migration.version, migration.name, dt.datetime.now(dt.UTC).isoformat()),
        )
        applied.append(migration.version)
    return tuple(applied)
