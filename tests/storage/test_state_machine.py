"""SQLite and PostgreSQL, driven side by side with the memory store, never disagree."""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, rule

from clientcard.business import Business
from clientcard.cards.card import CardStatus, ClientCard
from clientcard.errors import ClientCardError
from clientcard.storage import CardQuery, ClientStore, MemoryStore, SearchTerms
from clientcard.storage.sqlite import SQLiteStore
from tests.storage.conftest import postgres_dsn_or_skip

pytestmark = pytest.mark.slow

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
FIRST = st.sampled_from(["Anna", "José", "Zoë", "Ugo", "Eva"])
LAST = st.sampled_from(["", "Rossi", "Núñez", "de Vries"])
EMAILS = st.none() | st.sampled_from(["anna@example.com", "Anna@Example.com", "eva@x.it"])
PHONES = st.lists(
    st.sampled_from(["+393331234567", "+31612345678", "+390212345678"]), max_size=2, unique=True
).map(tuple)
GROUPS = st.none() | st.sampled_from(["vip", "new"])
TAGS = st.lists(st.sampled_from(["colour", "bride"]), max_size=2).map(tuple)
SEARCHES = st.builds(
    SearchTerms,
    name=st.none() | st.sampled_from(["an", "nunez", "zo", "an b", "nu ann"]),
    phone_digits=st.none() | st.sampled_from(["333", "1234567", "393331234567", "61234"]),
    email=st.none() | st.sampled_from(["anna", "e", "anna@example.com"]),
)
QUERIES = st.builds(
    CardQuery,
    search=st.none() | SEARCHES,
    email=st.none() | st.sampled_from(["anna@example.com"]),
    group=GROUPS,
    tag=st.none() | st.sampled_from(["colour", "bride"]),
    status=st.none() | st.sampled_from(CardStatus),
    contactable=st.none() | st.just(("marketing", "email")),
)


def outcome(call: Callable[[], Any]) -> Any:
    """What a call returned, or the type of library error it raised."""
    try:
        return ("ok", call())
    except ClientCardError as error:
        return ("error", type(error).__name__)


class StoresAgree(RuleBasedStateMachine):
    make_stores: Callable[[], list[ClientStore]] = staticmethod(list)  # type: ignore[assignment]
    cards = Bundle("cards")

    @initialize()
    def open_stores(self) -> None:
        self.stores: list[ClientStore] = [MemoryStore(), *self.make_stores()]
        self.business = "b-" + uuid.uuid4().hex[:8]
        self.other = "o-" + uuid.uuid4().hex[:8]
        for store in self.stores:
            for business_id in (self.business, self.other):
                store.add_business(
                    Business(id=business_id, name="S", region="IT", language="en", created_at=NOW)
                )

    def all_agree(self, call: Callable[[ClientStore], Any]) -> Any:
        results = [outcome(lambda s=store: call(s)) for store in self.stores]
        assert all(result == results[0] for result in results[1:]), results
        return results[0]

    @rule(
        target=cards,
        first=FIRST,
        last=LAST,
        email=EMAILS,
        phones=PHONES,
        group=GROUPS,
        tags=TAGS,
        status=st.sampled_from(CardStatus),
        mine=st.booleans(),
    )
    def add(
        self,
        *,
        first: str,
        last: str,
        email: str | None,
        phones: tuple[str, ...],
        group: str | None,
        tags: tuple[str, ...],
        status: CardStatus,
        mine: bool,
    ) -> ClientCard:
        card = ClientCard(
            id=uuid.uuid4().hex,
            business_id=self.business if mine else self.other,
            created_at=NOW,
            updated_at=NOW,
            first_name=first,
            last_name=last,
            email=email,
            phones=phones,
            client_group=group,
            tags=tags,
            status=status,
        )
        self.all_agree(lambda s: s.add(card))
        return card

    @rule(card=cards, last=LAST, stale=st.booleans())
    def update(self, card: ClientCard, last: str, stale: bool) -> None:
        def call(store: ClientStore) -> int:
            current = store.get(card.business_id, card.id)
            expected = current.version - 1 if stale else current.version
            store.update(
                attrs.evolve(current, version=current.version + 1, last_name=last),
                expected_version=expected,
            )
            return store.get(card.business_id, card.id).version

        self.all_agree(call)

    @rule(card=cards)
    def delete(self, card: ClientCard) -> None:
        self.all_agree(
            lambda s: s.delete(
                card.business_id, card.id, expected_version=s.get(card.business_id, card.id).version
            )
        )

    @rule(card=cards, allowed=st.booleans())
    def permit(self, card: ClientCard, allowed: bool) -> None:
        pairs = frozenset({("marketing", "email")}) if allowed else frozenset()
        self.all_agree(lambda s: s.set_permissions(self.business, card.id, pairs))

    @rule(card=cards)
    def get(self, card: ClientCard) -> None:
        self.all_agree(lambda s: s.get(self.business, card.id))

    @rule(query=st.none() | QUERIES, limit=st.integers(1, 4))
    def find_every_page(self, query: CardQuery | None, limit: int) -> None:
        def call(store: ClientStore) -> list[str]:
            seen: list[str] = []
            cursor = None
            while True:
                page = store.find(self.business, query, limit=limit, cursor=cursor)
                seen.extend(card.id for card in page)
                cursor = page.next_cursor
                if cursor is None:
                    return seen

        self.all_agree(call)

    @rule(terms=SEARCHES, limit=st.integers(1, 4))
    def search(self, terms: SearchTerms, limit: int) -> None:
        # Ranked, and through the index the updates and deletions keep.
        self.all_agree(lambda s: [c.id for c in s.search(self.business, terms, limit=limit)])

    @rule(query=st.none() | QUERIES)
    def count(self, query: CardQuery | None) -> None:
        self.all_agree(lambda s: s.count(self.business, query))

    def teardown(self) -> None:
        for store in self.stores:
            close = getattr(store, "close", None)
            if close is not None:
                close()


def run_machine(make: Callable[[], list[ClientStore]]) -> None:
    machine = type("Machine", (StoresAgree,), {"make_stores": staticmethod(make)})
    runner = machine.TestCase()
    runner.settings = settings(max_examples=15, stateful_step_count=25, deadline=None)
    runner.runTest()


def test_sqlite_agrees_with_memory() -> None:
    directory = Path(tempfile.mkdtemp(prefix="cc-sm-"))
    run_machine(lambda: [SQLiteStore(directory / f"{uuid.uuid4().hex}.db")])


def test_postgres_agrees_with_memory() -> None:
    import psycopg
    from psycopg import sql

    from clientcard.storage.postgres import PostgresStore

    dsn = postgres_dsn_or_skip()
    schemas: list[str] = []

    def make() -> list[ClientStore]:
        schemas.append(f"cc_sm_{uuid.uuid4().hex[:12]}")
        return [PostgresStore(dsn, schema=schemas[-1])]

    try:
        run_machine(make)
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            for name in schemas:
                drop = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name))
                connection.execute(drop)
