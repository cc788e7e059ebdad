"""The permissions projection of one card, computed from what the service read.

Package-private: :class:`~clientcard.consent.service.ConsentService` reads the card, its
ledger, its guardian and the business's policy, and stores what this returns.
"""

from __future__ import annotations

import datetime as dt

from clientcard.cards.card import ClientCard
from clientcard.consent.decision import may_contact, may_profile
from clientcard.consent.ledger import ConsentState
from clientcard.consent.permissions import PROFILING_PERMISSION
from clientcard.consent.purposes import MESSAGE_PURPOSES, Channel, ConsentPolicy, Purpose


def permissions(
    card: ClientCard,
    state: ConsentState,
    *,
    policy: ConsentPolicy,
    today: dt.date,
    guardian: ClientCard | None,
    blacklisted: bool,
    suppressed: bool,
) -> frozenset[tuple[str, str]]:
    """The ``(purpose, channel)`` pairs ``card`` may be contacted for today.

    Every message purpose on every channel the decision allows, plus
    :data:`~clientcard.consent.permissions.PROFILING_PERMISSION` when the client's
    consent allows profiling.
    """
    allowed = {
        (purpose.value, channel.value)
        for purpose in MESSAGE_PURPOSES
        for channel in Channel
        if may_contact(
            card,
            purpose,
            channel,
            state=state,
            policy=policy,
            today=today,
            guardian=guardian,
            blacklisted=blacklisted,
            suppressed=suppressed,
        )
    }
    if may_profile(state):
        allowed.add(PROFILING_PERMISSION)
    return frozenset(allowed)


def consent_key(purpose: Purpose | None, channel: Channel | None) -> str:
    """The name a ``consent.changed`` event gives what changed (``marketing.email``)."""
    names = [part.value for part in (purpose, channel) if part is not None]
    return ".".join(names)
