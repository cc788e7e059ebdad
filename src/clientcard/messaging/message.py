"""Outgoing messages and the checks every one passes before a notifier sees it.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from email.policy import SMTP
from typing import Final

import attrs

from clientcard.consent.purposes import Channel, Purpose
from clientcard.contact import email as _email
from clientcard.contact import phone as _phone
from clientcard.errors import FieldIssue, InvalidValueError, ValidationError

__all__ = [
    "MAX_SMS_LENGTH",
    "MAX_SUBJECT_LENGTH",
    "OutgoingMessage",
    "breaks_a_header",
    "check_message",
]

MAX_SUBJECT_LENGTH: Final = 200
"""The longest subject kept; RFC 5322 lines stop at 998 characters, inboxes much sooner."""
MAX_SMS_LENGTH: Final = 1600
"""Ten concatenated SMS segments; longer texts are refused rather than cut."""
MAX_BODY_LENGTH: Final = 100_000
_BREAKS: Final = frozenset("\r\n\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
# An RFC 2047 encoded word, read as leniently as the laxest decoder does: anywhere in the
# text (glued to a word or not), any charset with or without an RFC 2231 language.
_ENCODED_WORD: Final = re.compile(r"=\?([^?]*)\?([qQbB])\?(.*?)\?=", re.DOTALL)
_DECODING_ROUNDS: Final = 4


def _decode_word(match: re.Match[str]) -> str:
    """The text of one encoded word (as latin-1 when its charset is unknown or lies)."""
    charset = match.group(1).partition("*")[0] or "ascii"
    encoded = match.group(3).encode("ascii", "surrogateescape")
    try:
        if match.group(2) in "qQ":
            raw = binascii.a2b_qp(encoded.replace(b"_", b" "))
        else:
            raw = base64.b64decode(encoded + b"=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        return match.group(0)
    try:
        codecs.lookup(charset)
        text = raw.decode(charset, "replace")
    except (LookupError, UnicodeError):
        text = raw.decode("latin-1")
    # A CR or LF byte is a break in any ASCII-based charset, whatever the charset says.
    return text + ("\n" if b"\r" in raw or b"\n" in raw else "")


def _has_break(text: str) -> bool:
    # Any character str.splitlines() breaks on (\v, \f, \x1c-\x1e, \x85, U+2028...)
    # could end a header line somewhere along the way, not only \r and \n.
    return len(text.splitlines()) > 1 or bool(_BREAKS & set(text))


def breaks_a_header(text: str) -> bool:
    """Tell whether ``text``, as a header value, holds a line break, decoded or not.

    A break hidden in an RFC 2047 encoded word (``=?utf-8?q?=0D=0ABcc:...?=``) counts:
    Python's e-mail package before its 2024 fix decoded such a word and wrote the break
    out raw, so the SMTP server read an extra header. Every encoded word is decoded the
    way the laxest reader would (glued to other text, any charset, base64 or quoted-
    printable, nested words decoded again), and the text is also read with the e-mail
    package's own header parser.

    >>> breaks_a_header("Novità di dicembre")
    False
    >>> breaks_a_header("hi=?utf-8?q?x=0D=0ABcc=3A_evil=40attacker.example?=")
    True
    """
    seen = text
    for _ in range(_DECODING_ROUNDS):
        if _has_break(seen):
            return True
        decoded = _ENCODED_WORD.sub(_decode_word, seen)
        if decoded == seen:
            break
        seen = decoded
    else:
        # Words within words within words: nothing a salon sends; refuse rather than guess.
        return True
    try:
        parsed = str(SMTP.header_factory("subject", text))
    except Exception:  # noqa: BLE001 - a header the parser can't read is not sent
        return True
    return _has_break(parsed)


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
    inject headers), also once its RFC 2047 encoded words are decoded
    (:func:`breaks_a_header`); SMS needs a mobile number and fits ten segments; every text has a
    size limit. The address comes back normalised.

    :raises ValidationError: every problem found.
    """
    issues: list[FieldIssue] = []
    to = message.to
    if message.channel is Channel.EMAIL and breaks_a_header(message.to):
        issues.append(FieldIssue("to", "message.header_injection", "one line only"))
    try:
        if message.channel is Channel.EMAIL:
            to = _email.normalize(message.to)
        elif message.channel in (Channel.SMS, Channel.WHATSAPP):
            to = _phone.normalize(message.to, "IT", require_mobile=True)
    except InvalidValueError as error:
        issues.append(FieldIssue("to", error.code, "the address can't receive this channel"))
    for field, text in (("subject", message.subject), ("unsubscribe_url", message.unsubscribe_url)):
        # Checked after decoding encoded words too: see breaks_a_header.
        if text is not None and breaks_a_header(text):
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
