"""Kill a sending process at random points: no message is lost, and a crash repeats at most one."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clientcard.consent import Channel, ConsentAction, ConsentSource, Purpose
from clientcard.messaging.sends import SendStatus
from clientcard.storage.sqlite import SQLiteStore
from tests.messaging._dispatch_worker import sending_book

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def worker(db: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.messaging._dispatch_worker", str(db), str(log)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _deliveries(log: Path) -> int:
    return len(log.read_text(encoding="utf-8").split()) if log.exists() else 0


def test_a_killed_sender_loses_nothing_and_repeats_at_most_one_per_crash(
    tmp_path: Path,
) -> None:
    db, log = tmp_path / "cards.db", tmp_path / "provider.log"
    store = SQLiteStore(db)
    book = sending_book(store, log)
    salon = book.create_business(name="Bella").id
    cards = []
    for i in range(100):
        card = book.business(salon).cards.add(
            {"first_name": "Client", "email": f"c{i}@example.com"}
        )
        book.business(salon).consent.record(
            card.id,
            ConsentAction.GRANT,
            source=ConsentSource.STAFF,
            by="s",
            purpose=Purpose.MARKETING,
            channel=Channel.EMAIL,
            wording_version="v1",
        )
        cards.append(card.id)
    batch = book.business(salon).messaging.queue("promo", Channel.EMAIL, cards)
    store.close()

    rng = random.Random(20261123)  # noqa: S311 - timing jitter, not a secret
    kills = 0
    for _ in range(4):
        process = worker(db, log)
        # Kill in the middle of sending: after this worker's first delivery, however long
        # its start-up took on a busy machine.
        delivered_before = _deliveries(log)
        deadline = time.monotonic() + 60
        while (
            _deliveries(log) == delivered_before
            and process.poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.05))
        if process.poll() is None:
            process.kill()
            kills += 1
        process.wait(timeout=60)
    assert kills, "no worker was killed mid-run; the test proved nothing"
    before_finish = len(log.read_text(encoding="utf-8").split())
    assert 0 < before_finish < len(cards), "kills should land mid-batch"
    finisher = worker(db, log)
    assert finisher.wait(timeout=120) == 0

    store = SQLiteStore(db)
    sends = store.sends(salon, batch)
    store.close()
    assert {send.status for send in sends} == {SendStatus.SENT}
    delivered = log.read_text(encoding="utf-8").split()
    assert set(delivered) == {send.send_id for send in sends}  # nothing lost
    assert len(delivered) - len(set(delivered)) <= kills  # each crash repeats at most one
