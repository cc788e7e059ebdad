"""Shared test setup: hypothesis profiles and common fixtures."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from clientcard.storage import MemoryStore
from clientcard.storage.protocol import ClientStore
from tests.citus_support import citus, citus_schema, citus_store
from tests.cli_support import Cli
from tests.support import NOW, TODAY

__all__ = ["citus", "citus_schema", "citus_store"]  # fixtures for every test package

# "fast" keeps `make test` quick on a laptop; CI runs "ci"; `make fuzz` runs "thorough".
settings.register_profile(
    "fast", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))

# The command line speaks the language of its environment; the tests read its English
# unless a test asks for another (a developer's LANG=it_IT must not change what they see).
os.environ["CLIENTCARD_LANG"] = "en"


@pytest.fixture
def today() -> dt.date:
    return TODAY


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("COLUMNS", "200")  # rich would shorten cells to a narrow terminal
    runner = Cli(tmp_path / "cards.db", capsys)
    runner.ok("init", "bella", "--name", "Salone Bella", "--region", "IT", "--language", "it")
    return runner


# The Citus runs of the book tests exist where a cluster is named (or required, so that a
# missing one fails); elsewhere tests/storage/test_citus.py alone reports the skip, rather
# than a skipped twin of every book test.
_BOOK_STORES = ["memory"] + (
    [pytest.param("citus", marks=pytest.mark.citus)]
    if os.environ.get("CLIENTCARD_TEST_CITUS") or os.environ.get("CLIENTCARD_REQUIRE_CITUS") == "1"
    else []
)


@pytest.fixture(params=_BOOK_STORES)
def book_store(request: pytest.FixtureRequest) -> ClientStore:
    """The store of a book under test: in memory, then on the Citus cluster (if named).

    The Citus run shares one distributed schema per session, emptied before each test
    (see ``tests/citus_support.py``).
    """
    if request.param == "memory":
        return MemoryStore()
    store: ClientStore = request.getfixturevalue("citus_store")
    return store
