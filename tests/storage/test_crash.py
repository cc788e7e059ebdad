"""A writer killed at random moments leaves every transaction wholly there or wholly gone."""

from __future__ import annotations

import secrets
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from clientcard.storage.sqlite import SQLiteStore
from tests.storage._workers import COUNTER, numbered
from tests.storage.sql_behaviour import business, card

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
KILLS = 4


def run_and_kill(path: Path, business_id: str) -> None:
    """Start a writer, let it commit for a random 0.05-0.5 s, then SIGKILL it."""
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.storage._workers",
            "write-until-killed",
            str(path),
            business_id,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    ) as writer:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(secrets.SystemRandom().uniform(0.05, 0.5))
        writer.kill()
        assert writer.wait(timeout=30) != 0


def test_killed_writers_leave_every_transaction_whole_or_absent(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    with SQLiteStore(path) as store:
        business_id = business(store)
        store.add(card(business_id, id=COUNTER, first_name="Counter"))
    for _ in range(KILLS):
        run_and_kill(path, business_id)

    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    with SQLiteStore(path) as store:
        counter = store.get(business_id, COUNTER)
        cards = {c.id for c in store.find(business_id, limit=1_000_000)} - {COUNTER}
        events = [event.card_id for event in store.pending_events(limit=1_000_000)]
    committed = counter.version - 1
    expected = [numbered(number) for number in range(1, committed + 1)]
    assert committed > 0, "the writers should have committed something before the kills"
    assert counter.notes == str(committed)
    assert cards == set(expected)
    assert events == expected
