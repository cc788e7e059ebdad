"""The client portal: accounts, sign-in, one-time links and self-service.

:class:`Portal` is what a host's portal pages call; it has no UI of its own. Every
self-service call takes the :class:`Principal` that sign-in returned and acts on that
client's own card only, after checking the account still exists and its credentials
have not changed since (a password or login change ends every older session).

Sign-in never tells an unknown login from a wrong password: both raise the same
:class:`AuthenticationError`, do the same store reads and writes, and spend one Argon2
verification (a decoy for the unknown login). Failed attempts are counted per login and
per source (an IP address, say) under keyed fingerprints, with exponential back-off.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import uuid
from collections.abc import Mapping
from typing import Final

import attrs

from clientcard.book import ClientBook
from clientcard.card import ClientCard
from clientcard.consent import (
    Channel,
    ConsentAction,
    ConsentSource,
    ConsentState,
    Purpose,
)
from clientcard.erasure.portability import SubjectData
from clientcard.erasure.requests import RequestKind, SubjectRequest
from clientcard.errors import (
    ClientCardError,
    DuplicateError,
    NotFoundError,
    ValidationError,
    VersionConflictError,
)
from clientcard.history import Appointment, AppointmentStatus
from clientcard.locale import message
from clientcard.messaging.dispatcher import Dispatcher
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
from clientcard.portal.passwords import PasswordHasher, PasswordPolicy
from clientcard.promotions import Promotion
from clientcard.schema import Context, FormField
from clientcard.storage.records import Record, RecordQuery

__all__ = ["AuthenticationError", "Portal", "Principal", "Profile"]

_TOKEN_BYTES: Final = 32


class AuthenticationError(ClientCardError):
    """Sign-in, a link or a session was refused.

    ``code`` is ``portal.sign_in_failed`` (unknown login or wrong password, never said
    which), ``portal.locked`` (too many failures: wait until ``retry_after``),
    ``portal.link_invalid`` (unknown, used, expired or voided link) or
    ``portal.session_ended`` (the account changed or went since sign-in).

    .. versionadded:: 0.1.0
    """

    def __init__(self, code: str, *, retry_after: dt.datetime | None = None) -> None:
        self.code = code
        self.retry_after = retry_after
        super().__init__(f"{code}: {message(code)}")


@attrs.frozen
class Principal:
    """The signed-in client, as a host keeps it in its session.

    .. versionadded:: 0.1.0
    """

    business_id: str
    card_id: str
    account_id: str
    credential_version: int


@attrs.frozen
class Profile:
    """What the portal's "my details" page shows.

    .. versionadded:: 0.1.0
    """

    card: ClientCard
    form: tuple[FormField, ...]
    """The fields the schema collects online, labelled in the client's language."""
    still_to_ask: tuple[str, ...]
    """Required or keep-asking fields still empty."""


def _new_id() -> str:
    return str(uuid.uuid4())


