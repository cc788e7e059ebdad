"""The gallery half of :class:`~clientcard.book.ClientBook`: photos and their bytes.

A photo is two things kept in two places: its bytes in the book's
:class:`~clientcard.storage.blobs.BlobStore`, and a ``photo`` record (on the card,
keyed by the appointment) in the client store. They can't share a transaction, so the
book keeps them consistent this way:

* **Adding**: the bytes are written inside the unit of work that files the record; if
  the unit rolls back, the bytes are deleted again.
* **Removing** (one photo, a card's photos, a deleted card): the unit of work deletes
  the records and files a ``blob.deletion`` record per blob. Only after it commits are
  the bytes deleted, and each ``blob.deletion`` with them. A blob store that fails
  then leaves its ``blob.deletion`` records behind;
  :meth:`GalleryMixin.purge_deleted_blobs` finishes the job later, and deleting twice
  is harmless. Bytes are never deleted while a record still points at them.

:class:`GalleryMixin` is only ever used as a base of ``ClientBook``.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs

from clientcard._book_promotions import iter_records
from clientcard.contact.name import normalize_text
from clientcard.errors import (
    FieldIssue,
    InvalidValueError,
    NotFoundError,
    StorageError,
    ValidationError,
)
from clientcard.events import EventKind
from clientcard.gallery import Photo, PhotoKind, PhotoLimits, check_photo
from clientcard.locale import message
from clientcard.serialization import document_of, value_of
from clientcard.storage.records import Record, RecordQuery

if TYPE_CHECKING:
    from collections.abc import Callable

    from clientcard.card import ClientCard
    from clientcard.clock import Clock
    from clientcard.events import DomainEvent
    from clientcard.storage.blobs import BlobStore
    from clientcard.storage.protocol import ClientStore

T = TypeVar("T")

__all__ = ["PHOTO_DOCUMENT_VERSION", "GalleryMixin"]

logger = logging.getLogger("clientcard")

PHOTO_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` of photo records' documents."""

PHOTO: Final = "photo"
BLOB_DELETION: Final = "blob.deletion"

_MAX_CAPTION: Final = 500
_MAX_REFERENCE: Final = 200


class _BlobUnit(threading.local):
    """Per thread: what the current unit of work did to blobs."""

    def __init__(self) -> None:
        self.written: list[tuple[str, str]] = []
        """Blobs put in this unit: deleted again if it rolls back."""
        self.released: list[tuple[str, str]] = []
        """Blobs whose deletion this unit filed: deleted once it commits."""


def photo_from(record: Record) -> Photo:
    """Read a photo back from its record (its id and card are the record's)."""
    document = {**record.doc, "id": record.id, "card_id": record.card_id}
    return value_of(Photo, document, kind="photo", version=PHOTO_DOCUMENT_VERSION)


def _photo_doc(photo: Photo) -> dict[str, Any]:
    document = document_of(photo, PHOTO_DOCUMENT_VERSION)
    del document["id"], document["card_id"]
    return document


