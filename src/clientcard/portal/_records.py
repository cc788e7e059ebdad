"""The stored accounts and one-time links of one business's portal.

An account is filed under its card; its login is kept unique by a second record whose
id is the login's keyed fingerprint (the store refuses a duplicate id). A link stores
only the SHA-256 of its token; a link that is sent is minted from the host's secret as
its message goes out, so the queue holds none either.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import secrets
import uuid
from typing import Final
from urllib.parse import quote

import attrs

from clientcard._core import Core
from clientcard.contact.email import lookup_key
from clientcard.errors import ConfigurationError, DuplicateError, NotFoundError, ValidationError
from clientcard.portal._throttles import Throttles
from clientcard.portal.accounts import (
    ACCOUNT_KIND,
    LINK_KIND,
    LOGIN_KIND,
    THROTTLE_KIND,
    LinkPurpose,
    PortalAccount,
    SignInLink,
    Throttle,
    token_digest,
)
from clientcard.portal.model import AuthenticationError
from clientcard.portal.settings import PortalSettings
from clientcard.storage.records import Record, RecordQuery

__all__ = ["Accounts", "Links", "invalid"]

_TOKEN_BYTES: Final = 32


def invalid(field: str, code: str) -> ValidationError:
    """The ValidationError of one field and code."""
    return ValidationError.of(field, code)


class Accounts:
    """The portal accounts of one business and the claims that keep logins unique."""

    def __init__(self, core: Core, business_id: str, throttles: Throttles) -> None:
        self._core = core
        self._business_id = business_id
        self._throttles = throttles

    def of_card(self, card_id: str) -> tuple[PortalAccount, int] | None:
        """The card's account and its stored revision, or ``None``."""
        try:
            record = self._core.store.get_record(self._business_id, ACCOUNT_KIND, card_id)
        except NotFoundError:
            return None
        return PortalAccount.from_record(record), record.revision

    def by_login(self, login_key: str) -> tuple[PortalAccount, int] | None:
        """The account of a login (by its e-mail key), and its stored revision, or ``None``."""
        query = RecordQuery(kind=ACCOUNT_KIND, key=lookup_key(login_key))
        page = self._core.store.find_records(self._business_id, query, limit=1)
        if not page.items:
            return None
        return PortalAccount.from_record(page.items[0]), page.items[0].revision

    def save(self, account: PortalAccount, revision: int) -> None:
        """Store a changed account read at ``revision``; a change since is a conflict."""
        self._core.store.update_record(
            account.to_record(revision=revision + 1), expected_revision=revision
        )

    def claim_login(self, account: PortalAccount) -> None:
        """File the record whose key makes a login unique within the business.

        A claim filed under a key its account's login no longer has is stale, and is
        replaced: logins claimed before e-mail keys kept mailboxes apart (migration 8)
        were claimed under ``str.casefold``, which may equal another mailbox's key now.
        Such an account has no claim under its new key, so the accounts' own login
        keys are read too.

        :raises ValidationError: ``portal.login_taken``.
        """
        holder = self.by_login(account.login)
        if holder is not None and holder[0].id != account.id:
            raise invalid("email", "portal.login_taken")
        claim = Record(
            business_id=self._business_id,
            kind=LOGIN_KIND,
            id=self._login_claim(account),
            at=self._core.clock.now(),
            doc={"account_id": account.id},
            card_id=account.card_id,
        )
        try:
            self._core.store.add_records([claim])
        except DuplicateError:
            if not self._is_stale(claim.id):
                raise invalid("email", "portal.login_taken") from None
            self._core.store.delete_records(
                self._business_id, kind=LOGIN_KIND, record_ids=[claim.id]
            )
            self._core.store.add_records([claim])

    def _is_stale(self, claim_id: str) -> bool:
        """Whether the claim under ``claim_id`` is no longer its account's login's claim."""
        try:
            found = self._core.store.get_record(self._business_id, LOGIN_KIND, claim_id)
        except NotFoundError:
            return True
        owner = self.of_card(found.card_id) if found.card_id is not None else None
        return (
            owner is None
            or owner[0].id != found.doc.get("account_id")
            or self._login_claim(owner[0]) != claim_id
        )

    def release_login(self, account: PortalAccount) -> None:
        """Drop the claim of the account's login (it is moving to another)."""
        self._core.store.delete_records(
            self._business_id, kind=LOGIN_KIND, record_ids=[self._login_claim(account)]
        )

    def _login_claim(self, account: PortalAccount) -> str:
        return self._throttles.fingerprint("login", lookup_key(account.login))


