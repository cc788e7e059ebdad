"""The reference semantics of the store's queries, read off the values themselves.

:func:`matches` says which cards a :class:`~clientcard.storage.protocol.CardQuery`
selects, :func:`due` which sends a claim takes. :class:`~clientcard.storage.memory.MemoryStore`
answers with them directly; the SQL stores' statements must agree with them.
"""

from __future__ import annotations

import datetime as dt

from clientcard.cards.card import ClientCard
from clientcard.contact.email import lookup_key
from clientcard.messaging.sends import Send, SendStatus
from clientcard.storage._search import card_tokens, plan, rank
from clientcard.storage.protocol import CardQuery

__all__ = ["due", "matches"]


def matches(card: ClientCard, query: CardQuery, permissions: frozenset[tuple[str, str]]) -> bool:
    """Tell whether ``card`` satisfies ``query``: the reference semantics of a query."""
    if query.search is not None and rank(card_tokens(card), plan(query.search)) is None:
        return False
    checks = (
        query.email is None or (card.email is not None and lookup_key(card.email) == query.email),
        query.phone is None or query.phone in card.phones,
        query.group is None or card.client_group == query.group,
        query.tag is None or query.tag in card.tags,
        query.status is None or card.status is query.status,
        query.custom_field is None
        or (
            query.custom_field in card.custom
            and type(card.custom[query.custom_field]) is type(query.custom_value)
            and card.custom[query.custom_field] == query.custom_value
        ),
        query.contactable is None or query.contactable in permissions,
        query.guardian_id is None or card.guardian_id == query.guardian_id,
        query.id_prefix is None or card.id.startswith(query.id_prefix),
        query.id_suffix is None or card.id.endswith(query.id_suffix),
        query.source is None or card.referral_source == query.source,
    )
    return all(checks)


def due(send: Send, now: dt.datetime, stale_before: dt.datetime) -> bool:
    """Tell whether a claim at ``now`` takes ``send``: queued and not deferred, or stale.

    A send still marked as being sent whose last update is before ``stale_before`` was
    left by a dispatcher that died; it is claimed again.
    """
    if send.status is SendStatus.QUEUED:
        return send.not_before is None or send.not_before <= now
    return send.status is SendStatus.SENDING and send.updated_at < stale_before
