"""What the SQL stores share: tables, derived columns, queries and the unit of work.

:class:`~clientcard.storage.sqlite.SQLiteStore` and
:class:`~clientcard.storage.postgres.PostgresStore` are both :class:`SQLStore` with a
driver plugged in. Everything that does not depend on the driver lives here, once:

* **Tables.** A card is a JSON document (:func:`~clientcard.serialization.card_to_dict`)
  beside the columns queries need -- sort key, folded names, e-mail lookup key, status,
  group -- and child tables for phones, tags and contact permissions. Every row carries
  its ``business_id`` and every statement filters on it.
* **Migrations.** :data:`MIGRATIONS` is the versioned schema history, one statement list
  per dialect; :func:`migrate` applies what ``schema_migrations`` does not list yet.
* **Queries.** :func:`card_filter` turns a :class:`~clientcard.storage.protocol.CardQuery`
  into a parameterised ``WHERE`` clause; listings page by keyset on ``(sort_key, id)``.
* **Units of work.** :class:`SQLStore` binds a transaction to the thread that opened it,
  wraps each operation inside one in a savepoint, retries conflicts of operations it ran
  alone, and leaves driver errors to the store's one translator.

A :class:`Dialect` holds the few places where SQLite and PostgreSQL spell things
differently.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import abc
import datetime as dt
import enum
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from types import TracebackType
from typing import Any, ClassVar, Final, Protocol, Self, TypeVar

import attrs

from clientcard.business import Business
from clientcard.card import ClientCard
from clientcard.contact.email import lookup_key
from clientcard.contact.name import fold
from clientcard.errors import (
    DuplicateError,
    FieldIssue,
    NotFoundError,
    StorageError,
    ValidationError,
    VersionConflictError,
)
from clientcard.events import DomainEvent
from clientcard.serialization import (
    business_from_dict,
    business_to_dict,
    card_from_dict,
    card_to_dict,
    event_from_dict,
    event_to_dict,
)
from clientcard.storage.protocol import (
    CardQuery,
    Page,
    SearchTerms,
    check_next_version,
    decode_cursor,
    encode_cursor,
    sort_key,
)

__all__ = [
    "MIGRATIONS",
    "POSTGRES",
    "SQLITE",
    "Dialect",
    "Migration",
    "SQLStore",
    "Session",
    "TxState",
    "card_filter",
    "glob_pattern",
    "like_pattern",
    "migrate",
]

T = TypeVar("T")

_log = logging.getLogger("clientcard.storage")

# The custom-field key rule of clientcard.schema, restated here because the key ends up
# inside a JSON path: the store must not depend on a looser rule elsewhere to stay safe.
_CUSTOM_KEY: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")

_SAVEPOINT: Final = "clientcard_op"
_FIRST_PAUSE: Final = 0.01
_LONGEST_PAUSE: Final = 0.25

# -- dialects -----------------------------------------------------------------------------


def like_pattern(term: str, *, prefix: bool = False) -> str:
    """Return a ``LIKE ... ESCAPE '!'`` pattern matching ``term`` literally.

    ``%``, ``_`` and the escape character itself are escaped, so a typed ``%`` matches
    a percent sign, not everything. The pattern matches ``term`` anywhere, or only at the
    start when ``prefix`` is set.
    """
    escaped = term.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"{escaped}%" if prefix else f"%{escaped}%"


def glob_pattern(term: str, *, prefix: bool = False) -> str:
    """Return a SQLite ``GLOB`` pattern matching ``term`` literally.

    GLOB has no escape character; ``*``, ``?`` and ``[`` are each put in a one-character
    class instead. The pattern matches ``term`` anywhere, or only at the start when
    ``prefix`` is set.
    """
    escaped = "".join(f"[{ch}]" if ch in "*?[" else ch for ch in term)
    return f"{escaped}*" if prefix else f"*{escaped}*"


class Dialect(abc.ABC):
    """Where SQLite and PostgreSQL differ, for the statements built in this module.

    .. versionadded:: 0.1.0
    """

    name: ClassVar[str]
    """The key of this dialect's statements in :attr:`Migration.statements`."""
    begin: ClassVar[str]
    """The statement that opens a write transaction."""
    lock_card: ClassVar[str]
    """Read a card's version, locking the row where the database needs it."""
    lock_business: ClassVar[str]
    """Read a business's schema revision, locking the row where the database needs it."""
    savepoints: ClassVar[bool]
    """Whether each operation inside a unit of work runs under its own savepoint."""

    def encode_doc(self, document: Mapping[str, Any]) -> str:
        """Return the JSON text to store for ``document``.

        Cards and businesses refuse U+0000 when they are built, so none reaches here:
        PostgreSQL's jsonb could not hold it and SQLite's json_extract stops at it.
        """
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))

    def decode_doc(self, stored: object) -> object:
        """Return the document a ``doc`` column held, as :meth:`encode_doc` was given it."""
        return json.loads(stored) if isinstance(stored, str | bytes) else stored

    @abc.abstractmethod
    def text_match(self, column: str, term: str, *, prefix: bool = False) -> tuple[str, str]:
        """Return SQL testing that ``column`` contains ``term``, and its parameter.

        With ``prefix`` the column must start with the term. The term matches literally
        (no wildcards) and with its case.
        """

    @abc.abstractmethod
    def custom_equals(self, key: str, value: str | bool) -> tuple[str, list[object]]:
        """Return SQL testing that custom field ``key`` equals ``value``, and its parameters.

        The JSON type must match too: ``True`` never equals ``"true"``. The caller has
        checked ``key`` against the custom key rule.
        """


