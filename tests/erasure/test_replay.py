"""Erasures survive a restore: replaying the receipts kept outside the backup."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.erasure import AuditAction, ErasureMode, receipt_from_dict, receipt_to_dict
from clientcard.errors import NotFoundError
from clientcard.storage.sqlite import SQLiteStore
from tests.erasure.conftest import add
from tests.support import NOW


def backup(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(target)) as copy:
        live.backup(copy)


def restore(copy: Path, live: Path) -> None:
    for leftover in (live.with_name(live.name + "-wal"), live.with_name(live.name + "-shm")):
        leftover.unlink(missing_ok=True)
    live.write_bytes(copy.read_bytes())


def test_a_restored_backup_forgets_the_client_again(tmp_path: Path) -> None:
    live, copy = tmp_path / "cards.db", tmp_path / "backup.db"
    with SQLiteStore(live) as store:
        book = ClientBook(store, clock=FixedClock(NOW))
        salon = book.create_business(name="Salone").id
        card = book.business(salon).cards.add({"first_name": "Anna", "email": "anna@example.com"})
        add(book, salon, card.id, "appointment", status="completed", notes="nickel")
        backup(live, copy)
        plan = book.business(salon).erasure.plan(card.id, mode=ErasureMode.ANONYMISE)
        receipt = book.business(plan.business_id).erasure.run(plan, by="staff-7")
        # What the host keeps where its backups can't roll it back: a line per receipt.
        kept = json.dumps(receipt_to_dict(receipt))

    restore(copy, live)
    with SQLiteStore(live) as store:
        book = ClientBook(store, clock=FixedClock(NOW))
        assert book.business(salon).cards.get(card.id).first_name == "Anna"
        replayed = book.business(salon).erasure.replay(
            [receipt_from_dict(json.loads(kept))], by="dpo"
        )

        with pytest.raises(NotFoundError):
            book.business(salon).cards.get(card.id)
        (again,) = replayed
        assert (again.replay_of, again.mode, again.reason) == (
            receipt.receipt_id,
            ErasureMode.ANONYMISE,
            "replay",
        )
        receipts = {r.receipt_id for r in book.business(salon).erasure.receipts(card_id=card.id)}
        assert receipts == {receipt.receipt_id, again.receipt_id}
        assert book.business(salon).audit.trail()[-1].action is AuditAction.ERASURE_REPLAYED


def test_replaying_what_is_already_gone_does_nothing(book: ClientBook, salon: str) -> None:
    card = book.business(salon).cards.add({"first_name": "Anna"})
    receipt = book.business(salon).erasure.run(
        book.business(salon).erasure.plan(card.id), by="staff-7"
    )
    assert book.business(salon).erasure.replay([receipt], by="dpo") == []
    assert book.business(salon).erasure.receipts() == [receipt]


def test_receipts_of_another_business_are_not_replayed(book: ClientBook, salon: str) -> None:
    other = book.create_business(name="Other").id
    card = book.business(other).cards.add({"first_name": "Anna"})
    receipt = book.business(other).erasure.run(
        book.business(other).erasure.plan(card.id), by="staff-7"
    )
    assert book.business(salon).erasure.replay([receipt], by="dpo") == []
    assert book.business(salon).erasure.receipts() == []
