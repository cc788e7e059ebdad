"""What the store contract's tests build: businesses, cards, events and sends.

Every value is fresh (new UUIDs) and stamped :data:`NOW`, so tests never collide
with each other, whichever store runs them.
"""

from __future__ import annotations

import datetime as dt
import uuid

from clientcard.business import Business
from clientcard.cards.card import ClientCard
from clientcard.consent import (
    Channel,
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    GuardianConsent,
    Purpose,
)
from clientcard.events import DomainEvent, EventKind
from clientcard.messaging.sends import Send, SendScope, SendStatus
from clientcard.storage.protocol import ClientStore

__all__ = [
    "NOW",
    "SCOPE",
    "Boom",
    "consent_event",
    "domain_event",
    "new_business",
    "new_card",
    "new_id",
    "queued_send",
]

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
"""The instant every value the contract builds is stamped with."""


class Boom(Exception):
    """Raised inside transactions to prove they roll back."""


def new_id() -> str:
    """Return a fresh UUID as text."""
    return str(uuid.uuid4())


def new_business(store: ClientStore, business_id: str | None = None) -> str:
    """Store a business with default settings and return its id (a fresh UUID if none)."""
    business = Business(
        id=business_id or new_id(), name="Salon", region="IT", language="it", created_at=NOW
    )
    store.add_business(business)
    return business.id


def new_card(business_id: str, **fields: object) -> ClientCard:
    """Build (not store) a card named Anna in ``business_id``, with ``fields`` on top."""
    values: dict[str, object] = {"first_name": "Anna", **fields}
    return ClientCard(
        id=str(values.pop("id", new_id())),
        business_id=business_id,
        created_at=NOW,
        updated_at=NOW,
        **values,  # type: ignore[arg-type]
    )


def domain_event(business_id: str, card_id: str | None = None) -> DomainEvent:
    return DomainEvent(
        event_id=new_id(),
        kind=EventKind.CARD_CREATED,
        business_id=business_id,
        occurred_at=NOW,
        card_id=card_id,
        card_version=1,
    )


def consent_event(card: ClientCard, action: ConsentAction, at: dt.datetime = NOW) -> ConsentEvent:
    return ConsentEvent(
        event_id=new_id(),
        business_id=card.business_id,
        card_id=card.id,
        action=action,
        at=at,
        source=ConsentSource.STAFF,
        recorded_by="staff-1",
        purpose=Purpose.MARKETING,
        channel=Channel.EMAIL,
        wording_version="v1" if action is ConsentAction.GRANT else None,
        guardian=GuardianConsent(verified_by="in_person")
        if action is ConsentAction.GRANT
        else None,
    )


SCOPE = SendScope(template_keys=frozenset({"promo"}), channels=frozenset(Channel))
"""A claim scope covering every send :func:`queued_send` builds."""


def queued_send(
    card: ClientCard, batch_id: str, *, queued_at: dt.datetime = NOW, dedupe_key: str | None = None
) -> Send:
    """Build a queued promo e-mail send to ``card`` in ``batch_id``."""
    return Send(
        send_id=new_id(),
        batch_id=batch_id,
        business_id=card.business_id,
        card_id=card.id,
        purpose=Purpose.MARKETING,
        channel=Channel.EMAIL,
        template_key="promo",
        status=SendStatus.QUEUED,
        queued_at=queued_at,
        updated_at=queued_at,
        dedupe_key=dedupe_key,
        values={"offer": "10%"},
    )