class _SQLiteDialect(Dialect):
    name = "sqlite"
    # IMMEDIATE takes the write lock up front: a version check and the write it guards
    # can then never interleave with another writer, and lock waits happen at BEGIN.
    begin = "BEGIN IMMEDIATE"
    # Cheap in SQLite, and they undo the part of an operation that ran before an error.
    savepoints = True
    lock_card = "SELECT version FROM cards WHERE business_id = ? AND id = ?"
    lock_business = "SELECT revision FROM businesses WHERE id = ?"

    def text_match(self, column: str, term: str, *, prefix: bool = False) -> tuple[str, str]:
        # GLOB, not LIKE: SQLite's LIKE ignores ASCII case, while the reference semantics
        # (memory.matches) compare exactly; columns and terms are folded already, so an
        # exact match is what the protocol asks for.
        return f"{column} GLOB ?", glob_pattern(term, prefix=prefix)

    def custom_equals(self, key: str, value: str | bool) -> tuple[str, list[object]]:
        path = f"$.custom.{key}"
        if isinstance(value, bool):
            # json_type tells JSON true from the string "true", which json_extract doesn't.
            return "json_type(c.doc, ?) = ?", [path, "true" if value else "false"]
        return "(json_type(c.doc, ?) = 'text' AND json_extract(c.doc, ?) = ?)", [
            path,
            path,
            value,
        ]


class _PostgresDialect(Dialect):
    name = "postgresql"
    begin = "BEGIN ISOLATION LEVEL REPEATABLE READ"
    # Past 64 subtransactions PostgreSQL's snapshots overflow and every statement slows
    # (30,000 adds in one unit took 120 s with a savepoint each, 73 s without). So
    # operations check before they write instead (versions under FOR UPDATE, ids with ON
    # CONFLICT DO NOTHING): expected failures never abort the transaction, and an
    # unexpected one ends the unit (StorageError "aborted").
    savepoints = False
    # FOR UPDATE makes a concurrent change surface at this read (as a serialization
    # failure under REPEATABLE READ) before the operation has written anything.
    lock_card = "SELECT version FROM cards WHERE business_id = ? AND id = ? FOR UPDATE"
    lock_business = "SELECT revision FROM businesses WHERE id = ? FOR UPDATE"

    def text_match(self, column: str, term: str, *, prefix: bool = False) -> tuple[str, str]:
        # "!" rather than a backslash, so the pattern means the same whatever
        # standard_conforming_strings is set to.
        return f"{column} LIKE ? ESCAPE '!'", like_pattern(term, prefix=prefix)

    def custom_equals(self, key: str, value: str | bool) -> tuple[str, list[object]]:
        # jsonb equality compares type and value, so true never equals "true".
        return "(c.doc -> 'custom' -> ?) = ?", [key, json.dumps(value)]


SQLITE: Final[Dialect] = _SQLiteDialect()
"""The SQLite dialect."""