class Links:
    """The one-time links of one business's portal."""

    def __init__(
        self, core: Core, business_id: str, settings: PortalSettings, accounts: Accounts
    ) -> None:
        self._core = core
        self._business_id = business_id
        self._settings = settings
        self._accounts = accounts

    def url(self) -> str:
        """The settings' ``link_url``, the template of every link's address.

        :raises ConfigurationError: the settings have none.
        """
        if self._settings.link_url is None:
            raise ConfigurationError(
                "portal",
                "the portal settings have no link_url, the address of the host's link "
                'page: pass portal=PortalSettings(link_url="https://.../{token}") to ClientBook',
            )
        return self._settings.link_url

    def address(self, token: str) -> str:
        """The address of the link ``token``: :meth:`url` with the token and business id.

        :raises ConfigurationError: the settings have no ``link_url``.
        """
        return (
            self.url()
            .replace("{token}", token)
            .replace("{business_id}", quote(self._business_id, safe=""))
        )

    def mint(self, key: bytes, link_id: str) -> str:
        """The token of a link minted with ``key`` (HMAC-SHA256 of the business and id)."""
        message = f"clientcard.portal.link\x00{self._business_id}\x00{link_id}"
        digest = hmac.digest(key, message.encode("utf-8", "surrogatepass"), "sha256")
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def issue(
        self, account: PortalAccount, purpose: LinkPurpose, *, key: bytes | None = None
    ) -> tuple[str, str]:
        """Make a link for ``account``, voiding its earlier ones; return its id and token.

        Without ``key`` the token is random and only the caller ever has it; with one it
        is minted from the key and the link's id, so whoever holds the key can make it
        again when the link is sent, and the store holds no usable token meanwhile.
        """
        link_id = str(uuid.uuid4())
        token = self.mint(key, link_id) if key is not None else secrets.token_urlsafe(_TOKEN_BYTES)
        now = self._core.clock.now()
        link = SignInLink(
            id=link_id,
            business_id=self._business_id,
            card_id=account.card_id,
            account_id=account.id,
            digest=token_digest(token),
            purpose=purpose,
            issued_at=now,
            expires_at=now + self._settings.link_lifetime,
            credential_version=account.credential_version,
        )

        def work() -> None:
            self.void(account.card_id)
            self._core.store.add_records([link.to_record()])

        self._core.write(work)
        return link_id, token

    def void(self, card_id: str) -> None:
        """Delete every link of a card's account (its login or password changed)."""
        self._core.store.delete_records(self._business_id, card_id=card_id, kind=LINK_KIND)

    def use(self, link: SignInLink, revision: int, now: dt.datetime) -> None:
        """Mark a link read at ``revision`` used; a use since is a conflict."""
        used = attrs.evolve(link, used_at=now)
        self._core.store.update_record(
            used.to_record(revision=revision + 1), expected_revision=revision
        )

    def pending(self, card_id: str, link_id: str, key: bytes) -> str | None:
        """The token of a card's link ``link_id`` minted with ``key``, if it may be used."""
        try:
            record = self._core.store.get_record(self._business_id, LINK_KIND, link_id)
        except NotFoundError:
            return None
        link = SignInLink.from_record(record)
        token = self.mint(key, link_id)
        found = self._accounts.of_card(card_id)
        if (
            link.card_id != card_id
            # Another key (the host's secret changed) makes another token: not this link.
            or not hmac.compare_digest(link.digest, token_digest(token))
            or link.used_at is not None
            or link.expires_at <= self._core.clock.now()
            or found is None
            or found[0].id != link.account_id
            or found[0].credential_version != link.credential_version
        ):
            return None
        return token

    def valid(self, token: str) -> tuple[SignInLink, int, PortalAccount]:
        """The link a token opens, its revision and account, if it may be used. Reads only.

        :raises AuthenticationError: ``portal.link_invalid``.
        """
        now = self._core.clock.now()
        digest = token_digest(token)
        page = self._core.store.find_records(
            self._business_id, RecordQuery(kind=LINK_KIND, key=digest), limit=1
        )
        if not page.items:
            raise AuthenticationError("portal.link_invalid")
        record = page.items[0]
        link = SignInLink.from_record(record)
        found = self._accounts.of_card(link.card_id)
        # The lookup matched on the digest; compare again in constant time anyway.
        if (
            not hmac.compare_digest(link.digest, digest)
            or link.used_at is not None
            or link.expires_at <= now
            or found is None
            or found[0].id != link.account_id
            or found[0].credential_version != link.credential_version
        ):
            raise AuthenticationError("portal.link_invalid")
        return link, record.revision, found[0]

    def purge(self, throttles: Throttles) -> int:
        """Delete used and expired links and stale sign-in counters; return how many."""
        now = self._core.clock.now()
        store = self._core.store
        stale: dict[str, list[str]] = {LINK_KIND: [], THROTTLE_KIND: []}
        for kind, ids in stale.items():
            for record in self._core.iter_records(self._business_id, RecordQuery(kind=kind)):
                if kind == LINK_KIND:
                    link = SignInLink.from_record(record)
                    if link.used_at is not None or link.expires_at <= now:
                        ids.append(record.id)
                elif throttles.is_stale(Throttle.from_record(record), now):
                    ids.append(record.id)
        return sum(
            store.delete_records(self._business_id, kind=kind, record_ids=ids)
            for kind, ids in stale.items()
            if ids
        )
