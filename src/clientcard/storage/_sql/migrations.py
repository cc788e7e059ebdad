"""The versioned history of the stores' tables, applied on open."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Final

import attrs

from clientcard.errors import (
    StorageError,
)
from clientcard.storage._sql._carried import (
    POSTGRES_TIME_ZONE,
    SOURCE_INDEX,
    SQLITE_TIME_ZONE,
    index_existing_cards,
    rekey_emails,
)
from clientcard.storage._sql._record_rows import fill_kept_prices
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session

# -- migrations ---------------------------------------------------------------------------


@attrs.frozen
class Migration:
    """One step of the schema history: a version, a name and its statements per dialect.

    ``carry``, when set, runs after the statements, in the same transaction, to carry
    existing rows forward where SQL alone can't compute the new values.

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
        carry_forward=index_existing_cards,
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
        carry_forward=fill_kept_prices,
    ),
    # E-mail keys were str.casefold, which made distinct mailboxes one (straße@ and
    # strasse@); the keys stored before are recomputed. Keyed fingerprints (blocks,
    # suppression, login claims) can't be: the addresses behind them are gone or the
    # key is the host's (see docs/contact.md).
    Migration(
        version=8,
        name="e-mail keys that keep mailboxes apart",
        statements={"sqlite": (), "postgresql": ()},
        carry_forward=rekey_emails,
    ),
    Migration(
        version=10,
        name="business time zone, cards by source",
        statements={
            "sqlite": (
                SQLITE_TIME_ZONE,
                "ALTER TABLE cards ADD COLUMN referral_source TEXT",
                "UPDATE cards SET referral_source = json_extract(doc, '$.referral_source')",
                SOURCE_INDEX,
                # As migration 2 seeds its indexes: a business has a handful of sources.
                (
                    "INSERT INTO sqlite_stat1 (tbl, idx, stat)"
                    " SELECT 'cards', 'cards_by_source', '100000 10000 2000 1 1'"
                    " WHERE EXISTS (SELECT 1 FROM sqlite_stat1 WHERE tbl = 'cards')"
                    " AND NOT EXISTS (SELECT 1 FROM sqlite_stat1 WHERE idx = 'cards_by_source')"
                ),
                "ANALYZE sqlite_schema",
            ),
            "postgresql": (
                POSTGRES_TIME_ZONE,
                'ALTER TABLE cards ADD COLUMN referral_source TEXT COLLATE "C"',
                "UPDATE cards SET referral_source = doc ->> 'referral_source'",
                SOURCE_INDEX,
            ),
        },
    ),
    # A Citus cluster shards every tenant table by business_id, and a distributed table's
    # primary key and unique constraints must hold the distribution column: one shard
    # can only check uniqueness among its own rows. Three tables had keys without it.
    # Ids stay unique where a client meets them (a send, a ledger entry and an event are
    # named within their business), and every row is carried forward as it is. The
    # claiming index leads with status then business, so a per-business claim is one
    # index range (see _send_rows.claim_sends). SQLite is never distributed: its keys,
    # unique in the whole file, are already unique within each business, and rebuilding
    # a table there would have to copy columns other migrations may add.
    Migration(
        version=13,
        name="keys hold the business",
        statements={
            "sqlite": (),
            "postgresql": (
                (
                    "ALTER TABLE consent_events DROP CONSTRAINT consent_events_pkey,"
                    " DROP CONSTRAINT consent_events_event_id_key,"
                    " ADD CONSTRAINT consent_events_pkey PRIMARY KEY (business_id, seq),"
                    " ADD CONSTRAINT consent_events_event_id_key UNIQUE (business_id, event_id)"
                ),
                (
                    "ALTER TABLE sends DROP CONSTRAINT sends_pkey,"
                    " ADD CONSTRAINT sends_pkey PRIMARY KEY (business_id, send_id)"
                ),
                "DROP INDEX sends_to_claim",
                "CREATE INDEX sends_to_claim ON sends (status, business_id, queued_at, send_id)",
                (
                    "ALTER TABLE outbox DROP CONSTRAINT outbox_pkey,"
                    " ADD CONSTRAINT outbox_pkey PRIMARY KEY (business_id, seq)"
                ),
            ),
        },
    ),
    # The relay reads the oldest events of every business ("ORDER BY seq LIMIT n"). Since
    # migration 13 keyed the outbox by business, PostgreSQL had no index in that order and
    # sorted the whole outbox on every read: draining an import's events was quadratic.
    # It then deletes the delivered ones by business and id: with only (business_id, seq)
    # and (event_id) to go by, PostgreSQL combined both, reading the whole business's
    # outbox for each id. SQLite's seq is its rowid, already in order, and its deletes
    # find an id by its own index.
    Migration(
        version=14,
        name="outbox read in order",
        statements={
            "sqlite": (),
            "postgresql": (
                "CREATE INDEX outbox_in_order ON outbox (seq)",
                "CREATE INDEX outbox_by_business_event ON outbox (business_id, event_id)",
            ),
        },
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