POSTGRES: Final[Dialect] = _PostgresDialect()
"""The PostgreSQL dialect."""

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
                    doc TEXT NOT NULL,
                    PRIMARY KEY (business_id, id)
                )""",
                "CREATE INDEX IF NOT EXISTS cards_by_sort_key ON cards (business_id, sort_key, id)",
                "CREATE INDEX IF NOT EXISTS cards_by_email_key ON cards (business_id, email_key)",
                "CREATE INDEX IF NOT EXISTS cards_by_group ON cards (business_id, client_group)",
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
                    doc JSONB NOT NULL,
                    PRIMARY KEY (business_id, id)
                )""",
                "CREATE INDEX IF NOT EXISTS cards_by_sort_key ON cards (business_id, sort_key, id)",
                "CREATE INDEX IF NOT EXISTS cards_by_email_key ON cards (business_id, email_key)",
                "CREATE INDEX IF NOT EXISTS cards_by_group ON cards (business_id, client_group)",
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
        session.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            (migration.version, migration.name, dt.datetime.now(dt.UTC).isoformat()),
        )
        applied.append(migration.version)
    return tuple(applied)


# -- sessions -----------------------------------------------------------------------------


class TxState(enum.Enum):
    """Where a connection stands with respect to transactions.

    .. versionadded:: 0.1.0
    """

    IDLE = "idle"
    """No transaction is open."""
    ACTIVE = "active"
    """A transaction is open and usable."""
    FAILED = "failed"
    """A transaction is open but an error stopped it; only a rollback helps."""
    LOST = "lost"
    """The connection is closed or broken."""


class Session(Protocol):
    """**Protocol:** one database connection as the shared code uses it.

    Statements use ``?`` placeholders; a driver with another style converts them.

    .. versionadded:: 0.1.0
    """

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        ...

    def execute_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run one statement once per parameter row."""
        ...

    def fetch(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run one query; return every row."""
        ...

    def state(self) -> TxState:
        """Tell whether a transaction is open on the connection, and if it is usable."""
        ...

    def discard(self) -> None:
        """Close the connection for good: its state is no longer known."""
        ...


# -- rows ---------------------------------------------------------------------------------

_INSERT_CARD: Final = (
    "INSERT INTO cards (business_id, id, version, sort_key, name_fold, name_fold_reversed,"
    " email_key, status, client_group, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT DO NOTHING"
)
_UPDATE_CARD: Final = (
    "UPDATE cards SET version = ?, sort_key = ?, name_fold = ?, name_fold_reversed = ?,"
    " email_key = ?, status = ?, client_group = ?, doc = ? WHERE business_id = ? AND id = ?"
)


def _derived(card: ClientCard, dialect: Dialect) -> tuple[object, ...]:
    """The columns after ``business_id, id`` in ``cards``, as matches() reads the card."""
    return (
        card.version,
        sort_key(card),
        fold(f"{card.first_name} {card.last_name}"),
        fold(f"{card.last_name} {card.first_name}"),
        lookup_key(card.email) if card.email is not None else None,
        card.status.value,
        card.client_group,
        dialect.encode_doc(card_to_dict(card)),
    )


def _write_children(session: Session, card: ClientCard) -> None:
    owner = (card.business_id, card.id)
    # A card's phones are unique when built through the schema, but the key must hold
    # whatever card a host constructs itself.
    phones = [(*owner, number) for number in dict.fromkeys(card.phones)]
    if phones:
        session.execute_many(
            "INSERT INTO card_phones (business_id, card_id, number) VALUES (?, ?, ?)", phones
        )
    if card.tags:
        session.execute_many(
            "INSERT INTO card_tags (business_id, card_id, tag) VALUES (?, ?, ?)",
            [(*owner, tag) for tag in card.tags],
        )


def _locked_version(session: Session, dialect: Dialect, business_id: str, card_id: str) -> int:
    if not _matchable(business_id) or not _matchable(card_id):
        raise NotFoundError("card", card_id)
    rows = session.fetch(dialect.lock_card, (business_id, card_id))
    if not rows:
        raise NotFoundError("card", card_id)
    return int(rows[0][0])


def _check_version(card_id: str, expected: int, actual: int) -> None:
    if actual != expected:
        raise VersionConflictError(card_id, expected, actual)


# -- operations ---------------------------------------------------------------------------
# Each takes the session of the transaction it runs in; SQLStore decides which that is.


