"""E-mail addresses, validated and normalised with email-validator.

Internationalised addresses are accepted. The domain is lower-cased and IDNA-normalised;
the local part keeps its case, as mail servers may treat it as case-sensitive, and
:func:`lookup_key` gives the case-folded form used to find a client by e-mail.

>>> normalize("Anna.Rossi@Example.COM")
'Anna.Rossi@example.com'
>>> lookup_key("Anna.Rossi@example.com")
'anna.rossi@example.com'

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from typing import Final

import email_validator

from clientcard.errors import InvalidValueError

__all__ = ["is_valid", "lookup_key", "normalize"]

MAX_INPUT_LENGTH: Final = 320
"""Longer input is refused before parsing (RFC 3696 caps an address at 320 octets)."""


def normalize(raw: object, *, check_deliverability: bool = False) -> str:
    """Return the normalised address.

    ``check_deliverability`` asks DNS whether the domain accepts mail; it is off by
    default because it needs the network and slows every validation down.

    :raises InvalidValueError: ``email.invalid`` or ``email.undeliverable``.
    """
    if not isinstance(raw, str):
        raise InvalidValueError("email.invalid")
    text = raw.strip()
    if not text or len(text) > MAX_INPUT_LENGTH:
        raise InvalidValueError("email.invalid")
    try:
        result = email_validator.validate_email(text, check_deliverability=check_deliverability)
    except email_validator.EmailUndeliverableError:
        raise InvalidValueError("email.undeliverable") from None
    except email_validator.EmailNotValidError:
        raise InvalidValueError("email.invalid") from None
    return str(result.normalized)


def is_valid(raw: object) -> bool:
    """Tell whether ``raw`` is a valid address (no DNS check), without raising."""
    try:
        normalize(raw)
    except InvalidValueError:
        return False
    return True


def lookup_key(normalized: str) -> str:
    """Return the case-folded form under which a normalised address is looked up."""
    return normalized.casefold()
