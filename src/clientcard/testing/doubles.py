"""Test doubles a host can use in its own tests.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.events import DomainEvent
from clientcard.messaging.message import OutgoingMessage, check_message

__all__ = ["FailingEventSink", "ListEventSink", "RecordingNotifier"]


class ListEventSink:
    """An event sink that keeps every event it is given, in order, in :attr:`events`.

    .. versionadded:: 0.1.0
    """

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def publish(self, event: DomainEvent) -> None:
        """Record ``event``."""
        self.events.append(event)

    def kinds(self) -> list[str]:
        """The kinds of the recorded events, as strings, in order."""
        return [event.kind.value for event in self.events]


class FailingEventSink:
    """An event sink that raises on every call until :attr:`broken` is set to ``False``.

    Then it records like :class:`ListEventSink`; it proves events survive a sink outage.

    .. versionadded:: 0.1.0
    """

    def __init__(self) -> None:
        self.broken = True
        self.events: list[DomainEvent] = []

    def publish(self, event: DomainEvent) -> None:
        """Raise ``ConnectionError`` while broken, else record ``event``."""
        if self.broken:
            raise ConnectionError("event sink unavailable")
        self.events.append(event)


class RecordingNotifier:
    """A notifier that keeps every message it is asked to send, in :attr:`sent`.

    It checks each message as a real notifier would, so a test sees the same refusals.

    .. versionadded:: 0.1.0
    """

    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []
        self.duplicates = 0
        """How many messages arrived again with an id already sent (and were dropped)."""

    def send(self, message: OutgoingMessage) -> str:
        """Record ``message`` once per message id; return the id as the provider's id.

        Like a provider honouring an idempotency key, a message id seen before is
        counted in :attr:`duplicates` and not recorded again.
        """
        checked = check_message(message)
        if any(sent.message_id == message.message_id for sent in self.sent):
            self.duplicates += 1
        else:
            self.sent.append(checked)
        return message.message_id