def insert_business(session: Session, dialect: Dialect, business: Business) -> None:
    """Insert a new business. :raises DuplicateError: the id is taken."""
    inserted = session.execute(
        "INSERT INTO businesses (id, revision, doc) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        (business.id, business.schema.revision, dialect.encode_doc(business_to_dict(business))),
    )
    if not inserted:
        raise DuplicateError("business", business.id)


def select_business(session: Session, dialect: Dialect, business_id: str) -> Business:
    """Read a business. :raises NotFoundError: no such business."""
    if not _matchable(business_id):
        raise NotFoundError("business", business_id)
    rows = session.fetch("SELECT doc FROM businesses WHERE id = ?", (business_id,))
    if not rows:
        raise NotFoundError("business", business_id)
    return business_from_dict(dialect.decode_doc(rows[0][0]))


def replace_business(
    session: Session, dialect: Dialect, business: Business, expected_revision: int
) -> None:
    """Replace a business whose stored schema revision is ``expected_revision``."""
    rows = session.fetch(dialect.lock_business, (business.id,))
    if not rows:
        raise NotFoundError("business", business.id)
    actual = int(rows[0][0])
    if actual != expected_revision:
        raise VersionConflictError(business.id, expected_revision, actual)
    session.execute(
        "UPDATE businesses SET revision = ?, doc = ? WHERE id = ?",
        (business.schema.revision, dialect.encode_doc(business_to_dict(business)), business.id),
    )


def insert_card(session: Session, dialect: Dialect, card: ClientCard) -> None:
    """Insert a new card with its phones and tags. :raises DuplicateError: the id is taken."""
    if not session.fetch("SELECT 1 FROM businesses WHERE id = ?", (card.business_id,)):
        raise NotFoundError("business", card.business_id)
    if not session.execute(_INSERT_CARD, (card.business_id, card.id, *_derived(card, dialect))):
        raise DuplicateError("card", card.id)
    _write_children(session, card)


def select_card(session: Session, dialect: Dialect, business_id: str, card_id: str) -> ClientCard:
    """Read a card of ``business_id``. :raises NotFoundError: no such card there."""
    if not _matchable(business_id) or not _matchable(card_id):
        raise NotFoundError("card", card_id)
    rows = session.fetch(
        "SELECT doc FROM cards WHERE business_id = ? AND id = ?", (business_id, card_id)
    )
    if not rows:
        raise NotFoundError("card", card_id)
    return card_from_dict(dialect.decode_doc(rows[0][0]))


def replace_card(
    session: Session, dialect: Dialect, card: ClientCard, expected_version: int
) -> None:
    """Replace a card at ``expected_version``, with its phones and tags."""
    owner = (card.business_id, card.id)
    _check_version(card.id, expected_version, _locked_version(session, dialect, *owner))
    session.execute(_UPDATE_CARD, (*_derived(card, dialect), *owner))
    session.execute("DELETE FROM card_phones WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM card_tags WHERE business_id = ? AND card_id = ?", owner)
    _write_children(session, card)


def remove_card(
    session: Session, dialect: Dialect, business_id: str, card_id: str, expected_version: int
) -> None:
    """Delete a card at ``expected_version`` with everything recorded about it."""
    owner = (business_id, card_id)
    _check_version(card_id, expected_version, _locked_version(session, dialect, *owner))
    # Deleted explicitly rather than left to ON DELETE CASCADE, so permissions go even
    # if a connection was opened without foreign key enforcement.
    session.execute("DELETE FROM card_permissions WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM card_phones WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM card_tags WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM cards WHERE business_id = ? AND id = ?", owner)


