"""Outgoing messages and the checks every one passes before a notifier sees it.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from typing import Final

import attrs

from clientcard.consent.purposes import Channel, Purpose
from clientcard.contact import email as _email
from clientcard.contact import phone as _phone
from clientcard.errors import FieldIssue, InvalidValueError, ValidationError

__all__ = ["MAX_SMS_LENGTH", "MAX_SUBJECT_LENGTH", "OutgoingMessage", "check_message"]

MAX_SUBJECT_LENGTH: Final = 200
"""The longest subject kept; RFC 5322 lines stop at 998 characters, inboxes much sooner."""
MAX_SMS_LENGTH: Final = 1600
"""Ten concatenated SMS segments; longer texts are refused rather than cut."""
MAX_BODY_LENGTH: Final = 100_000
_BREAKS: Final = frozenset("\r\n\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


@attrs.frozen(repr=False)
class OutgoingMessage:
    """One message to one client on one channel, rendered and ready to send.

    ``message_id`` is unique and stable: a notifier may use it to refuse a duplicate.
    ``repr()`` shows ids, purpose and channel, never the address or the text.

    .. versionadded:: 0.1.0
    """

    message_id: str
    business_id: str
    card_id: str
    purpose: Purpose
    channel: Channel
    to: str
    """An e-mail address, or an E.164 number for SMS and WhatsApp."""
    body: str
    subject: str | None = None
    unsubscribe_url: str | None = None

    def __repr__(self) -> str:
        return (
            f"OutgoingMessage(message_id={self.message_id!r}, card_id={self.card_id!r}, "
            f"purpose={self.purpose.value}, channel={self.channel.value})"
        )


def check_message(message: OutgoingMessage) -> OutgoingMessage:
    """Refuse what no notifier should be handed; return the message as it will be sent.

    E-mail needs a valid address and a one-line subject (a line break would let text
    inject headers); SMS needs a mobile number and fits ten segments; every text has a
    size limit. The address comes back normalised.

    :raises ValidationError: every problem found.
    """
    issues: list[FieldIssue] = []
    to = message.to
    try:
        if message.channel is Channel.EMAIL:
            to = _email.normalize(message.to)
        elif message.channel in (Channel.SMS, Channel.WHATSAPP):
            to = _phone.normalize(message.to, "IT", require_mobile=True)
    except InvalidValueError as error:
        issues.append(FieldIssue("to", error.code, "the address can't receive this channel"))
    for field, text in (("subject", message.subject), ("unsubscribe_url", message.unsubscribe_url)):
        # Any character str.splitlines() breaks on (\v, \f, \x1c-\x1e, \x85, U+2028...)
        # could end a header line somewhere along the way, not only \r and \n.
        if text is not None and (len(text.splitlines()) > 1 or _BREAKS & set(text)):
            issues.append(FieldIssue(field, "message.header_injection", "one line only"))
    if message.channel is Channel.EMAIL:
        if not message.subject or not message.subject.strip():
            issues.append(FieldIssue("subject", "field.required", "an e-mail needs a subject"))
        elif len(message.subject) > MAX_SUBJECT_LENGTH:
            issues.append(FieldIssue("subject", "message.too_long", "the subject is too long"))
    limit = MAX_SMS_LENGTH if message.channel is Channel.SMS else MAX_BODY_LENGTH
    if not message.body.strip():
        issues.append(FieldIssue("body", "field.required", "a message needs a text"))
    elif len(message.body) > limit:
        issues.append(FieldIssue("body", "message.too_long", f"at most {limit} characters"))
    if "\x00" in message.body:
        issues.append(FieldIssue("body", "text.invalid_character", "no NUL characters"))
    if issues:
        raise ValidationError(issues)
    return attrs.evolve(message, to=to)
