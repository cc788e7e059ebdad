"""What the SQL stores share: tables, derived columns, queries and the unit of work.

:class:`~clientcard.storage.sqlite.SQLiteStore` and
:class:`~clientcard.storage.postgres.PostgresStore` are both :class:`SQLStore` with a
driver plugged in. Everything that does not depend on the driver lives here, once:

* **Tables.** A card is a JSON document (:func:`~clientcard.cards.serialization.card_to_dict`)
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

from clientcard.storage._sql import rows
from clientcard.storage._sql.dialects import (
    POSTGRES,
    SQLITE,
    Dialect,
    glob_pattern,
    like_pattern,
)
from clientcard.storage._sql.migrations import MIGRATIONS, Migration, migrate
from clientcard.storage._sql.rows import card_filter
from clientcard.storage._sql.sessions import Session, TxState
from clientcard.storage._sql.store import SQLStore

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
    "rows",
]
