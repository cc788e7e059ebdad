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
from clientcard.errors import (
    ClientCardError,
    DuplicateError,
    NotFoundError,
    ValidationError,
)
from clientcard.history import Appointment, AppointmentStatus
from clientcard.locale import message
from clientcard.messaging.dispatcher import Dispatcher
from clientcard.portal.accounts import (
    ACCOUNT_KIND,
    LINK_KIND,
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
from clientcard.storage.records import RecordQuery

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
    of ``{token}``). ``max_failures`` failed sign-ins under one login start a back-off of
    ``backoff`` doubling each time, up to ``longest_lock``; a source gets
    ``source_max_failures`` before the same.

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
        backoff: dt.timedelta = dt.timedelta(seconds=30),
        longest_lock: dt.timedelta = dt.timedelta(hours=1),
    ) -> None:
        if "{token}" not in link_url:
            raise ValueError("link_url needs a {token} placeholder")
        self.book = book
        self._dispatcher = dispatcher
        self._link_template = link_template
        self._link_url = link_url
        self.hasher = hasher or PasswordHasher()
        self.policy = policy or PasswordPolicy()
        self._link_lifetime = link_lifetime
        self._max_failures = max_failures
        self._source_max_failures = source_max_failures
        self._backoff = backoff
        self._longest_lock = longest_lock

    # -- accounts -----------------------------------------------------------------------

    def create_account(
        self, business_id: str, card_id: str, *, password: str | None = None
    ) -> PortalAccount:
        """Open a portal account for a card, with its e-mail address as login.

        Without ``password`` the client signs in with links until they set one.

        :raises NotFoundError: no such card.
        :raises ValidationError: ``portal.no_email`` (the card has no address),
            ``portal.login_taken`` (another account uses it) or a password rule.
        :raises DuplicateError: the card has an account already.
        """

        def work() -> PortalAccount:
            card = self.book.get(business_id, card_id)
            if card.email is None:
                raise _invalid("email", "portal.no_email")
            if self._account_of_card(business_id, card_id) is not None:
                raise DuplicateError(ACCOUNT_KIND, card_id)
            if self._account_by_login(business_id, card.email) is not None:
                raise _invalid("email", "portal.login_taken")
            now = self.book.clock.now()
            hashed = None
            if password is not None:
                self.policy.check(password, login=card.email, lang=_lang(card))
                hashed = self.hasher.hash(password)
            account = PortalAccount(
                id=_new_id(),
                business_id=business_id,
                card_id=card_id,
                login=card.email,
                created_at=now,
                password_hash=hashed,
                password_changed_at=now if hashed else None,
            )
            self.book.store.add_records([account.to_record()])
            return account

        return self.book._write(work)

    def account(self, business_id: str, card_id: str) -> PortalAccount | None:
        """Return the card's account, or ``None``."""
        return self._account_of_card(business_id, card_id)

    def _account_of_card(self, business_id: str, card_id: str) -> PortalAccount | None:
        query = RecordQuery(kind=ACCOUNT_KIND, card_id=card_id)
        page = self.book.store.find_records(business_id, query, limit=1)
        return PortalAccount.from_record(page.items[0]) if page.items else None

    def _account_by_login(self, business_id: str, login: str) -> PortalAccount | None:
        query = RecordQuery(kind=ACCOUNT_KIND, key=login.casefold())
        page = self.book.store.find_records(business_id, query, limit=1)
        return PortalAccount.from_record(page.items[0]) if page.items else None

    def _save_account(self, account: PortalAccount) -> None:
        stored = self.book.store.get_record(account.business_id, ACCOUNT_KIND, account.id)
        self.book.store.update_record(
            account.to_record(revision=stored.revision + 1), expected_revision=stored.revision
        )

    def sync_login(self, business_id: str, card_id: str) -> PortalAccount | None:
        """Follow a change of the card's e-mail address: new login, older links void.

        Call it after editing a card's address (the portal's own profile edit does).
        """

        def work() -> PortalAccount | None:
            account = self._account_of_card(business_id, card_id)
            card = self.book.get(business_id, card_id)
            if account is None or card.email is None or card.email == account.login:
                return account
            other = self._account_by_login(business_id, card.email)
            if other is not None and other.id != account.id:
                raise _invalid("email", "portal.login_taken")
            moved = attrs.evolve(
                account, login=card.email, credential_version=account.credential_version + 1
            )
            self._save_account(moved)
            return moved

        return self.book._write(work)

    # -- sign-in ------------------------------------------------------------------------

    def _throttle_id(self, business_id: str, what: str, value: str) -> str:
        key = self.book.fingerprint_key(business_id)
        digest = hmac.digest(key, f"portal.{what}\x00{value}".encode(), "sha256")
        return f"{what}:{digest.hex()[:40]}"

    def _throttle(self, business_id: str, throttle_id: str) -> tuple[Throttle | None, int]:
        try:
            record = self.book.store.get_record(business_id, THROTTLE_KIND, throttle_id)
        except NotFoundError:
            return None, 0
        return Throttle.from_record(record), record.revision

    def _check_lock(self, business_id: str, throttle_ids: list[str], now: dt.datetime) -> None:
        for throttle_id in throttle_ids:
            throttle, _ = self._throttle(business_id, throttle_id)
            if throttle and throttle.locked_until and throttle.locked_until > now:
                raise AuthenticationError("portal.locked", retry_after=throttle.locked_until)

    def _fail(self, business_id: str, throttle_id: str, limit: int, now: dt.datetime) -> None:
        throttle, revision = self._throttle(business_id, throttle_id)
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

    def _forgive(self, business_id: str, throttle_id: str) -> None:
        self.book.store.delete_records(business_id, kind=THROTTLE_KIND, record_ids=[throttle_id])

    def sign_in(self, business_id: str, login: str, password: str, *, source: str) -> Principal:
        """Check a login and password; return the signed-in client.

        ``source`` identifies where the attempt comes from (the client's IP address);
        it is kept only as a keyed fingerprint. A sign-in whose stored hash used older
        parameters stores a fresh one.

        :raises AuthenticationError: ``portal.sign_in_failed`` or ``portal.locked``.
        """
        now = self.book.clock.now()
        login_key = login.strip().casefold()
        by_login = self._throttle_id(business_id, "login", login_key)
        by_source = self._throttle_id(business_id, "source", source)
        self._check_lock(business_id, [by_login, by_source], now)
        account = self._account_by_login(business_id, login_key) if login_key else None
        if account is None or account.password_hash is None:
            self.hasher.verify_decoy(password)
            matched = False
        else:
            matched = self.hasher.verify(account.password_hash, password)
        if not matched or account is None or account.password_hash is None:
            with self.book.store.transaction():
                self._fail(business_id, by_login, self._max_failures, now)
                self._fail(business_id, by_source, self._source_max_failures, now)
            raise AuthenticationError("portal.sign_in_failed")
        rehash = self.hasher.needs_rehash(account.password_hash)
        signed_in = attrs.evolve(
            account,
            last_sign_in_at=now,
            password_hash=self.hasher.hash(password) if rehash else account.password_hash,
        )
        with self.book.store.transaction():
            self._forgive(business_id, by_login)
            self._save_account(signed_in)
        return _principal(signed_in)

    def check(self, principal: Principal) -> PortalAccount:
        """Return the principal's account if their session still stands.

        :raises AuthenticationError: ``portal.session_ended`` when the account is gone or
            its login or password changed since sign-in.
        """
        account = self._account_of_card(principal.business_id, principal.card_id)
        if (
            account is None
            or account.id != principal.account_id
            or account.credential_version != principal.credential_version
        ):
            raise AuthenticationError("portal.session_ended")
        return account

    def change_password(self, principal: Principal, current: str, new: str) -> Principal:
        """Change the password (the current one is needed); older sessions and links end.

        :raises AuthenticationError: the session ended, or ``current`` is wrong.
        :raises ValidationError: the new password breaks a rule.
        """
        account = self.check(principal)
        if account.password_hash is None or not self.hasher.verify(account.password_hash, current):
            raise AuthenticationError("portal.sign_in_failed")
        return self._set_password(account, new)

    def _set_password(self, account: PortalAccount, new: str) -> Principal:
        card = self.book.get(account.business_id, account.card_id)
        self.policy.check(new, login=account.login, lang=_lang(card))
        changed = attrs.evolve(
            account,
            password_hash=self.hasher.hash(new),
            password_changed_at=self.book.clock.now(),
            credential_version=account.credential_version + 1,
        )
        self.book._write(lambda: self._save_account(changed))
        return _principal(changed)

    # -- links --------------------------------------------------------------------------

    def issue_link(self, business_id: str, card_id: str, purpose: LinkPurpose) -> str:
        """Make a one-time link token for a card's account and return it.

        Only its digest is stored. Prefer :meth:`send_link`, which also delivers it.

        :raises NotFoundError: the card has no account.
        """
        account = self._account_of_card(business_id, card_id)
        if account is None:
            raise NotFoundError(ACCOUNT_KIND, card_id)
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
        self.book.store.add_records([link.to_record()])
        return token

    def send_link(self, business_id: str, login: str, purpose: LinkPurpose, *, source: str) -> None:
        """Send a sign-in or reset link to ``login``'s account, if there is one.

        Answers the same whether or not the login exists; a throttled source or login
        gets nothing sent. The link goes through the consent-aware dispatcher as a
        service message (purpose ``account``).

        :raises AuthenticationError: ``portal.locked`` for a throttled login or source.
        """
        if self._dispatcher is None:
            raise ValueError("send_link needs a Portal made with a dispatcher")
        now = self.book.clock.now()
        login_key = login.strip().casefold()
        self._check_lock(
            business_id,
            [
                self._throttle_id(business_id, "login", login_key),
                self._throttle_id(business_id, "source", source),
            ],
            now,
        )
        account = self._account_by_login(business_id, login_key) if login_key else None
        if account is None:
            return
        token = self.issue_link(business_id, account.card_id, purpose)
        self._dispatcher.queue(
            business_id,
            self._link_template,
            Channel.EMAIL,
            [account.card_id],
            values={"link": self._link_url.replace("{token}", token)},
        )

    def redeem_link(
        self, business_id: str, token: str, *, new_password: str | None = None
    ) -> Principal:
        """Use a link once: sign in, and with a reset link set ``new_password``.

        :raises AuthenticationError: ``portal.link_invalid`` for an unknown, used,
            expired or voided link (after a login or password change).
        :raises ValidationError: a reset link without an acceptable ``new_password``.
        """
        now = self.book.clock.now()
        digest = token_digest(token)

        def work() -> tuple[PortalAccount, SignInLink]:
            page = self.book.store.find_records(
                business_id, RecordQuery(kind=LINK_KIND, key=digest), limit=1
            )
            if not page.items:
                raise AuthenticationError("portal.link_invalid")
            record = page.items[0]
            link = SignInLink.from_record(record)
            # The lookup matched on the digest; compare again in constant time anyway.
            account = self._account_of_card(business_id, link.card_id)
            if (
                not hmac.compare_digest(link.digest, digest)
                or link.used_at is not None
                or link.expires_at <= now
                or account is None
                or account.id != link.account_id
                or account.credential_version != link.credential_version
            ):
                raise AuthenticationError("portal.link_invalid")
            if link.purpose is LinkPurpose.RESET and new_password is None:
                raise _invalid("password", "field.required")
            used = attrs.evolve(link, used_at=now)
            self.book.store.update_record(
                used.to_record(revision=record.revision + 1), expected_revision=record.revision
            )
            return account, link

        account, link = self.book._write(work)
        if link.purpose is LinkPurpose.RESET:
            return self._set_password(account, str(new_password))
        signed_in = attrs.evolve(account, last_sign_in_at=now)
        self.book._write(lambda: self._save_account(signed_in))
        return _principal(signed_in)

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
        update = self.book.edit(
            principal.business_id,
            principal.card_id,
            values,
            expected_version=expected_version,
            context=Context.PORTAL,
            lang=lang,
        )
        if "email" in update.changed:
            self.sync_login(principal.business_id, principal.card_id)
        return update.card

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
