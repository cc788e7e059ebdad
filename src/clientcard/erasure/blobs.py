"""The one thing erasure needs of the host's blob store: deleting a stored file.

Pictures on cards and photos in the gallery live in the host's blob store; records and
cards hold only their references. Set ``book.blobs`` to any object with a
``delete(ref)`` method -- the gallery's blob store is one -- and erasure deletes the
blobs of an erased client after its transaction commits. The references to delete are
written in that same transaction (kind ``erasure.blob``), so a crash between the commit
and the deletion loses nothing: ``book.finish_erasures(salon)`` deletes what is left,
and every erasure, replay and retention run calls it.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from typing import Final, Protocol

__all__ = ["BLOB_KIND", "BlobEraser"]

BLOB_KIND: Final = "erasure.blob"
"""The record kind of blob deletions still to do (ref only, under no card)."""


class BlobEraser(Protocol):
    """**Protocol:** a blob store that can delete what a reference names.

    ``delete`` must succeed when the blob is already gone (erasure may retry it), and
    raise when it could not delete: the reference is then kept and retried later.

    .. versionadded:: 0.1.0
    """

    def delete(self, ref: str) -> None:
        """Delete the blob ``ref`` names; nothing to do if it is gone."""
        ...
