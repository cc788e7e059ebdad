"""Storage: the :class:`ClientStore` protocol and the reference stores.

* :class:`MemoryStore`, for tests and prototypes;
* :class:`clientcard.storage.sqlite.SQLiteStore`, the embedded default (one file);
* :class:`clientcard.storage.postgres.PostgresStore`, with ``clientcard[postgres]``.

Gallery photos' bytes go to a :class:`BlobStore`: :class:`MemoryBlobStore` or
:class:`FileBlobStore` on a directory.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.storage.blobs import BlobStore, MemoryBlobStore
from clientcard.storage.files import FileBlobStore
from clientcard.storage.memory import MemoryStore
from clientcard.storage.protocol import CardQuery, ClientStore, Page, SearchTerms
from clientcard.storage.records import Record, RecordQuery
from clientcard.storage.sqlite import SQLiteStore

__all__ = [
    "BlobStore",
    "CardQuery",
    "ClientStore",
    "FileBlobStore",
    "MemoryBlobStore",
    "MemoryStore",
    "Page",
    "Record",
    "RecordQuery",
    "SQLiteStore",
    "SearchTerms",
]
