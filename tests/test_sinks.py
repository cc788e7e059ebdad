from __future__ import annotations

import json
from pathlib import Path

from clientcard.book import ClientBook
from clientcard.cards.serialization import event_from_dict
from clientcard.clock import FixedClock
from clientcard.consent import Channel, ConsentAction, ConsentSource, Purpose
from clientcard.sinks import JsonLinesEventSink
from clientcard.storage import MemoryStore
from tests.support import NOW


def test_every_event_becomes_one_json_line_holding_no_personal_data(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    book = ClientBook(MemoryStore(), clock=FixedClock(NOW), events=JsonLinesEventSink(path))
    salon = book.create_business(name="Salone").id
    card = book.business(salon).cards.add({"first_name": "Segreta", "email": "segreta@example.com"})
    book.business(salon).consent.record(
        card.id,
        ConsentAction.GRANT,
        source=ConsentSource.STAFF,
        by="staff-1",
        purpose=Purpose.MARKETING,
        channel=Channel.EMAIL,
        wording_version="v1",
    )
    text = path.read_text(encoding="utf-8")
    events = [event_from_dict(json.loads(line)) for line in text.splitlines()]
    assert [e.kind.value for e in events] == [
        "business.created",
        "card.created",
        "consent.changed",
    ]
    assert "egreta" not in text


def test_events_are_appended_across_sinks_on_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    for _ in range(2):
        book = ClientBook(MemoryStore(), events=JsonLinesEventSink(path, fsync=False))
        book.create_business(name="Salone")
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2
