from __future__ import annotations

import pytest

from clientcard.storage import MemoryStore
from clientcard.testing.contracts import ClientStoreContract


class TestMemoryStore(ClientStoreContract):
    @pytest.fixture
    def store(self) -> MemoryStore:
        return MemoryStore()
