"""The gallery through ClientBook: photos on cards, their bytes, and their erasure."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.errors import NotFoundError, StorageError, ValidationError
from clientcard.gallery.model import PhotoKind, PhotoLimits, PhotoRejectedError, sniff_image_type
from clientcard.storage import MemoryStore
from clientcard.storage.blobs import MemoryBlobStore
from clientcard.testing.doubles import ListEventSink
from tests.support import NOW

SALON = "salon"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(64)
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)
HEIF_GENERIC = b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic" + bytes(64)
AVIF = b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00mif1avif" + bytes(64)


class RollbackError(Exception):
    """Raised inside a unit of work to roll it back."""


class FlakyBlobStore(MemoryBlobStore):
    """A blob store whose deletions fail while ``broken``."""

    def __init__(self) -> None:
        super().__init__()
        self.broken = False

    def delete(self, business_id: str, ref: str) -> None:
        if self.broken:
            raise StorageError("unavailable", "blob store down")
        super().delete(business_id, ref)


@pytest.fixture
def blobs() -> FlakyBlobStore:
    return FlakyBlobStore()


@pytest.fixture
def sink() -> ListEventSink:
    return ListEventSink()


@pytest.fixture
def book(blobs: FlakyBlobStore, sink: ListEventSink) -> ClientBook:
    book = ClientBook(
        MemoryStore(),
        clock=FixedClock(NOW),
        events=sink,
        blobs=blobs,
        photo_limits=PhotoLimits(max_bytes=1024),
    )
    book.create_business(name="Salone Bella", business_id=SALON, language="it")
    return book


@pytest.fixture
def card_id(book: ClientBook) -> str:
    return book.business(SALON).cards.add({"first_name": "Giulia", "last_name": "Verdi"}).id


def add(book: ClientBook, card_id: str, data: bytes = JPEG, **options: object) -> str:
    options.setdefault("kind", PhotoKind.RESULT)
    return book.business(SALON).gallery.add(card_id, data, **options).id  # type: ignore[arg-type]


class TestContentTypes:
    @pytest.mark.parametrize(
        ("data", "content_type"),
        [
            (JPEG, "image/jpeg"),
            (PNG, "image/png"),
            (WEBP, "image/webp"),
            (HEIC, "image/heic"),
            (HEIF_GENERIC, "image/heic"),
        ],
    )
    def test_images_are_recognised_by_their_first_bytes(
        self, data: bytes, content_type: str
    ) -> None:
        assert sniff_image_type(data) == content_type

    @pytest.mark.parametrize(
        "data", [b"GIF89a", b"%PDF-1.7", b"<svg", AVIF, b"RIFF\x00\x00\x00\x00WAVE", b"\xff\xd8"]
    )
    def test_anything_else_is_not_an_image_we_keep(self, data: bytes) -> None:
        assert sniff_image_type(data) is None


class TestAdding:
    def test_a_photo_is_kept_with_its_type_size_and_links(
        self, book: ClientBook, card_id: str, sink: ListEventSink
    ) -> None:
        photo = book.business(SALON).gallery.add(
            card_id,
            PNG,
            kind=PhotoKind.INSPIRATION,
            appointment_id="apt-1",
            caption="  colore  desiderato ",
            by="staff-1",
        )
        assert (photo.content_type, photo.size, photo.kind) == (
            "image/png",
            len(PNG),
            PhotoKind.INSPIRATION,
        )
        assert photo.caption == "colore desiderato"
        assert book.business(SALON).gallery.get(photo.id) == photo
        assert book.business(SALON).gallery.data(photo.id) == PNG
        assert book.business(SALON).gallery.list(card_id) == [photo]
        assert book.business(SALON).gallery.list_for_appointment("apt-1") == [photo]
        assert book.business(SALON).gallery.list_for_appointment("apt-2") == []
        assert sink.events[-1].kind.value == "photo.added"
        assert sink.events[-1].record_id == photo.id

    @pytest.mark.parametrize(
        ("data", "code"),
        [
            (b"", "photo.empty"),
            (JPEG + bytes(1024), "photo.too_large"),
            (b"%PDF-1.7" + bytes(10), "photo.type_unsupported"),
        ],
    )
    def test_a_refused_photo_stores_nothing(
        self, book: ClientBook, blobs: FlakyBlobStore, card_id: str, data: bytes, code: str
    ) -> None:
        with pytest.raises(PhotoRejectedError) as caught:
            add(book, card_id, data)
        assert caught.value.code == code
        assert caught.value.codes == {code}
        assert len(blobs) == 0
        assert book.business(SALON).gallery.list(card_id) == []

    def test_refusals_speak_the_business_language(self, book: ClientBook, card_id: str) -> None:
        with pytest.raises(PhotoRejectedError) as caught:
            add(book, card_id, b"GIF89a")
        assert "Si possono conservare solo" in str(caught.value)

    def test_the_accepted_types_are_configurable(self, card_id: str) -> None:
        book = ClientBook(MemoryStore(), blobs=MemoryBlobStore())
        book.create_business(name="S", business_id=SALON)
        only_jpeg = ClientBook(
            book.store,
            blobs=MemoryBlobStore(),
            photo_limits=PhotoLimits(content_types={"image/jpeg"}),
        )
        card = only_jpeg.business(SALON).cards.add({"first_name": "Eva"})
        only_jpeg.business(SALON).gallery.add(card.id, JPEG, kind=PhotoKind.RESULT)
        with pytest.raises(PhotoRejectedError):
            only_jpeg.business(SALON).gallery.add(card.id, PNG, kind=PhotoKind.RESULT)

    def test_a_long_caption_or_reference_is_refused(self, book: ClientBook, card_id: str) -> None:
        with pytest.raises(ValidationError) as caught:
            add(book, card_id, caption="x" * 501)
        assert caught.value.codes == {"photo.caption_invalid"}
        with pytest.raises(ValidationError) as caught:
            add(book, card_id, appointment_id="")
        assert caught.value.codes == {"photo.reference_invalid"}

    def test_a_photo_for_a_missing_card_stores_nothing(
        self, book: ClientBook, blobs: FlakyBlobStore
    ) -> None:
        with pytest.raises(NotFoundError):
            add(book, "nobody")
        assert len(blobs) == 0

    def test_bytes_of_a_unit_that_rolls_back_are_deleted(
        self, book: ClientBook, blobs: FlakyBlobStore, card_id: str
    ) -> None:
        with pytest.raises(RollbackError), book.transaction():  # noqa: PT012
            add(book, card_id)
            assert len(blobs) == 1
            raise RollbackError
        assert len(blobs) == 0
        assert book.business(SALON).gallery.list(card_id) == []

    def test_a_book_without_a_blob_store_has_no_gallery(self, card_id: str) -> None:
        book = ClientBook(MemoryStore())
        book.create_business(name="S", business_id=SALON)
        card = book.business(SALON).cards.add({"first_name": "Eva"})
        with pytest.raises(StorageError) as caught:
            book.business(SALON).gallery.add(card.id, JPEG, kind=PhotoKind.RESULT)
        assert caught.value.reason == "no_blob_store"
        book.business(SALON).cards.remove(card.id, expected_version=1)

    def test_captions_never_show_in_repr(self, book: ClientBook, card_id: str) -> None:
        photo = book.business(SALON).gallery.add(
            card_id, JPEG, kind=PhotoKind.RESULT, caption="Giulia"
        )
        assert "Giulia" not in repr(photo)


class TestRemoving:
    def test_removing_a_photo_deletes_its_bytes_after_commit(
        self, book: ClientBook, blobs: FlakyBlobStore, card_id: str, sink: ListEventSink
    ) -> None:
        photo_id = add(book, card_id)
        book.business(SALON).gallery.remove(photo_id)
        assert len(blobs) == 0
        assert book.business(SALON).gallery.list(card_id) == []
        assert sink.events[-1].kind.value == "photo.removed"
        assert sink.events[-1].record_id == photo_id
        with pytest.raises(NotFoundError):
            book.business(SALON).gallery.get(photo_id)

    def test_deleting_a_card_deletes_its_photos_bytes(
        self, book: ClientBook, blobs: FlakyBlobStore, card_id: str
    ) -> None:
        add(book, card_id)
        add(book, card_id, PNG, appointment_id="apt-1")
        other = book.business(SALON).cards.add({"first_name": "Bea"}).id
        kept = add(book, other)
        book.business(SALON).cards.remove(card_id, expected_version=1)
        assert len(blobs) == 1
        assert book.business(SALON).gallery.data(kept) == JPEG
        assert book.business(SALON).gallery.list_for_appointment("apt-1") == []
        assert book.business(SALON).gallery.purge_deleted() == 0

    def test_a_stale_card_deletion_deletes_no_photo(
        self, book: ClientBook, blobs: FlakyBlobStore, card_id: str
    ) -> None:
        add(book, card_id)
        with pytest.raises(Exception, match="version"):
            book.business(SALON).cards.remove(card_id, expected_version=7)
        assert len(blobs) == 1
        assert len(book.business(SALON).gallery.list(card_id)) == 1

    def test_bytes_wait_for_the_outermost_commit(
        self, book: ClientBook, blobs: FlakyBlobStore, card_id: str
    ) -> None:
        add(book, card_id)
        with book.transaction():
            assert book.business(SALON).gallery.remove_all(card_id) == 1
            assert len(blobs) == 1
        assert len(blobs) == 0

    def test_a_rolled_back_removal_keeps_the_bytes(
        self, book: ClientBook, blobs: FlakyBlobStore, card_id: str
    ) -> None:
        photo_id = add(book, card_id)

        with pytest.raises(RollbackError), book.transaction():  # noqa: PT012
            book.business(SALON).gallery.remove(photo_id)
            raise RollbackError
        assert book.business(SALON).gallery.data(photo_id) == JPEG

    def test_a_failed_blob_deletion_is_finished_by_a_later_purge(
        self,
        book: ClientBook,
        blobs: FlakyBlobStore,
        card_id: str,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        add(book, card_id)
        add(book, card_id)
        blobs.broken = True
        book.business(SALON).cards.remove(card_id, expected_version=1)
        with pytest.raises(NotFoundError):
            book.business(SALON).cards.get(card_id)
        assert len(blobs) == 2
        assert "gallery.purge_deleted" in caplog.text
        assert "Giulia" not in caplog.text
        assert book.business(SALON).gallery.purge_deleted() == 0
        blobs.broken = False
        assert book.business(SALON).gallery.purge_deleted() == 2
        assert len(blobs) == 0
        assert book.business(SALON).gallery.purge_deleted() == 0

    def test_photos_are_deleted_with_their_client(self) -> None:
        from clientcard.kinds import ErasureTreatment, kind_of

        assert kind_of("photo").treatment is ErasureTreatment.DELETE
        assert kind_of("photo").per_client
        assert not kind_of("blob.deletion").per_client


def test_delete_logs_ids_only(
    book: ClientBook, blobs: FlakyBlobStore, card_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    add(book, card_id, caption="Giulia's colour")
    blobs.broken = True
    book.business(SALON).cards.remove(card_id, expected_version=1)
    assert "Giulia" not in caplog.text
    assert "Verdi" not in caplog.text


class FailingRecordsStore(MemoryStore):
    """A store that refuses to file records while ``broken``."""

    broken = False

    def add_records(self, records: object) -> None:  # type: ignore[override]
        if self.broken:
            raise StorageError("unavailable", "store down")
        super().add_records(records)  # type: ignore[arg-type]


def test_bytes_whose_record_was_not_filed_go_at_once(blobs: FlakyBlobStore) -> None:
    store = FailingRecordsStore()
    book = ClientBook(store, blobs=blobs)
    book.create_business(name="S", business_id=SALON)
    card = book.business(SALON).cards.add({"first_name": "Eva"})
    store.broken = True
    with book.transaction():
        with pytest.raises(StorageError):
            book.business(SALON).gallery.add(card.id, JPEG, kind=PhotoKind.RESULT)
        assert len(blobs) == 0


def test_a_host_blob_store_failing_with_its_own_error_never_fails_a_committed_deletion(
    book: ClientBook, blobs: FlakyBlobStore, card_id: str
) -> None:
    add(book, card_id)

    def explode(business_id: str, ref: str) -> None:
        raise OSError("bucket unreachable")

    blobs.delete = explode  # type: ignore[method-assign]
    book.business(SALON).cards.remove(card_id, expected_version=1)
    assert len(blobs) == 1
    del blobs.delete
    assert book.business(SALON).gallery.purge_deleted() == 1


@given(
    caption=st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=50),
    appointment=st.none() | st.text(alphabet="abc-0123456789", min_size=1, max_size=20),
    kind=st.sampled_from(PhotoKind),
)
def test_a_photo_round_trips_through_its_record(
    caption: str, appointment: str | None, kind: PhotoKind
) -> None:
    from clientcard.gallery.model import Photo
    from clientcard.gallery.records import photo_document, photo_from
    from clientcard.storage.records import Record

    photo = Photo(
        id="p1",
        card_id="c1",
        kind=kind,
        ref="0" * 32,
        content_type="image/png",
        size=12,
        added_at=NOW,
        appointment_id=appointment,
        caption=caption,
    )
    document = photo_document(photo)
    assert "card_id" not in document
    record = Record(business_id=SALON, kind="photo", id="p1", at=NOW, doc=document, card_id="c1")
    assert photo_from(record) == photo
