"""The statements behind the outbox: the events a unit of work leaves for delivery."""

from __future__ import annotations

from collections.abc import Sequence

from clientcard.cards.serialization import event_from_dict, event_to_dict
from clientcard.events import DomainEvent
from clientcard.storage._sql._common import matchable
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session

__all__ = ["delete_events", "insert_events", "select_events"]


def insert_events(session: Session, dialect: Dialect, events: Sequence[DomainEvent]) -> None:
    """Append events to the outbox in order."""
    session.execute_many(
        "INSERT INTO outbox (event_id, business_id, doc) VALUES (?, ?, ?)",
        [
            (event.event_id, event.business_id, dialect.encode_doc(event_to_dict(event)))
            for event in events
        ],
    )


def select_events(session: Session, dialect: Dialect, limit: int) -> list[DomainEvent]:
    """Read the oldest ``limit`` events of the outbox."""
    rows = session.fetch("SELECT doc FROM outbox ORDER BY seq LIMIT ?", (limit,))
    return [event_from_dict(dialect.decode_doc(row[0])) for row in rows]


def delete_events(session: Session, event_ids: Sequence[str]) -> None:
    """Remove events from the outbox by id."""
    rows = [(event_id,) for event_id in event_ids if matchable(event_id)]
    session.execute_many("DELETE FROM outbox WHERE event_id = ?", rows)
