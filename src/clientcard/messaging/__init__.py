"""Messaging: outgoing messages, templates, the notifier protocol and an SMTP notifier.

A book sends messages once it is made with :class:`MessagingSettings`
(``ClientBook(store, messaging=MessagingSettings(...))``); each business's messages are
then ``book.business(id).messaging`` (see :mod:`clientcard.messaging.service`). This
package holds the pure parts only.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.messaging.message import OutgoingMessage, check_message
from clientcard.messaging.notifier import DeliveryError, Notifier
from clientcard.messaging.sends import DispatchReport, SendStatus
from clientcard.messaging.settings import MessagingSettings
from clientcard.messaging.smtp import SMTPNotifier
from clientcard.messaging.starter import STARTER_KEYS, starter_template, starter_templates
from clientcard.messaging.templates import PLACEHOLDERS, MessageTemplate, TemplateText

__all__ = [
    "PLACEHOLDERS",
    "STARTER_KEYS",
    "DeliveryError",
    "DispatchReport",
    "MessageTemplate",
    "MessagingSettings",
    "Notifier",
    "OutgoingMessage",
    "SMTPNotifier",
    "SendStatus",
    "TemplateText",
    "check_message",
    "starter_template",
    "starter_templates",
]
