"""What the history service returns for a card's screens: its history tab and its header.

Both are pure values the :class:`~clientcard.history.service.HistoryService` assembles
from the records it reads (``history.get(card_id)`` and ``history.overview(card_id)``).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt

import attrs

from clientcard.cards.card import CardStatus
from clientcard.history.model import Appointment, ConversationEntry, Payment, SharedDocument
from clientcard.money import Money

__all__ = ["CardOverview", "ClientHistory"]


@attrs.frozen
class ClientHistory:
    """Everything that happened with one client, as a card's history tab shows it.

    .. versionadded:: 0.1.0
    """

    upcoming: tuple[Appointment, ...]
    """Booked appointments from now on, soonest first."""
    past: tuple[Appointment, ...]
    """Every other appointment, latest first."""
    payments_received: tuple[Payment, ...]
    """Payments the business received, oldest first."""
    payments_pending: tuple[Payment, ...]
    """Payments still due from the client, oldest first."""
    documents: tuple[SharedDocument, ...]
    """Documents shared with the client, latest first."""
    timeline: tuple[ConversationEntry, ...]
    """Messages either way and invoices, latest first."""


@attrs.frozen
class CardOverview:
    """What a host shows at the top of a card.

    ``important_notes`` are the card's notes; ``blocked`` whether a block applies now.

    .. versionadded:: 0.1.0
    """

    card_id: str
    """The card's id."""
    # Client data stays out of repr (ids, kinds and counts only): a value may be logged.
    display_name: str = attrs.field(repr=False)
    """The name to show for the client."""
    picture: str | None = attrs.field(repr=False)
    """The card's picture reference, if it has one."""
    status: CardStatus
    """The card's status."""
    next_bookings: tuple[Appointment, ...]
    """The next three booked appointments, soonest first."""
    future_bookings: int = attrs.field(repr=False)
    """How many booked appointments lie ahead, all of them."""
    average_spend: Money | None = attrs.field(repr=False)
    """The average spend of a completed visit; ``None`` before the first one."""
    last_appointment: dt.datetime | None = attrs.field(repr=False)
    """When the client's last completed appointment started."""
    important_notes: str = attrs.field(repr=False)
    """The card's notes."""
    blocked: bool = attrs.field(repr=False)
    """Whether a block of the client applies now."""
    active_promotions: tuple[str, ...] = attrs.field(default=(), repr=False)
    """The codes of the promotions the client could redeem now."""
