"""Someone with write access to the database tries to make the audit trail lie.

Each attack is carried out in SQL, as an attacker holding the database would, on SQLite
and on PostgreSQL: deleting every entry and the stored head, deleting the newest entries
and rewriting the head to match, and editing an entry's lookup column so that it drops
out of a client's trail. Against the head the host kept from its event sink, each shows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.erasure import AuditAction, AuditProblem
from clientcard.erasure.audit import AUDIT_HEAD_KIND
from clientcard.events import EventKind
from clientcard.storage.sqlite import SQLiteStore
from clientcard.testing.doubles import ListEventSink
from tests.support import NOW

Execute = Callable[[str, Sequence[object]], None]


class Setting:
    """A book on one database, its sink, and a way to run SQL behind the book's back."""

    def __init__(self, book: ClientBook, sink: ListEventSink, execute: Execute) -> None:
        self.book = book
        self.sink = sink
        self.execute = execute
        self.salon = book.create_business(name="Salone", business_id="salone").id
        self.desk = book.business(self.salon)

    def kept_head(self) -> tuple[int, str]:
        """The newest head the sink heard of, as a host would keep it."""
        heads = [
            event.audit_head
            for event in self.sink.events
            if event.kind is EventKind.AUDIT_APPENDED and event.audit_head is not None
        ]
        return heads[-1]

    def view(self, card_id: str, times: int = 1) -> None:
        for _ in range(times):
            self.desk.audit.record(
                AuditAction.VIEWED, by="staff-7", via="GET /clients/{id}", card_id=card_id
            )


@pytest.fixture
def sqlite_setting(tmp_path: Path) -> Iterator[Setting]:
    path = tmp_path / "audit.db"
    sink = ListEventSink()

    def execute(statement: str, params: Sequence[object]) -> None:
        with sqlite3.connect(path) as connection:
            connection.execute(statement, tuple(params))
        connection.close()

    with SQLiteStore(path) as store:
        yield Setting(ClientBook(store, clock=FixedClock(NOW), events=sink), sink, execute)


@pytest.fixture
def postgres_setting(postgres: str, postgres_schema: str) -> Iterator[Setting]:
    import psycopg
    from psycopg import sql

    from clientcard.storage.postgres import PostgresStore

    sink = ListEventSink()

    def execute(statement: str, params: Sequence[object]) -> None:
        with psycopg.connect(postgres, autocommit=True) as connection:
            connection.execute(
                sql.SQL("SET search_path TO {}").format(sql.Identifier(postgres_schema))
            )
            connection.execute(statement.replace("?", "%s"), tuple(params))

    with PostgresStore(postgres, schema=postgres_schema) as store:
        yield Setting(ClientBook(store, clock=FixedClock(NOW), events=sink), sink, execute)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def setting(request: pytest.FixtureRequest) -> Setting:
    chosen: Setting = request.getfixturevalue(f"{request.param}_setting")
    return chosen


def rewrite_head(setting: Setting, seq: int, digest: str) -> None:
    """Make the stored head say the chain ends at ``(seq, digest)``."""
    store = setting.book.store
    head = store.get_record(setting.salon, AUDIT_HEAD_KIND, setting.salon)
    store.update_record(head.revised({"seq": seq, "hash": digest}), expected_revision=head.revision)


class TestEveryAppendPublishesTheHead:
    def test_the_sink_hears_each_entry_with_the_chains_new_head(self, setting: Setting) -> None:
        card = setting.desk.cards.add({"first_name": "Anna"})
        setting.view(card.id, 2)
        appended = [e for e in setting.sink.events if e.kind is EventKind.AUDIT_APPENDED]
        assert [event.audit_head for event in appended] == [
            entry.link for entry in setting.desk.audit.trail()
        ]
        assert [event.card_id for event in appended] == [card.id, card.id]
        assert appended[-1].audit_head == setting.desk.audit.head()

    def test_an_untouched_trail_reaches_the_kept_head(self, setting: Setting) -> None:
        setting.view("card-1", 3)
        check = setting.desk.audit.verify(expected_head=setting.kept_head())
        assert (check.intact, check.entries) == (True, 3)

    def test_a_trail_grown_since_the_head_was_kept_still_reaches_it(self, setting: Setting) -> None:
        setting.view("card-1", 2)
        kept = setting.kept_head()
        setting.view("card-1", 2)
        assert setting.desk.audit.verify(expected_head=kept).intact


