from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import attrs
import pytest

from clientcard.book import ClientBook
from clientcard.cards.serialization import event_from_dict, event_to_dict
from clientcard.erasure import AuditAction, AuditEntry, AuditProblem, verify_chain
from clientcard.erasure.audit import AUDIT_HEAD_KIND, AUDIT_KIND, GENESIS, chain
from clientcard.errors import ValidationError
from clientcard.events import DomainEvent, EventKind
from clientcard.storage.sqlite import SQLiteStore
from tests.support import NOW


def trail(length: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for number in range(length):
        entries.append(
            chain(
                entries[-1].link if entries else None,
                business_id="b",
                at=NOW + dt.timedelta(minutes=number),
                action=AuditAction.VIEWED,
                actor="staff-7",
                via="GET /clients/{id}",
                card_id=f"card-{number}",
            )
        )
    return entries


class TestTheChain:
    def test_an_untouched_chain_is_intact_in_any_order(self) -> None:
        entries = trail(4)
        check = verify_chain(reversed(entries), entries[-1].link)
        assert (check.intact, check.entries) == (True, 4)

    def test_the_first_entry_follows_the_genesis_hash(self) -> None:
        assert trail(1)[0].previous == GENESIS

    def test_a_changed_entry_breaks_its_own_hash(self) -> None:
        entries = trail(3)
        entries[1] = attrs.evolve(entries[1], card_id="card-9")
        check = verify_chain(entries)
        assert (check.broken_at, check.problem) == (2, "hash")

    def test_a_rehashed_entry_breaks_the_next_link(self) -> None:
        entries = trail(3)
        forged = attrs.evolve(entries[1], actor="someone")
        entries[1] = attrs.evolve(forged, hash=forged.computed_hash())
        assert verify_chain(entries).problem == "link"

    def test_a_removed_entry_is_a_gap(self) -> None:
        entries = trail(3)
        assert verify_chain([entries[0], entries[2]]).problem == "gap"

    def test_entries_cut_off_the_end_disagree_with_the_head(self) -> None:
        entries = trail(3)
        check = verify_chain(entries[:2], entries[-1].link)
        assert (check.intact, check.problem) == (False, "head")

    def test_a_chain_reaching_the_kept_head_is_intact(self) -> None:
        entries = trail(3)
        assert verify_chain(entries, expected_head=entries[1].link).intact

    def test_a_chain_short_of_the_kept_head_is_truncated(self) -> None:
        entries = trail(3)
        check = verify_chain(entries[:1], entries[:1][-1].link, expected_head=entries[2].link)
        assert (check.broken_at, check.problem) == (2, AuditProblem.TRUNCATED)

    def test_an_empty_chain_is_truncated_against_a_kept_head(self) -> None:
        check = verify_chain([], None, expected_head=trail(1)[0].link)
        assert (check.entries, check.broken_at, check.problem) == (0, 1, "truncated")

    def test_another_chain_of_the_same_length_diverges_from_the_kept_head(self) -> None:
        kept = trail(2)[-1].link
        other = [attrs.evolve(entry, actor="staff-9") for entry in trail(2)]
        rebuilt: list[AuditEntry] = []
        for entry in other:
            unsigned = attrs.evolve(entry, previous=rebuilt[-1].hash if rebuilt else GENESIS)
            rebuilt.append(attrs.evolve(unsigned, hash=unsigned.computed_hash()))
        check = verify_chain(rebuilt, rebuilt[-1].link, expected_head=kept)
        assert (check.broken_at, check.problem) == (2, AuditProblem.DIVERGED)

    def test_the_head_event_survives_its_json_document(self) -> None:
        event = DomainEvent(
            event_id="e-1",
            kind=EventKind.AUDIT_APPENDED,
            business_id="b",
            occurred_at=NOW,
            record_id=f"{1:012d}",
            audit_head=trail(1)[0].link,
        )
        assert event_from_dict(json.loads(json.dumps(event_to_dict(event)))) == event

    def test_details_hold_ids_and_codes_only(self) -> None:
        with pytest.raises(ValidationError) as caught:
            chain(
                None,
                business_id="b",
                at=NOW,
                action=AuditAction.MERGED,
                actor="staff-7",
                via="merge",
                detail={"note": "Anna asked"},
            )
        assert caught.value.fields == {"detail.note"}


class TestThroughTheBook:
    def test_a_host_records_a_view_and_the_trail_shows_it(
        self, book: ClientBook, salon: str
    ) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna"})
        entry = book.business(salon).audit.record(
            AuditAction.VIEWED, by="staff-7", via="GET /clients/{id}", card_id=card.id
        )
        assert book.business(salon).audit.trail(card_id=card.id) == [entry]
        assert book.business(salon).audit.head() == entry.link
        assert book.business(salon).audit.verify().intact

    def test_a_business_without_entries_has_an_intact_empty_trail(
        self, book: ClientBook, salon: str
    ) -> None:
        assert book.business(salon).audit.head() is None
        assert book.business(salon).audit.verify().entries == 0

    def test_tampering_in_the_store_is_found(self, book: ClientBook, salon: str) -> None:
        for _ in range(3):
            book.business(salon).audit.record(AuditAction.VIEWED, by="staff-7", via="GET /clients")
        stored = book.store.get_record(salon, AUDIT_KIND, f"{2:012d}")
        forged = {**stored.doc, "actor": "nobody"}
        book.store.update_record(stored.revised(forged), expected_revision=stored.revision)
        assert book.business(salon).audit.verify().broken_at == 2

    def test_cutting_the_newest_entry_is_found(self, book: ClientBook, salon: str) -> None:
        for _ in range(2):
            book.business(salon).audit.record(AuditAction.VIEWED, by="staff-7", via="GET /clients")
        book.store.delete_records(salon, kind=AUDIT_KIND, record_ids=[f"{2:012d}"])
        assert book.business(salon).audit.verify().problem == "head"
        assert book.store.get_record(salon, AUDIT_HEAD_KIND, salon).doc["seq"] == 2

    def test_writers_racing_on_sqlite_keep_one_unbroken_chain(self, tmp_path: Path) -> None:
        store = SQLiteStore(tmp_path / "audit.db")
        book = ClientBook(store)
        salon = book.create_business(name="Salone").id

        def view() -> None:
            for _ in range(10):
                book.business(salon).audit.record(
                    AuditAction.VIEWED, by="staff-7", via="GET /clients"
                )

        threads = [threading.Thread(target=view) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        check = book.business(salon).audit.verify()
        store.close()
        assert (check.intact, check.entries) == (True, 40)
