"""The behaviour every :class:`~clientcard.storage.blobs.BlobStore` must have.

A host proves its own blob store (object storage, a database) by subclassing
:class:`BlobStoreContract` in a test module and giving a ``blobs`` fixture::

    import pytest
    from clientcard.testing.blob_contracts import BlobStoreContract

    class TestMyBlobStore(BlobStoreContract):
        @pytest.fixture
        def blobs(self):
            return MyBlobStore(bucket="test-bucket")

clientcard's own :class:`~clientcard.storage.blobs.MemoryBlobStore` and
:class:`~clientcard.storage.files.FileBlobStore` run the same suite.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import threading

import pytest

from clientcard.errors import NotFoundError
from clientcard.storage.blobs import BlobStore

__all__ = ["HOSTILE_REFS", "BlobStoreContract"]

HOSTILE_REFS: tuple[str, ...] = (
    "",
    ".",
    "..",
    "../../etc/passwd",
    "/etc/passwd",
    "..\\..\\windows",
    "a/../../b",
    "\x00",
    "~",
    "Anna Rossi.jpg",
)
"""References no store may follow outside itself; each must be an unknown blob."""

_PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4


class BlobStoreContract:
    """The contract suite; subclass it with a ``blobs`` fixture (see the module docs).

    .. versionadded:: 0.1.0
    """

    @pytest.fixture
    def blobs(self) -> BlobStore:
        """Give a fresh, empty blob store; every subclass must override this fixture."""
        pytest.fail("a BlobStoreContract subclass must define the 'blobs' fixture")

    def test_put_bytes_come_back_unchanged(self, blobs: BlobStore) -> None:
        """What was put is what is read, byte for byte."""
        ref = blobs.put("b1", _PHOTO)
        assert blobs.get("b1", ref) == _PHOTO
        assert blobs.exists("b1", ref)

    def test_empty_and_large_blobs_round_trip(self, blobs: BlobStore) -> None:
        """Sizes don't matter to the store (limits are the gallery's business)."""
        large = bytes(range(256)) * 8192
        for data in (b"", large):
            assert blobs.get("b1", blobs.put("b1", data)) == data

    def test_every_put_gets_a_new_reference(self, blobs: BlobStore) -> None:
        """Even the same bytes twice: deleting one must not delete the other."""
        first, second = blobs.put("b1", _PHOTO), blobs.put("b1", _PHOTO)
        assert first != second
        blobs.delete("b1", first)
        assert blobs.get("b1", second) == _PHOTO

    def test_a_reference_is_a_short_string_without_the_business(self, blobs: BlobStore) -> None:
        """References go into records: text, bounded, naming nobody."""
        ref = blobs.put("salone-bella", _PHOTO)
        assert isinstance(ref, str)
        assert 0 < len(ref) <= 200
        assert "salone" not in ref

    def test_a_deleted_blob_is_gone(self, blobs: BlobStore) -> None:
        """After delete, get is not found and exists is false."""
        ref = blobs.put("b1", _PHOTO)
        blobs.delete("b1", ref)
        assert not blobs.exists("b1", ref)
        with pytest.raises(NotFoundError):
            blobs.get("b1", ref)

    def test_deleting_twice_or_an_unknown_reference_is_harmless(self, blobs: BlobStore) -> None:
        """So an interrupted deletion can simply be run again."""
        ref = blobs.put("b1", _PHOTO)
        blobs.delete("b1", ref)
        blobs.delete("b1", ref)
        blobs.delete("b1", "0" * 32)

    def test_another_business_cannot_see_read_or_delete_a_blob(self, blobs: BlobStore) -> None:
        """Tenancy: a reference of another business is an unknown one."""
        ref = blobs.put("b1", _PHOTO)
        assert not blobs.exists("b2", ref)
        with pytest.raises(NotFoundError):
            blobs.get("b2", ref)
        blobs.delete("b2", ref)
        assert blobs.get("b1", ref) == _PHOTO

    @pytest.mark.parametrize("ref", HOSTILE_REFS)
    def test_a_hostile_reference_is_an_unknown_blob(self, blobs: BlobStore, ref: str) -> None:
        """Path tricks never reach outside the store; the error doesn't repeat them."""
        assert not blobs.exists("b1", ref)
        with pytest.raises(NotFoundError) as caught:
            blobs.get("b1", ref)
        if "/" in ref or "Anna" in ref:
            assert ref not in str(caught.value)
        blobs.delete("b1", ref)

    def test_concurrent_puts_keep_every_blob(self, blobs: BlobStore) -> None:
        """Threads writing at once each get their own reference and bytes."""
        refs: dict[int, str] = {}

        def put(n: int) -> None:
            refs[n] = blobs.put("b1", _PHOTO + bytes([n]))

        threads = [threading.Thread(target=put, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(set(refs.values())) == 8
        for n, ref in refs.items():
            assert blobs.get("b1", ref) == _PHOTO + bytes([n])
