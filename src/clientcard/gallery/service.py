"""The gallery service: a client's photos and their bytes.

A photo is two things kept in two places: its bytes in the book's
:class:`~clientcard.storage.blobs.BlobStore`, and a ``photo`` record (on the card,
keyed by the appointment; see :mod:`clientcard.gallery.records`) in the client store.
They can't share a transaction, so the book keeps them consistent this way:

* **Adding**: the bytes are written inside the unit of work that files the record; if
  the unit rolls back, the bytes are deleted again.
* **Removing** (one photo, a card's photos, a deleted card): the unit of work deletes
  the records and files a ``blob.deletion`` record per blob. Only after it commits are
  the bytes deleted, and each ``blob.deletion`` with them. A blob store that fails
  then leaves its ``blob.deletion`` records behind;
  :meth:`GalleryService.purge_deleted` finishes the job later, and deleting twice
  is harmless. Bytes are never deleted while a record still points at them.

The bookkeeping of both halves (what a unit wrote, what it released) belongs to the
unit of work, so it lives in the book's core (:mod:`clientcard._core`); this service
says when.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import builtins
from typing import Final

from clientcard._core import BLOB_DELETION, Service, as_enum, as_id, as_optional_id
from clientcard.cards.card import ClientCard
from clientcard.contact.name import normalize_text
from clientcard.errors import FieldIssue, InvalidValueError, ValidationError
from clientcard.events import EventKind
from clientcard.gallery.model import Photo, PhotoKind, check_photo
from clientcard.gallery.records import PHOTO, photo_document, photo_from
from clientcard.locale import message
from clientcard.storage.records import Record, RecordQuery

__all__ = ["GalleryService"]

_MAX_CAPTION: Final = 500
_MAX_REFERENCE: Final = 200


class GalleryService(Service):
    """Inspiration and result photos of one business's clients (see the module docs).

    Reached as ``book.business(id).gallery``; needs a book made with a blob store
    (``ClientBook(..., blobs=...)``), whose ``photo_limits`` say which photos it takes.

    .. versionadded:: 0.1.0
    """

    # -- adding -------------------------------------------------------------------------

    def add(
        self,
        card_id: str,
        data: bytes,
        *,
        kind: PhotoKind | str,
        appointment_id: str | None = None,
        caption: str = "",
        by: str = "",
        lang: str | None = None,
    ) -> Photo:
        """Add an inspiration or result photo to a client's gallery.

        The content type is read from the bytes; ``appointment_id`` links the photo to
        a booking; ``caption`` is personal data like the photo; ``by`` names who added
        it (kept as the photo's ``added_by``).

        :raises PhotoRejectedError: empty, too large or not an accepted image type.
        :raises ValidationError: a caption or reference too long.
        :raises NotFoundError: no such card.
        :raises StorageError: ``no_blob_store`` when the book has no blob store.
        :raises ValueError: ``kind`` is not a :class:`PhotoKind` value.
        """
        card_id = as_id("card_id", card_id)
        photo_kind = as_enum(PhotoKind, "kind", kind)
        appointment_id = as_optional_id("appointment_id", appointment_id)
        core = self._core
        business_id = self.business_id
        blobs = core.blob_store()
        language = lang or core.store.get_business(business_id).language
        content_type = check_photo(data, core.photo_limits, lang=language)
        clean_caption = _caption(caption, language)
        for field, value in (("appointment_id", appointment_id), ("by", by)):
            _check_reference(field, value, language)

        def work() -> Photo:
            card = core.store.get(business_id, card_id)
            ref = blobs.put(business_id, data)
            core.blob_written(business_id, ref)
            photo = Photo(
                id=core.new_id(),
                card_id=card_id,
                kind=photo_kind,
                ref=ref,
                content_type=content_type,
                size=len(data),
                added_at=core.clock.now(),
                added_by=by,
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
                doc=photo_document(photo),
            )
            try:
                core.store.add_records([record])
            except BaseException:
                # Nothing points at the bytes: they go now, even if a caller's
                # transaction around this call carries on.
                core.blob_unwritten(business_id, ref)
                raise
            core.store_events(
                [core.event(EventKind.PHOTO_ADDED, business_id, card, record_id=photo.id)]
            )
            return photo

        return core.write(work)

    # -- reading ------------------------------------------------------------------------

    def get(self, photo_id: str) -> Photo:
        """One photo's description. :raises NotFoundError: no such photo."""
        photo_id = as_id("photo_id", photo_id)
        return photo_from(self._core.store.get_record(self.business_id, PHOTO, photo_id))

    def data(self, photo_id: str) -> bytes:
        """One photo's bytes.

        :raises NotFoundError: no such photo.
        :raises StorageError: ``no_blob_store`` when the book has no blob store.
        """
        blobs = self._core.blob_store()
        return blobs.get(self.business_id, self.get(photo_id).ref)

    def list(self, card_id: str) -> builtins.list[Photo]:
        """A client's photos, oldest first."""
        card_id = as_id("card_id", card_id)
        query = RecordQuery(kind=PHOTO, card_id=card_id)
        return [photo_from(record) for record in self._core.iter_records(self.business_id, query)]

    def list_for_appointment(self, appointment_id: str) -> builtins.list[Photo]:
        """The photos linked to one appointment, oldest first."""
        appointment_id = as_id("appointment_id", appointment_id)
        query = RecordQuery(kind=PHOTO, key=appointment_id)
        return [photo_from(record) for record in self._core.iter_records(self.business_id, query)]

    # -- removing -----------------------------------------------------------------------

    def remove(self, photo_id: str) -> None:
        """Remove one photo; its bytes go once the removal commits.

        :raises NotFoundError: no such photo.
        """
        photo_id = as_id("photo_id", photo_id)
        core = self._core

        def work() -> None:
            photo = self.get(photo_id)
            card = core.store.get(self.business_id, photo.card_id)
            self._release([photo], card)

        core.write(work)

    def remove_all(self, card_id: str) -> int:
        """Remove every photo of a client (as erasing them does); return how many.

        Joins the caller's transaction when there is one; the bytes are deleted once
        the outermost unit commits (see the module docs for failures).

        :raises NotFoundError: no such card.
        """
        card_id = as_id("card_id", card_id)
        core = self._core

        def work() -> int:
            card = core.store.get(self.business_id, card_id)
            return self._release(self.list(card_id), card)

        return core.write(work)

    def purge_deleted(self, *, limit: int = 500) -> int:
        """Delete the bytes of removed photos that are still waiting; return how many went.

        Call it after a blob store outage (or now and then): each deletion that
        succeeds clears its ``blob.deletion`` record; a failure is logged (ids only)
        and waits for the next call. A book without a blob store purges nothing.
        """
        core = self._core
        query = RecordQuery(kind=BLOB_DELETION)
        page = core.store.find_records(self.business_id, query, limit=limit)
        return core.purge_blobs([(self.business_id, record.id) for record in page.items])

    # -- internals ----------------------------------------------------------------------

    def _release(self, photos: builtins.list[Photo], card: ClientCard) -> int:
        """Delete ``photos``' records and file their bytes' deletion, in the current unit."""
        if not photos:
            return 0
        core = self._core
        business_id = self.business_id
        core.store.delete_records(business_id, kind=PHOTO, record_ids=[p.id for p in photos])
        core.release_blobs(business_id, [p.ref for p in photos])
        core.store_events(
            [core.event(EventKind.PHOTO_REMOVED, business_id, card, record_id=p.id) for p in photos]
        )
        return len(photos)


def _caption(caption: str, lang: str) -> str:
    try:
        return normalize_text(caption, _MAX_CAPTION, multiline=True)
    except InvalidValueError:
        code = "photo.caption_invalid"
        raise ValidationError(
            [FieldIssue("caption", code, message(code, lang, max=_MAX_CAPTION))]
        ) from None


def _check_reference(field: str, value: str | None, lang: str) -> None:
    if value is None or (field == "by" and value == ""):
        return
    if not 1 <= len(value) <= _MAX_REFERENCE:
        code = "photo.reference_invalid"
        raise ValidationError([FieldIssue(field, code, message(code, lang))])
