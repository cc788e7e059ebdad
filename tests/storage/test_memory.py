from __future__ import annotations

import pytest

from clientcard.storage import MemoryStore
from clientcard.testing.contracts import ClientStoreContract


class TestMemoryStore(ClientStoreContract):
    @pytest.fixture
    def store(self) -> MemoryStore:
        return MemoryStore()


def test_queries_name_their_filters_but_never_their_values() -> None:
    from clientcard.storage import CardQuery, SearchTerms

    query = CardQuery(
        search=SearchTerms(name="Giulietta", phone_digits="3331234567"),
        email="giulietta@example.com",
    )
    text = repr(query)
    assert "iulietta" not in text
    assert "333" not in text
    assert "search" in text
    assert "email" in text
    assert repr(SearchTerms()) == "SearchTerms(<masked: nothing>)"