def card_filter(
    dialect: Dialect, business_id: str, query: CardQuery | None
) -> tuple[str, list[object]]:
    """Return the ``WHERE`` condition on ``cards AS c`` for ``query``, and its parameters.

    The semantics are :func:`clientcard.storage.memory.matches`; every value is a bound
    parameter and every pattern matches its text literally.
    """
    if not _matchable(business_id):
        return "1 = 0", []
    clauses = ["c.business_id = ?"]
    params: list[object] = [business_id]
    if query is None:
        return clauses[0], params

    def require(sql: str, *values: object) -> None:
        if not all(_matchable(value) for value in values):
            sql, values = "1 = 0", ()
        clauses.append(sql)
        params.extend(values)

    if query.search is not None:
        sql, values = _search_condition(dialect, business_id, query.search)
        clauses.append(sql)
        params.extend(values)
    if query.email is not None:
        require("c.email_key = ?", query.email)
    if query.phone is not None:
        require(_child("card_phones", "x.number = ?"), business_id, query.phone)
    if query.group is not None:
        require("c.client_group = ?", query.group)
    if query.tag is not None:
        require(_child("card_tags", "x.tag = ?"), business_id, query.tag)
    if query.status is not None:
        require("c.status = ?", query.status.value)
    if query.custom_field is not None and query.custom_value is not None:
        if _CUSTOM_KEY.fullmatch(query.custom_field):
            sql, values = dialect.custom_equals(query.custom_field, query.custom_value)
            clauses.append(sql)
            params.extend(values)
        else:
            # No card has a custom field by a name no schema allows.
            clauses.append("1 = 0")
    if query.contactable is not None:
        purpose, channel = query.contactable
        require(
            _child("card_permissions", "x.purpose = ? AND x.channel = ?"),
            business_id,
            purpose,
            channel,
        )
    return " AND ".join(clauses), params


def _matchable(value: object) -> bool:
    """Tell whether ``value`` can be looked up: no stored key or column holds U+0000.

    Validated values never hold one, PostgreSQL refuses to bind one and SQLite's GLOB
    stops at one, so a value with U+0000 matches nothing, in both databases alike.
    """
    return not (isinstance(value, str) and "\x00" in value)


def _child(table: str, condition: str) -> str:
    # IN over the child table, not a correlated EXISTS: the planner then starts from the
    # child's (business_id, value) index and fetches the few matching cards by key,
    # instead of walking every card of the business in sort order.
    return (
        # Only constant SQL is spliced in: the callers pass literal names and conditions.
        f"c.id IN (SELECT x.card_id FROM {table} AS x"  # noqa: S608
        f" WHERE x.business_id = ? AND {condition})"
    )


def _search_condition(
    dialect: Dialect, business_id: str, terms: SearchTerms
) -> tuple[str, list[object]]:
    alternatives: list[str] = []
    params: list[object] = []
    if terms.name is not None and _matchable(terms.name):
        for column in ("c.name_fold", "c.name_fold_reversed"):
            sql, pattern = dialect.text_match(column, terms.name)
            alternatives.append(sql)
            params.append(pattern)
    if terms.phone_digits is not None:
        sql, pattern = dialect.text_match("x.number", terms.phone_digits)
        alternatives.append(_child("card_phones", sql))
        params.extend((business_id, pattern))
    if terms.email is not None and _matchable(terms.email):
        sql, pattern = dialect.text_match("c.email_key", terms.email, prefix=True)
        alternatives.append(sql)
        params.append(pattern)
    if not alternatives:
        return "1 = 0", []
    return "(" + " OR ".join(alternatives) + ")", params


def select_cards(
    session: Session,
    dialect: Dialect,
    business_id: str,
    query: CardQuery | None,
    *,
    limit: int,
    after: tuple[str, str] | None,
) -> Page[ClientCard]:
    """Return up to ``limit`` matching cards after the ``(sort_key, id)`` in ``after``."""
    where, params = card_filter(dialect, business_id, query)
    if after is not None:
        if not all(_matchable(part) for part in after):
            raise ValidationError(
                [FieldIssue("cursor", "query.cursor_invalid", "not a cursor this store made")]
            )
        where += " AND (c.sort_key, c.id) > (?, ?)"
        params.extend(after)
    # Only constant SQL is spliced in: card_filter binds every value.
    statement = f"SELECT c.doc, c.sort_key, c.id FROM cards AS c WHERE {where}"  # noqa: S608
    # One row more than asked tells whether another page follows.
    rows = session.fetch(f"{statement} ORDER BY c.sort_key, c.id LIMIT ?", [*params, limit + 1])
    page = rows[:limit]
    cards = tuple(card_from_dict(dialect.decode_doc(row[0])) for row in page)
    more = len(rows) > limit
    return Page(items=cards, next_cursor=encode_cursor(page[-1][1], page[-1][2]) if more else None)


