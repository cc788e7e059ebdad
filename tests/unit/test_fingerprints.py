"""Keyed fingerprints of contact details, and the keys a book gives them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.book import ClientBook
from clientcard.fingerprints import (
    contact_fingerprints,
    derive_key,
    email_fingerprint,
    phone_fingerprint,
)
from clientcard.storage import MemoryStore

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
