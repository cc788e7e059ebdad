"""Two operating-system processes race to update one card; exactly one may win."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest

from clientcard.storage.sqlite import SQLiteStore
from tests.storage.sql_behaviour import business, card

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("Uno", "Due")
WORKER = (sys.executable, "-m", "tests.storage._workers")


def race(target: str, schema: str, business_id: str, card_id: str) -> dict[str, str]:
    """Run both writers from the version they read; return each one's outcome by name."""
    with ExitStack() as stack:
        writers = [
            stack.enter_context(
                subprocess.Popen(
                    [*WORKER, "race", target, schema, business_id, card_id, name],
                    cwd=ROOT,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            for name in NAMES
        ]
        # A hung child must fail the test, not hang the run.
        watchdog = threading.Timer(120, lambda: [writer.kill() for writer in writers])
        watchdog.start()
        stack.callback(watchdog.cancel)
        for writer in writers:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "ready"
        # Both have read the card's version before either writes.
        for writer in writers:
            assert writer.stdin is not None
            writer.stdin.write("go\n")
            writer.stdin.flush()
        outcomes = {}
        for name, writer in zip(NAMES, writers, strict=True):
            assert writer.stdout is not None
            outcomes[name] = writer.stdout.readline().strip()
        for writer in writers:
            assert writer.wait(timeout=60) == 0
    return outcomes


def test_two_processes_updating_one_card_of_a_sqlite_file_let_exactly_one_win(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.db"
    with SQLiteStore(path) as store:
        stored = card(business(store))
        store.add(stored)
    outcomes = race(str(path), "unused", stored.business_id, stored.id)
    assert sorted(outcomes.values()) == ["conflict", "won"]
    (winner,) = (name for name, outcome in outcomes.items() if outcome == "won")
    with SQLiteStore(path) as store:
        final = store.get(stored.business_id, stored.id)
    assert (final.version, final.last_name) == (2, winner)


@pytest.mark.postgres
def test_two_processes_updating_one_card_in_postgres_let_exactly_one_win(
    postgres: str, postgres_schema: str
) -> None:
    from clientcard.storage.postgres import PostgresStore

    with PostgresStore(postgres, schema=postgres_schema) as store:
        stored = card(business(store))
        store.add(stored)
    outcomes = race(postgres, postgres_schema, stored.business_id, stored.id)
    assert sorted(outcomes.values()) == ["conflict", "won"]
    (winner,) = (name for name, outcome in outcomes.items() if outcome == "won")
    with PostgresStore(postgres, schema=postgres_schema) as store:
        final = store.get(stored.business_id, stored.id)
    assert (final.version, final.last_name) == (2, winner)


PROCESSES = 4
ROUNDS = 12


@pytest.mark.postgres
def test_four_processes_writing_audit_entries_and_erasing_on_postgres_never_fail(
    postgres: str, postgres_schema: str
) -> None:
    """Issue 19: conflicts replayed at once failed about a third of audit writes and erasures.

    Four processes append to one business's audit chain and erase clients as fast as
    they can, each erasure appending to that chain too: every write collides on its
    head. With the book's defaults, every one of them must go through.
    """
    from clientcard import ClientBook
    from clientcard.storage.postgres import PostgresStore

    with PostgresStore(postgres, schema=postgres_schema) as store:
        book = ClientBook(store, fingerprint_secret=b"contention test secret, 32 bytes")
        salon = book.create_business(name="Salone", region="IT").id
        desk = book.business(salon)
        cards = [
            [
                desk.cards.add({"first_name": "Client", "email": f"c{worker}x{n}@example.com"}).id
                for n in range(ROUNDS)
            ]
            for worker in range(PROCESSES)
        ]
    with ExitStack() as stack:
        workers = [
            stack.enter_context(
                subprocess.Popen(
                    [*WORKER, "contend", postgres, postgres_schema, salon, str(ROUNDS), *own],
                    cwd=ROOT,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            for own in cards
        ]
        watchdog = threading.Timer(300, lambda: [worker.kill() for worker in workers])
        watchdog.start()
        stack.callback(watchdog.cancel)
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:  # all start together
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        reports = []
        for worker in workers:
            assert worker.stdout is not None
            reports.append(worker.stdout.read())
            assert worker.wait(timeout=120) == 0
    failures = [line for report in reports for line in report.splitlines() if "failed" in line]
    assert Counter(failures) == {}
    with PostgresStore(postgres, schema=postgres_schema) as store:
        audit = ClientBook(store, fingerprint_secret=b"contention test secret, 32 bytes")
        desk = audit.business(salon)
        assert desk.cards.count() == 0
        assert desk.audit.verify().intact
        assert len(desk.audit.trail()) == 2 * PROCESSES * ROUNDS
