"""Consent benchmarks: decisions per second, and the audience file the targets time.

``_load`` fills a file of ``BENCH_AUDIENCE`` cards (one million by default) of which a
third may be contacted; ``targets.audience_sqlite`` times the count on it.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import storage  # bench/storage.py, beside this file
from clientcard.cards.card import ClientCard
from clientcard.consent import (
    Channel,
    ConsentAction,
    ConsentEvent,
    ConsentPolicy,
    ConsentSource,
    Purpose,
    may_contact,
    replay,
)
from clientcard.storage import _sql

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
CHUNK = 50_000


def decisions(count: int = 100_000) -> dict[str, Any]:
    """Time may_contact over ``count`` cards, a third with a grant, a tenth objecting."""
    policy = ConsentPolicy(country="IT")
    cards, states = [], []
    for i in range(count):
        cards.append(
            ClientCard(
                id=f"c{i}",
                business_id="b",
                created_at=NOW,
                updated_at=NOW,
                first_name="Anna",
                email=f"c{i}@example.com",
            )
        )
        events = []
        if i % 3 == 0:
            events.append(
                ConsentEvent(
                    event_id=f"e{i}",
                    business_id="b",
                    card_id=f"c{i}",
                    action=ConsentAction.GRANT,
                    at=NOW,
                    source=ConsentSource.STAFF,
                    recorded_by="s",
                    purpose=Purpose.MARKETING,
                    channel=Channel.EMAIL,
                    wording_version="v1",
                )
            )
        if i % 10 == 0:
            events.append(
                ConsentEvent(
                    event_id=f"o{i}",
                    business_id="b",
                    card_id=f"c{i}",
                    action=ConsentAction.OBJECT,
                    at=NOW,
                    source=ConsentSource.STAFF,
                    recorded_by="s",
                )
            )
        states.append(replay(events))
    today = NOW.date()
    start = time.perf_counter()
    allowed = sum(
        may_contact(
            card, Purpose.MARKETING, Channel.EMAIL, state=state, policy=policy, today=today
        ).allowed
        for card, state in zip(cards, states, strict=True)
    )
    elapsed = time.perf_counter() - start
    return {
        "benchmark": f"may_contact decisions, {count} cards ({allowed} allowed)",
        "clientcard_s": round(elapsed, 4),
        "floor_s": None,
        "floor": "(none: a pure function, reported as a rate)",
        "ratio": None,
        "rate": f"{count / elapsed:,.0f} decisions/s",
    }


def _load(count: int) -> tuple[Path, str]:
    path, business_id, raw = storage.raw_file("cc-audience-")
    for offset in range(0, count, CHUNK):
        cards = [
            ClientCard(
                id=f"card-{i:08d}",
                business_id=business_id,
                created_at=NOW,
                updated_at=NOW,
                first_name="Anna",
                last_name=f"Rossi {i}",
                email=f"c{i}@example.com",
            )
            for i in range(offset, min(offset + CHUNK, count))
        ]
        for sql, params in storage.insert_statements(cards, _sql.SQLITE):
            raw.execute(sql, params)
        raw.executemany(
            "INSERT INTO card_permissions (business_id, card_id, purpose, channel)"
            " VALUES (?, ?, 'marketing', 'email')",
            [(business_id, card.id) for n, card in enumerate(cards, offset) if n % 3 == 0],
        )
    raw.execute("COMMIT")
    raw.execute("ANALYZE")
    raw.close()
    return path, business_id


def audience_cards() -> int:
    return int(os.environ.get("BENCH_AUDIENCE", "1000000"))
