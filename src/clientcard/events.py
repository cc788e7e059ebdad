"""Domain events: what happened to a card, for the host's other systems.

Events carry ids, the kind of change, the card's new version and the *names* of the
fields that changed, never their values: a host that needs the data reads the card
back. :class:`~clientcard.book.ClientBook` writes events to the store's outbox in the
same transaction as the change and hands them to an :class:`EventSink` after commit.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Protocol

import attrs

__all__ = ["DomainEvent", "EventKind", "EventSink"]


class EventKind(enum.Enum):
    """The kinds of change clientcard reports.

    .. versionadded:: 0.1.0
    """

    BUSINESS_CREATED = "business.created"
    SCHEMA_CHANGED = "business.schema_changed"
    SETTINGS_CHANGED = "business.settings_changed"
    CARD_CREATED = "card.created"
    CARD_DETAILS_CHANGED = "card.details_changed"
    CARD_STATUS_CHANGED = "card.status_changed"
    CARD_DELETED = "card.deleted"
    CARD_MERGED = "card.merged"
    """Another card was merged into this one (``related_card_id``) and deleted; ``fields``
    names the fields the merge changed."""
    CARD_MERGE_UNDONE = "card.merge_undone"
    """A merge was undone: this card is as it was, and ``related_card_id`` is back."""
    CONSENT_CHANGED = "consent.changed"
    """A grant, withdrawal or objection was recorded; ``fields`` names ``purpose.channel``
    (or ``objection``), so other systems that message the client can follow."""
    APPOINTMENT_RECORDED = "appointment.recorded"
    APPOINTMENT_CHANGED = "appointment.changed"
    """An appointment's status, time or details changed; ``fields`` names what."""
    PAYMENT_RECORDED = "payment.recorded"
    PAYMENT_CHANGED = "payment.changed"
    DOCUMENT_SHARED = "document.shared"
    CONVERSATION_RECORDED = "conversation.recorded"
    CLIENT_BLOCKED = "client.blocked"
    """A client was blacklisted; the host's booking flow should refuse them too."""
    CLIENT_UNBLOCKED = "client.unblocked"
    PROMOTION_CHANGED = "promotion.changed"
    """A promotion was defined or retired (``fields``: ``retired``); ``record_id`` is
    its code."""
    PROMOTION_REDEEMED = "promotion.redeemed"
    """A client redeemed a promotion; ``record_id`` is the redemption."""
    GROUP_CHANGED = "group.changed"
    """A client group was defined or redefined; ``record_id`` is its key. Clients moving
    between groups are ``card.details_changed`` events naming ``client_group``."""
    PHOTO_ADDED = "photo.added"
    """A photo was added to a client's gallery; ``record_id`` is the photo."""
    PHOTO_REMOVED = "photo.removed"
    """A photo was removed from a client's gallery; ``record_id`` is the photo."""
    CARD_ERASED = "card.erased"
    """A client was erased (:meth:`~clientcard.erasure.service.ErasureService.run`): erase
    them in the host's other systems too. The event names the card; its receipt says what
    was done."""
    AUDIT_APPENDED = "audit.appended"
    """An entry was appended to the business's privacy audit trail: ``record_id`` is the
    entry's record, ``card_id`` the client it names (if any) and ``audit_head`` the
    chain's new head ``(seq, hash)``. Keep the newest head where the database can't reach
    it and check the trail against it (``desk.audit.verify(expected_head=...)``): then
    entries removed from the end, even all of them with the stored head, show."""


@attrs.frozen
class DomainEvent:
    """One change, as the host's other systems hear of it.

    .. versionadded:: 0.1.0
    """

    event_id: str
    kind: EventKind
    business_id: str
    occurred_at: dt.datetime
    card_id: str | None = None
    card_version: int | None = None
    fields: tuple[str, ...] = ()
    """Sorted names of the fields that changed (for details changes)."""
    record_id: str | None = None
    """The appointment, payment, block or other record the event is about, if any."""
    related_card_id: str | None = None
    """The other card of a merge (the one merged in, or restored by an undo)."""
    audit_head: tuple[int, str] | None = None
    """For ``audit.appended``: the audit chain's head ``(seq, hash)`` after the entry."""


class EventSink(Protocol):
    """**Protocol:** the host's hook to keep its other systems in step.

    ``publish`` is called after the change committed, once per event, in order. If it
    raises, the event stays in the outbox and is offered again by
    :meth:`clientcard.book.Admin.deliver_pending`; a sink must therefore tolerate
    seeing an event twice (``event_id`` identifies it).

    .. versionadded:: 0.1.0
    """

    def publish(self, event: DomainEvent) -> None:
        """Deliver one event."""
        ...
