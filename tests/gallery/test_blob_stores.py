"""clientcard's own blob stores keep the blob store contract; the file store's layout."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from clientcard.errors import StorageError
from clientcard.storage.blobs import MemoryBlobStore, is_blob_ref
from clientcard.storage.files import FileBlobStore
from clientcard.testing.blob_contracts import BlobStoreContract


class TestMemoryBlobStore(BlobStoreContract):
    @pytest.fixture
    def blobs(self) -> MemoryBlobStore:
        return MemoryBlobStore()


class TestFileBlobStore(BlobStoreContract):
    @pytest.fixture
    def blobs(self, tmp_path: Path) -> FileBlobStore:
        return FileBlobStore(tmp_path / "blobs")


class TestFileLayout:
    def test_paths_hold_neither_the_business_nor_a_name(self, tmp_path: Path) -> None:
        store = FileBlobStore(tmp_path / "blobs")
        ref = store.put("salone-bella", b"data")
        (path,) = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
        relative = path.relative_to(tmp_path / "blobs")
        assert relative.name == ref
        assert is_blob_ref(ref)
        assert "salone" not in str(relative)

    def test_blobs_are_readable_by_the_owner_only(self, tmp_path: Path) -> None:
        store = FileBlobStore(tmp_path / "blobs")
        store.put("b1", b"data")
        (path,) = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_a_failed_write_leaves_nothing_behind(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        store = FileBlobStore(tmp_path / "blobs")

        def broken_fsync(_fd: int) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "fsync", broken_fsync)
        with pytest.raises(StorageError) as caught:
            store.put("b1", b"data")
        assert caught.value.reason == "disk_full"
        assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []

    def test_a_file_outside_the_root_is_never_reached(self, tmp_path: Path) -> None:
        secret = tmp_path / "secret"
        secret.write_bytes(b"keep")
        store = FileBlobStore(tmp_path / "blobs")
        store.delete("b1", "../secret")
        store.delete("b1", str(secret))
        assert secret.read_bytes() == b"keep"

    def test_an_unreadable_root_is_a_storage_error(self, tmp_path: Path) -> None:
        (tmp_path / "file").write_bytes(b"")
        with pytest.raises(StorageError):
            FileBlobStore(tmp_path / "file" / "blobs")
