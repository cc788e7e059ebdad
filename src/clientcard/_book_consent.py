"""The consent half of :class:`~clientcard.book.ClientBook`: ledger, decisions, guardians.

Kept apart so each module stays readable; :class:`ConsentMixin` has no state of its own
and is only ever used as a base of ``ClientBook``.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final, TypeVar

from clientcard.card import CardUpdate, ClientCard
from clientcard.consent import (
    NOT_MESSAGES,
    Channel,
    ConsentAction,
    ConsentEvent,
    ConsentReport,
    ConsentSource,
    ConsentState,
    Decision,
    GuardianConsent,
    Purpose,
    TokenError,
    consent_report,
    make_confirmation_token,
    may_contact,
    may_profile,
    read_confirmation_token,
    read_unsubscribe_token,
    replay,
)
from clientcard.errors import NotFoundError
from clientcard.events import EventKind
from clientcard.storage.protocol import CardQuery
from clientcard.storage.records import RecordQuery

if TYPE_CHECKING:
    from collections.abc import Callable

    from clientcard.clock import Clock
    from clientcard.events import DomainEvent
    from clientcard.storage.protocol import ClientStore

T = TypeVar("T")

__all__ = ["MESSAGE_PURPOSES", "PROFILING_PERMISSION", "ConsentMixin"]

SUPPRESSION_KIND: Final = "suppression"
"""The record kind of an erased client's kept "do not contact" fingerprints."""

PROFILING_PERMISSION: Final = ("profiling", "any")
"""The pair the permissions projection holds for a client whose consent allows profiling,
so aggregates can select those clients in the store (``CardQuery(contactable=...)``)."""

MESSAGE_PURPOSES: Final[tuple[Purpose, ...]] = tuple(
    purpose for purpose in Purpose if purpose not in NOT_MESSAGES
)


def _consent_key(purpose: Purpose | None, channel: Channel | None) -> str:
    names = [part.value for part in (purpose, channel) if part is not None]
    return ".".join(names)


"""The purposes that are messages (not uses of data such as profiling)."""