class Portal:
    """Portal accounts and self-service over a :class:`~clientcard.book.ClientBook`.

    ``dispatcher`` sends sign-in and reset links as service messages with the template
    ``link_template`` (its ``link`` placeholder gets ``link_url`` with the token in place
    of ``{token}``). Failed sign-ins are counted per login and per source within
    ``failure_window``: ``max_failures`` under one login (``source_max_failures`` from
    one source) start a back-off of ``backoff``, doubling with each further failure up
    to ``longest_lock``. At most ``links_per_window`` links go to one login per window.

    A :class:`Principal` is not a secret: keep it server-side (in the host's session
    store), never in a cookie or a token the client holds.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        book: ClientBook,
        *,
        dispatcher: Dispatcher | None = None,
        link_template: str = "portal_link",
        link_url: str = "https://portal.example/link/{token}",
        hasher: PasswordHasher | None = None,
        policy: PasswordPolicy | None = None,
        link_lifetime: dt.timedelta = dt.timedelta(minutes=30),
        max_failures: int = 5,
        source_max_failures: int = 50,
        failure_window: dt.timedelta = dt.timedelta(hours=1),
        backoff: dt.timedelta = dt.timedelta(seconds=30),
        longest_lock: dt.timedelta = dt.timedelta(hours=1),
        links_per_window: int = 3,
    ) -> None:
        if "{token}" not in link_url:
            raise ValueError("link_url needs a {token} placeholder")
        if dispatcher is not None and not dispatcher.has_template(link_template):
            raise ValueError("the dispatcher has no template for portal links")
        self.book = book
        self._dispatcher = dispatcher
        self._link_template = link_template
        self._link_url = link_url
        self.hasher = hasher or PasswordHasher()
        self.policy = policy or PasswordPolicy()
        self._link_lifetime = link_lifetime
        self._max_failures = max_failures
        self._source_max_failures = source_max_failures
        self._window = failure_window
        self._backoff = backoff
        self._longest_lock = longest_lock
        self._links_per_window = links_per_window

    # -- accounts -----------------------------------------------------------------------

    def create_account(
        self, business_id: str, card_id: str, *, password: str | None = None
    ) -> PortalAccount:
        """Open a portal account for a card, with its e-mail address as login.

        Without ``password`` the client signs in with links until they set one. A card
        has one account and a login one card, enforced by the store's keys, so two
        concurrent openings can't both succeed.

        :raises NotFoundError: no such card.
        :raises ValidationError: ``portal.no_email`` (the card has no address),
            ``portal.login_taken`` (another account uses it) or a password rule.
        :raises DuplicateError: the card has an account already.
        """
        card = self.book.get(business_id, card_id)
        if card.email is None:
            raise _invalid("email", "portal.no_email")
        hashed = None
        if password is not None:
            self.policy.check(password, login=card.email, lang=_lang(card))
            hashed = self.hasher.hash(password)

        def work() -> PortalAccount:
            current = self.book.get(business_id, card_id)
            if current.email != card.email:
                raise VersionConflictError(card_id, card.version, current.version)
            now = self.book.clock.now()
            account = PortalAccount(
                id=card_id,
                business_id=business_id,
                card_id=card_id,
                login=card.email or "",
                created_at=now,
                password_hash=hashed,
                password_changed_at=now if hashed else None,
            )
            self.book.store.add_records([account.to_record()])
            self._claim_login(account)
            return account

        return self.book._write(work)

    def _claim_login(self, account: PortalAccount) -> None:
        """File the record whose key makes a login unique within the business."""
        claim = Record(
            business_id=account.business_id,
            kind=LOGIN_KIND,
            id=self._fingerprint(account.business_id, "login", account.login.casefold()),
            at=self.book.clock.now(),
            doc={"account_id": account.id},
            card_id=account.card_id,
        )
        try:
            self.book.store.add_records([claim])
        except DuplicateError:
            raise _invalid("email", "portal.login_taken") from None

    def account(self, business_id: str, card_id: str) -> PortalAccount | None:
        """Return the card's account, or ``None``."""
        found = self._account_of_card(business_id, card_id)
        return None if found is None else found[0]

    def _account_of_card(self, business_id: str, card_id: str) -> tuple[PortalAccount, int] | None:
        try:
            record = self.book.store.get_record(business_id, ACCOUNT_KIND, card_id)
        except NotFoundError:
            return None
        return PortalAccount.from_record(record), record.revision

    def _account_by_login(self, business_id: str, login: str) -> tuple[PortalAccount, int] | None:
        query = RecordQuery(kind=ACCOUNT_KIND, key=login.casefold())
        page = self.book.store.find_records(business_id, query, limit=1)
        if not page.items:
            return None
        return PortalAccount.from_record(page.items[0]), page.items[0].revision

    def _save_account(self, account: PortalAccount, revision: int) -> None:
        """Store a changed account read at ``revision``; a change since is a conflict."""
        self.book.store.update_record(
            account.to_record(revision=revision + 1), expected_revision=revision
        )

    def sync_login(self, business_id: str, card_id: str) -> PortalAccount | None:
        """Follow a change of the card's e-mail address: new login, older links void.

        Call it after editing a card's address (the portal's own profile edit does),
        in the same transaction when the login must not lag behind.

        :raises ValidationError: ``portal.login_taken``.
        """

        def work() -> PortalAccount | None:
            found = self._account_of_card(business_id, card_id)
            card = self.book.get(business_id, card_id)
            if found is None or card.email is None or card.email == found[0].login:
                return None if found is None else found[0]
            account, revision = found
            old_claim = self._fingerprint(business_id, "login", account.login.casefold())
            self.book.store.delete_records(business_id, kind=LOGIN_KIND, record_ids=[old_claim])
            moved = attrs.evolve(
                account, login=card.email, credential_version=account.credential_version + 1
            )
            self._claim_login(moved)
            self._save_account(moved, revision)
            return moved

        return self.book._write(work)

    # -- throttles ----------------------------------------------------------------------

    def _fingerprint(self, business_id: str, what: str, value: str) -> str:
        key = self.book.fingerprint_key(business_id)
        digest = hmac.digest(key, f"portal.{what}\x00{value}".encode(), "sha256")
        return f"{what}:{digest.hex()[:40]}"

    def _throttle(
        self, business_id: str, throttle_id: str, now: dt.datetime
    ) -> tuple[Throttle | None, int]:
        """The throttle under ``throttle_id`` as it stands at ``now`` (stale ones forgotten)."""
        try:
            record = self.book.store.get_record(business_id, THROTTLE_KIND, throttle_id)
        except NotFoundError:
            return None, 0
        throttle = Throttle.from_record(record)
        locked = throttle.locked_until is not None and throttle.locked_until > now
        if not locked and now - throttle.first_failure_at > self._window:
            # Old failures expire: a typo a week is never a lock-out.
            throttle = attrs.evolve(throttle, failures=0, first_failure_at=now, locked_until=None)
        return throttle, record.revision

    def _count(self, business_id: str, throttle_id: str, limit: int, now: dt.datetime) -> None:
        """Count one attempt under ``throttle_id``, locking it once ``limit`` is reached.

        :raises AuthenticationError: ``portal.locked`` while a lock stands (not counted).
        """
        throttle, revision = self._throttle(business_id, throttle_id, now)
        if throttle and throttle.locked_until and throttle.locked_until > now:
            raise AuthenticationError("portal.locked", retry_after=throttle.locked_until)
        failures = (throttle.failures if throttle else 0) + 1
        locked_until = None
        if failures >= limit:
            wait = self._backoff * 2 ** min(failures - limit, 20)
            locked_until = now + min(wait, self._longest_lock)
        updated = Throttle(
            id=throttle_id,
            business_id=business_id,
            failures=failures,
            first_failure_at=throttle.first_failure_at if throttle else now,
            locked_until=locked_until,
        )
        if throttle is None:
            self.book.store.add_records([updated.to_record()])
        else:
            self.book.store.update_record(
                updated.to_record(revision=revision + 1), expected_revision=revision
            )

    def _uncount(self, business_id: str, throttle_id: str, now: dt.datetime) -> None:
        """Take back one counted attempt (it succeeded)."""
        throttle, revision = self._throttle(business_id, throttle_id, now)
        if throttle is None or throttle.failures == 0:
            return
        if throttle.failures == 1:
            self.book.store.delete_records(
                business_id, kind=THROTTLE_KIND, record_ids=[throttle_id]
            )
            return
        updated = attrs.evolve(throttle, failures=throttle.failures - 1)
        self.book.store.update_record(
            updated.to_record(revision=revision + 1), expected_revision=revision
        )

    def _attempt(self, business_id: str, login_key: str, source: str) -> tuple[str, str]:
        """Count a sign-in attempt under its login and its source before checking it.

        Counting first, in one unit of work, is what keeps parallel guesses within the
        limit: each must take its turn at the counter before it may verify.
        """
        now = self.book.clock.now()
        by_login = self._fingerprint(business_id, "login", login_key)
        by_source = self._fingerprint(business_id, "source", source)

        def work() -> None:
            self._count(business_id, by_login, self._max_failures, now)
            self._count(business_id, by_source, self._source_max_failures, now)

        self.book._write(work)
        return by_login, by_source

    # -- sign-in ------------------------------------------------------------------------

    def _verify(self, found: tuple[PortalAccount, int] | None, password: str) -> bool:
        """Check a password, spending the same Argon2 work whether or not there is one."""
        account = None if found is None else found[0]
        if account is None or account.password_hash is None:
            self.hasher.verify_decoy(password)
            return False
        matched = self.hasher.verify(account.password_hash, password)
        if not matched and self.hasher.needs_rehash(account.password_hash):
            # An old hash checks faster than today's parameters: spend the difference,
            # so a dormant account's login doesn't stand out from an unknown one.
            self.hasher.verify_decoy(password)
        return matched

    def sign_in(self, business_id: str, login: str, password: str, *, source: str) -> Principal:
        """Check a login and password; return the signed-in client.

        ``source`` identifies where the attempt comes from (the client's IP address);
        it is kept only as a keyed fingerprint. A sign-in whose stored hash used older
        parameters stores a fresh one.

        :raises AuthenticationError: ``portal.sign_in_failed`` or ``portal.locked``.
        """
        login_key = login.strip().casefold()
        by_login, by_source = self._attempt(business_id, login_key, source)
        found = self._account_by_login(business_id, login_key) if login_key else None
        if not self._verify(found, password) or found is None:
            raise AuthenticationError("portal.sign_in_failed")
        verified = found[0]

        def work() -> PortalAccount:
            now = self.book.clock.now()
            current = self._account_of_card(business_id, verified.card_id)
            if current is None or current[0].password_hash != verified.password_hash:
                # The password changed while this one was being checked.
                raise AuthenticationError("portal.sign_in_failed")
            account, revision = current
            rehash = account.password_hash is not None and self.hasher.needs_rehash(
                account.password_hash
            )
            signed_in = attrs.evolve(
                account,
                last_sign_in_at=now,
                password_hash=self.hasher.hash(password) if rehash else account.password_hash,
            )
            self._save_account(signed_in, revision)
            self.book.store.delete_records(business_id, kind=THROTTLE_KIND, record_ids=[by_login])
            self._uncount(business_id, by_source, now)
            return signed_in

        return _principal(self.book._write(work))

    def check(self, principal: Principal) -> PortalAccount:
        """Return the principal's account if their session still stands.

        :raises AuthenticationError: ``portal.session_ended`` when the account is gone or
            its login or password changed since sign-in.
        """
        found = self._account_of_card(principal.business_id, principal.card_id)
        if (
            found is None
            or found[0].id != principal.account_id
            or found[0].credential_version != principal.credential_version
        ):
            raise AuthenticationError("portal.session_ended")
        return found[0]

    def change_password(
        self, principal: Principal, current: str, new: str, *, source: str
    ) -> Principal:
        """Change the password (the current one is needed); older sessions and links end.

        Wrong current passwords count against the login like failed sign-ins.

        :raises AuthenticationError: the session ended, ``current`` is wrong, or the
            login is locked.
        :raises ValidationError: the new password breaks a rule.
        """
        account = self.check(principal)
        card = self.book.get(account.business_id, account.card_id)
        self.policy.check(new, login=account.login, lang=_lang(card))
        by_login, by_source = self._attempt(account.business_id, account.login.casefold(), source)
        if not self._verify((account, 0), current):
            raise AuthenticationError("portal.sign_in_failed")
        return self._set_password(
            account.business_id,
            account.card_id,
            self.hasher.hash(new),
            expected=account,
            forgive=(by_login, by_source),
        )

    def _set_password(
        self,
        business_id: str,
        card_id: str,
        hashed: str,
        *,
        expected: PortalAccount,
        forgive: tuple[str, str] | None = None,
        link: tuple[SignInLink, int] | None = None,
    ) -> Principal:
        """Store a new hash if the account is still as ``expected``; one unit of work."""

        def work() -> PortalAccount:
            now = self.book.clock.now()
            found = self._account_of_card(business_id, card_id)
            if found is None or found[0].credential_version != expected.credential_version:
                raise AuthenticationError("portal.session_ended")
            account, revision = found
            if link is not None:
                self._use_link(*link, now)
            changed = attrs.evolve(
                account,
                password_hash=hashed,
                password_changed_at=now,
                credential_version=account.credential_version + 1,
                last_sign_in_at=now,
            )
            self._save_account(changed, revision)
            if forgive is not None:
                self.book.store.delete_records(
                    business_id, kind=THROTTLE_KIND, record_ids=[forgive[0]]
                )
                self._uncount(business_id, forgive[1], now)
            return changed

        return _principal(self.book._write(work))

    # -- links --------------------------------------------------------------------------

    def issue_link(self, business_id: str, card_id: str, purpose: LinkPurpose) -> str:
        """Make a one-time link token for a card's account and return it.

        Only its digest is stored; earlier unused links of the account stop working.
        Prefer :meth:`send_link`, which also delivers it.

        :raises NotFoundError: the card has no account.
        """
        found = self._account_of_card(business_id, card_id)
        if found is None:
            raise NotFoundError(ACCOUNT_KIND, card_id)
        account = found[0]
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        now = self.book.clock.now()
        link = SignInLink(
            id=_new_id(),
            business_id=business_id,
            card_id=card_id,
            account_id=account.id,
            digest=token_digest(token),
            purpose=purpose,
            issued_at=now,
            expires_at=now + self._link_lifetime,
            credential_version=account.credential_version,
        )

        def work() -> None:
            self.book.store.delete_records(business_id, card_id=card_id, kind=LINK_KIND)
            self.book.store.add_records([link.to_record()])

        self.book._write(work)
        return token

    def send_link(self, business_id: str, login: str, purpose: LinkPurpose, *, source: str) -> None:
        """Send a sign-in or reset link to ``login``'s account, if there is one.

        Answers the same whether or not the login exists, and whether or not the
        login's password sign-in is locked (a reset is how a locked-out client gets
        back). At most ``links_per_window`` links go to one login, and a source asking
        too often gets nothing sent; neither is told. The link goes through the
        consent-aware dispatcher as a service message (purpose ``account``).

        A known login costs a few more writes than an unknown one: call this from a
        background job, not in the request that answers the client, so its timing
        tells an observer nothing.
        """
        if self._dispatcher is None:
            raise ValueError("send_link needs a Portal made with a dispatcher")
        now = self.book.clock.now()
        login_key = login.strip().casefold()
        by_login = self._fingerprint(business_id, "link", login_key)
        by_source = self._fingerprint(business_id, "source", source)

        def reserve() -> bool:
            try:
                self._count(business_id, by_source, self._source_max_failures, now)
                self._count(business_id, by_login, self._links_per_window, now)
            except AuthenticationError:
                return False
            return True

        if not self.book._write(reserve):
            return
        found = self._account_by_login(business_id, login_key) if login_key else None
        if found is None:
            return
        token = self.issue_link(business_id, found[0].card_id, purpose)
        self._dispatcher.queue(
            business_id,
            self._link_template,
            Channel.EMAIL,
            [found[0].card_id],
            values={"link": self._link_url.replace("{token}", token)},
        )

    def _use_link(self, link: SignInLink, revision: int, now: dt.datetime) -> None:
        used = attrs.evolve(link, used_at=now)
        self.book.store.update_record(
            used.to_record(revision=revision + 1), expected_revision=revision
        )

    def _valid_link(self, business_id: str, token: str) -> tuple[SignInLink, int, PortalAccount]:
        """The link a token opens, if it still may be used. Reads only."""
        now = self.book.clock.now()
        digest = token_digest(token)
        page = self.book.store.find_records(
            business_id, RecordQuery(kind=LINK_KIND, key=digest), limit=1
        )
        if not page.items:
            raise AuthenticationError("portal.link_invalid")
        record = page.items[0]
        link = SignInLink.from_record(record)
        found = self._account_of_card(business_id, link.card_id)
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

    def redeem_link(
        self, business_id: str, token: str, *, new_password: str | None = None
    ) -> Principal:
        """Use a link once: sign in, and with a reset link set ``new_password``.

        A reset whose new password is refused leaves the link usable.

        :raises AuthenticationError: ``portal.link_invalid`` for an unknown, used,
            expired or voided link (after a login or password change).
        :raises ValidationError: a reset link without an acceptable ``new_password``.
        """
        link, revision, account = self._valid_link(business_id, token)
        if link.purpose is LinkPurpose.RESET:
            card = self.book.get(business_id, link.card_id)
            if new_password is None:
                raise _invalid("password", "field.required")
            self.policy.check(new_password, login=account.login, lang=_lang(card))
            try:
                return self._set_password(
                    business_id,
                    link.card_id,
                    self.hasher.hash(new_password),
                    expected=account,
                    link=(link, revision),
                )
            except VersionConflictError:
                raise AuthenticationError("portal.link_invalid") from None

        def work() -> PortalAccount:
            now = self.book.clock.now()
            self._use_link(link, revision, now)
            found = self._account_of_card(business_id, link.card_id)
            if found is None or found[0].credential_version != link.credential_version:
                raise AuthenticationError("portal.link_invalid")
            signed_in = attrs.evolve(found[0], last_sign_in_at=now)
            self._save_account(signed_in, found[1])
            return signed_in

        try:
            return _principal(self.book._write(work))
        except VersionConflictError:
            # Someone used the link (or changed the account) in the meantime.
            raise AuthenticationError("portal.link_invalid") from None

    def purge(self, business_id: str) -> int:
        """Delete a business's used and expired links and stale sign-in counters.

        Run it now and then (daily): both hold keyed traces of clients' logins. Returns
        how many records went.
        """
        now = self.book.clock.now()
        stale: dict[str, list[str]] = {LINK_KIND: [], THROTTLE_KIND: []}
        for kind, ids in stale.items():
            cursor: str | None = None
            while True:
                page = self.book.store.find_records(
                    business_id, RecordQuery(kind=kind), limit=500, cursor=cursor
                )
                for record in page:
                    if kind == LINK_KIND:
                        link = SignInLink.from_record(record)
                        if link.used_at is not None or link.expires_at <= now:
                            ids.append(record.id)
                    else:
                        throttle = Throttle.from_record(record)
                        locked = throttle.locked_until is not None and throttle.locked_until > now
                        if not locked and now - throttle.first_failure_at > self._window:
                            ids.append(record.id)
                cursor = page.next_cursor
                if cursor is None:
                    break
        return sum(
            self.book.store.delete_records(business_id, kind=kind, record_ids=ids)
            for kind, ids in stale.items()
            if ids
        )

    # -- self-service -------------------------------------------------------------------

    def profile(self, principal: Principal, *, lang: str | None = None) -> Profile:
        """The client's own card, the online form, and what is still to ask."""
        self.check(principal)
        card = self.book.get(principal.business_id, principal.card_id)
        schema = self.book.business(principal.business_id).schema
        language = lang or _lang(card)
        return Profile(
            card=card,
            form=schema.form(Context.PORTAL, language),
            still_to_ask=schema.pending_fields(card, Context.PORTAL),
        )

    def update_profile(
        self,
        principal: Principal,
        values: Mapping[str, object],
        *,
        expected_version: int,
        lang: str | None = None,
    ) -> ClientCard:
        """Change the client's own card with the fields the schema collects online.

        Validation runs in the portal context: fields not collected online are refused
        and required flags are enforced. A changed e-mail address becomes the new login
        and ends older sessions and links.

        :raises ValidationError: every issue at once.
        :raises VersionConflictError: the card changed since it was read.
        """
        self.check(principal)

        def work() -> ClientCard:
            update = self.book.edit(
                principal.business_id,
                principal.card_id,
                values,
                expected_version=expected_version,
                context=Context.PORTAL,
                lang=lang,
            )
            if "email" in update.changed:
                # In the same unit: a login that can't follow rolls the edit back too.
                self.sync_login(principal.business_id, principal.card_id)
            return update.card

        return self.book._write(work)

    def consents(self, principal: Principal) -> ConsentState:
        """The client's current consents."""
        self.check(principal)
        return self.book.consent(principal.business_id, principal.card_id)

    def change_consent(
        self,
        principal: Principal,
        purpose: Purpose,
        channel: Channel | None,
        *,
        grant: bool,
        wording_version: str | None = None,
    ) -> ConsentState:
        """Grant (with the wording shown) or withdraw one consent, from the portal.

        Recorded with source ``client_portal`` and the account as actor.
        """
        account = self.check(principal)
        return self.book.record_consent(
            principal.business_id,
            principal.card_id,
            ConsentAction.GRANT if grant else ConsentAction.WITHDRAW,
            source=ConsentSource.CLIENT_PORTAL,
            recorded_by=f"portal:{account.id}",
            purpose=purpose,
            channel=channel,
            wording_version=wording_version if grant else None,
        )

    def appointments(self, principal: Principal) -> tuple[list[Appointment], list[Appointment]]:
        """The client's future appointments (soonest first) and past ones (latest first).

        Technical notes are staff's working notes and are left out.
        """
        self.check(principal)
        now = self.book.clock.now()
        visits = [
            attrs.evolve(visit, technical_notes=None)
            for visit in self.book.appointments(principal.business_id, principal.card_id)
        ]
        upcoming = [
            visit
            for visit in visits
            if visit.starts_at >= now and visit.status is AppointmentStatus.BOOKED
        ]
        past = [visit for visit in reversed(visits) if visit not in upcoming]
        return upcoming, past

    def download_data(self, principal: Principal) -> SubjectData:
        """Everything the business holds about the client, for them to download.

        ``data.to_dict()`` is the machine-readable document, ``data.report()`` the
        report in their language; the export is recorded in the audit trail.
        """
        account = self.check(principal)
        return self.book.export_subject(
            principal.business_id,
            principal.card_id,
            actor=f"portal:{account.id}",
            via="Portal.download_data",
        )

    def request_erasure(self, principal: Principal) -> SubjectRequest:
        """Ask the business to erase the client's data.

        This records a request with its deadline (one month) for the business to act
        on; nothing is deleted until the business erases the card.
        """
        account = self.check(principal)
        return self.book.receive_request(
            principal.business_id,
            principal.card_id,
            RequestKind.ERASURE,
            recorded_by=f"portal:{account.id}",
            via="Portal.request_erasure",
        )

    def promotions(self, principal: Principal) -> list[Promotion]:
        """The promotions the client could redeem now."""
        self.check(principal)
        return self.book.active_promotions(principal.business_id, principal.card_id)


def _principal(account: PortalAccount) -> Principal:
    return Principal(
        business_id=account.business_id,
        card_id=account.card_id,
        account_id=account.id,
        credential_version=account.credential_version,
    )


def _lang(card: ClientCard) -> str:
    return card.language or "en"


def _invalid(field: str, code: str) -> ValidationError:
    return ValidationError.of(field, code)
