"""Keeping the stored contact permissions in step with a card, and with the clients it guards.

Package-private: :class:`~clientcard.consent.service.ConsentService` runs these inside
its own units of work (``refresh_permissions``, every consent change) and reads a card's
guardian and suppression through them to decide. What a card may receive is computed by
the pure :mod:`clientcard.consent._projection`; this module reads what that needs (the
ledger, the guardian, the business's policy, blocks and suppressions) and stores the
answer the store's audience queries read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientcard.cards.card import ClientCard
from clientcard.consent import _projection
from clientcard.consent.ledger import ConsentState, replay
from clientcard.consent.permissions import SUPPRESSION_KIND
from clientcard.errors import NotFoundError
from clientcard.storage.protocol import CardQuery
from clientcard.storage.records import RecordQuery

if TYPE_CHECKING:
    from clientcard._core import Core
    from clientcard.book import BusinessBook

__all__ = ["guardian", "refresh", "refresh_wards", "suppressed"]


def guardian(core: Core, card: ClientCard) -> ClientCard | None:
    """The card of ``card``'s guardian, or ``None`` (none linked, or gone)."""
    if card.guardian_id is None:
        return None
    try:
        return core.store.get(card.business_id, card.guardian_id)
    except NotFoundError:
        return None


def suppressed(core: Core, desk: BusinessBook, card: ClientCard) -> bool:
    """Whether the card's address or a number carries an erased client's "no"."""
    # Most businesses keep no suppressions: one cheap query spares them the lookups.
    query = RecordQuery(kind=SUPPRESSION_KIND)
    if not core.store.find_records(desk.id, query, limit=1):
        return False
    return desk.erasure.is_suppressed(email=card.email, phones=card.phones)


def refresh(
    core: Core, desk: BusinessBook, card: ClientCard, state: ConsentState | None = None
) -> None:
    """Store who may be contacted for what, as the store's audience queries read it.

    ``state`` is the client's ledger already replayed, when the caller has it.
    """
    store = core.store
    if state is None:
        state = replay(store.consent_events(desk.id, card.id))
    business = store.get_business(desk.id)
    allowed = _projection.permissions(
        card,
        state,
        policy=business.consent_policy,
        today=business.today(core.clock.now()),
        guardian=guardian(core, card),
        blacklisted=desk.blacklist.is_blocked(card.id),
        suppressed=suppressed(core, desk, card),
    )
    store.set_permissions(desk.id, card.id, allowed)


def refresh_wards(core: Core, desk: BusinessBook, guardian_id: str) -> None:
    """Refresh the children whose service messages go to ``guardian_id``'s address."""
    for child in core.iter_cards(desk.id, CardQuery(guardian_id=guardian_id)):
        refresh(core, desk, child)
