"""Signed tokens for links in messages: unsubscribe, and confirming a double opt-in.

A token names ids and the purpose and channel it is for, never personal data, and is
signed with HMAC-SHA256 under a secret the host keeps (at least 32 random bytes, e.g.
``secrets.token_bytes(32)``). It can't be guessed or altered, it serves one kind of use
only (an unsubscribe token never confirms a subscription), and signatures are compared
in constant time. Confirmation tokens expire.

>>> secret = bytes(32)
>>> token = make_unsubscribe_token(secret, business_id="b1", card_id="c1",
...                                purpose=Purpose.MARKETING, channel=Channel.EMAIL)
>>> read_unsubscribe_token(secret, token).card_id
'c1'

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from typing import Final

import attrs

from clientcard.consent.purposes import Channel, Purpose
from clientcard.errors import ClientCardError

__all__ = [
    "TokenError",
    "TokenSubject",
    "make_confirmation_token",
    "make_unsubscribe_token",
    "read_confirmation_token",
    "read_unsubscribe_token",
]

_VERSION: Final = 1
_UNSUBSCRIBE: Final = "unsubscribe"
_CONFIRM: Final = "confirm"
_MIN_SECRET: Final = 32
_MAX_TOKEN: Final = 2048


class TokenError(ClientCardError, ValueError):
    """A token was refused.

    ``reason`` is ``malformed``, ``forged``, ``wrong_use``, ``expired`` or ``used``.

    .. versionadded:: 0.1.0
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"token refused: {reason}")


@attrs.frozen
class TokenSubject:
    """Who and what a valid token is about.

    .. versionadded:: 0.1.0
    """

    business_id: str
    card_id: str
    purpose: Purpose
    channel: Channel
    expires_at: dt.datetime | None = None
    ref: str | None = attrs.field(default=None, repr=False)
    """For a confirmation: the id of the ledger request it confirms."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest())


def _check_secret(secret: bytes) -> None:
    if len(secret) < _MIN_SECRET:
        raise ValueError(f"a token secret needs at least {_MIN_SECRET} bytes")


def _make(secret: bytes, use: str, subject: TokenSubject) -> str:
    _check_secret(secret)
    expires = subject.expires_at.isoformat() if subject.expires_at else None
    payload = [
        _VERSION,
        use,
        subject.business_id,
        subject.card_id,
        subject.purpose.value,
        subject.channel.value,
        expires,
        subject.ref,
    ]
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_signature(secret, body)}"


def _read(secret: bytes, token: object, use: str, for_business: str | None) -> TokenSubject:
    _check_secret(secret)
    if not isinstance(token, str) or len(token) > _MAX_TOKEN or token.count(".") != 1:
        raise TokenError("malformed")
    body, signature = token.split(".")
    try:
        expected = _signature(secret, body)
    except UnicodeEncodeError:
        raise TokenError("malformed") from None
    # compare_digest: how much of a forged signature matched must not show in the timing.
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise TokenError("forged")
    try:
        version, found_use, business_id, card_id, purpose, channel, expires, ref = json.loads(
            _unb64(body)
        )
        subject = TokenSubject(
            business_id=str(business_id),
            card_id=str(card_id),
            purpose=Purpose(purpose),
            channel=Channel(channel),
            expires_at=dt.datetime.fromisoformat(expires) if expires else None,
            ref=str(ref) if ref is not None else None,
        )
    except (ValueError, TypeError, binascii.Error):
        raise TokenError("malformed") from None
    if for_business is not None and subject.business_id != for_business:
        # Signed for another business (one host may share a secret between them): to
        # this one it is no token at all, refused as a bad signature is.
        raise TokenError("forged")
    if version != _VERSION or found_use != use:
        raise TokenError("wrong_use")
    return subject


def make_unsubscribe_token(
    secret: bytes, *, business_id: str, card_id: str, purpose: Purpose, channel: Channel
) -> str:
    """Make the token of an unsubscribe link for one purpose on one channel."""
    subject = TokenSubject(business_id, card_id, purpose, channel)
    return _make(secret, _UNSUBSCRIBE, subject)


def read_unsubscribe_token(
    secret: bytes, token: object, *, business_id: str | None = None
) -> TokenSubject:
    """Verify an unsubscribe token and say whom and what it is for.

    With ``business_id``, a token of any other business is refused as ``forged``.

    :raises TokenError: the token is malformed, forged or made for another use.
    """
    return _read(secret, token, _UNSUBSCRIBE, business_id)


def make_confirmation_token(
    secret: bytes,
    *,
    business_id: str,
    card_id: str,
    purpose: Purpose,
    channel: Channel,
    expires_at: dt.datetime,
    request_id: str,
) -> str:
    """Make the token of a double opt-in confirmation link, valid until ``expires_at``.

    ``request_id`` names the ledger request it confirms, so the link confirms that
    request only, once, and never a later one.
    """
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    subject = TokenSubject(business_id, card_id, purpose, channel, expires_at, request_id)
    return _make(secret, _CONFIRM, subject)


def read_confirmation_token(
    secret: bytes, token: object, *, now: dt.datetime, business_id: str | None = None
) -> TokenSubject:
    """Verify a double opt-in confirmation token at ``now``.

    With ``business_id``, a token of any other business is refused as ``forged``.

    :raises TokenError: malformed, forged, made for another use, or ``expired``.
    """
    subject = _read(secret, token, _CONFIRM, business_id)
    if subject.expires_at is None or now >= subject.expires_at:
        raise TokenError("expired")
    return subject
