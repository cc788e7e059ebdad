"""The portal service: one business's client accounts, sign-in, links and self-service.

Reached as ``book.business(id).portal``; it is what a host's portal pages call and has
no UI of its own. Its settings are the book's
:class:`~clientcard.portal.settings.PortalSettings` (the defaults without any). Every
self-service call takes the :class:`~clientcard.portal.model.Principal` that sign-in
returned and acts on that client's own card only, after checking the account still
exists and its credentials have not changed since (a password or login change ends
every older session); a principal of another business is refused like an ended one.

Sign-in never tells an unknown login from a wrong password: both raise the same
:class:`~clientcard.portal.model.AuthenticationError`, do the same store reads and
writes, and spend one Argon2 verification (a decoy for the unknown login). Failed
attempts are counted per login and per source (an IP address, say) under keyed
fingerprints, with exponential back-off; a login's back-off grows until its client
signs in, by password or by a link (see :class:`~clientcard.portal.settings.PortalSettings`).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import attrs

from clientcard._core import Core, Service, as_enum, as_id
from clientcard.cards.card import ClientCard
from clientcard.cards.schema import Context
from clientcard.consent import Channel, ConsentAction, ConsentSource, ConsentState, Purpose
from clientcard.contact.email import lookup_key
from clientcard.erasure.portability import SubjectData
from clientcard.erasure.requests import RequestKind, SubjectRequest
from clientcard.errors import ConfigurationError, NotFoundError, VersionConflictError
from clientcard.history.model import Appointment, AppointmentStatus
from clientcard.messaging.sends import MINTED_LINK
from clientcard.portal._records import Accounts, Links, invalid
from clientcard.portal._throttles import Throttles
from clientcard.portal.accounts import ACCOUNT_KIND, LinkPurpose, PortalAccount, SignInLink
from clientcard.portal.model import AuthenticationError, Principal, Profile
from clientcard.portal.settings import PortalSettings
from clientcard.promotions.model import Promotion

if TYPE_CHECKING:
    from clientcard.book import BusinessBook

__all__ = ["PortalService"]

_LINK_KEY: Final = "portal.link"


class PortalService(Service):
    """One business's client portal (``book.business(id).portal``).

    .. versionadded:: 0.1.0
    """

    def __init__(self, core: Core, business: BusinessBook, settings: PortalSettings) -> None:
        super().__init__(core, business)
        self.settings = settings
        """The book's portal settings."""
        self._throttles = Throttles(core, self.business_id, settings)
        self._accounts = Accounts(core, self.business_id, self._throttles)
        self._links = Links(core, self.business_id, settings, self._accounts)

    # -- accounts -----------------------------------------------------------------------

    def create_account(self, card_id: str, *, password: str | None = None) -> PortalAccount:
        """Open a portal account for a card, with its e-mail address as login.

        Without ``password`` the client signs in with links until they set one. A card
        has one account and a login one card, enforced by the store's keys, so two
        concurrent openings can't both succeed.

        :raises NotFoundError: no such card.
        :raises ValidationError: ``portal.no_email`` (the card has no address),
            ``portal.login_taken`` (another account uses it) or a password rule.
        :raises DuplicateError: the card has an account already.
        """
        card_id = as_id("card_id", card_id)
        card = self._business.cards.get(card_id)
        if card.email is None:
            raise invalid("email", "portal.no_email")
        hashed = None
        if password is not None:
            self.settings.policy.check(password, login=card.email, lang=_lang(card))
            hashed = self.settings.hasher.hash(password)

        def work() -> PortalAccount:
            current = self._business.cards.get(card_id)
            if current.email != card.email:
                raise VersionConflictError(card_id, card.version, current.version)
            now = self._core.clock.now()
            account = PortalAccount(
                id=card_id,
                business_id=self.business_id,
                card_id=card_id,
                login=card.email or "",
                created_at=now,
                password_hash=hashed,
                password_changed_at=now if hashed else None,
            )
            self._core.store.add_records([account.to_record()])
            self._accounts.claim_login(account)
            return account

        return self._core.write(work)

    def account(self, card_id: str) -> PortalAccount | None:
        """Return the card's account, or ``None``."""
        found = self._accounts.of_card(as_id("card_id", card_id))
        return None if found is None else found[0]

    def sync_login(self, card_id: str) -> PortalAccount | None:
        """Follow a change of the card's e-mail address: new login, older links void.

        Every change of a card's address calls it in the unit of work that stores the
        change (``cards.edit``, ``cards.save``, a booking form, a merge and its undo, the
        portal's own profile edit), so hosts need not: the login moves, the account's
        outstanding links are deleted and its sessions end (``credential_version``
        goes up), or the whole change rolls back. A card whose address was removed
        keeps its account without a login: nobody signs in to it until the card has an
        address again. Returns the account (``None`` without one).

        :raises ValidationError: ``portal.login_taken``: another account signs in with
            the new address.
        """
        card_id = as_id("card_id", card_id)

        def work() -> PortalAccount | None:
            found = self._accounts.of_card(card_id)
            if found is None:
                return None
            account, revision = found
            login = self._business.cards.get(card_id).email or ""
            if login == account.login:
                return account
            if account.login:
                self._accounts.release_login(account)
            moved = attrs.evolve(
                account, login=login, credential_version=account.credential_version + 1
            )
            if login:
                self._accounts.claim_login(moved)
            self._accounts.save(moved, revision)
            # Void at once, not only by the version: a link to the old mailbox must not
            # even be on file.
            self._links.void(card_id)
            return moved

        return self._core.write(work)

    # -- sign-in ------------------------------------------------------------------------

    def sign_in(self, login: str, password: str, *, source: str) -> Principal:
        """Check a login and password; return the signed-in client.

        ``source`` identifies where the attempt comes from (the client's IP address);
        it is kept only as a keyed fingerprint. A sign-in whose stored hash used older
        parameters stores a fresh one.

        :raises AuthenticationError: ``portal.sign_in_failed`` or ``portal.locked``.
        """
        login_key = lookup_key(login.strip())
        by_login, by_source = self._throttles.attempt(login_key, source)
        found = self._accounts.by_login(login_key) if login_key else None
        verified = None if found is None else found[0]
        stored = None if verified is None else verified.password_hash
        if not self.settings.hasher.verify_or_decoy(stored, password) or verified is None:
            raise AuthenticationError("portal.sign_in_failed")
        hasher = self.settings.hasher

        def work() -> PortalAccount:
            now = self._core.clock.now()
            current = self._accounts.of_card(verified.card_id)
            if current is None or current[0].password_hash != verified.password_hash:
                # The password changed while this one was being checked.
                raise AuthenticationError("portal.sign_in_failed")
            account, revision = current
            rehash = account.password_hash is not None and hasher.needs_rehash(
                account.password_hash
            )
            signed_in = attrs.evolve(
                account,
                last_sign_in_at=now,
                password_hash=hasher.hash(password) if rehash else account.password_hash,
            )
            self._accounts.save(signed_in, revision)
            self._throttles.forget(by_login)
            self._throttles.uncount(by_source, now)
            return signed_in

        return Principal.of(self._core.write(work))

    def check(self, principal: Principal) -> PortalAccount:
        """Return the principal's account if their session still stands.

        :raises AuthenticationError: ``portal.session_ended`` when the account is gone,
            its login or password changed since sign-in, or the principal is another
            business's.
        """
        if principal.business_id != self.business_id:
            raise AuthenticationError("portal.session_ended")
        found = self._accounts.of_card(principal.card_id)
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
        card = self._business.cards.get(account.card_id)
        self.settings.policy.check(new, login=account.login, lang=_lang(card))
        by_login, by_source = self._throttles.attempt(lookup_key(account.login), source)
        if not self.settings.hasher.verify_or_decoy(account.password_hash, current):
            raise AuthenticationError("portal.sign_in_failed")
        return self._set_password(
            account.card_id,
            self.settings.hasher.hash(new),
            expected=account,
            forgive=(by_login, by_source),
        )

    def _set_password(
        self,
        card_id: str,
        hashed: str,
        *,
        expected: PortalAccount,
        forgive: tuple[str, str] | None = None,
        link: tuple[SignInLink, int] | None = None,
    ) -> Principal:
        """Store a new hash if the account is still as ``expected``; one unit of work."""

        def work() -> PortalAccount:
            now = self._core.clock.now()
            found = self._accounts.of_card(card_id)
            if found is None or found[0].credential_version != expected.credential_version:
                raise AuthenticationError("portal.session_ended")
            account, revision = found
            if link is not None:
                self._links.use(*link, now)
                # A redeemed link proves the mailbox: a sign-in, forgiving the back-off.
                self._throttles.forgive_login(account.login)
            changed = attrs.evolve(
                account,
                password_hash=hashed,
                password_changed_at=now,
                credential_version=account.credential_version + 1,
                last_sign_in_at=now,
            )
            self._accounts.save(changed, revision)
            if forgive is not None:
                self._throttles.forget(forgive[0])
                self._throttles.uncount(forgive[1], now)
            return changed

        return Principal.of(self._core.write(work))

    # -- links --------------------------------------------------------------------------

    def issue_link(self, card_id: str, purpose: LinkPurpose | str) -> str:
        """Make a one-time link token for a card's account and return it.

        Only its digest is stored; earlier unused links of the account stop working.
        Prefer :meth:`send_link`, which also delivers it; this one needs no ``link_url``
        (the host builds the link around the token).

        :raises NotFoundError: the card has no account.
        """
        card_id = as_id("card_id", card_id)
        purpose = as_enum(LinkPurpose, "purpose", purpose)
        found = self._accounts.of_card(card_id)
        if found is None:
            raise NotFoundError(ACCOUNT_KIND, card_id)
        return self._links.issue(found[0], purpose)[1]

    def send_link(self, login: str, purpose: LinkPurpose | str, *, source: str) -> None:
        """Send a sign-in or reset link to ``login``'s account, if there is one.

        Answers the same whether or not the login exists, and whether or not the
        login's password sign-in is locked (a reset is how a locked-out client gets
        back). At most ``links_per_window`` links go to one login, and a source asking
        too often gets nothing sent; neither is told. The link is queued on the
        business's consent-aware messaging as a service message (purpose ``account``)
        and leaves with its next flush. The queue holds the link's id, not its token:
        the token is minted from the messaging settings' ``token_secret`` as the message
        is sent, so a copy of the database never holds a usable link.

        A known login costs a few more writes than an unknown one: call this from a
        background job, not in the request that answers the client, so its timing
        tells an observer nothing.

        :raises ConfigurationError: the portal settings have no ``link_url``, the book
            has no messaging settings, or they have no template ``link_template``.
        """
        purpose = as_enum(LinkPurpose, "purpose", purpose)
        self._links.url()  # whether or not the login exists: a setup error always shows
        messaging = self._business.messaging
        template = self.settings.link_template
        if not messaging.has_template(template):
            raise ConfigurationError(
                "messaging", f"the messaging templates have none for portal links ({template!r})"
            )
        login_key = lookup_key(login.strip())
        if not self._throttles.reserve_link(login_key, source):
            return
        found = self._accounts.by_login(login_key) if login_key else None
        if found is None:
            return
        # The queue gets the link's id, never its token: the link is minted from the
        # host's token secret as the message is sent (see minted_link).
        link_id, _ = self._links.issue(found[0], purpose, key=messaging.secret_key(_LINK_KEY))
        messaging.queue(template, Channel.EMAIL, [found[0].card_id], values={MINTED_LINK: link_id})

    def minted_link(self, card_id: str, link_id: str) -> str | None:
        """The address of a link :meth:`send_link` queued, made as its message is sent.

        Messaging calls it when it sends the message; ``None`` when the link can't be
        used any more (used, expired, voided by a newer link or a change of login or
        password, or the host's token secret changed), and the send is skipped.
        """
        key = self._business.messaging.secret_key(_LINK_KEY)
        token = self._links.pending(as_id("card_id", card_id), as_id("link_id", link_id), key)
        return None if token is None else self._links.address(token)

    def redeem_link(self, token: str, *, new_password: str | None = None) -> Principal:
        """Use a link once: sign in, and with a reset link set ``new_password``.

        A reset whose new password is refused leaves the link usable. A link of another
        business is refused like an unknown one.

        :raises AuthenticationError: ``portal.link_invalid`` for an unknown, used,
            expired or voided link (after a login or password change).
        :raises ValidationError: a reset link without an acceptable ``new_password``.
        """
        link, revision, account = self._links.valid(token)
        if link.purpose is LinkPurpose.RESET:
            card = self._business.cards.get(link.card_id)
            if new_password is None:
                raise invalid("password", "field.required")
            self.settings.policy.check(new_password, login=account.login, lang=_lang(card))
            try:
                return self._set_password(
                    link.card_id,
                    self.settings.hasher.hash(new_password),
                    expected=account,
                    link=(link, revision),
                )
            except VersionConflictError:
                raise AuthenticationError("portal.link_invalid") from None

        def work() -> PortalAccount:
            now = self._core.clock.now()
            self._links.use(link, revision, now)
            found = self._accounts.of_card(link.card_id)
            if found is None or found[0].credential_version != link.credential_version:
                raise AuthenticationError("portal.link_invalid")
            signed_in = attrs.evolve(found[0], last_sign_in_at=now)
            self._accounts.save(signed_in, found[1])
            self._throttles.forgive_login(signed_in.login)
            return signed_in

        try:
            return Principal.of(self._core.write(work))
        except VersionConflictError:
            # Someone used the link (or changed the account) in the meantime.
            raise AuthenticationError("portal.link_invalid") from None

    def purge(self) -> int:
        """Delete the business's used and expired links and stale sign-in counters.

        Run it now and then (daily): both hold keyed traces of clients' logins. Returns
        how many records went.
        """
        return self._links.purge(self._throttles)

    # -- self-service -------------------------------------------------------------------

    def profile(self, principal: Principal, *, lang: str | None = None) -> Profile:
        """The client's own card, the online form, and what is still to ask."""
        self.check(principal)
        card = self._business.cards.get(principal.card_id)
        schema = self._business.cards.schema()
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
            update = self._business.cards.edit(
                principal.card_id,
                values,
                expected_version=expected_version,
                context=Context.PORTAL,
                lang=lang,
            )
            # cards.edit moved the login with a changed address, in this unit of work.
            return update.card

        return self._core.write(work)

    def consents(self, principal: Principal) -> ConsentState:
        """The client's current consents."""
        self.check(principal)
        return self._business.consent.state(principal.card_id)

    def change_consent(
        self,
        principal: Principal,
        purpose: Purpose | str,
        channel: Channel | str | None,
        *,
        grant: bool,
        wording_version: str | None = None,
    ) -> ConsentState:
        """Grant (with the wording shown) or withdraw one consent, from the portal.

        Recorded with source ``client_portal`` and the account as actor
        (``portal:<account id>``).
        """
        account = self.check(principal)
        return self._business.consent.record(
            principal.card_id,
            ConsentAction.GRANT if grant else ConsentAction.WITHDRAW,
            source=ConsentSource.CLIENT_PORTAL,
            by=f"portal:{account.id}",
            purpose=purpose,
            channel=channel,
            wording_version=wording_version if grant else None,
        )

    def appointments(self, principal: Principal) -> tuple[list[Appointment], list[Appointment]]:
        """The client's future appointments (soonest first) and past ones (latest first).

        Technical notes are staff's working notes and are left out.
        """
        self.check(principal)
        now = self._core.clock.now()
        visits = [
            attrs.evolve(visit, technical_notes=None)
            for visit in self._business.history.list_appointments(principal.card_id)
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
        return self._business.portability.export_subject(
            principal.card_id,
            by=f"portal:{account.id}",
            # The audit trail's name for this path, kept from the first release.
            via="Portal.download_data",
        )

    def request_erasure(self, principal: Principal) -> SubjectRequest:
        """Ask the business to erase the client's data.

        This records a request with its deadline (one month) for the business to act
        on; nothing is deleted until the business erases the card.
        """
        account = self.check(principal)
        return self._business.requests.receive(
            principal.card_id,
            RequestKind.ERASURE,
            by=f"portal:{account.id}",
            via="Portal.request_erasure",
        )

    def promotions(self, principal: Principal) -> list[Promotion]:
        """The promotions the client could redeem now."""
        self.check(principal)
        return self._business.promotions.active_for(principal.card_id)


def _lang(card: ClientCard) -> str:
    return card.language or "en"
