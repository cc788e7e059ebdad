"""The statements behind the outbox: the events a unit of work leaves for delivery."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from clientcard.cards.serialization import event_from_dict, event_to_dict
from clientcard.events import DomainEvent
from clientcard.storage._sql._common import among, insert_rows, marks, matchable
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session

__all__ = ["delete_events", "insert_events", "select_events"]

_CHUNK: Final = 500


def insert_events(session: Session, dialect: Dialect, events: Sequence[DomainEvent]) -> None:
    """Append events to the outbox in order (in bulk: an import leaves one per card)."""
    insert_rows(
        session,
        dialect,
        "outbox",
        ("event_id", "business_id", "doc"),
        [
            (event.event_id, event.business_id, dialect.encode_doc(event_to_dict(event)))
            for event in events
        ],
    )


def select_events(session: Session, dialect: Dialect, limit: int) -> list[tuple[str, DomainEvent]]:
    """Read the oldest ``limit`` events of the outbox, each with its ``business_id`` column.

    The relay serves every business, so on a cluster this read fans out to every shard
    (each returns its oldest, the coordinator merges them).
    """
    rows = session.fetch("SELECT business_id, doc FROM outbox ORDER BY seq LIMIT ?", (limit,))
    return [(str(row[0]), event_from_dict(dialect.decode_doc(row[1]))) for row in rows]


def delete_events(
    session: Session, dialect: Dialect, event_ids: Sequence[str], owners: Mapping[str, str]
) -> None:
    """Remove events from the outbox by id.

    ``owners`` maps the ids whose ``business_id`` is known to it: those are deleted one
    business at a time, which a cluster routes to that business's shard. The rest are
    deleted together, which a cluster sends to every shard.
    """
    by_business: dict[str | None, list[str]] = {}
    for event_id in dict.fromkeys(event_ids):
        if matchable(event_id):
            by_business.setdefault(owners.get(event_id), []).append(event_id)
    for business_id, ids in by_business.items():
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            if business_id is None:
                # Only placeholders are spliced in.
                where = f"event_id IN ({marks(chunk)})"
                session.execute(f"DELETE FROM outbox WHERE {where}", chunk)  # noqa: S608
            else:
                condition, keys = among(dialect, "outbox", "event_id", business_id, chunk)
                session.execute(
                    # Only a constant condition and placeholders are spliced in.
                    f"DELETE FROM outbox WHERE business_id = ? AND {condition}",  # noqa: S608
                    (business_id, *keys),
                )