class ConsentMixin:
    """Consent operations of :class:`~clientcard.book.ClientBook` (see its docs).

    .. versionadded:: 0.1.0
    """

    if TYPE_CHECKING:
        # What ClientBook provides; declared so the type checker can follow the mixin.
        store: ClientStore
        clock: Clock
        _new_id: Callable[[], str]

        def _write(self, work: Callable[[], T]) -> T: ...
        def _save(self, update: CardUpdate) -> None: ...
        def _check_version(self, card: ClientCard, expected: int) -> None: ...
        def store_events(self, events: list[DomainEvent]) -> None: ...
        def is_blocked(self, business_id: str, card_id: str) -> bool: ...
        def is_suppressed(
            self, business_id: str, *, email: str | None = None, phones: Iterable[str] = ()
        ) -> bool: ...
        def _event(
            self,
            kind: EventKind,
            business_id: str,
            card: ClientCard | None = None,
            fields: list[str] | None = None,
        ) -> DomainEvent: ...

    # -- consent ----------------------------------------------------------------------

    def record_consent(
        self,
        business_id: str,
        card_id: str,
        action: ConsentAction,
        *,
        source: ConsentSource,
        recorded_by: str,
        purpose: Purpose | None = None,
        channel: Channel | None = None,
        wording_version: str | None = None,
        evidence_ref: str | None = None,
        guardian: GuardianConsent | None = None,
        expires_at: dt.datetime | None = None,
    ) -> ConsentState:
        """Append a grant, withdrawal or objection to the client's ledger; return the state.

        The contact permissions the store queries are refreshed in the same unit of
        work, and a ``consent.changed`` event tells the host's other systems.
        ``expires_at`` belongs to confirmation requests (see :meth:`request_consent`).

        :raises ValidationError: the event is incomplete (no wording on a grant, ...).
        :raises NotFoundError: no such card in this business.
        """

        def work() -> ConsentState:
            card = self.store.get(business_id, card_id)
            if guardian is not None and guardian.guardian_card_id is not None:
                # A guardian named by card must be a client of this same business.
                self.store.get(business_id, guardian.guardian_card_id)
            event = ConsentEvent(
                event_id=self._new_id(),
                business_id=business_id,
                card_id=card_id,
                action=action,
                at=self.clock.now(),
                source=source,
                recorded_by=recorded_by,
                purpose=purpose,
                channel=channel,
                wording_version=wording_version,
                evidence_ref=evidence_ref,
                guardian=guardian,
                expires_at=expires_at,
            )
            self.store.append_consent([event])
            state = replay(self.store.consent_events(business_id, card_id))
            if purpose is Purpose.SPECIAL_CATEGORY_DATA and not state.is_granted(purpose, None):
                card = self._forget_sensitive(card)
            self._refresh_permissions(card, state)
            what = "objection" if event.key is None else _consent_key(purpose, channel)
            self.store_events([self._event(EventKind.CONSENT_CHANGED, business_id, card, [what])])
            return state

        return self._write(work)

    def request_consent(
        self,
        business_id: str,
        card_id: str,
        purpose: Purpose,
        channel: Channel,
        *,
        source: ConsentSource,
        recorded_by: str,
        wording_version: str,
        secret: bytes,
        valid_for: dt.timedelta = dt.timedelta(days=7),
    ) -> str:
        """Start a double opt-in: record the pending request, return the confirmation token.

        Until the client follows the link (:meth:`confirm_consent`), nothing is granted
        (decisions say ``pending_confirmation``); after ``valid_for`` the link expires.
        """
        expires_at = self.clock.now() + valid_for
        self.record_consent(
            business_id,
            card_id,
            ConsentAction.REQUEST_CONFIRMATION,
            source=source,
            recorded_by=recorded_by,
            purpose=purpose,
            channel=channel,
            wording_version=wording_version,
            expires_at=expires_at,
        )
        request = self.consent_ledger(business_id, card_id)[-1]
        return make_confirmation_token(
            secret,
            business_id=business_id,
            card_id=card_id,
            purpose=purpose,
            channel=channel,
            expires_at=expires_at,
            request_id=request.event_id,
        )

    def confirm_consent(self, token: str, *, secret: bytes) -> ConsentState:
        """Complete a double opt-in from its link: the grant cites the request as evidence.

        A link confirms its own request only while that request is still the pending
        one: used twice, or after a withdrawal or a newer request, it is refused.

        :raises TokenError: malformed, forged, for another use, expired, or ``used``.
        """
        now = self.clock.now()
        subject = read_confirmation_token(secret, token, now=now)
        key = (subject.purpose, subject.channel)
        ledger = self.consent_ledger(subject.business_id, subject.card_id)
        request = next((e for e in ledger if e.event_id == subject.ref), None)
        choice = replay(ledger).choices.get(key)
        if (
            request is None
            or choice is None
            or choice.event_id != request.event_id
            or choice.status(now) != "pending"
        ):
            raise TokenError("used")
        return self.record_consent(
            subject.business_id,
            subject.card_id,
            ConsentAction.GRANT,
            source=ConsentSource.CONFIRMATION_LINK,
            recorded_by="client",
            purpose=subject.purpose,
            channel=subject.channel,
            wording_version=request.wording_version,
            evidence_ref=f"double-opt-in:{request.event_id}",
        )

    def unsubscribe(self, token: str, *, secret: bytes) -> ConsentState:
        """Withdraw what an unsubscribe link's token names: one call, no sign-in.

        :raises TokenError: the token is malformed, forged or for another use.
        """
        subject = read_unsubscribe_token(secret, token)
        return self.record_consent(
            subject.business_id,
            subject.card_id,
            ConsentAction.WITHDRAW,
            source=ConsentSource.UNSUBSCRIBE_LINK,
            recorded_by="unsubscribe-link",
            purpose=subject.purpose,
            channel=subject.channel,
        )

    def consent(self, business_id: str, card_id: str) -> ConsentState:
        """Return the client's consent as their ledger says it is now."""
        self.store.get(business_id, card_id)
        return replay(self.store.consent_events(business_id, card_id))

    def consent_ledger(self, business_id: str, card_id: str) -> list[ConsentEvent]:
        """Return the client's ledger, the proof of what they agreed to, oldest first."""
        self.store.get(business_id, card_id)
        return self.store.consent_events(business_id, card_id)

    def consent_report(
        self, business_id: str, card_id: str, *, lang: str | None = None
    ) -> ConsentReport:
        """Write the client's consent report (what, when, how) in ``lang``.

        Without ``lang``, the client's own language is used, else the business's.
        """
        card = self.store.get(business_id, card_id)
        language = lang or card.language or self.store.get_business(business_id).language
        return consent_report(self.consent_ledger(business_id, card_id), language)

    def may_contact(
        self,
        business_id: str,
        card_id: str,
        purpose: Purpose,
        channel: Channel,
        *,
        blacklisted: bool | None = None,
    ) -> Decision:
        """Decide now whether the client may receive ``purpose`` on ``channel``.

        ``blacklisted`` is looked up (:meth:`is_blocked`) unless given.
        """
        card = self.store.get(business_id, card_id)
        business = self.store.get_business(business_id)
        return may_contact(
            card,
            purpose,
            channel,
            state=replay(self.store.consent_events(business_id, card_id)),
            policy=business.consent_policy,
            today=self.clock.now().date(),
            blacklisted=self.is_blocked(business_id, card_id)
            if blacklisted is None
            else blacklisted,
            guardian=self.guardian_of(card),
            suppressed=self._suppressed(card),
        )

    def _suppressed(self, card: ClientCard) -> bool:
        """Whether the card's address or a number carries an erased client's "no"."""
        # Most businesses keep no suppressions: one cheap query spares them the lookups.
        query = RecordQuery(kind=SUPPRESSION_KIND)
        if not self.store.find_records(card.business_id, query, limit=1):
            return False
        return self.is_suppressed(card.business_id, email=card.email, phones=card.phones)

    def guardian_of(self, card: ClientCard) -> ClientCard | None:
        """Return the card of ``card``'s guardian, or ``None`` (none linked, or gone)."""
        if card.guardian_id is None:
            return None
        try:
            return self.store.get(card.business_id, card.guardian_id)
        except NotFoundError:
            return None

    def link_guardian(
        self,
        business_id: str,
        child_id: str,
        guardian_id: str | None,
        *,
        expected_version: int,
    ) -> CardUpdate:
        """Link a child's card to a parent's or guardian's card (``None`` unlinks).

        The guardian's contact details then receive the child's service messages;
        marketing to a child still needs a guardian's recorded consent.

        :raises NotFoundError: either card is not in this business.
        """

        def work() -> CardUpdate:
            card = self.store.get(business_id, child_id)
            self._check_version(card, expected_version)
            if guardian_id is not None:
                self.store.get(business_id, guardian_id)
            update = card.with_guardian(guardian_id, at=self.clock.now())
            self._save(update)
            return update

        return self._write(work)

    def _forget_sensitive(self, card: ClientCard) -> ClientCard:
        """Clear the sensitive fields of a card whose Art. 9 consent was withdrawn.

        Such data was kept on that consent alone, so it goes when the consent goes.
        """
        schema = self.store.get_business(card.business_id).schema
        held = {key: None for key in schema.sensitive_keys if card.value(key) is not None}
        update = card.apply(held, at=self.clock.now())
        self._save(update)
        return update.card

    def _refresh_permissions(self, card: ClientCard, state: ConsentState | None = None) -> None:
        """Record who may be contacted for what, as the store's audience queries read it.

        Run on every change of a card or its consent; a dispatcher still decides again
        at the moment of sending, since time alone (a child's birthday) can change it.
        """
        if state is None:
            state = replay(self.store.consent_events(card.business_id, card.id))
        policy = self.store.get_business(card.business_id).consent_policy
        today = self.clock.now().date()
        guardian = self.guardian_of(card)
        blocked = self.is_blocked(card.business_id, card.id)
        suppressed = self._suppressed(card)
        allowed = {
            (purpose.value, channel.value)
            for purpose in MESSAGE_PURPOSES
            for channel in Channel
            if may_contact(
                card,
                purpose,
                channel,
                state=state,
                policy=policy,
                today=today,
                guardian=guardian,
                blacklisted=blocked,
                suppressed=suppressed,
            )
        }
        if may_profile(state):
            allowed.add(PROFILING_PERMISSION)
        self.store.set_permissions(card.business_id, card.id, frozenset(allowed))

    def _refresh_wards(self, guardian: ClientCard) -> None:
        """Refresh the children whose service messages go to ``guardian``'s address."""
        cursor: str | None = None
        while True:
            page = self.store.find(
                guardian.business_id, CardQuery(guardian_id=guardian.id), limit=100, cursor=cursor
            )
            for child in page:
                self._refresh_permissions(child)
            cursor = page.next_cursor
            if cursor is None:
                return
