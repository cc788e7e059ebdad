"""Two receptionists save the same card at once, through ClientBook, on real databases."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from clientcard.book import ClientBook
from clientcard.errors import VersionConflictError
from clientcard.storage import ClientStore
from clientcard.storage.sqlite import SQLiteStore


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ClientStore]:
    if request.param == "sqlite":
        sqlite = SQLiteStore(tmp_path / "book.db")
        yield sqlite
        sqlite.close()
        return
    from clientcard.storage.postgres import PostgresStore

    dsn = request.getfixturevalue("postgres")
    schema = request.getfixturevalue("postgres_schema")
    postgres = PostgresStore(dsn, schema=schema, max_size=4)
    yield postgres
    postgres.close()


def race(book: ClientBook, business_id: str, card_id: str, writers: int) -> list[str]:
    barrier = threading.Barrier(writers)
    outcomes: list[str] = []

    def writer(name: str) -> None:
        barrier.wait()
        try:
            book.business(business_id).cards.edit(card_id, {"notes": name}, expected_version=1)
            outcomes.append("saved")
        except VersionConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=writer, args=(f"note {i}",)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def test_concurrent_edits_of_one_version_give_one_save_and_typed_conflicts(
    store: ClientStore,
) -> None:
    book = ClientBook(store)
    business = book.create_business(name="Salon", business_id=f"b{uuid.uuid4().hex[:8]}")
    card = book.business(business.id).cards.add({"first_name": "Eva"})
    assert race(book, business.id, card.id, writers=3) == ["conflict", "conflict", "saved"]
    stored = book.business(business.id).cards.get(card.id)
    assert stored.version == 2
    assert stored.notes.startswith("note ")
