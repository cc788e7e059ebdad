"""Keyed fingerprints of contact details, and the keys a book gives them."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.book import ClientBook
from clientcard.fingerprints import (
    StoredKeyWarning,
    contact_fingerprints,
    derive_key,
    email_fingerprint,
    phone_fingerprint,
)
from clientcard.storage import MemoryStore, SQLiteStore
from clientcard.storage.records import RecordQuery

SECRET = b"s" * 32


class TestFingerprints:
    @given(local=st.from_regex(r"[A-Za-z]{1,10}", fullmatch=True))
    def test_an_email_fingerprint_ignores_case(self, local: str) -> None:
        key = derive_key(SECRET, "b")
        upper = email_fingerprint(key, f"{local.upper()}@example.com")
        assert upper == email_fingerprint(key, f"{local.lower()}@example.com")

    def test_the_value_is_not_in_the_fingerprint(self) -> None:
        key = derive_key(SECRET, "b")
        assert "3331234567" not in phone_fingerprint(key, "+393331234567")

    def test_businesses_get_different_fingerprints(self) -> None:
        first = phone_fingerprint(derive_key(SECRET, "a"), "+393331234567")
        assert first != phone_fingerprint(derive_key(SECRET, "b"), "+393331234567")

    def test_a_short_secret_is_refused(self) -> None:
        with pytest.raises(ValueError, match="16 bytes"):
            derive_key(b"short", "b")

    def test_a_card_has_one_fingerprint_per_detail(self) -> None:
        key = derive_key(SECRET, "b")
        prints = contact_fingerprints(key, email="a@example.com", phones=["+393331234567"])
        assert len(prints) == 2
        assert contact_fingerprints(key, email=None, phones=[]) == frozenset()


class TestBookKeys:
    def test_a_book_without_a_secret_keeps_one_random_key_per_business(self) -> None:
        store = MemoryStore()
        book = ClientBook(store)
        salon = book.create_business(name="Salon", region="IT", language="it")
        key = book.admin.fingerprint_key(salon.id)
        assert len(key) == 32
        assert ClientBook(store).admin.fingerprint_key(salon.id) == key

    def test_a_book_with_a_secret_derives_its_keys(self) -> None:
        book = ClientBook(MemoryStore(), fingerprint_secret=SECRET)
        assert book.admin.fingerprint_key("b") == derive_key(SECRET, "b")

    def test_a_short_secret_is_refused(self) -> None:
        with pytest.raises(ValueError, match="16 bytes"):
            ClientBook(MemoryStore(), fingerprint_secret=b"short")


class TestKeyBesideTheData:
    """Without a host secret the key sits in the database: a loud warning (issue 19)."""

    def test_a_book_on_a_file_without_a_secret_warns_and_logs(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        with SQLiteStore(tmp_path / "clients.db") as store:
            with pytest.warns(StoredKeyWarning, match="fingerprint_secret"):
                ClientBook(store)
            assert "fingerprint_secret" in caplog.text

    def test_a_book_with_a_secret_or_in_memory_does_not_warn(self, tmp_path: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ClientBook(MemoryStore())
            with SQLiteStore(tmp_path / "clients.db") as store:
                ClientBook(store, fingerprint_secret=SECRET)

    def test_the_warning_is_what_the_key_beside_the_data_makes_possible(
        self, tmp_path: Path
    ) -> None:
        """Whoever has the file tests a guessed address against a suppressed contact."""
        with SQLiteStore(tmp_path / "clients.db") as store:
            with pytest.warns(StoredKeyWarning):
                book = ClientBook(store)
            salon = book.create_business(name="Salon").id
            key = book.admin.fingerprint_key(salon)
            (record,) = store.find_records(salon, RecordQuery(kind="business.fingerprint_key"))
            assert bytes.fromhex(str(record.doc["key"])) == key
