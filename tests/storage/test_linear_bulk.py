"""Bulk work costs the same per card however many cards the business holds.

Not timed: the tests count what the store does -- its calls, and on SQLite the virtual
machine steps of every statement (a progress handler called every 100 steps) -- for the
same work in a business of ``N`` cards and in one of ``4 N``. A path that reads the
whole business per card (as a group move did: each card looked for its wards by
walking every card in sort order) costs four times as much in the larger business and
fails here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from clientcard.book import ClientBook
from clientcard.cards.card import ClientCard
from clientcard.clock import FixedClock
from clientcard.storage import MemoryStore, SQLiteStore
from clientcard.storage.protocol import ClientStore
from tests.support import NOW

SMALL = 150
MOVED = 40


class CountingStore:
    """A store that counts the calls made to it, by method name."""

    def __init__(self, inner: ClientStore) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._inner, name)
        if not callable(found) or name in ("transaction", "in_transaction"):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return found(*args, **kwargs)

        return counted


def _business(store: ClientStore, cards: int) -> tuple[ClientBook, str]:
    book = ClientBook(store, clock=FixedClock(NOW))
    business = book.create_business(name="Salone", region="IT", business_id="b")
    store.add_many(
        [
            ClientCard(
                id=f"c{i:06d}",
                business_id=business.id,
                created_at=NOW - dt.timedelta(days=1),
                updated_at=NOW - dt.timedelta(days=1),
                first_name="Anna",
                last_name=f"Rossi {i}",
                email=f"anna{i}@example.com",
                phones=(f"+39333{i:07d}",),
            )
            for i in range(cards)
        ]
    )
    desk = book.business(business.id)
    desk.groups.add(key="vip", label="VIP")
    return book, business.id


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Any]]:
    opened: list[SQLiteStore] = []

    def make() -> ClientStore:
        if request.param == "memory":
            return MemoryStore()
        store = SQLiteStore(tmp_path / f"s{len(opened)}.db")
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def _steps(store: ClientStore, work: Callable[[], object]) -> int:
    """SQLite virtual machine steps (in hundreds) ``work`` took; 0 on other stores."""
    if not isinstance(store, SQLiteStore):
        work()
        return 0
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    connection = store._connection()
    connection.set_progress_handler(tick, 100)
    try:
        work()
    finally:
        connection.set_progress_handler(None, 100)
    return steps[0]


def _cost(make_store: Callable[[], ClientStore], cards: int, work: Any) -> tuple[int, int]:
    inner = make_store()
    counting = CountingStore(inner)
    book, business_id = _business(counting, cards)  # type: ignore[arg-type]
    if isinstance(inner, SQLiteStore):
        # Planner statistics of the real data, as PRAGMA optimize leaves them on close:
        # no card has a guardian, so the guardian index looks useless to the planner.
        inner._connection().execute("ANALYZE")
    counting.calls.clear()
    steps = _steps(inner, lambda: work(book.business(business_id)))
    return sum(counting.calls.values()), steps


class TestGroupMoves:
    def test_moving_clients_costs_the_same_in_a_business_four_times_as_large(
        self, make_store: Callable[[], ClientStore]
    ) -> None:
        def move(desk: Any) -> None:
            moved = desk.groups.move({f"c{i:06d}": 1 for i in range(MOVED)}, "vip")
            assert len(moved.moved) == MOVED

        small_calls, small_steps = _cost(make_store, SMALL, move)
        large_calls, large_steps = _cost(make_store, 4 * SMALL, move)

        assert large_calls == small_calls
        assert large_steps <= small_steps * 1.3 + 50

    def test_a_move_makes_a_fixed_number_of_store_calls_whatever_it_moves(
        self, make_store: Callable[[], ClientStore]
    ) -> None:
        def mover(count: int) -> Callable[[Any], None]:
            return lambda desk: desk.groups.move({f"c{i:06d}": 1 for i in range(count)}, "vip")

        few, _ = _cost(make_store, SMALL, mover(5))
        many, _ = _cost(make_store, SMALL, mover(SMALL))

        assert many == few


class TestCardChanges:
    def test_a_changed_address_refreshes_wards_through_the_index(
        self, make_store: Callable[[], ClientStore]
    ) -> None:
        # A new address reaches the card's wards: they are looked up, not searched for.
        def edit(desk: Any) -> None:
            for i in range(10):
                desk.cards.edit(f"c{i:06d}", {"email": f"new{i}@example.com"}, expected_version=1)

        small_calls, small_steps = _cost(make_store, SMALL, edit)
        large_calls, large_steps = _cost(make_store, 4 * SMALL, edit)

        assert large_calls == small_calls
        assert large_steps <= small_steps * 1.3 + 50

    def test_a_change_the_permissions_do_not_read_refreshes_nothing(
        self, make_store: Callable[[], ClientStore]
    ) -> None:
        inner = make_store()
        counting = CountingStore(inner)
        book, business_id = _business(counting, 3)  # type: ignore[arg-type]
        counting.calls.clear()

        book.business(business_id).cards.edit("c000000", {"notes": "likes tea"}, expected_version=1)

        assert counting.calls["set_permissions"] == 0
        assert counting.calls["consent_events"] == 0


def _name(number: int) -> str:
    # Surnames without digits, all different, so no row is taken for another's twin.
    return "".join(chr(97 + int(digit)) for digit in str(number)).capitalize()


class TestImports:
    def test_an_import_makes_store_calls_by_the_batch_not_by_the_row(
        self, make_store: Callable[[], ClientStore]
    ) -> None:
        from tests.exchange.support import imported

        def run(rows: int) -> int:
            inner = make_store()
            counting = CountingStore(inner)
            book, business_id = _business(counting, 0)  # type: ignore[arg-type]
            counting.calls.clear()
            lines = ["Nome;Cognome;Cellulare;E-mail"]
            lines += [
                f"Anna;Rossi {_name(i)};333 {1_000_000 + i:07d};a{i}@example.com"
                for i in range(rows)
            ]
            report = imported(book, business_id, "\n".join(lines), batch_size=50)
            assert report.imported == rows, report.summary()
            return sum(counting.calls.values())

        # Four times the rows in four times the batches: the calls grow by the batch.
        few, many = run(50), run(200)
        assert many - few <= 3 * (few + 5)
        assert run(200) == many


class TestRetention:
    def test_the_retention_report_makes_the_same_store_calls_per_card(
        self, make_store: Callable[[], ClientStore]
    ) -> None:
        from clientcard.erasure import ErasurePolicy, RetentionRules

        def due(desk: Any) -> None:
            desk.erasure.set_policy(
                ErasurePolicy(retention=RetentionRules(inactive_months=24)), by="owner"
            )
            desk.retention.due()

        small_calls, small_steps = _cost(make_store, SMALL, due)
        large_calls, large_steps = _cost(make_store, 4 * SMALL, due)

        # Linear: four times the cards, at most four times the work (and a fixed part).
        assert large_calls <= 4 * small_calls
        assert large_steps <= 4.5 * small_steps + 50
