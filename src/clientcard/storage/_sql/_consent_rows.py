"""The statements behind a card's contact permissions and its consent ledger."""

from __future__ import annotations

from collections.abc import Sequence

from clientcard.cards.serialization import consent_event_from_dict, consent_event_to_dict
from clientcard.consent.ledger import ConsentEvent
from clientcard.errors import DuplicateError
from clientcard.storage._sql._common import locked_version, matchable
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


def insert_consent(session: Session, dialect: Dialect, events: Sequence[ConsentEvent]) -> None:
    """Append events to their cards' consent ledgers (each card must exist)."""
    for event in events:
        # Reading the card under lock also keeps it from being deleted meanwhile.
        locked_version(session, dialect, event.business_id, event.card_id)
        inserted = session.execute(
            "INSERT INTO consent_events (event_id, business_id, card_id, doc)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (
                event.event_id,
                event.business_id,
                event.card_id,
                dialect.encode_doc(consent_event_to_dict(event)),
            ),
        )
        if not inserted:
            raise DuplicateError("consent event", event.event_id)


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
