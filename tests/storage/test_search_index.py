"""The search index: its tokens, its upkeep, its migration, and the plans that use it.

The behaviour every store shares is in the store contract
(:class:`clientcard.testing.contracts.ClientStoreContract`); here are the parts of the
SQL stores' token table a contract can't see: the rows themselves, the migration that
fills the table for cards stored before it, and that each lookup a front desk or a
campaign makes of one business is a range scan of an index led by ``business_id`` --
so it costs the same whether the store holds one business or ten thousand.
"""

from __future__ import annotations

import datetime as dt
import string
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientcard.cards.card import ClientCard
from clientcard.storage._search import (
    MAX_WORDS,
    card_tokens,
    name_words,
    plan,
    prefix_end,
    rank,
    tokens_of,
)
from clientcard.storage._sql import rows
from clientcard.storage._sql.store import SQLStore
from clientcard.storage.memory import MemoryStore
from clientcard.storage.protocol import CardQuery, SearchTerms, sort_key
from clientcard.storage.sqlite import SQLiteStore
from tests.storage.sql_behaviour import business, card

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

# -- tokens -------------------------------------------------------------------------------


def test_a_card_is_indexed_under_its_name_words_phones_and_email() -> None:
    found = tokens_of("Maria José", "De Luca", ["+393331234567"], "Anna.Rossi@Example.com")
    assert found == {
        "n:maria",
        "n:jose",
        "n:mariajose",
        "n:de",
        "n:luca",
        "n:deluca",
        "p:393331234567",
        "p:3331234567",
        "e:anna.rossi@example.com",
    }


def test_a_number_with_no_known_country_code_is_indexed_whole() -> None:
    assert tokens_of("", "", ["+999123"], None) == {"p:999123"}


def test_only_letters_and_digits_make_words() -> None:
    assert name_words("O'Neil-Smith  _x_ 2nd") == ["o", "neil", "smith", "x", "2nd"]


def test_a_search_looks_up_at_most_eight_words() -> None:
    wanted = plan(SearchTerms(name=" ".join(f"w{i}" for i in range(20))))
    assert len(wanted.words) == MAX_WORDS


NAMES = st.text(alphabet=string.ascii_letters + "àÉñ' -", max_size=20)


@given(first=NAMES, last=NAMES, data=st.data())
def test_a_card_is_found_by_the_start_of_any_of_its_name_words(
    first: str, last: str, data: st.DataObject
) -> None:
    words = name_words(first) + name_words(last)
    tokens = tokens_of(first, last, [], None)
    if not words:
        return
    word = data.draw(st.sampled_from(words))
    typed = word[: data.draw(st.integers(min_value=1, max_value=len(word)))]
    assert rank(tokens, plan(SearchTerms(name=typed.upper()))) is not None


@given(prefix=st.text(min_size=1, max_size=4), text=st.text(max_size=6))
def test_the_range_of_a_prefix_holds_exactly_the_strings_starting_with_it(
    prefix: str, text: str
) -> None:
    if "\U0010ffff" * len(prefix) == prefix:
        return  # no string is greater than every string starting so
    for candidate in (text, prefix + text):
        inside = prefix <= candidate < prefix_end(prefix)
        assert inside == candidate.startswith(prefix)


def test_a_prefix_of_only_the_last_character_has_no_end() -> None:
    with pytest.raises(ValueError, match="prefix"):
        prefix_end("\U0010ffff")


def test_the_end_of_a_prefix_skips_the_surrogates() -> None:
    assert prefix_end("a\ud7ff") == "a\ue000"
    assert prefix_end("ab\U0010ffff") == "ac"


# -- the SQL and memory stores agree ------------------------------------------------------

WORDS = st.sampled_from(["anna", "ann", "rossi", "ross", "de", "luca", "lu", "núñez", "jo"])
PEOPLE = st.lists(
    st.tuples(
        st.lists(WORDS, min_size=1, max_size=2).map(" ".join),
        st.lists(WORDS, min_size=1, max_size=2).map(" ".join),
        st.sampled_from([(), ("+393331234567",), ("+393331234000", "+31612345678")]),
    ),
    min_size=1,
    max_size=8,
)
TERMS = st.builds(
    SearchTerms,
    name=st.none()
    | st.lists(st.sampled_from(["an", "ross", "de lu", "nu", "j", "luca"])).map(" ".join),
    phone_digits=st.none() | st.sampled_from(["333", "3331234567", "393331234000", "6123"]),
)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path_factory.mktemp("search") / "cards.db") as store:
        yield store


