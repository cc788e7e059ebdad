"""The stored shapes of portal accounts, one-time links and sign-in throttles.

All three are :class:`~clientcard.storage.records.Record` s: an account belongs to its
card (and goes when the card is erased); a link stores only the SHA-256 of its token; a
throttle counts failed sign-ins per login and per source under keyed fingerprints, so a
login nobody has is throttled exactly like one somebody has.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from typing import Final

import attrs

from clientcard.cards.serialization import record_document, record_value
from clientcard.contact.email import lookup_key
from clientcard.storage.records import Record

__all__ = [
    "ACCOUNT_KIND",
    "LINK_KIND",
    "LOGIN_KIND",
    "THROTTLE_KIND",
    "LinkPurpose",
    "PortalAccount",
    "SignInLink",
    "Throttle",
    "token_digest",
]

ACCOUNT_KIND: Final = "portal.account"
LOGIN_KIND: Final = "portal.login"
"""The record kind whose id (a keyed fingerprint of a login) keeps logins unique."""
LINK_KIND: Final = "portal.link"
THROTTLE_KIND: Final = "portal.throttle"


def token_digest(token: str) -> str:
    """The SHA-256 of a link token, as stored (the token itself never is)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@attrs.frozen(repr=False)
class PortalAccount:
    """A client's sign-in to a business's booking portal.

    ``login`` is the card's e-mail address when the account was made (compared by its
    :func:`~clientcard.contact.email.lookup_key`); ``credential_version`` goes up whenever
    the login or the password changes, which voids every link and session issued before.

    .. versionadded:: 0.1.0
    """

    id: str
    business_id: str
    card_id: str
    login: str
    created_at: dt.datetime
    credential_version: int = 1
    password_hash: str | None = attrs.field(default=None, repr=False)
    password_changed_at: dt.datetime | None = None
    last_sign_in_at: dt.datetime | None = None

    def __repr__(self) -> str:
        # The login is an e-mail address and the hash a secret: ids only.
        return (
            f"PortalAccount(id={self.id!r}, card_id={self.card_id!r},"
            f" credential_version={self.credential_version})"
        )

    def to_record(self, *, revision: int = 1) -> Record:
        """File the account under its card, looked up by its login."""
        return Record(
            business_id=self.business_id,
            kind=ACCOUNT_KIND,
            id=self.id,
            at=self.created_at,
            doc=record_document(self),
            card_id=self.card_id,
            key=lookup_key(self.login),
            revision=revision,
        )

    @classmethod
    def from_record(cls, record: Record) -> PortalAccount:
        """Read an account back."""
        return record_value(cls, record)


class LinkPurpose(enum.Enum):
    """What a one-time link does.

    .. versionadded:: 0.1.0
    """

    SIGN_IN = "sign_in"
    """Signs the client in without a password."""
    RESET = "reset"
    """Lets the client set a new password (and signs them in)."""


@attrs.frozen
class SignInLink:
    """A one-time link: single use, expiring, and void once the login or password changes.

    .. versionadded:: 0.1.0
    """

    id: str
    business_id: str
    card_id: str
    account_id: str
    digest: str = attrs.field(repr=False)
    purpose: LinkPurpose
    issued_at: dt.datetime
    expires_at: dt.datetime
    credential_version: int
    used_at: dt.datetime | None = None

    def to_record(self, *, revision: int = 1) -> Record:
        """File the link under its card, looked up by its token's digest."""
        return Record(
            business_id=self.business_id,
            kind=LINK_KIND,
            id=self.id,
            at=self.issued_at,
            doc=record_document(self),
            card_id=self.card_id,
            key=self.digest,
            revision=revision,
        )

    @classmethod
    def from_record(cls, record: Record) -> SignInLink:
        """Read a link back."""
        return record_value(cls, record, digest=record.key)


@attrs.frozen
class Throttle:
    """Failed sign-ins under one fingerprint (a login or a source) and the back-off.

    .. versionadded:: 0.1.0
    """

    id: str
    business_id: str
    failures: int
    first_failure_at: dt.datetime
    locked_until: dt.datetime | None = None
    last_failure_at: dt.datetime | None = None
    """The latest failure (``None`` in counters stored by earlier releases: the first is read)."""

    def to_record(self, *, revision: int = 1) -> Record:
        """File the throttle under its first failure."""
        return Record(
            business_id=self.business_id,
            kind=THROTTLE_KIND,
            id=self.id,
            at=self.first_failure_at,
            doc=record_document(self),
            revision=revision,
        )

    @classmethod
    def from_record(cls, record: Record) -> Throttle:
        """Read a throttle back."""
        return record_value(cls, record)
