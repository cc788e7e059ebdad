"""Messaging: outgoing messages, templates, the notifier protocol and an SMTP notifier.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.messaging.message import OutgoingMessage, check_message
from clientcard.messaging.notifier import DeliveryError, Notifier
from clientcard.messaging.smtp import SMTPNotifier
from clientcard.messaging.starter import STARTER_KEYS, starter_template, starter_templates
from clientcard.messaging.templates import PLACEHOLDERS, MessageTemplate, TemplateText

__all__ = [
    "PLACEHOLDERS",
    "STARTER_KEYS",
    "DeliveryError",
    "MessageTemplate",
    "Notifier",
    "OutgoingMessage",
    "SMTPNotifier",
    "TemplateText",
    "check_message",
    "starter_template",
    "starter_templates",
]
