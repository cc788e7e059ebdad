"""The notifier protocol: how a message leaves, in the host's own way.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from typing import Protocol

from clientcard.errors import ClientCardError
from clientcard.messaging.message import OutgoingMessage

__all__ = ["DeliveryError", "Notifier"]


class DeliveryError(ClientCardError):
    """A notifier could not hand a message over.

    ``reason`` is a machine code (``rejected_recipient``, ``unavailable``,
    ``authentication``, ...); ``retryable`` says whether trying again later may work.

    .. versionadded:: 0.1.0
    """

    def __init__(self, reason: str, *, retryable: bool) -> None:
        self.reason = reason
        self.retryable = retryable
        super().__init__(f"delivery failed: {reason}")


class Notifier(Protocol):
    """**Protocol:** sends one message on one channel.

    ``send`` returns the provider's id for the message, or raises
    :class:`DeliveryError`. It receives only messages an allowing decision let through
    and :func:`~clientcard.messaging.message.check_message` accepted; it should treat
    ``message.message_id`` as an idempotency key where its provider offers one.

    .. versionadded:: 0.1.0
    """

    def send(self, message: OutgoingMessage) -> str:
        """Send ``message``; return the provider's id for it."""
        ...
