"""The statements behind the dispatcher's sends: queue, claim, update and read them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

import attrs

from clientcard.cards.serialization import send_from_dict, send_to_dict
from clientcard.errors import NotFoundError
from clientcard.messaging.sends import Send, SendScope, SendStatus
from clientcard.storage._sql._common import marks, matchable
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session

__all__ = ["claim_sends", "insert_sends", "select_card_sends", "select_sends", "update_send"]


def insert_sends(session: Session, dialect: Dialect, sends: Sequence[Send]) -> int:
    """Record queued sends, leaving out ids and dedupe keys already there; count the new."""
    added = 0
    for send in sends:
        added += session.execute(
            "INSERT INTO sends (send_id, business_id, batch_id, card_id, template_key, channel,"
            " status, queued_at, updated_at, not_before, dedupe_key, doc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (
                send.send_id,
                send.business_id,
                send.batch_id,
                send.card_id,
                send.template_key,
                send.channel.value,
                send.status.value,
                dialect.timestamp(send.queued_at),
                dialect.timestamp(send.updated_at),
                _maybe_timestamp(dialect, send.not_before),
                send.dedupe_key,
                dialect.encode_doc(send_to_dict(send)),
            ),
        )
    return added


def _maybe_timestamp(dialect: Dialect, value: dt.datetime | None) -> object:
    return None if value is None else dialect.timestamp(value)


def _write_send(session: Session, dialect: Dialect, send: Send) -> int:
    return session.execute(
        # The business too: on a cluster it names the shard, and a send is keyed in it.
        "UPDATE sends SET status = ?, updated_at = ?, not_before = ?, doc = ?"
        " WHERE business_id = ? AND send_id = ?",
        (
            send.status.value,
            dialect.timestamp(send.updated_at),
            _maybe_timestamp(dialect, send.not_before),
            dialect.encode_doc(send_to_dict(send)),
            send.business_id,
            send.send_id,
        ),
    )


_DUE: Final = (
    "((status = 'queued' AND (not_before IS NULL OR not_before <= ?))"
    " OR (status = 'sending' AND updated_at < ?))"
)


def claim_sends(
    session: Session,
    dialect: Dialect,
    *,
    now: dt.datetime,
    stale_before: dt.datetime,
    limit: int,
    scope: SendScope,
) -> list[Send]:
    """Mark up to ``limit`` queued or stale sends in ``scope`` as being sent; return them.

    Rows are locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) one business at a time:
    a locking read must name its business to be routed to one shard of a Citus cluster,
    which refuses to lock rows across shards. Without a business in ``scope``, a plain
    read first finds the businesses with sends due, ordered by their oldest due send,
    and each is claimed in turn until ``limit`` is reached; sends come back oldest first
    within each business.
    """
    templates = sorted(scope.template_keys)
    channels = sorted(channel.value for channel in scope.channels)
    if not templates or not channels:
        return []
    due = (dialect.timestamp(now), dialect.timestamp(stale_before))
    filters = f" AND template_key IN ({marks(templates)}) AND channel IN ({marks(channels)})"
    if scope.business_id is not None:
        businesses = [scope.business_id] if matchable(scope.business_id) else []
    else:
        # No lock, so it fans out to every shard; the claims below lock, and re-check.
        # Only placeholders are spliced in.
        rows = session.fetch(
            f"SELECT business_id FROM sends WHERE {_DUE}{filters}"  # noqa: S608
            " GROUP BY business_id ORDER BY min(queued_at), business_id LIMIT ?",
            (*due, *templates, *channels, limit),
        )
        businesses = [str(row[0]) for row in rows]
    claimed: list[Send] = []
    for business_id in businesses:
        if len(claimed) >= limit:
            break
        # Only placeholders and the dialect's constant locking clause are spliced in.
        rows = session.fetch(
            f"SELECT doc FROM sends WHERE business_id = ? AND {_DUE}{filters}"  # noqa: S608
            f" ORDER BY queued_at, send_id LIMIT ?{dialect.skip_locked}",
            (business_id, *due, *templates, *channels, limit - len(claimed)),
        )
        for row in rows:
            send = send_from_dict(dialect.decode_doc(row[0]))
            send = attrs.evolve(
                send, status=SendStatus.SENDING, updated_at=now, attempts=send.attempts + 1
            )
            _write_send(session, dialect, send)
            claimed.append(send)
    return claimed


def update_send(session: Session, dialect: Dialect, send: Send) -> None:
    """Store a send's new state. :raises NotFoundError: no such send."""
    if not matchable(send.send_id) or not _write_send(session, dialect, send):
        raise NotFoundError("send", send.send_id)


def select_sends(session: Session, dialect: Dialect, business_id: str, batch_id: str) -> list[Send]:
    """Read the sends of one batch, oldest first."""
    if not matchable(business_id) or not matchable(batch_id):
        return []
    rows = session.fetch(
        "SELECT doc FROM sends WHERE business_id = ? AND batch_id = ? ORDER BY queued_at, send_id",
        (business_id, batch_id),
    )
    return [send_from_dict(dialect.decode_doc(row[0])) for row in rows]


def select_card_sends(
    session: Session, dialect: Dialect, business_id: str, card_id: str
) -> list[Send]:
    """Read every send to one card, oldest first (from the by-card index)."""
    if not matchable(business_id) or not matchable(card_id):
        return []
    rows = session.fetch(
        "SELECT doc FROM sends WHERE business_id = ? AND card_id = ? ORDER BY queued_at, send_id",
        (business_id, card_id),
    )
    return [send_from_dict(dialect.decode_doc(row[0])) for row in rows]