@settings(max_examples=25, deadline=None)
@given(people=PEOPLE, terms=TERMS)
def test_sqlite_ranks_a_search_as_the_memory_store_does(
    sqlite_store: SQLiteStore, people: list[tuple[str, str, tuple[str, ...]]], terms: SearchTerms
) -> None:
    memory = MemoryStore()
    business_id = str(uuid.uuid4())
    for store in (memory, sqlite_store):
        business(store, business_id)
        for index, (first, last, phones) in enumerate(people):
            store.add(
                card(business_id, id=f"c{index}", first_name=first, last_name=last, phones=phones)
            )
    expected = [c.id for c in memory.search(business_id, terms, limit=5)]
    assert [c.id for c in sqlite_store.search(business_id, terms, limit=5)] == expected
    listed = [c.id for c in sqlite_store.find(business_id, CardQuery(search=terms))]
    assert listed == [c.id for c in memory.find(business_id, CardQuery(search=terms))]
    # The ranked search finds the cards the filter lists, in its own order.
    assert set(expected) <= set(listed)


# -- the rows -----------------------------------------------------------------------------


def tokens_in(store: SQLStore, business_id: str, card_id: str) -> set[str]:
    found = store._run(
        lambda s: s.fetch(
            "SELECT token FROM card_search WHERE business_id = ? AND card_id = ?",
            (business_id, card_id),
        ),
        write=False,
    )
    return {str(row[0]) for row in found}


def every_token(store: SQLStore) -> list[tuple[Any, ...]]:
    return store._run(
        lambda s: s.fetch("SELECT business_id, card_id, token FROM card_search ORDER BY 1, 2, 3"),
        write=False,
    )


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path / "cards.db") as store:
        yield store


def test_the_index_holds_exactly_the_tokens_of_each_card_as_it_changes(
    sqlite: SQLiteStore,
) -> None:
    business_id = business(sqlite)
    added = card(business_id, first_name="Giulia", last_name="Verdi", phones=("+393331234567",))
    sqlite.add(added)
    assert tokens_in(sqlite, business_id, added.id) == card_tokens(added)
    edited = attrs.evolve(added, last_name="Neri", phones=(), email="g@example.com", version=2)
    sqlite.update(edited, expected_version=1)
    assert tokens_in(sqlite, business_id, added.id) == card_tokens(edited)
    sqlite.delete(business_id, added.id, expected_version=2)
    assert tokens_in(sqlite, business_id, added.id) == set()


def test_a_failed_write_leaves_the_index_as_it_was(sqlite: SQLiteStore) -> None:
    business_id = business(sqlite)
    first = card(business_id, first_name="Giulia")
    sqlite.add(first)
    before = every_token(sqlite)
    with pytest.raises(Exception, match="card"):
        sqlite.add_many([card(business_id, first_name="Nuova"), attrs.evolve(first, version=1)])
    assert every_token(sqlite) == before


def forget_the_index(path: Path) -> None:
    """Put a database back where version 5 left it: no search table, no migration 6."""
    import sqlite3

    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("DROP TABLE card_search")
        connection.execute("DELETE FROM schema_migrations WHERE version = 6")
        connection.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'card_search'")


def test_the_migration_indexes_the_cards_stored_before_it(tmp_path: Path) -> None:
    path = tmp_path / "cards.db"
    with SQLiteStore(path) as store:
        business_id = business(store)
        people = [
            card(business_id, first_name=f"Nome{i}", last_name="De Luca", phones=("+393331234567",))
            for i in range(1_205)  # more than one batch of the migration
        ]
        store.add_many(people)
        indexed = every_token(store)
    forget_the_index(path)
    with SQLiteStore(path) as store:
        assert every_token(store) == indexed
        found = store.search(business_id, SearchTerms(name="nome120 de lu"), limit=50)
        assert sorted(c.first_name for c in found) == sorted(
            f"Nome{i}" for i in [120, *range(1_200, 1_205)]
        )


