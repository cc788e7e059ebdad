"""The consent service: the ledger, double opt-in, guardians and the contact decision.

Reached as ``book.business(id).consent``. Every grant, withdrawal and objection is
appended to the client's ledger (:mod:`clientcard.consent.ledger`) in one unit of work
that also refreshes the contact permissions the store's audience queries read and files
a ``consent.changed`` event for the host's other systems.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt

from clientcard._core import Service, as_enum, as_id, as_optional_enum, as_optional_id
from clientcard.cards.card import CardUpdate, ClientCard
from clientcard.consent import _projection, _refresh, decision
from clientcard.consent.decision import Decision
from clientcard.consent.ledger import (
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    ConsentState,
    GuardianConsent,
    replay,
)
from clientcard.consent.purposes import Channel, Purpose
from clientcard.consent.report import ConsentReport, consent_report
from clientcard.consent.tokens import (
    TokenError,
    make_confirmation_token,
    read_confirmation_token,
    read_unsubscribe_token,
)
from clientcard.errors import NotFoundError
from clientcard.events import EventKind

__all__ = ["ConsentService"]


class ConsentService(Service):
    """One business's consent (``book.business(id).consent``).

    Enum arguments (``action``, ``source``, ``purpose``, ``channel``) take a member or its
    value: ``purpose="marketing"`` is ``Purpose.MARKETING``.

    .. versionadded:: 0.1.0
    """

    # -- recording ----------------------------------------------------------------------

    def record(
        self,
        card_id: str,
        action: ConsentAction | str,
        *,
        source: ConsentSource | str,
        by: str,
        purpose: Purpose | str | None = None,
        channel: Channel | str | None = None,
        wording_version: str | None = None,
        evidence_ref: str | None = None,
        guardian: GuardianConsent | None = None,
        expires_at: dt.datetime | None = None,
    ) -> ConsentState:
        """Append a grant, withdrawal or objection to the client's ledger; return the state.

        ``by`` is who recorded it (a staff member's, the client's or a system's id). The
        contact permissions the store queries are refreshed in the same unit of work, and
        a ``consent.changed`` event tells the host's other systems. ``expires_at``
        belongs to confirmation requests (see :meth:`request`). Withdrawing consent to
        special category data clears the card's sensitive fields, which were kept on that
        consent alone.

        :raises ValidationError: the event is incomplete (no wording on a grant, ...).
        :raises NotFoundError: no such card (or guardian card) in this business.
        :raises ValueError: an enum argument is not one of its values.
        """
        state, _event = self._record(
            as_id("card_id", card_id),
            as_enum(ConsentAction, "action", action),
            source=as_enum(ConsentSource, "source", source),
            by=by,
            purpose=as_optional_enum(Purpose, "purpose", purpose),
            channel=as_optional_enum(Channel, "channel", channel),
            wording_version=wording_version,
            evidence_ref=evidence_ref,
            guardian=guardian,
            expires_at=expires_at,
        )
        return state

    def grant(
        self,
        card_id: str,
        purpose: Purpose | str,
        channel: Channel | str | None = None,
        *,
        wording_version: str,
        by: str,
        source: ConsentSource | str = ConsentSource.STAFF,
        evidence_ref: str | None = None,
        guardian: GuardianConsent | None = None,
    ) -> ConsentState:
        """Record the client's consent to ``purpose`` on ``channel``; return the state.

        A shorthand for :meth:`record` with ``ConsentAction.GRANT``. ``channel`` is left
        out only for purposes that are not messages (profiling, special category data).
        ``source`` is staff at the desk unless said otherwise.

        :raises ValidationError: the grant is incomplete (a message purpose without a
            channel, no wording).
        :raises NotFoundError: no such card (or guardian card) in this business.
        :raises ValueError: an enum argument is not one of its values.
        """
        return self.record(
            card_id,
            ConsentAction.GRANT,
            source=source,
            by=by,
            purpose=purpose,
            channel=channel,
            wording_version=wording_version,
            evidence_ref=evidence_ref,
            guardian=guardian,
        )

    def withdraw(
        self,
        card_id: str,
        purpose: Purpose | str,
        channel: Channel | str | None = None,
        *,
        by: str,
        source: ConsentSource | str = ConsentSource.STAFF,
    ) -> ConsentState:
        """Record the withdrawal of consent to ``purpose`` on ``channel``; return the state.

        A shorthand for :meth:`record` with ``ConsentAction.WITHDRAW``. ``channel`` is
        left out only for purposes that are not messages. ``source`` is staff at the
        desk unless said otherwise.

        :raises ValidationError: a message purpose without a channel, or the reverse.
        :raises NotFoundError: no such card in this business.
        :raises ValueError: an enum argument is not one of its values.
        """
        return self.record(
            card_id,
            ConsentAction.WITHDRAW,
            source=source,
            by=by,
            purpose=purpose,
            channel=channel,
        )

    # -- double opt-in and links --------------------------------------------------------

    def request(
        self,
        card_id: str,
        purpose: Purpose | str,
        channel: Channel | str,
        *,
        source: ConsentSource | str,
        by: str,
        wording_version: str,
        secret: bytes,
        valid_for: dt.timedelta = dt.timedelta(days=7),
    ) -> str:
        """Start a double opt-in: record the pending request, return the confirmation token.

        Until the client follows the link (:meth:`confirm`), nothing is granted (decisions
        say ``pending_confirmation``); after ``valid_for`` the link expires.

        :raises ValidationError: the request is incomplete.
        :raises NotFoundError: no such card in this business.
        :raises ValueError: an enum argument is not one of its values.
        """
        card_id = as_id("card_id", card_id)
        purpose = as_enum(Purpose, "purpose", purpose)
        channel = as_enum(Channel, "channel", channel)
        expires_at = self._core.clock.now() + valid_for
        _state, request = self._record(
            card_id,
            ConsentAction.REQUEST_CONFIRMATION,
            source=as_enum(ConsentSource, "source", source),
            by=by,
            purpose=purpose,
            channel=channel,
            wording_version=wording_version,
            expires_at=expires_at,
        )
        return make_confirmation_token(
            secret,
            business_id=self.business_id,
            card_id=card_id,
            purpose=purpose,
            channel=channel,
            expires_at=expires_at,
            request_id=request.event_id,
        )

    def confirm(self, token: str, *, secret: bytes) -> ConsentState:
        """Complete a double opt-in from its link: the grant cites the request as evidence.

        A link confirms its own request only while that request is still the pending
        one: used twice, or after a withdrawal or a newer request, it is refused. A token
        of another business is refused as a forged one is.

        :raises TokenError: malformed, forged, for another use, expired, or ``used``.
        :raises NotFoundError: the client's card is gone.
        """
        core = self._core

        def work() -> ConsentState:
            # Checked and granted in one unit, so two clicks at once can't both grant.
            now = core.clock.now()
            subject = read_confirmation_token(secret, token, now=now, business_id=self.business_id)
            key = (subject.purpose, subject.channel)
            ledger = self.ledger(subject.card_id)
            request = next((e for e in ledger if e.event_id == subject.ref), None)
            choice = replay(ledger).choices.get(key)
            if (
                request is None
                or choice is None
                or choice.event_id != request.event_id
                or choice.status(now) != "pending"
            ):
                raise TokenError("used")
            state, _event = self._record(
                subject.card_id,
                ConsentAction.GRANT,
                source=ConsentSource.CONFIRMATION_LINK,
                by="client",
                purpose=subject.purpose,
                channel=subject.channel,
                wording_version=request.wording_version,
                evidence_ref=f"double-opt-in:{request.event_id}",
            )
            return state

        return core.write(work)

    def unsubscribe(self, token: str, *, secret: bytes) -> ConsentState:
        """Withdraw what an unsubscribe link's token names: one call, no sign-in.

        A token of another business is refused as a forged one is.

        :raises TokenError: the token is malformed, forged or for another use.
        :raises NotFoundError: the client's card is gone.
        """
        subject = read_unsubscribe_token(secret, token, business_id=self.business_id)
        state, _event = self._record(
            subject.card_id,
            ConsentAction.WITHDRAW,
            source=ConsentSource.UNSUBSCRIBE_LINK,
            by="unsubscribe-link",
            purpose=subject.purpose,
            channel=subject.channel,
        )
        return state

    # -- reading ------------------------------------------------------------------------

    def state(self, card_id: str) -> ConsentState:
        """Return the client's consent as their ledger says it is now.

        :raises NotFoundError: no such card in this business.
        """
        card_id = as_id("card_id", card_id)
        store = self._core.store
        store.get(self.business_id, card_id)
        return replay(store.consent_events(self.business_id, card_id))

    def ledger(self, card_id: str) -> list[ConsentEvent]:
        """Return the client's ledger, the proof of what they agreed to, oldest first.

        :raises NotFoundError: no such card in this business.
        """
        card_id = as_id("card_id", card_id)
        store = self._core.store
        store.get(self.business_id, card_id)
        return store.consent_events(self.business_id, card_id)

    def report(
        self, card_id: str, *, lang: str | None = None, staff: bool = False
    ) -> ConsentReport:
        """Write the client's consent report (what, when, how) in ``lang``.

        Without ``lang``, the client's own language is used, else the business's. The
        report speaks to the client; ``staff=True`` words its summary for staff ("The
        client currently agrees to ...").

        :raises NotFoundError: no such card in this business.
        """
        card_id = as_id("card_id", card_id)
        store = self._core.store
        card = store.get(self.business_id, card_id)
        language = lang or card.language or store.get_business(self.business_id).language
        return consent_report(
            store.consent_events(self.business_id, card_id), language, staff=staff
        )

    def may_contact(
        self,
        card_id: str,
        purpose: Purpose | str,
        channel: Channel | str,
        *,
        blacklisted: bool | None = None,
    ) -> Decision:
        """Decide now whether the client may receive ``purpose`` on ``channel``.

        ``blacklisted`` is looked up (``blacklist.is_blocked``) unless given.

        :raises NotFoundError: no such card in this business.
        :raises ValueError: an enum argument is not one of its values.
        """
        card_id = as_id("card_id", card_id)
        purpose = as_enum(Purpose, "purpose", purpose)
        channel = as_enum(Channel, "channel", channel)
        core = self._core
        card = core.store.get(self.business_id, card_id)
        business = core.store.get_business(self.business_id)
        if blacklisted is None:
            blacklisted = self._business.blacklist.is_blocked(card_id)
        return decision.may_contact(
            card,
            purpose,
            channel,
            state=replay(core.store.consent_events(self.business_id, card_id)),
            policy=business.consent_policy,
            today=business.today(core.clock.now()),
            blacklisted=blacklisted,
            guardian=_refresh.guardian(core, card),
            suppressed=_refresh.suppressed(core, self._business, card),
        )

    # -- guardians ----------------------------------------------------------------------

    def guardian_of(self, card_id: str) -> ClientCard | None:
        """Return the card of the client's guardian, or ``None`` (none linked, or gone).

        :raises NotFoundError: no such card in this business.
        """
        card = self._core.store.get(self.business_id, as_id("card_id", card_id))
        return _refresh.guardian(self._core, card)

    def link_guardian(
        self,
        child_id: str,
        guardian_id: str | None,
        *,
        expected_version: int,
    ) -> CardUpdate:
        """Link a child's card to a parent's or guardian's card (``None`` unlinks).

        The guardian's contact details then receive the child's service messages;
        marketing to a child still needs a guardian's recorded consent.

        :raises VersionConflictError: the child's card is no longer at
            ``expected_version``.
        :raises NotFoundError: either card is not in this business.
        """
        child_id = as_id("child_id", child_id)
        guardian_id = as_optional_id("guardian_id", guardian_id)
        core = self._core

        def work() -> CardUpdate:
            card = core.store.get(self.business_id, child_id)
            core.check_version(card, expected_version)
            if guardian_id is not None:
                core.store.get(self.business_id, guardian_id)
            update = card.with_guardian(guardian_id, at=core.clock.now())
            self._business.cards.save(update)
            return update

        return core.write(work)

    # -- the permissions projection -----------------------------------------------------

    def refresh_permissions(self, card_id: str, *, wards: bool = True) -> None:
        """Recompute the stored contact permissions of a card and of the clients it guards.

        Run on every change of a card (``cards.save`` does) and whenever something a
        decision depends on changes elsewhere (a block, an erasure). The card's own
        permissions are refreshed while it exists; its wards' are refreshed even after
        it was deleted, since their service messages no longer reach it. A dispatcher
        still decides again at the moment of sending: time alone (a child's birthday)
        can change the answer.

        Pass ``wards=False`` when the change can't affect the card's wards: a brand-new
        card guards nobody yet, and a block doesn't reach them (a ward's decision reads
        its guardian's address, not the guardian's block).
        """
        card_id = as_id("card_id", card_id)
        core, desk = self._core, self._business

        def work() -> None:
            try:
                card = core.store.get(self.business_id, card_id)
            except NotFoundError:
                pass
            else:
                _refresh.refresh(core, desk, card)
            if wards:
                _refresh.refresh_wards(core, desk, card_id)

        core.write(work)

    # -- internals ----------------------------------------------------------------------

    def _record(
        self,
        card_id: str,
        action: ConsentAction,
        *,
        source: ConsentSource,
        by: str,
        purpose: Purpose | None = None,
        channel: Channel | None = None,
        wording_version: str | None = None,
        evidence_ref: str | None = None,
        guardian: GuardianConsent | None = None,
        expires_at: dt.datetime | None = None,
    ) -> tuple[ConsentState, ConsentEvent]:
        """:meth:`record` on checked arguments; also return the event appended."""
        core = self._core
        store = core.store

        def work() -> tuple[ConsentState, ConsentEvent]:
            card = store.get(self.business_id, card_id)
            if guardian is not None and guardian.guardian_card_id is not None:
                # A guardian named by card must be a client of this same business.
                store.get(self.business_id, guardian.guardian_card_id)
            event = ConsentEvent(
                event_id=core.new_id(),
                business_id=self.business_id,
                card_id=card_id,
                action=action,
                at=core.clock.now(),
                source=source,
                recorded_by=by,
                purpose=purpose,
                channel=channel,
                wording_version=wording_version,
                evidence_ref=evidence_ref,
                guardian=guardian,
                expires_at=expires_at,
            )
            store.append_consent([event])
            state = replay(store.consent_events(self.business_id, card_id))
            forgot: CardUpdate | None = None
            if purpose is Purpose.SPECIAL_CATEGORY_DATA and not state.is_granted(purpose, None):
                forgot = self._forget_sensitive(card)
                card = forgot.card
            # cards.save refreshed the permissions when it stored a change: once is enough.
            if forgot is None or forgot.is_noop:
                _refresh.refresh(core, self._business, card, state)
            what = "objection" if event.key is None else _projection.consent_key(purpose, channel)
            core.store_events(
                [core.event(EventKind.CONSENT_CHANGED, self.business_id, card, [what])]
            )
            return state, event

        return core.write(work)

    def _forget_sensitive(self, card: ClientCard) -> CardUpdate:
        """Clear the sensitive fields of a card whose Art. 9 consent was withdrawn.

        Such data was kept on that consent alone, so it goes when the consent goes.
        """
        schema = self._core.store.get_business(self.business_id).schema
        held = {key: None for key in schema.sensitive_keys if card.value(key) is not None}
        update = card.apply(held, at=self._core.clock.now())
        self._business.cards.save(update)
        return update
