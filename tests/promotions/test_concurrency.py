"""Concurrent redemptions never pass a limit, on real databases."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clientcard.book import ClientBook
from clientcard.promotions.model import Discount, RedemptionRefusedError
from clientcard.storage import ClientStore, MemoryStore
from clientcard.storage.sqlite import SQLiteStore

WRITERS = 6


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ClientStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "sqlite":
        sqlite = SQLiteStore(tmp_path / "promotions.db")
        yield sqlite
        sqlite.close()
        return
    from clientcard.storage.postgres import PostgresStore

    dsn = request.getfixturevalue("postgres")
    schema = request.getfixturevalue("postgres_schema")
    postgres = PostgresStore(dsn, schema=schema, max_size=WRITERS)
    yield postgres
    postgres.close()


def race(attempts: list[Callable[[], object]]) -> Counter[str]:
    """Run every attempt at once; count the outcomes by refusal code."""
    barrier = threading.Barrier(len(attempts))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def run(attempt: Callable[[], object]) -> None:
        barrier.wait()
        try:
            attempt()
            outcome = "redeemed"
        except RedemptionRefusedError as error:
            outcome = error.code
        except Exception as error:  # noqa: BLE001 - reported as an outcome, then asserted on
            outcome = type(error).__name__
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def setup(
    store: ClientStore, *, limit_total: int | None = None, limit_per_client: int | None = None
) -> tuple[ClientBook, str]:
    book = ClientBook(store)
    business = book.create_business(name="Salon", business_id=f"b{uuid.uuid4().hex[:8]}")
    book.business(business.id).promotions.add(
        code="RUSH",
        name="Rush",
        discount=Discount.percentage(20),
        limit_total=limit_total,
        limit_per_client=limit_per_client,
    )
    return book, business.id


def test_concurrent_redemptions_never_pass_the_overall_limit(store: ClientStore) -> None:
    book, salon = setup(store, limit_total=2)
    cards = [
        book.business(salon).cards.add({"first_name": "Client", "last_name": "ABCDEFGH"[i]}).id
        for i in range(WRITERS)
    ]
    outcomes = race(
        [lambda c=card: book.business(salon).promotions.redeem(c, "rush") for card in cards]
    )
    assert outcomes == {"redeemed": 2, "promotion.exhausted": WRITERS - 2}
    assert book.business(salon).promotions.usage("rush") == 2


def test_concurrent_redemptions_by_one_client_never_pass_their_limit(
    store: ClientStore,
) -> None:
    book, salon = setup(store, limit_per_client=1)
    card = book.business(salon).cards.add({"first_name": "Eva"}).id
    outcomes = race([lambda: book.business(salon).promotions.redeem(card, "rush")] * WRITERS)
    assert outcomes == {"redeemed": 1, "promotion.client_limit_reached": WRITERS - 1}
    assert len(book.business(salon).promotions.list_redemptions(card)) == 1