def count_cards(
    session: Session, dialect: Dialect, business_id: str, query: CardQuery | None
) -> int:
    """Count the cards of ``business_id`` matching ``query``."""
    where, params = card_filter(dialect, business_id, query)
    # Only constant SQL is spliced in: card_filter binds every value.
    rows = session.fetch(f"SELECT count(*) FROM cards AS c WHERE {where}", params)  # noqa: S608
    return int(rows[0][0])


def replace_permissions(
    session: Session,
    dialect: Dialect,
    business_id: str,
    card_id: str,
    permissions: frozenset[tuple[str, str]],
) -> None:
    """Replace the recorded ``(purpose, channel)`` pairs of a card."""
    owner = (business_id, card_id)
    # Locking the card row queues concurrent replacements of the same card's pairs, so
    # one never adds to what the other just deleted.
    _locked_version(session, dialect, *owner)
    session.execute("DELETE FROM card_permissions WHERE business_id = ? AND card_id = ?", owner)
    if permissions:
        session.execute_many(
            "INSERT INTO card_permissions (business_id, card_id, purpose, channel)"
            " VALUES (?, ?, ?, ?)",
            [(*owner, purpose, channel) for purpose, channel in sorted(permissions)],
        )


def select_permissions(
    session: Session, business_id: str, card_id: str
) -> frozenset[tuple[str, str]]:
    """Read the recorded ``(purpose, channel)`` pairs of a card."""
    if not _matchable(business_id) or not _matchable(card_id):
        return frozenset()
    rows = session.fetch(
        "SELECT purpose, channel FROM card_permissions WHERE business_id = ? AND card_id = ?",
        (business_id, card_id),
    )
    return frozenset((str(purpose), str(channel)) for purpose, channel in rows)


def insert_events(session: Session, dialect: Dialect, events: Sequence[DomainEvent]) -> None:
    """Append events to the outbox in order."""
    session.execute_many(
        "INSERT INTO outbox (event_id, business_id, doc) VALUES (?, ?, ?)",
        [
            (event.event_id, event.business_id, dialect.encode_doc(event_to_dict(event)))
            for event in events
        ],
    )


def select_events(session: Session, dialect: Dialect, limit: int) -> list[DomainEvent]:
    """Read the oldest ``limit`` events of the outbox."""
    rows = session.fetch("SELECT doc FROM outbox ORDER BY seq LIMIT ?", (limit,))
    return [event_from_dict(dialect.decode_doc(row[0])) for row in rows]


def delete_events(session: Session, event_ids: Sequence[str]) -> None:
    """Remove events from the outbox by id."""
    rows = [(event_id,) for event_id in event_ids if _matchable(event_id)]
    session.execute_many("DELETE FROM outbox WHERE event_id = ?", rows)


# -- the store ----------------------------------------------------------------------------


@attrs.define
class _Unit:
    """The transaction a ``with store.transaction():`` block opened on this thread."""

    session: Session
    broken: bool = False


class _Units(threading.local):
    unit: _Unit | None = None


