"""Keyed fingerprints of contact details: match a person without keeping who they are.

A blacklist must catch a blocked person who books again under a new card, and a "do not
contact" request may have to outlive the client's erasure. Both need to recognise an
e-mail address or a phone number later without storing it: a fingerprint is an
HMAC-SHA256 of the normalised value under a secret key, so the same address always
gives the same fingerprint, and nobody without the key can test guesses against it.

Under the GDPR a keyed hash is still *pseudonymous* personal data, not anonymous: whoever
holds the key can check whether a given address is on the list. Keep the key outside
the database, and keep fingerprints only where a policy says so.

>>> key = derive_key(b"host secret, 32 random bytes ...", "salon-1")
>>> email_fingerprint(key, "Anna@Example.com") == email_fingerprint(key, "anna@example.com")
True
>>> phone_fingerprint(key, "+393331234567").startswith("phone:")
True

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Final

from clientcard.contact.email import lookup_key

__all__ = [
    "MIN_SECRET_BYTES",
    "StoredKeyWarning",
    "contact_fingerprints",
    "derive_key",
    "email_fingerprint",
    "phone_fingerprint",
]

MIN_SECRET_BYTES: Final = 16
"""The shortest secret :func:`derive_key` accepts (32 random bytes are recommended)."""


class StoredKeyWarning(UserWarning):
    """A book keeps its fingerprint keys in the database, beside the fingerprints.

    Issued (and logged) when a :class:`~clientcard.book.ClientBook` is made on a store
    that keeps data (anything but :class:`~clientcard.storage.memory.MemoryStore`)
    without a ``fingerprint_secret``. Each business's key is then a random one stored
    with its data: everything works, but whoever has a copy of the database can test
    a guessed e-mail address or phone number against the fingerprints of blocked and
    suppressed contacts, erased clients' included. Pass ``fingerprint_secret`` (32
    random bytes kept outside the database; the CLI reads
    ``CLIENTCARD_FINGERPRINT_SECRET``). It is a warning, not an error, because a
    secret changes every key: a deployment that has stored keys must move its
    fingerprints first (see the storage docs).

    .. versionadded:: 0.1.0
    """


def derive_key(secret: bytes, business_id: str) -> bytes:
    """Derive one business's fingerprint key from the host's secret.

    Separate keys per business keep one business's fingerprints from being matched
    against another's.

    :raises ValueError: the secret is shorter than :data:`MIN_SECRET_BYTES`.
    """
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"a fingerprint secret needs at least {MIN_SECRET_BYTES} bytes")
    return hmac.digest(secret, b"clientcard.fingerprint\x00" + business_id.encode(), "sha256")


def _fingerprint(key: bytes, label: str, value: str) -> str:
    digest = hmac.digest(key, f"{label}\x00{value}".encode(), hashlib.sha256)
    return f"{label}:{digest.hex()}"


def email_fingerprint(key: bytes, normalized_email: str) -> str:
    """The fingerprint of an e-mail address (compared as :func:`lookup_key` compares)."""
    return _fingerprint(key, "email", lookup_key(normalized_email))


def phone_fingerprint(key: bytes, e164: str) -> str:
    """The fingerprint of a phone number in E.164 form."""
    return _fingerprint(key, "phone", e164)


def contact_fingerprints(key: bytes, *, email: str | None, phones: Iterable[str]) -> frozenset[str]:
    """Every fingerprint of a card's e-mail address and phone numbers."""
    prints = {phone_fingerprint(key, number) for number in phones}
    if email:
        prints.add(email_fingerprint(key, email))
    return frozenset(prints)
