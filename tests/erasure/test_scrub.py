"""The scrub on the stores the command line and tests use: SQLite and memory.

PostgreSQL's is in :mod:`tests.erasure.test_pg_scrub`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clientcard.book import ClientBook
from clientcard.errors import StorageError
from clientcard.storage import MemoryStore
from clientcard.storage.scrub import ScrubMethod, ScrubReport
from clientcard.storage.sqlite import SQLiteStore
from tests.cli_support import Cli
from tests.erasure.test_scan import book_on, erase_and_scan, files_of, found_in, searchable

__all__ = ["book_on"]  # the fixture, shared with the scan test


class TestOnSQLite:
    def test_a_file_written_without_secure_delete_holds_no_erased_byte_after_a_scrub(
        self, book_on: tuple[ClientBook, object, Path]
    ) -> None:
        book, blobs, root = book_on
        assert isinstance(book.store, SQLiteStore)
        book.store._connection().execute("PRAGMA secure_delete = OFF")
        assert erase_and_scan(book, blobs, root)  # type: ignore[arg-type]
        report = book.admin.scrub()
        assert report.complete
        assert found_in(files_of(root / "cards.db"), searchable("x")) == set()
        assert found_in(files_of(root / "cards.db"), searchable("w"))

    def test_the_report_names_the_whole_file_and_its_sizes(self, tmp_path: Path) -> None:
        with SQLiteStore(tmp_path / "c.db") as store:
            book = ClientBook(store)
            book.create_business(name="Salone")
            report = book.admin.scrub()
        (done,) = report.tables
        assert (done.table, done.method, done.rewritten) == ("*", ScrubMethod.SQLITE_VACUUM, True)
        assert done.bytes_after <= done.bytes_before
        assert report.checkpointed

    def test_inside_a_transaction_it_is_refused(self, tmp_path: Path) -> None:
        with (
            SQLiteStore(tmp_path / "c.db") as store,
            store.transaction(),
            pytest.raises(StorageError) as caught,
        ):
            store.scrub()
        assert caught.value.reason == "in_transaction"

    def test_a_postponed_checkpoint_is_reported(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with SQLiteStore(tmp_path / "c.db") as store:

            def busy() -> None:
                raise StorageError("locked", "busy")

            monkeypatch.setattr(store, "checkpoint", busy)
            assert not store.scrub().checkpointed


class TestElsewhere:
    def test_a_store_without_files_has_nothing_to_scrub(self) -> None:
        assert ClientBook(MemoryStore()).admin.scrub() == ScrubReport()
        assert ScrubReport().complete


class TestTheCommand:
    def test_scrub_rebuilds_the_file_and_says_so(self, cli: Cli) -> None:
        out = cli.ok("scrub")
        assert "sqlite_vacuum" in out
        assert "scrub complete" in out

    def test_an_incomplete_scrub_fails(self, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(SQLiteStore, "scrub", lambda self: ScrubReport(held_back=1))
        status, _, err = cli("scrub")
        assert (status, "incomplete" in err) == (1, True)
