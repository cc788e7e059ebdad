"""The statements behind a card's contact permissions and its consent ledger."""

from __future__ import annotations

from collections.abc import Sequence

from clientcard.cards.serialization import consent_event_from_dict, consent_event_to_dict
from clientcard.consent.ledger import ConsentEvent
from clientcard.errors import DuplicateError, NotFoundError
from clientcard.storage._sql._common import (
    insert_rows,
    locked_version,
    matchable,
    refuse_taken,
    select_among,
)
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session

__all__ = ["insert_consent", "replace_permissions", "select_consent", "select_permissions"]


def replace_permissions(
    session: Session,
    dialect: Dialect,
    business_id: str,
    card_id: str,
    permissions: frozenset[tuple[str, str]],
) -> None:
    """Replace the recorded ``(purpose, channel)`` pairs of a card."""
    owner = (business_id, card_id)
    # Locking the card row queues concurrent replacements of the same card's pairs, so
    # one never adds to what the other just deleted.
    locked_version(session, dialect, *owner)
    session.execute("DELETE FROM card_permissions WHERE business_id = ? AND card_id = ?", owner)
    if permissions:
        session.execute_many(
            "INSERT INTO card_permissions (business_id, card_id, purpose, channel)"
            " VALUES (?, ?, ?, ?)",
            [(*owner, purpose, channel) for purpose, channel in sorted(permissions)],
        )


def select_permissions(
    session: Session, business_id: str, card_id: str
) -> frozenset[tuple[str, str]]:
    """Read the recorded ``(purpose, channel)`` pairs of a card."""
    if not matchable(business_id) or not matchable(card_id):
        return frozenset()
    rows = session.fetch(
        "SELECT purpose, channel FROM card_permissions WHERE business_id = ? AND card_id = ?",
        (business_id, card_id),
    )
    return frozenset((str(purpose), str(channel)) for purpose, channel in rows)


_CHUNK = 500


def insert_consent(session: Session, dialect: Dialect, events: Sequence[ConsentEvent]) -> None:
    """Append events to their cards' consent ledgers (each card must exist), in bulk.

    The cards are read under lock (which also keeps them from being deleted meanwhile)
    and the event ids checked, 500 a statement, before anything is written; the events
    then go out in bulk (``COPY`` on PostgreSQL), in order.
    """
    cards: dict[str, dict[str, None]] = {}
    seen: set[str] = set()
    for event in events:
        cards.setdefault(event.business_id, {})[event.card_id] = None
        if event.event_id in seen:
            raise DuplicateError("consent event", event.event_id)
        seen.add(event.event_id)
    for business_id, owned in cards.items():
        ids = list(owned)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            unreadable = [i for i in (business_id, *chunk) if not matchable(i)]
            if unreadable:
                raise NotFoundError("card", chunk[0])
            rows = session.fetch(
                *select_among(dialect, "cards", ("id",), business_id, chunk, key="id", lock=True)
            )
            found = {str(row[0]) for row in rows}
            for card_id in chunk:
                if card_id not in found:
                    raise NotFoundError("card", card_id)
    # Checked per business: ids are unique within their business (the key on a sharded
    # store), and a statement naming its business runs on that business's shard alone.
    by_business: dict[str, list[str]] = {}
    for event in events:
        if matchable(event.event_id) and matchable(event.business_id):
            by_business.setdefault(event.business_id, []).append(event.event_id)
    for business_id, event_ids in by_business.items():
        refuse_taken(
            session,
            dialect,
            "consent_events",
            business_id,
            event_ids,
            key="event_id",
            kind="consent event",
        )
    insert_rows(
        session,
        dialect,
        "consent_events",
        ("event_id", "business_id", "card_id", "doc"),
        [
            (
                event.event_id,
                event.business_id,
                event.card_id,
                dialect.encode_doc(consent_event_to_dict(event)),
            )
            for event in events
        ],
    )


def select_consent(
    session: Session, dialect: Dialect, business_id: str, card_id: str
) -> list[ConsentEvent]:
    """Read a card's consent ledger in the order it was appended."""
    if not matchable(business_id) or not matchable(card_id):
        return []
    rows = session.fetch(
        "SELECT doc FROM consent_events WHERE business_id = ? AND card_id = ? ORDER BY seq",
        (business_id, card_id),
    )
    return [consent_event_from_dict(dialect.decode_doc(row[0])) for row in rows]
