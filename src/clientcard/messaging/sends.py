"""Sends: the record of every message the book sent, skipped or gave up on.

A :class:`Send` is written when a message is queued and updated as it moves on; the
store keeps them (:meth:`~clientcard.storage.protocol.ClientStore.add_sends` and
friends), so a restart picks up where a crash left off. A send holds ids, the purpose and
channel, the template key and the outcome -- never an address or a text, which are
rendered from the card at the moment of sending.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import attrs

from clientcard.consent.purposes import Channel, Purpose

__all__ = ["MINTED_LINK", "DispatchReport", "Send", "SendScope", "SendStatus"]

MINTED_LINK: Final = "clientcard:minted_link"
"""The send value under which the portal files a queued link's id instead of the link.

The engine asks the portal for the link (``portal.minted_link``) as it sends the
message and fills the template's ``link`` with it; the queue never holds a usable token.
A link voided meanwhile skips the send (``link_invalid``).

.. versionadded:: 0.1.0
"""


class SendStatus(enum.Enum):
    """Where a send stands.

    .. versionadded:: 0.1.0
    """

    QUEUED = "queued"
    SENDING = "sending"
    """Claimed for sending; offered again if its lease runs out (a crash)."""
    SENT = "sent"
    SKIPPED = "skipped"
    """Not sent, on purpose: ``reason`` says why (a decision, a missing card)."""
    FAILED = "failed"
    """The notifier refused it for good, or every attempt failed."""

    @property
    def is_final(self) -> bool:
        """Tell whether nothing more will happen to the send."""
        return self in (SendStatus.SENT, SendStatus.SKIPPED, SendStatus.FAILED)


def _freeze(values: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(values))


@attrs.frozen(repr=False)
class Send:
    """One message to one client, from queueing to its outcome.

    ``send_id`` is also the message id the notifier sees, the same on every attempt.
    ``dedupe_key``, when set, is unique in the store: queueing it twice adds it once
    (scheduled messages use it to stay idempotent).

    .. versionadded:: 0.1.0
    """

    send_id: str
    batch_id: str
    business_id: str
    card_id: str
    purpose: Purpose
    channel: Channel
    template_key: str
    status: SendStatus
    queued_at: dt.datetime
    updated_at: dt.datetime
    attempts: int = 0
    reason: str | None = None
    provider_id: str | None = None
    dedupe_key: str | None = None
    not_before: dt.datetime | None = None
    """A queued send waits until then (the end of the business's quiet hours)."""
    values: Mapping[str, str] = attrs.field(factory=dict, converter=_freeze, hash=False)
    """Template values the host supplied (``appointment_time``, ...); emptied once the send
    has its outcome, so a one-time link in them is not kept."""

    def __repr__(self) -> str:
        # Values may carry personal data or a live link; ids and state only.
        return (
            f"Send(send_id={self.send_id!r}, card_id={self.card_id!r},"
            f" template_key={self.template_key!r}, status={self.status.value},"
            f" attempts={self.attempts})"
        )


@attrs.frozen
class SendScope:
    """Which sends a book may claim: its templates, its channels, maybe one business.

    A book claims only what its messaging settings can render and deliver, so two books
    sharing a store (a command-line run beside the host's) never take each other's
    sends; a business's own ``flush`` claims that business's sends only.

    .. versionadded:: 0.1.0
    """

    template_keys: frozenset[str]
    channels: frozenset[Channel]
    business_id: str | None = None

    def covers(self, send: Send) -> bool:
        """Tell whether ``send`` is in this scope."""
        return (
            send.template_key in self.template_keys
            and send.channel in self.channels
            and (self.business_id is None or send.business_id == self.business_id)
        )


@attrs.frozen
class DispatchReport:
    """How a batch went: how many were sent, skipped and failed, and why.

    ``skipped`` and ``failed`` count sends by reason (a decision's code such as
    ``no_consent``, or a notifier's such as ``unavailable``); ``pending`` are still on
    their way (queued, backing off, or waiting out quiet hours).

    .. versionadded:: 0.1.0
    """

    batch_id: str
    sent: int
    skipped: Mapping[str, int]
    failed: Mapping[str, int]
    pending: int

    @property
    def total(self) -> int:
        """Every recipient of the batch."""
        return self.sent + sum(self.skipped.values()) + sum(self.failed.values()) + self.pending
