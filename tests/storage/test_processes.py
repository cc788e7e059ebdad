"""Two operating-system processes race to update one card; exactly one may win."""

from __future__ import annotations

import subprocess
import sys
import threading
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