class SQLStore(abc.ABC):
    """A :class:`~clientcard.storage.protocol.ClientStore` on a SQL database.

    Subclasses supply connections (:meth:`_checkout`) and the translation of driver
    errors (:meth:`_translated`); this class runs every operation:

    * alone, in a transaction of its own (reads in a single statement), retried up to
      ``max_retries`` times with jittered back-off when the database reports a conflict;
    * inside ``transaction()``, on that block's connection and within a savepoint, so a
      failed operation leaves the rest of the block as it was -- and is never retried,
      as the block around it can't be replayed.

    .. versionadded:: 0.1.0
    """

    def __init__(self, dialect: Dialect, *, max_retries: int = 0) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be zero or more")
        self._dialect = dialect
        self._max_retries = max_retries
        self._units = _Units()

    def in_transaction(self) -> bool:
        """Tell whether the calling thread is inside :meth:`transaction`."""
        return self._units.unit is not None

    @property
    def max_retries(self) -> int:
        """How many times an operation run alone is retried after a conflict."""
        return self._max_retries

    # -- what a driver supplies -------------------------------------------------------

    @abc.abstractmethod
    def _checkout(self) -> AbstractContextManager[Session]:
        """Lend a connection for one operation or one transaction."""

    @abc.abstractmethod
    def _translated(self, subject: tuple[str, str] | None = None) -> AbstractContextManager[None]:
        """Turn driver errors raised inside into clientcard errors.

        ``subject`` is the ``(kind, id)`` being inserted, reported by a
        :class:`~clientcard.errors.DuplicateError` when its key is taken.
        """

    @abc.abstractmethod
    def close(self) -> None:
        """Release every connection; the store can't be used afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- units of work ----------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Open a unit of work: the calls inside commit together or not at all.

        A block nested in another joins it. The unit belongs to the thread that opened
        it; calls from other threads run outside it.

        :raises StorageError: the database could not begin or commit the transaction;
            ``aborted`` when an operation inside failed in a way that ended the
            transaction and the block went on regardless.
        """
        if self._units.unit is not None:
            yield
            return
        with ExitStack() as stack:
            with self._translated():
                session = stack.enter_context(self._checkout())
                session.execute(self._dialect.begin)
            unit = _Unit(session)
            self._units.unit = unit
            try:
                yield
            except BaseException:
                self._abandon(session)
                raise
            finally:
                self._units.unit = None
            if unit.broken:
                self._abandon(session)
                raise StorageError("aborted", "the transaction failed part-way; nothing was kept")
            self._commit(session)

    def _run(
        self,
        work: Callable[[Session], T],
        *,
        write: bool,
        subject: tuple[str, str] | None = None,
    ) -> T:
        unit = self._units.unit
        if unit is not None:
            return self._run_in_unit(unit, work, write=write, subject=subject)
        retries = 0
        while True:
            try:
                return self._run_alone(work, write=write, subject=subject)
            except StorageError as error:
                if error.reason != "conflict" or retries >= self._max_retries:
                    raise
                retries += 1
                _log.debug("transaction conflict; retry %d of %d", retries, self._max_retries)
                self._pause(retries)

    def _run_alone(
        self, work: Callable[[Session], T], *, write: bool, subject: tuple[str, str] | None
    ) -> T:
        with self._translated(subject), self._checkout() as session:
            if not write:
                return work(session)
            session.execute(self._dialect.begin)
            try:
                result = work(session)
                session.execute("COMMIT")
            except BaseException:
                self._abandon(session)
                raise
            return result

    def _run_in_unit(
        self,
        unit: _Unit,
        work: Callable[[Session], T],
        *,
        write: bool,
        subject: tuple[str, str] | None,
    ) -> T:
        if unit.broken:
            raise StorageError("aborted", "an earlier failure ended this transaction")
        session = unit.session
        with self._translated(subject):
            if not write or not self._dialect.savepoints:
                try:
                    return work(session)
                except BaseException:
                    # Without a savepoint to return to, a failure the database noticed
                    # leaves the transaction unusable: nothing more may commit.
                    if session.state() is not TxState.ACTIVE:
                        unit.broken = True
                    raise
            try:
                session.execute(f"SAVEPOINT {_SAVEPOINT}")
                result = work(session)
                session.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            except BaseException:
                self._undo_operation(unit)
                raise
            return result

    def _undo_operation(self, unit: _Unit) -> None:
        """Roll back to the operation's savepoint, or mark the unit broken if that fails."""
        session = unit.session
        if session.state() in (TxState.ACTIVE, TxState.FAILED):
            try:
                with self._translated():
                    session.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
                    session.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            except StorageError:
                pass
            else:
                return
        # SQLite rolls the whole transaction back by itself on some errors (a full disk,
        # an I/O error); what the block wrote before is gone, so it must not commit.
        unit.broken = True

    def _commit(self, session: Session) -> None:
        try:
            with self._translated():
                session.execute("COMMIT")
        except BaseException:
            self._abandon(session)
            raise

    def _abandon(self, session: Session) -> None:
        """Roll back whatever is open; a connection that can't even do that is dropped."""
        state = session.state()
        if state is TxState.IDLE:
            return
        if state is not TxState.LOST:
            try:
                with self._translated():
                    session.execute("ROLLBACK")
            except StorageError:
                pass
            else:
                return
        session.discard()

    def _pause(self, retry: int) -> None:
        """Wait before a retry; full jitter keeps the losers of a race from colliding again."""
        ceiling = min(_LONGEST_PAUSE, _FIRST_PAUSE * 2**retry)
        time.sleep(random.uniform(0, ceiling))  # noqa: S311 -- jitter, not a secret

    # -- businesses -------------------------------------------------------------------

    def add_business(self, business: Business) -> None:
        """Store a new business. :raises DuplicateError: the id is taken."""
        self._run(
            lambda s: insert_business(s, self._dialect, business),
            write=True,
            subject=("business", business.id),
        )

    def get_business(self, business_id: str) -> Business:
        """Return a business. :raises NotFoundError: no such business."""
        return self._run(lambda s: select_business(s, self._dialect, business_id), write=False)

    def update_business(self, business: Business, *, expected_revision: int) -> None:
        """Replace a business whose stored schema revision is ``expected_revision``.

        :raises NotFoundError: no such business.
        :raises VersionConflictError: the stored revision differs.
        """
        self._run(
            lambda s: replace_business(s, self._dialect, business, expected_revision), write=True
        )

    # -- cards ------------------------------------------------------------------------

    def add(self, card: ClientCard) -> None:
        """Store a new card.

        :raises NotFoundError: its business does not exist.
        :raises DuplicateError: its id exists in its business.
        """
        self._run(
            lambda s: insert_card(s, self._dialect, card), write=True, subject=("card", card.id)
        )

    def get(self, business_id: str, card_id: str) -> ClientCard:
        """Return a card of ``business_id``. :raises NotFoundError: no such card there."""
        return self._run(lambda s: select_card(s, self._dialect, business_id, card_id), write=False)

    def update(self, card: ClientCard, *, expected_version: int) -> None:
        """Replace the stored card, which must be at ``expected_version``.

        :raises NotFoundError: no such card in ``card.business_id``.
        :raises VersionConflictError: the stored version differs.
        """
        check_next_version(card, expected_version)
        self._run(lambda s: replace_card(s, self._dialect, card, expected_version), write=True)

    def delete(self, business_id: str, card_id: str, *, expected_version: int) -> None:
        """Delete a card (and its phones, tags and permissions) at ``expected_version``.

        :raises NotFoundError: no such card.
        :raises VersionConflictError: the stored version differs.
        """
        self._run(
            lambda s: remove_card(s, self._dialect, business_id, card_id, expected_version),
            write=True,
        )

    def find(
        self,
        business_id: str,
        query: CardQuery | None = None,
        *,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[ClientCard]:
        """Return matching cards ordered by sort key then id, a page at a time.

        :raises ValidationError: ``query.cursor_invalid`` for a cursor this store did not
            make.
        """
        after = decode_cursor(cursor) if cursor is not None else None
        if limit <= 0:
            return Page(items=())
        return self._run(
            lambda s: select_cards(s, self._dialect, business_id, query, limit=limit, after=after),
            write=False,
        )

    def count(self, business_id: str, query: CardQuery | None = None) -> int:
        """Count matching cards."""
        return self._run(lambda s: count_cards(s, self._dialect, business_id, query), write=False)

    def set_permissions(
        self, business_id: str, card_id: str, permissions: frozenset[tuple[str, str]]
    ) -> None:
        """Record the ``(purpose, channel)`` pairs a card may now be contacted for.

        :raises NotFoundError: no such card.
        """
        self._run(
            lambda s: replace_permissions(s, self._dialect, business_id, card_id, permissions),
            write=True,
        )

    def permissions(self, business_id: str, card_id: str) -> frozenset[tuple[str, str]]:
        """Return the recorded ``(purpose, channel)`` pairs of a card (empty if none)."""
        return self._run(lambda s: select_permissions(s, business_id, card_id), write=False)

    # -- events -----------------------------------------------------------------------

    def append_events(self, events: Sequence[DomainEvent]) -> None:
        """Add events to the outbox, in order, within the current transaction."""
        if events:
            self._run(lambda s: insert_events(s, self._dialect, events), write=True)

    def pending_events(self, limit: int = 100) -> list[DomainEvent]:
        """Return the oldest undelivered events, oldest first."""
        if limit <= 0:
            return []
        return self._run(lambda s: select_events(s, self._dialect, limit), write=False)

    def mark_delivered(self, event_ids: Sequence[str]) -> None:
        """Remove delivered events from the outbox; unknown ids are ignored."""
        if event_ids:
            self._run(lambda s: delete_events(s, event_ids), write=True)
