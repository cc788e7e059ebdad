"""How photos are filed as records (pure: no store, no blob store, no clock).

A photo's description is a ``photo`` record on the client's card, keyed by the
appointment it belongs to; its id and card live in the record's columns only. The bytes
are elsewhere, in the book's blob store, under the photo's ``ref`` (see
:mod:`clientcard.gallery.service` for how the two places are kept consistent).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from typing import Any, Final

from clientcard.cards.serialization import document_of, value_of
from clientcard.gallery.model import Photo
from clientcard.storage.records import Record

__all__ = ["PHOTO", "PHOTO_DOCUMENT_VERSION", "photo_document", "photo_from"]

PHOTO_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` of photo records' documents."""

PHOTO: Final = "photo"
"""The record kind of a photo's description (on the card, keyed by the appointment)."""


def photo_document(photo: Photo) -> dict[str, Any]:
    """The document of a photo's record: without its id and card (record columns)."""
    document = document_of(photo, PHOTO_DOCUMENT_VERSION)
    del document["id"], document["card_id"]
    return document


def photo_from(record: Record) -> Photo:
    """Read a photo back from its record (its id and card are the record's)."""
    document = {**record.doc, "id": record.id, "card_id": record.card_id}
    return value_of(Photo, document, kind="photo", version=PHOTO_DOCUMENT_VERSION)
