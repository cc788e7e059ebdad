"""E-mail addresses, validated and normalised with email-validator.

Internationalised addresses are accepted. The domain is lower-cased and IDNA-normalised;
the local part keeps its case, as mail servers may treat it as case-sensitive, and
:func:`lookup_key` gives the key under which an address is looked up and compared.

The key never makes two mailboxes one: only ASCII letters are lower-cased, the rest of
the local part is compared exactly (after NFC, so the same text typed composed or
decomposed is one address), and the domain is compared in its ASCII IDNA form
(RFC 5891, UTS #46 non-transitional: ``straße.de`` and ``strasse.de`` are two domains).
``str.casefold`` would merge ``straße@`` with ``strasse@``, ``\ufb00@`` with ``ff@``,
``\u017f@`` with ``s@`` and ``\u03c2@`` with ``\u03c3@`` -- different people's mailboxes.

>>> normalize("Anna.Rossi@Example.COM")
'Anna.Rossi@example.com'
>>> lookup_key("Anna.Rossi@example.com")
'anna.rossi@example.com'
>>> lookup_key("Straße@Bücher.de")
'straße@xn--bcher-kva.de'

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import unicodedata
from typing import Final

import email_validator
import idna

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


_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def lookup_key(address: str) -> str:
    """Return the key under which an address is looked up and compared.

    Two addresses have one key exactly when they name one mailbox as far as the
    library can tell: ASCII letters are lower-cased, the rest of the local part is kept
    as it is after NFC, and the domain is put in its ASCII IDNA form, lower-cased (see
    the module docs). Every e-mail comparison of the library goes through this one
    function: card lookups and search, duplicates and merges, blocks, suppression and
    portal logins. Text that is no address (part of one, typed in a search box) is
    keyed the same way.
    """
    if address.isascii():
        # Most addresses: NFC and IDNA change nothing in ASCII (an A-label is ASCII).
        return address.translate(_ASCII_LOWER)
    text = unicodedata.normalize("NFC", address)
    local, at, domain = text.rpartition("@")
    if not at:
        return text.translate(_ASCII_LOWER)
    return f"{local.translate(_ASCII_LOWER)}@{_domain_key(domain)}"


def _domain_key(domain: str) -> str:
    if domain.isascii():
        return domain.translate(_ASCII_LOWER)
    try:
        return idna.encode(domain, uts46=True).decode("ascii").translate(_ASCII_LOWER)
    except UnicodeError:  # idna.IDNAError, and the codec's own errors
        # Not a domain (a search's unfinished term, say): compared as typed.
        return domain.translate(_ASCII_LOWER)
