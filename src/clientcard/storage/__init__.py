"""Storage: the :class:`ClientStore` protocol and the reference stores.

* :class:`MemoryStore`, for tests and prototypes;
* :class:`clientcard.storage.sqlite.SQLiteStore`, the embedded default (one file);
* :class:`clientcard.storage.postgres.PostgresStore`, with ``clientcard[postgres]``.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.storage.memory import MemoryStore
from clientcard.storage.protocol import CardQuery, ClientStore, Page, SearchTerms
from clientcard.storage.records import Record, RecordQuery
from clientcard.storage.sqlite import SQLiteStore

__all__ = [
    "CardQuery",
    "ClientStore",
    "MemoryStore",
    "Page",
    "Record",
    "RecordQuery",
    "SQLiteStore",
    "SearchTerms",
]