class GalleryMixin:
    """Gallery operations of :class:`~clientcard.book.ClientBook` (see its docs).

    .. versionadded:: 0.1.0
    """

    blobs: BlobStore | None
    """Where photo bytes are kept (``None``: the book has no gallery)."""
    photo_limits: PhotoLimits
    """The largest photo and the content types the gallery accepts."""
    _blob_unit: _BlobUnit

    if TYPE_CHECKING:
        # What ClientBook provides; declared so the type checker can follow the mixin.
        store: ClientStore
        clock: Clock
        _new_id: Callable[[], str]

        def _write(self, work: Callable[[], T]) -> T: ...
        def store_events(self, events: list[DomainEvent]) -> None: ...
        def _event(
            self,
            kind: EventKind,
            business_id: str,
            card: ClientCard | None = None,
            fields: list[str] | None = None,
        ) -> DomainEvent: ...

    def _init_gallery(self, blobs: BlobStore | None, limits: PhotoLimits | None) -> None:
        self.blobs = blobs
        self.photo_limits = limits or PhotoLimits()
        self._blob_unit = _BlobUnit()

    # -- adding -------------------------------------------------------------------------

    def add_photo(
        self,
        business_id: str,
        card_id: str,
        data: bytes,
        *,
        kind: PhotoKind,
        appointment_id: str | None = None,
        caption: str = "",
        added_by: str = "",
        lang: str | None = None,
    ) -> Photo:
        """Add an inspiration or result photo to a client's gallery.

        The content type is read from the bytes; ``appointment_id`` links the photo to
        a booking; ``caption`` is personal data like the photo.

        :raises PhotoRejectedError: empty, too large or not an accepted image type.
        :raises ValidationError: a caption or reference too long.
        :raises NotFoundError: no such card.
        :raises StorageError: ``no_blob_store`` when the book has no blob store.
        """
        blobs = self._blob_store()
        language = lang or self.store.get_business(business_id).language
        content_type = check_photo(data, self.photo_limits, lang=language)
        clean_caption = _caption(caption, language)
        for field, value in (("appointment_id", appointment_id), ("added_by", added_by)):
            _check_reference(field, value, language)

        def work() -> Photo:
            card = self.store.get(business_id, card_id)
            ref = blobs.put(business_id, data)
            self._blob_unit.written.append((business_id, ref))
            photo = Photo(
                id=self._new_id(),
                card_id=card_id,
                kind=kind,
                ref=ref,
                content_type=content_type,
                size=len(data),
                added_at=self.clock.now(),
                added_by=added_by,
                appointment_id=appointment_id,
                caption=clean_caption,
            )
            record = Record(
                business_id=business_id,
                kind=PHOTO,
                id=photo.id,
                card_id=card_id,
                key=appointment_id,
                at=photo.added_at,
                doc=_photo_doc(photo),
            )
            try:
                self.store.add_records([record])
            except BaseException:
                # Nothing points at the bytes: they go now, even if a caller's
                # transaction around this call carries on.
                self._blob_unit.written.remove((business_id, ref))
                self._drop_unused_blob(business_id, ref)
                raise
            event = self._event(EventKind.PHOTO_ADDED, business_id, card)
            self.store_events([attrs.evolve(event, record_id=photo.id)])
            return photo

        return self._write(work)

    # -- reading ------------------------------------------------------------------------

    def photo(self, business_id: str, photo_id: str) -> Photo:
        """One photo's description. :raises NotFoundError: no such photo."""
        return photo_from(self.store.get_record(business_id, PHOTO, photo_id))

    def photo_data(self, business_id: str, photo_id: str) -> bytes:
        """One photo's bytes. :raises NotFoundError: no such photo."""
        return self._blob_store().get(business_id, self.photo(business_id, photo_id).ref)

    def photos(self, business_id: str, card_id: str) -> list[Photo]:
        """A client's photos, oldest first."""
        query = RecordQuery(kind=PHOTO, card_id=card_id)
        return [photo_from(record) for record in iter_records(self.store, business_id, query)]

    def appointment_photos(self, business_id: str, appointment_id: str) -> list[Photo]:
        """The photos linked to one appointment, oldest first."""
        query = RecordQuery(kind=PHOTO, key=appointment_id)
        return [photo_from(record) for record in iter_records(self.store, business_id, query)]

    # -- removing -----------------------------------------------------------------------

    def remove_photo(self, business_id: str, photo_id: str) -> None:
        """Remove one photo; its bytes go once the removal commits.

        :raises NotFoundError: no such photo.
        """

        def work() -> None:
            photo = self.photo(business_id, photo_id)
            card = self.store.get(business_id, photo.card_id)
            self._release([photo], business_id, card)

        self._write(work)

    def delete_photos_of(self, business_id: str, card_id: str) -> int:
        """Remove every photo of a client (as erasing them does); return how many.

        Joins the caller's transaction when there is one; the bytes are deleted once
        the outermost unit commits (see the module docs for failures).

        :raises NotFoundError: no such card.
        """

        def work() -> int:
            card = self.store.get(business_id, card_id)
            return self._release(self.photos(business_id, card_id), business_id, card)

        return self._write(work)

    def purge_deleted_blobs(self, business_id: str, *, limit: int = 500) -> int:
        """Delete the bytes of removed photos that are still waiting; return how many went.

        Call it after a blob store outage (or now and then): each deletion that
        succeeds clears its ``blob.deletion`` record; a failure is logged (ids only)
        and waits for the next call.
        """
        page = self.store.find_records(business_id, RecordQuery(kind=BLOB_DELETION), limit=limit)
        return self._purge([(business_id, record.id) for record in page.items])

    # -- the unit of work's hooks (ClientBook.transaction calls them) -------------------

    def _blobs_begin(self) -> None:
        self._blob_unit.written.clear()
        self._blob_unit.released.clear()

    def _blobs_rolled_back(self) -> None:
        written = list(self._blob_unit.written)
        self._blobs_begin()
        for business_id, ref in written:
            self._drop_unused_blob(business_id, ref)

    def _drop_unused_blob(self, business_id: str, ref: str) -> None:
        try:
            self._blob_store().delete(business_id, ref)
        except Exception:  # noqa: BLE001 - the unit's own error is the one to raise
            # An orphan: no record points at it, so nothing can reach it through us.
            logger.warning(
                "could not delete the bytes of a photo that was not kept",
                extra={"business_id": business_id, "blob_ref": ref},
            )

    def _blobs_committed(self) -> None:
        released = list(self._blob_unit.released)
        self._blobs_begin()
        if released:
            self._purge(released)

    # -- internals ----------------------------------------------------------------------

    def _blob_store(self) -> BlobStore:
        if self.blobs is None:
            raise StorageError("no_blob_store", "this ClientBook was made without a blob store")
        return self.blobs

    def _release(self, photos: list[Photo], business_id: str, card: ClientCard) -> int:
        if not photos:
            return 0
        now = self.clock.now()
        self.store.delete_records(business_id, kind=PHOTO, record_ids=[p.id for p in photos])
        self.store.add_records(
            [
                Record(business_id=business_id, kind=BLOB_DELETION, id=p.ref, at=now, doc={})
                for p in photos
            ]
        )
        self._blob_unit.released.extend((business_id, photo.ref) for photo in photos)
        self.store_events(
            [
                attrs.evolve(
                    self._event(EventKind.PHOTO_REMOVED, business_id, card), record_id=p.id
                )
                for p in photos
            ]
        )
        return len(photos)

    def _purge(self, pending: list[tuple[str, str]]) -> int:
        if self.blobs is None:
            return 0
        purged = 0
        for business_id, ref in pending:
            try:
                # Only a committed deletion counts: its record is what says the bytes may go.
                self.store.get_record(business_id, BLOB_DELETION, ref)
                self.blobs.delete(business_id, ref)
                self.store.delete_records(business_id, kind=BLOB_DELETION, record_ids=[ref])
            except NotFoundError:
                continue
            except Exception:
                logger.warning(
                    "could not delete a removed photo's bytes; purge_deleted_blobs retries",
                    extra={"business_id": business_id, "blob_ref": ref},
                    exc_info=True,
                )
                continue
            purged += 1
        return purged


def _caption(caption: str, lang: str) -> str:
    try:
        return normalize_text(caption, _MAX_CAPTION, multiline=True)
    except InvalidValueError:
        code = "photo.caption_invalid"
        raise ValidationError(
            [FieldIssue("caption", code, message(code, lang, max=_MAX_CAPTION))]
        ) from None


def _check_reference(field: str, value: str | None, lang: str) -> None:
    if value is None or (field == "added_by" and value == ""):
        return
    if not 1 <= len(value) <= _MAX_REFERENCE:
        code = "photo.reference_invalid"
        raise ValidationError([FieldIssue(field, code, message(code, lang))])
