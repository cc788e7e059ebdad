"""The reference blob store: photos as files under one directory.

Layout: ``ROOT/<tenant>/<ab>/<ref>``, where ``<tenant>`` is the first 32 hex digits of
the SHA-256 of the business id and ``<ref>`` a random 128-bit reference (``<ab>`` its
first two digits, so no directory grows too large). No path holds a client's name, a
card id or the business id itself, and a reference that is not 32 hex digits is never
turned into a path, so nothing outside ``ROOT`` can be read or deleted through one.

Writes are atomic and durable: the bytes go to a temporary file in the target
directory, are flushed and ``fsync``-ed, then renamed over the final name, and the
directory is ``fsync``-ed; a crash leaves either the whole blob or nothing (at worst a
stray ``.tmp-`` file, which is never a blob). Files are created readable by the owner
only.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from clientcard.errors import StorageError
from clientcard.storage.blobs import blob_not_found, is_blob_ref, new_blob_ref

__all__ = ["FileBlobStore"]


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    # The path is left out of the message: it is safe, but a message names causes only.
    try:
        yield
    except OSError as error:
        reason = "disk_full" if error.errno in {errno.ENOSPC, errno.EDQUOT} else "unavailable"
        raise StorageError(reason, f"blob store I/O failed ({type(error).__name__})") from None


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class FileBlobStore:
    """A :class:`~clientcard.storage.blobs.BlobStore` on a local directory.

    ``root`` is created (owner-only) if missing. Safe for several threads and
    processes sharing the directory: every blob is written once under a new name.

    .. versionadded:: 0.1.0
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        with _translated():
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _path(self, business_id: str, ref: str) -> Path | None:
        if not is_blob_ref(ref):
            return None
        tenant = hashlib.sha256(business_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return self.root / tenant / ref[:2] / ref

    def put(self, business_id: str, data: bytes) -> str:
        """Write ``data`` atomically under a new random reference; return it."""
        ref = new_blob_ref()
        path = self._path(business_id, ref)
        assert path is not None  # noqa: S101 - new_blob_ref makes valid refs
        with _translated():
            created = not path.parent.exists()
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
            _fsync_directory(path.parent)
            if created:
                _fsync_directory(path.parent.parent)
                _fsync_directory(self.root)
        return ref

    def get(self, business_id: str, ref: str) -> bytes:
        """Return the bytes under ``ref``. :raises NotFoundError: no such blob there."""
        path = self._path(business_id, ref)
        if path is None:
            raise blob_not_found(ref)
        with _translated():
            try:
                return path.read_bytes()
            except FileNotFoundError:
                raise blob_not_found(ref) from None

    def exists(self, business_id: str, ref: str) -> bool:
        """Tell whether the business has a blob under ``ref``."""
        path = self._path(business_id, ref)
        with _translated():
            return path is not None and path.is_file()

    def delete(self, business_id: str, ref: str) -> None:
        """Delete the blob under ``ref`` (durably); an unknown reference is ignored."""
        path = self._path(business_id, ref)
        if path is None:
            return
        with _translated():
            try:
                path.unlink()
            except FileNotFoundError:
                return
            _fsync_directory(path.parent)