# -- plans --------------------------------------------------------------------------------


class Recorder:
    """A session that records the statements a row function sends, and answers nothing."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, list[object]]] = []

    def fetch(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        self.statements.append((sql, list(params)))
        return [(0,)] if sql.startswith("SELECT count(") else []


def statements(store: SQLStore, business_id: str) -> list[tuple[str, str, list[object]]]:
    """The statements of each lookup the flat-cost rule covers, as the store sends them."""
    dialect = store._dialect
    calls: dict[str, Callable[[Any], object]] = {
        "search": lambda s: rows.search_cards(
            s, dialect, business_id, SearchTerms(name="de lu", phone_digits="333", email="a"), 20
        ),
        "search filter": lambda s: rows.select_cards(
            s,
            dialect,
            business_id,
            CardQuery(search=SearchTerms(name="de lu", phone_digits="333")),
            limit=50,
            after=None,
        ),
        "phone": lambda s: rows.select_cards(
            s, dialect, business_id, CardQuery(phone="+393331234567"), limit=50, after=None
        ),
        "email": lambda s: rows.select_cards(
            s, dialect, business_id, CardQuery(email="a@example.com"), limit=50, after=None
        ),
        "audience": lambda s: rows.count_cards(
            s, dialect, business_id, CardQuery(contactable=("marketing", "email"))
        ),
        "listing": lambda s: rows.select_cards(s, dialect, business_id, None, limit=50, after=None),
    }
    found: list[tuple[str, str, list[object]]] = []
    for name, call in calls.items():
        recorder = Recorder()
        call(recorder)
        found.extend((name, sql, params) for sql, params in recorder.statements)
    return found


# Subqueries read back their own bounded results (a range counted, ranges intersected).
_DERIVED = {"counted", "found"}


def test_sqlite_serves_each_lookup_of_a_business_by_an_index_led_by_business_id(
    sqlite: SQLiteStore,
) -> None:
    business_id = business(sqlite)
    for name, sql, params in statements(sqlite, business_id):
        plan_rows = sqlite._run(
            lambda s, sql=sql, params=params: s.fetch(f"EXPLAIN QUERY PLAN {sql}", params),
            write=False,
        )
        steps = [str(row[3]) for row in plan_rows]
        for step in steps:
            if step.startswith("SCAN "):
                assert step.split()[1] in _DERIVED, (name, steps)
            if step.startswith("SEARCH "):
                assert "(business_id=?" in step, (name, steps)
        assert any(step.startswith("SEARCH ") for step in steps), (name, steps)
        if "token >= ?" in sql:
            assert "USING PRIMARY KEY (business_id=? AND token>? AND token<?)" in (
                " ".join(steps)
            ), steps


@pytest.mark.postgres
def test_postgres_serves_each_lookup_of_a_business_by_an_index_led_by_business_id(
    postgres: str, postgres_schema: str
) -> None:
    from clientcard.storage.postgres import PostgresStore

    with PostgresStore(postgres, schema=postgres_schema) as store:
        # Fifty businesses of a hundred cards each, and statistics that say so: on a few
        # rows any plan is as good, and PostgreSQL rightly reads the whole table.
        store._run(lambda s: s.execute(_MANY_BUSINESSES), write=True)
        store._run(lambda s: s.execute(_THEIR_CARDS), write=True)
        for filling in (_THEIR_TOKENS, _THEIR_PHONES, _THEIR_PERMISSIONS):
            store._run(lambda s, filling=filling: s.execute(filling), write=True)
        for table in ("businesses", "cards", "card_phones", "card_permissions", "card_search"):
            store._run(lambda s, table=table: s.execute(f"ANALYZE {table}"), write=True)
        for name, sql, params in statements(store, "other-1"):
            plan_rows = store._run(
                lambda s, sql=sql, params=params: s.fetch(f"EXPLAIN {sql}", params), write=False
            )
            text = "\n".join(str(row[0]) for row in plan_rows)
            assert "Seq Scan" not in text, (name, text)
            assert "Index" in text, (name, text)
            if "token >= ?" in sql:
                assert "card_search_pkey" in text, (name, text)


_MANY_BUSINESSES = (
    "INSERT INTO businesses (id, revision, doc)"
    " SELECT 'other-' || b, 1, '{}'::jsonb FROM generate_series(1, 50) AS b"
)
_THEIR_CARDS = (
    "INSERT INTO cards (business_id, id, version, sort_key, name_fold, name_fold_reversed,"
    " email_key, status, client_group, guardian_id, doc)"
    " SELECT 'other-' || b, 'card-' || n, 1, 'rossi ' || n, n || ' rossi', 'rossi ' || n,"
    " 'a' || n || '@example.com', 'active', NULL, NULL, '{}'::jsonb"
    " FROM generate_series(1, 50) AS b, generate_series(1, 100) AS n"
)
_THEIR_PHONES = (
    "INSERT INTO card_phones (business_id, card_id, number)"
    " SELECT business_id, id, '+39333' || lpad(substr(id, 6), 7, '0') FROM cards"
    " WHERE business_id LIKE 'other-%'"
)
_THEIR_PERMISSIONS = (
    "INSERT INTO card_permissions (business_id, card_id, purpose, channel)"
    " SELECT business_id, id, 'marketing', 'email' FROM cards WHERE business_id LIKE 'other-%'"
)
_THEIR_TOKENS = (
    "INSERT INTO card_search (business_id, token, card_id, sort_key)"
    " SELECT c.business_id, t.token, c.id, c.sort_key FROM cards AS c,"
    " LATERAL (VALUES ('n:rossi'), ('n:' || c.id), ('e:' || c.email_key)) AS t (token)"
    " WHERE c.business_id LIKE 'other-%'"
)


def test_a_card_and_its_tokens_rank_as_the_reference_says() -> None:
    # The ranking key both kinds of store sort by, spelled out once.
    anna = ClientCard(
        id="a",
        business_id="b",
        first_name="Anna",
        last_name="Rossi",
        created_at=NOW,
        updated_at=NOW,
    )
    assert rank(card_tokens(anna), plan(SearchTerms(name="anna ross"))) == (0, 1)
    assert rank(card_tokens(anna), plan(SearchTerms(name="anna rossi"))) == (0, 2)
    assert rank(card_tokens(anna), plan(SearchTerms(name="bea"))) is None
    assert sort_key(anna) == "rossi anna"


def test_a_card_with_many_tokens_in_one_range_does_not_shorten_the_page(
    sqlite: SQLiteStore,
) -> None:
    # Each card has 18 name tokens starting with "m", none of them "m" itself: the first
    # read of a page of two sees only the first card, and the store reads on.
    words = " ".join(f"Ma{letter}" for letter in "bcdefghijklmnopq")
    memory = MemoryStore()
    for store in (memory, sqlite):
        business_id = business(store, "crowded")
        for index in range(3):
            store.add(
                card(business_id, id=f"c{index}", first_name=f"Ma {words}", last_name=f"Z{index}")
            )
    terms = SearchTerms(name="m")
    found = [c.id for c in sqlite.search("crowded", terms, limit=2)]
    assert found == [c.id for c in memory.search("crowded", terms, limit=2)] == ["c0", "c1"]


def test_many_cards_matching_every_word_are_read_in_rank_order(
    sqlite: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientcard.storage._sql import _card_queries

    monkeypatch.setattr(_card_queries, "_FEW", 2)  # so five cards are "many"
    memory = MemoryStore()
    people = [
        ("Anna", "Rossi"),
        ("Annalisa", "Rossini"),
        ("Anna", "Ross"),
        ("Ann", "Rossa"),
        ("Anita", "Rossi"),
    ]
    for store in (memory, sqlite):
        business_id = business(store, "many")
        for index, (first, last) in enumerate(people):
            store.add(card(business_id, id=f"c{index}", first_name=first, last_name=last))
    for typed in ("ann ross", "rossi an", "an ro"):
        terms = SearchTerms(name=typed)
        expected = [c.id for c in memory.search("many", terms, limit=3)]
        assert [c.id for c in sqlite.search("many", terms, limit=3)] == expected, typed
