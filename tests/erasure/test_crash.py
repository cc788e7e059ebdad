"""A process killed in the middle of erasures leaves no client half-erased.

Each erasure is one transaction: a client is either wholly there (card, ledger, every
record attached and unchanged, no receipt) or wholly erased (no card, one receipt, every
record detached and anonymised). Running again finishes the rest, and the blobs of
erasures that committed just before a kill are deleted on restart.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.errors import NotFoundError
from clientcard.storage.files import FileBlobStore
from clientcard.storage.records import Record, RecordQuery
from clientcard.storage.sqlite import SQLiteStore
from tests.support import NOW, record

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 12
VISITS = 150
KILLS = 3


def seed(db: Path, blobs: Path) -> tuple[str, list[str]]:
    with SQLiteStore(db) as store:
        files = FileBlobStore(blobs)
        book = ClientBook(store, clock=FixedClock(NOW), blobs=files)
        salon = book.create_business(name="Salone").id
        cards = []
        for number in range(CLIENTS):
            picture = files.put(salon, b"a face")
            card = book.business(salon).cards.add(
                {"first_name": f"Client {chr(65 + number)}", "picture": picture}
            )
            record(book, salon, card.id)
            store.add_records(
                [
                    Record(
                        business_id=salon,
                        kind="appointment",
                        id=f"{card.id}-{visit:04d}",
                        at=NOW - dt.timedelta(days=visit),
                        doc={"status": "completed", "service": "cut", "notes": "x" * 2000},
                        card_id=card.id,
                    )
                    for visit in range(VISITS)
                ]
            )
            cards.append(card.id)
    return salon, cards


def worker(db: Path, salon: str, blobs: Path, mode: str = "run") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.erasure._erase_worker", str(db), salon, str(blobs), mode],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def states(db: Path, salon: str, cards: list[str]) -> list[str]:
    """``kept`` or ``erased`` for each client; anything in between fails the test."""
    with closing(sqlite3.connect(db)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    with SQLiteStore(db) as store:
        book = ClientBook(store)
        query = RecordQuery(kind="appointment")
        visits = book.store.find_records(salon, query, limit=CLIENTS * VISITS).items
        return [
            state_of(book, salon, card_id, [r for r in visits if r.id.startswith(card_id)])
            for card_id in cards
        ]


def state_of(book: ClientBook, salon: str, card_id: str, visits: list[Record]) -> str:
    assert len(visits) == VISITS
    receipts = book.business(salon).erasure.receipts(card_id=card_id)
    try:
        book.business(salon).cards.get(card_id)
    except NotFoundError:
        assert len(receipts) == 1
        assert all(r.card_id is None and "notes" not in r.doc for r in visits)
        assert book.store.consent_events(salon, card_id) == []
        assert len(book.business(salon).erasure.consent_proof(card_id)) == 1
        return "erased"
    assert receipts == []
    assert all(r.card_id == card_id and "notes" in r.doc for r in visits)
    assert len(book.store.consent_events(salon, card_id)) == 1
    return "kept"


def pending_blob_deletions(db: Path, salon: str) -> int:
    with SQLiteStore(db) as store:
        return len(store.find_records(salon, RecordQuery(kind="blob.deletion")).items)


def kill_inside_an_erasure(db: Path, salon: str, blobs: Path, rng: random.Random) -> None:
    """Kill the worker at a random moment of an erasure after its first one commits."""
    with worker(db, salon, blobs) as process:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        # The worker finished what earlier crashes left before it said "ready".
        assert pending_blob_deletions(db, salon) == 0
        started = time.monotonic()
        assert process.stdout.readline().strip() == "erased"
        # Anywhere within about one erasure's time, measured on this machine: mostly
        # inside the next transaction, sometimes between its commit and its blobs.
        time.sleep(rng.uniform(0, time.monotonic() - started))
        process.kill()
        process.wait(timeout=60)


def test_killed_erasures_leave_every_client_whole_or_wholly_erased(tmp_path: Path) -> None:
    db, blobs = tmp_path / "cards.db", tmp_path / "blobs"
    salon, cards = seed(db, blobs)
    rng = random.Random(20261207)  # noqa: S311 - timing jitter, not a secret

    kill_inside_an_erasure(db, salon, blobs, rng)
    first = states(db, salon, cards).count("erased")
    assert 0 < first < CLIENTS

    with worker(db, salon, blobs, "die-before-blobs") as process:
        assert process.wait(timeout=60) != 0
    assert states(db, salon, cards).count("erased") == first + 1
    assert pending_blob_deletions(db, salon) >= 1, "the crash left the picture waiting"

    kill_inside_an_erasure(db, salon, blobs, rng)  # which finds nothing left waiting
    states(db, salon, cards)

    with worker(db, salon, blobs) as finisher:
        assert finisher.wait(timeout=120) == 0
    assert states(db, salon, cards) == ["erased"] * CLIENTS
    assert pending_blob_deletions(db, salon) == 0
    assert [path for path in blobs.rglob("*") if path.is_file()] == []
