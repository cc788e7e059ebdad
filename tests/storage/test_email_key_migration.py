"""Migration 8 recomputes the e-mail keys stored before it (issue 19, item 6).

A database written by an older clientcard holds ``str.casefold`` keys: in the cards'
``email_key`` column and in the ``key`` of portal accounts. The migration rewrites them
with :func:`~clientcard.contact.email.lookup_key`, so a lookup finds exactly its own
mailbox again; ASCII addresses keep the key they had.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.portal import PasswordHasher, PortalSettings
from clientcard.storage import SQLiteStore
from clientcard.storage._sql.migrations import MIGRATIONS
from clientcard.storage.protocol import ClientStore
from tests.support import NOW

# Found by name: the version is renumbered when branches merge.
VERSION = next(m.version for m in MIGRATIONS if m.name == "e-mail keys that keep mailboxes apart")
ADDRESSES = ("Straße@Bücher.de", "\u017fara@example.com", "Anna@Example.com")


def _book(store: ClientStore) -> ClientBook:
    portal = PortalSettings(hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    return ClientBook(store, clock=FixedClock(NOW), portal=portal)


def _fill(store: ClientStore) -> dict[str, str]:
    """A business with a card (and a portal account) per address; card id by address."""
    book = _book(store)
    desk = book.business(book.create_business(name="Salone", region="IT", business_id="b").id)
    ids = {}
    for address in ADDRESSES:
        card = desk.cards.add({"first_name": "X", "email": address})
        desk.portal.create_account(card.id, password="a long and quiet river")
        ids[address] = card.id
    return ids


def _found(store: ClientStore, address: str) -> list[str]:
    return [card.id for card in _book(store).business("b").cards.find_by_email(address)]


class TestSQLite:
    @pytest.fixture
    def path(self, tmp_path: Path) -> Path:
        return tmp_path / "old.db"

    def _age(self, path: Path) -> None:
        """Put back the keys an older clientcard stored, and forget migration 8."""
        with closing(sqlite3.connect(path)) as connection, connection:
            connection.create_function("casefold", 1, str.casefold)
            connection.execute("UPDATE cards SET email_key = casefold(email_key)")
            connection.execute(
                "UPDATE records SET key = casefold(json_extract(doc, '$.login'))"
                " WHERE kind = 'portal.account'"
            )
            connection.execute("DELETE FROM schema_migrations WHERE version = ?", (VERSION,))

    def _keys(self, path: Path) -> set[str]:
        with closing(sqlite3.connect(path)) as connection:
            rows = connection.execute("SELECT email_key FROM cards").fetchall()
            rows += connection.execute(
                "SELECT key FROM records WHERE kind = 'portal.account'"
            ).fetchall()
        return {row[0] for row in rows}

    def test_old_keys_are_recomputed_on_open(self, path: Path) -> None:
        with SQLiteStore(path) as store:
            ids = _fill(store)
        self._age(path)
        assert "strasse@bücher.de" in self._keys(path)
        with SQLiteStore(path) as store:
            assert _found(store, "straße@bücher.de") == [ids["Straße@Bücher.de"]]
            assert _found(store, "strasse@bücher.de") == []
            assert _found(store, "sara@example.com") == []
            assert _found(store, "ANNA@example.com") == [ids["Anna@Example.com"]]
            portal = _book(store).business("b").portal
            principal = portal.sign_in(
                "\u017fara@example.com", "a long and quiet river", source="x"
            )
            assert principal.card_id == ids["\u017fara@example.com"]
        assert self._keys(path) == {
            "straße@xn--bcher-kva.de",
            "\u017fara@example.com",
            "anna@example.com",
        }


class TestPostgres:
    @pytest.fixture
    def open_store(
        self, postgres: str, postgres_schema: str
    ) -> Iterator[Callable[[], ClientStore]]:
        from clientcard.storage.postgres import PostgresStore

        opened: list[PostgresStore] = []

        def make() -> ClientStore:
            opened.append(PostgresStore(postgres, schema=postgres_schema))
            return opened[-1]

        yield make
        for store in opened:
            store.close()

    def _execute(self, postgres: str, schema: str, *statements: str) -> list[tuple[object, ...]]:
        import psycopg
        from psycopg import sql

        rows: list[tuple[object, ...]] = []
        with psycopg.connect(postgres, autocommit=True) as connection:
            connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            for statement in statements:
                cursor = connection.execute(statement.encode())
                if cursor.description is not None:
                    rows.extend(cursor.fetchall())
        return rows

    def test_old_keys_are_recomputed_on_open(
        self, open_store: Callable[[], ClientStore], postgres: str, postgres_schema: str
    ) -> None:
        ids = _fill(open_store())
        # casefold() as Python has it, for these addresses: what an older clientcard wrote.
        self._execute(
            postgres,
            postgres_schema,
            "UPDATE cards SET email_key = 'strasse@bücher.de' WHERE email_key LIKE 'stra%'",
            "UPDATE cards SET email_key = 'sara@example.com' WHERE email_key LIKE '%ara@%'",
            "UPDATE records SET key = 'strasse@bücher.de'"
            " WHERE kind = 'portal.account' AND key LIKE 'stra%'",
            f"DELETE FROM schema_migrations WHERE version = {VERSION:d}",  # noqa: S608
        )
        store = open_store()
        assert _found(store, "straße@bücher.de") == [ids["Straße@Bücher.de"]]
        assert _found(store, "strasse@bücher.de") == []
        assert _found(store, "sara@example.com") == []
        assert _found(store, "\u017fara@example.com") == [ids["\u017fara@example.com"]]
        keys = self._execute(
            postgres,
            postgres_schema,
            "SELECT email_key FROM cards",
            "SELECT key FROM records WHERE kind = 'portal.account'",
        )
        assert {row[0] for row in keys} == {
            "straße@xn--bcher-kva.de",
            "\u017fara@example.com",
            "anna@example.com",
        }