class TestAttacks:
    """Each attack, in SQL; each shows against the head the host kept."""

    def test_deleting_every_entry_and_the_head_is_found(self, setting: Setting) -> None:
        setting.view("card-1", 3)
        kept = setting.kept_head()
        setting.execute(
            "DELETE FROM records WHERE business_id = ? AND kind IN ('audit', 'audit.head')",
            [setting.salon],
        )
        assert setting.desk.audit.verify().intact  # what the database alone can tell
        check = setting.desk.audit.verify(expected_head=kept)
        assert (check.entries, check.broken_at, check.problem) == (
            0,
            1,
            AuditProblem.TRUNCATED,
        )

    def test_deleting_the_newest_entries_and_rewriting_the_head_is_found(
        self, setting: Setting
    ) -> None:
        setting.view("card-1", 2)
        setting.view("card-2", 2)
        kept = setting.kept_head()
        survivor = setting.desk.audit.trail()[1]
        setting.execute(
            "DELETE FROM records WHERE business_id = ? AND kind = 'audit' AND id IN (?, ?)",
            [setting.salon, f"{3:012d}", f"{4:012d}"],
        )
        rewrite_head(setting, *survivor.link)
        assert setting.desk.audit.verify().intact  # the chain and its head agree
        check = setting.desk.audit.verify(expected_head=kept)
        assert (check.broken_at, check.problem) == (3, AuditProblem.TRUNCATED)

    def test_deleting_the_newest_entry_alone_is_found_by_the_stored_head(
        self, setting: Setting
    ) -> None:
        setting.view("card-1", 2)
        setting.execute(
            "DELETE FROM records WHERE business_id = ? AND kind = 'audit' AND id = ?",
            [setting.salon, f"{2:012d}"],
        )
        assert setting.desk.audit.verify().problem == AuditProblem.HEAD

    def test_editing_the_lookup_column_does_not_hide_the_entry_and_is_found(
        self, setting: Setting
    ) -> None:
        card = setting.desk.cards.add({"first_name": "Anna"})
        other = setting.desk.cards.add({"first_name": "Bruno"})
        setting.view(card.id, 2)
        hidden = setting.desk.audit.trail(card_id=card.id)[0]
        setting.execute(
            "UPDATE records SET key = ? WHERE business_id = ? AND kind = 'audit' AND id = ?",
            [other.id, setting.salon, f"{hidden.seq:012d}"],
        )
        assert hidden in setting.desk.audit.trail(card_id=card.id)
        assert hidden not in setting.desk.audit.trail(card_id=other.id)
        check = setting.desk.audit.verify(expected_head=setting.kept_head())
        assert (check.broken_at, check.problem) == (hidden.seq, AuditProblem.LOOKUP)

    def test_clearing_the_lookup_column_is_found(self, setting: Setting) -> None:
        setting.view("card-1", 1)
        setting.execute(
            "UPDATE records SET key = NULL WHERE business_id = ? AND kind = 'audit'",
            [setting.salon],
        )
        assert setting.desk.audit.trail(card_id="card-1") != []
        assert setting.desk.audit.verify().problem == AuditProblem.LOOKUP

    def test_filing_an_entry_under_a_card_is_found(self, setting: Setting) -> None:
        # Filed under a card, the entry would go with the card's records when it is erased.
        card = setting.desk.cards.add({"first_name": "Anna"})
        setting.view(card.id, 1)
        setting.execute(
            "UPDATE records SET card_id = ? WHERE business_id = ? AND kind = 'audit'",
            [card.id, setting.salon],
        )
        assert setting.desk.audit.verify().problem == AuditProblem.LOOKUP

    def test_a_trail_rebuilt_from_scratch_diverges_from_the_kept_head(
        self, setting: Setting
    ) -> None:
        setting.view("card-1", 2)
        kept = setting.kept_head()
        setting.execute(
            "DELETE FROM records WHERE business_id = ? AND kind IN ('audit', 'audit.head')",
            [setting.salon],
        )
        setting.view("card-9", 3)  # a consistent chain of other entries, longer than before
        assert setting.desk.audit.verify().intact
        check = setting.desk.audit.verify(expected_head=kept)
        assert (check.broken_at, check.problem) == (2, AuditProblem.DIVERGED)

    def test_an_unreadable_entry_is_found(self, setting: Setting) -> None:
        setting.view("card-1", 2)
        setting.execute(
            "UPDATE records SET doc = ? WHERE business_id = ? AND kind = 'audit' AND id = ?",
            ['{"schema_version": 1}', setting.salon, f"{2:012d}"],
        )
        assert setting.desk.audit.verify().problem == AuditProblem.HASH
        assert len(setting.desk.audit.trail()) == 1


class TestTheKeptHeadAsGiven:
    @pytest.mark.parametrize(
        "head",
        [(1,), (1, "abc"), ("1", "0" * 64), (-1, "0" * 64), (True, "a" * 64), "1:abc"],
    )
    def test_a_malformed_head_is_a_value_error_naming_the_parameter(
        self, setting: Setting, head: object
    ) -> None:
        with pytest.raises(ValueError, match="expected_head"):
            setting.desk.audit.verify(expected_head=head)  # type: ignore[arg-type]

    def test_the_head_before_the_first_entry_is_accepted(self, setting: Setting) -> None:
        assert setting.desk.audit.verify(expected_head=(0, "0" * 64)).intact
