"""Files the library writes are the owner's alone (0600), whatever the umask (issue 19).

A client database, its write-ahead log and shared-memory index, photos, exports and
event logs are personal data: created readable by the group or the world (0644 under
the usual umask), any local account could copy them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.sinks import JsonLinesEventSink
from clientcard.storage import SQLiteStore
from clientcard.storage.files import FileBlobStore
from tests.support import NOW


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The umask most systems start with: new files readable by everyone."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _others_may_read(path: Path) -> bool:
    return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)


def test_a_new_database_and_its_wal_and_shm_are_the_owners_alone(tmp_path: Path) -> None:
    path = tmp_path / "clients.db"
    with SQLiteStore(path) as store:
        desk = ClientBook(store, clock=FixedClock(NOW)).create_business(name="Salone")
        assert desk.id
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(file.exists() for file in files)
        assert [file.name for file in files if _others_may_read(file)] == []


def test_an_existing_database_keeps_the_mode_its_owner_gave_it(tmp_path: Path) -> None:
    """A host that shares the file on purpose (a backup group, say) keeps doing so."""
    path = tmp_path / "clients.db"
    SQLiteStore(path).close()
    path.chmod(0o640)
    SQLiteStore(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_an_export_file_is_the_owners_alone(tmp_path: Path) -> None:
    book = ClientBook(SQLiteStore(tmp_path / "clients.db"), clock=FixedClock(NOW))
    try:
        salon = book.create_business(name="Salone", region="IT").id
        desk = book.business(salon)
        desk.cards.add({"first_name": "Anna", "email": "anna@example.com"})
        for name, export_format in (("cards.csv", "csv"), ("cards.json", "json")):
            desk.exchange.export_cards(tmp_path / name, format=export_format)
            assert not _others_may_read(tmp_path / name)
    finally:
        book.store.close()


def test_an_event_log_is_the_owners_alone(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    book = ClientBook(
        SQLiteStore(tmp_path / "clients.db"), clock=FixedClock(NOW), events=JsonLinesEventSink(log)
    )
    try:
        salon = book.create_business(name="Salone").id
        book.business(salon).cards.add({"first_name": "Anna"})
        assert log.exists()
        assert not _others_may_read(log)
    finally:
        book.store.close()


def test_a_photo_is_the_owners_alone(tmp_path: Path) -> None:
    blobs = FileBlobStore(tmp_path / "blobs")
    ref = blobs.put("salon", b"\x89PNG")
    (written,) = [path for path in (tmp_path / "blobs").rglob("*") if path.is_file()]
    assert written.name == ref
    assert not _others_may_read(written)
