"""Blob stores: where the bytes of gallery photos live, by opaque reference.

:class:`BlobStore` is what :class:`~clientcard.book.ClientBook` needs to keep photos;
the card's records hold only the reference. clientcard ships :class:`MemoryBlobStore`
for tests and :class:`~clientcard.storage.files.FileBlobStore` on a directory; a host
may keep blobs in object storage and prove its adapter with
:class:`clientcard.testing.blob_contracts.BlobStoreContract`.

>>> blobs = MemoryBlobStore()
>>> ref = blobs.put("salon-1", b"...")
>>> is_blob_ref(ref), blobs.get("salon-1", ref), blobs.exists("salon-2", ref)
(True, b'...', False)
>>> blobs.delete("salon-1", ref); blobs.delete("salon-1", ref)  # twice is fine
>>> blobs.exists("salon-1", ref)
False

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import re
import secrets
import threading
from typing import Final, Protocol

from clientcard.errors import NotFoundError

__all__ = [
    "BLOB_REF_PATTERN",
    "BlobStore",
    "MemoryBlobStore",
    "blob_not_found",
    "is_blob_ref",
    "new_blob_ref",
]

BLOB_REF_PATTERN: Final = re.compile(r"[0-9a-f]{32}")
"""The references clientcard's own stores make: 128 random bits in hex."""


def new_blob_ref() -> str:
    """A fresh random reference: nothing in it says whose photo it is."""
    return secrets.token_hex(16)


def is_blob_ref(ref: object) -> bool:
    """Whether ``ref`` looks like a reference :func:`new_blob_ref` makes.

    Anything else (``"../x"``, an absolute path, a name) is never looked up.
    """
    return isinstance(ref, str) and BLOB_REF_PATTERN.fullmatch(ref) is not None


def blob_not_found(ref: str) -> NotFoundError:
    """The error for a reference a store does not hold (a hostile one is not repeated)."""
    return NotFoundError("blob", ref if is_blob_ref(ref) else "?")


class BlobStore(Protocol):
    """**Protocol:** where photo bytes are kept, each under a reference the store makes.

    Rules every implementation keeps (the contract kit checks them):

    * :meth:`put` stores the bytes and returns a new reference, never one given before;
      a reference says nothing about the client (no names, no card ids).
    * Writes are atomic: a reader sees the whole blob or none, and a failed :meth:`put`
      leaves nothing behind.
    * **Tenancy**: every call names a business; a reference of another business is
      reported exactly like an unknown one.
    * An unknown reference -- including one the store could never have made, such as
      ``"../../etc/passwd"`` -- raises :class:`~clientcard.errors.NotFoundError` from
      :meth:`get`, is ``False`` for :meth:`exists`, and is ignored by :meth:`delete`, so
      a deletion can be retried. Nothing outside the store is ever read or touched.
    * A failing medium raises :class:`~clientcard.errors.StorageError`.

    .. versionadded:: 0.1.0
    """

    def put(self, business_id: str, data: bytes) -> str:
        """Store ``data`` for a business; return its new reference."""
        ...

    def get(self, business_id: str, ref: str) -> bytes:
        """Return the bytes under ``ref``. :raises NotFoundError: no such blob there."""
        ...

    def exists(self, business_id: str, ref: str) -> bool:
        """Tell whether the business has a blob under ``ref``."""
        ...

    def delete(self, business_id: str, ref: str) -> None:
        """Delete the blob under ``ref``; an unknown reference is not an error."""
        ...


class MemoryBlobStore:
    """Blobs in a dictionary, for tests and prototypes; thread-safe.

    .. versionadded:: 0.1.0
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blobs: dict[tuple[str, str], bytes] = {}

    def put(self, business_id: str, data: bytes) -> str:
        """Store a copy of ``data``; return its new reference."""
        ref = new_blob_ref()
        with self._lock:
            self._blobs[(business_id, ref)] = bytes(data)
        return ref

    def get(self, business_id: str, ref: str) -> bytes:
        """Return the bytes under ``ref``. :raises NotFoundError: no such blob there."""
        with self._lock:
            data = self._blobs.get((business_id, ref))
        if data is None:
            raise blob_not_found(ref)
        return data

    def exists(self, business_id: str, ref: str) -> bool:
        """Tell whether the business has a blob under ``ref``."""
        with self._lock:
            return (business_id, ref) in self._blobs

    def delete(self, business_id: str, ref: str) -> None:
        """Delete the blob under ``ref``, if there is one."""
        with self._lock:
            self._blobs.pop((business_id, ref), None)

    def __len__(self) -> int:
        """How many blobs are kept, in every business."""
        with self._lock:
            return len(self._blobs)
