"""The blacklist service: block clients, lift blocks and decide whether someone may book.

A block is a ``blacklist`` record on the client's card plus one ``blacklist.match``
record per fingerprint of the card's e-mail address and phone numbers (see
:mod:`clientcard.blacklist.model`), so the decision also catches the person when they
come back under a new card. Blocking or lifting changes who may get marketing, so both
refresh the stored contact permissions of every card that shares those details.

The booking paths (``desk.cards.submit_booking``, ``desk.history.add_appointment``)
ask :meth:`BlacklistService.check_booking`, which refuses a blocked person with
:class:`~clientcard.errors.BlockedClientError` unless staff override it. A block
outlives its card: deleting the card (:meth:`BlacklistService.keep_blocks_of`) or
erasing the client keeps it detached, as fingerprints only, unless the business's
erasure policy says ``keep_blocks=False``. Lifting a block deletes its fingerprints.
Blocking, lifting and overriding each append to the privacy audit trail (ids only).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
from collections.abc import Iterable

from clientcard._core import Service, as_enum, as_id, as_optional_id, audit_queue
from clientcard.blacklist.model import (
    BLACKLIST_KIND,
    MATCH_KIND,
    BlacklistEntry,
    BlockReason,
    BookingDecision,
    booking_decision,
    entry_from_record,
    entry_to_records,
)
from clientcard.cards.card import ClientCard
from clientcard.contact import email as _email
from clientcard.contact import phone as _phone
from clientcard.contact.email import lookup_key
from clientcard.erasure.audit import AuditAction
from clientcard.errors import BlockedClientError, InvalidValueError, NotFoundError, ValidationError
from clientcard.events import EventKind
from clientcard.fingerprints import contact_fingerprints, email_fingerprint, phone_fingerprint
from clientcard.storage.protocol import CardQuery
from clientcard.storage.records import RecordQuery

__all__ = ["BlacklistService"]


class BlacklistService(Service):
    """Clients one business won't book, and the booking decision.

    Reached as ``book.business(id).blacklist``.

    .. versionadded:: 0.1.0
    """

    def add(
        self,
        card_id: str,
        reason: BlockReason | str,
        *,
        by: str,
        location_id: str | None = None,
        expires_at: dt.datetime | None = None,
        note: str | None = None,
    ) -> BlacklistEntry:
        """Blacklist a client: they may not book (in ``location_id``, or anywhere).

        The entry keeps fingerprints of the card's e-mail address and phone numbers, so
        :meth:`may_book` also catches the person under a new card. A blocked client
        gets no marketing from then on. The audit trail records the block (its entry
        id and reason code; never the note).

        :raises NotFoundError: the card is not in the business.
        :raises ValidationError: ``blacklist.expiry_past`` for an expiry not after now.
        :raises ValueError: ``reason`` is not a :class:`BlockReason` value.
        """
        card_id = as_id("card_id", card_id)
        why = as_enum(BlockReason, "reason", reason)
        location_id = as_optional_id("location_id", location_id)
        core = self._core
        business_id = self.business_id

        def work() -> BlacklistEntry:
            card = core.store.get(business_id, card_id)
            key = core.fingerprint_key(business_id)
            entry = BlacklistEntry(
                id=core.new_id(),
                business_id=business_id,
                card_id=card_id,
                reason=why,
                at=core.clock.now(),
                by=by,
                location_id=location_id,
                expires_at=expires_at,
                note=note,
                fingerprints=contact_fingerprints(key, email=card.email, phones=card.phones),
            )
            core.store.add_records(entry_to_records(entry))
            self._refresh_alike(card)
            self._business.audit.record(
                AuditAction.BLACKLISTED,
                by=by,
                via="blacklist.add",
                card_id=card_id,
                detail={"entry": entry.id, "reason": why.value},
            )
            core.store_events(
                [
                    core.event(
                        EventKind.CLIENT_BLOCKED,
                        business_id,
                        card,
                        [why.value],
                        record_id=entry.id,
                    )
                ]
            )
            return entry

        return core.write(work, queue=audit_queue(self.business_id))

    def lift(self, entry_id: str, *, by: str) -> BlacklistEntry:
        """Lift a block now; lifting one already lifted changes nothing.

        The entry is kept, marked lifted (by whom and when), in :meth:`list`: lifting
        ends a block without deleting it. Its fingerprints are deleted, so nothing of
        the person stays with a block that no longer applies (one kept after the card
        was deleted or erased included). The audit trail records the lifting.

        :raises NotFoundError: no such entry.
        """
        entry_id = as_id("entry_id", entry_id)
        core = self._core
        business_id = self.business_id

        def work() -> BlacklistEntry:
            stored = core.store.get_record(business_id, BLACKLIST_KIND, entry_id)
            entry = entry_from_record(stored)
            if entry.lifted_at is not None:
                return entry
            lifted = entry.lifted(core.clock.now(), by=by)
            own = entry_to_records(lifted, revision=stored.revision + 1)[0]
            core.store.update_record(own, expected_revision=stored.revision)
            if entry.match_ids:
                core.store.delete_records(
                    business_id, kind=MATCH_KIND, record_ids=builtins.list(entry.match_ids)
                )
            self._business.audit.record(
                AuditAction.UNBLACKLISTED,
                by=by,
                via="blacklist.lift",
                card_id=entry.card_id,
                detail={"entry": entry.id},
            )
            card = None
            if entry.card_id is not None:
                try:
                    card = core.store.get(business_id, entry.card_id)
                except NotFoundError:
                    card = None
                else:
                    self._refresh_alike(card)
            core.store_events(
                [core.event(EventKind.CLIENT_UNBLOCKED, business_id, card, record_id=entry.id)]
            )
            return lifted

        return core.write(work, queue=audit_queue(self.business_id))

    def get(self, entry_id: str) -> BlacklistEntry:
        """Return one block by its id, as a :class:`~clientcard.errors.BlockedClientError` names it.

        :raises NotFoundError: no such entry.
        """
        entry_id = as_id("entry_id", entry_id)
        return entry_from_record(
            self._core.store.get_record(self.business_id, BLACKLIST_KIND, entry_id)
        )

    def kept(self) -> builtins.list[BlacklistEntry]:
        """Return the blocks that outlived their card (deleted or erased), oldest first.

        They hold no card, no note and no detail of the person: staff read the reason,
        who blocked and when, and may :meth:`lift` them.
        """
        query = RecordQuery(kind=BLACKLIST_KIND)
        return [
            entry
            for entry in map(entry_from_record, self._core.iter_records(self.business_id, query))
            if entry.card_id is None
        ]

    def list(self, card_id: str) -> builtins.list[BlacklistEntry]:
        """Return every block ever placed on a card, lifted and expired ones included."""
        card_id = as_id("card_id", card_id)
        query = RecordQuery(kind=BLACKLIST_KIND, card_id=card_id)
        return [
            entry_from_record(record) for record in self._core.iter_records(self.business_id, query)
        ]

    def may_book(
        self,
        *,
        card_id: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        location_id: str | None = None,
    ) -> BookingDecision:
        """Tell a booking flow whether this person may book now.

        Give the card if the client is known, and the e-mail address and phone number
        they typed: a block on the card, or on any card with the same address or
        number, says no. Input that isn't a valid address or number matches nothing.
        """
        return self._decide(card_id, email, () if phone is None else (phone,), location_id)

    def _decide(
        self,
        card_id: str | None,
        email: str | None,
        phones: tuple[str, ...],
        location_id: str | None,
    ) -> BookingDecision:
        card_id = as_optional_id("card_id", card_id)
        location_id = as_optional_id("location_id", location_id)
        core = self._core
        business_id = self.business_id
        now = core.clock.now()
        # Most businesses never block anyone: one cheap query spares them the lookups.
        if not core.store.find_records(business_id, RecordQuery(kind=BLACKLIST_KIND), limit=1):
            return BookingDecision(allowed=True)
        key = core.fingerprint_key(business_id)
        prints: set[str] = set()
        entries: builtins.list[BlacklistEntry] = []
        if card_id is not None:
            entries.extend(self.list(card_id))
            try:
                card = core.store.get(business_id, card_id)
            except NotFoundError:
                pass
            else:
                prints |= contact_fingerprints(key, email=card.email, phones=card.phones)
        region = core.store.get_business(business_id).region
        if email is not None:
            with contextlib.suppress(InvalidValueError):
                prints.add(email_fingerprint(key, _email.normalize(email)))
        for phone in phones:
            with contextlib.suppress(InvalidValueError):
                prints.add(phone_fingerprint(key, _phone.normalize(phone, region)))
        entries.extend(self._entries_matching(frozenset(prints)))
        return booking_decision(entries, now=now, location_id=location_id)

    def check_booking(
        self,
        *,
        card_id: str | None = None,
        email: str | None = None,
        phones: Iterable[str] = (),
        location_id: str | None = None,
        override_block: bool = False,
        by: str | None = None,
    ) -> BookingDecision:
        """Refuse a booking a block forbids; the booking paths call this before writing.

        Takes what :meth:`may_book` takes (any number of phone numbers). When a block
        applies and ``override_block`` is false, raises
        :class:`~clientcard.errors.BlockedClientError` naming the entry and ``card_id``.
        With ``override_block=True`` the booking goes ahead: the decision is returned
        and the caller files the override with :meth:`record_override` once it knows the
        card. Joins the caller's unit of work.

        :raises BlockedClientError: a block applies and no override was asked for.
        :raises ValidationError: ``booking.override_without_actor`` for an override
            without ``by`` (the member of staff who decided it).
        """
        if override_block and not by:
            raise ValidationError.of("by", "booking.override_without_actor")
        decision = self._decide(card_id, email, tuple(phones), location_id)
        if decision.allowed or override_block:
            return decision
        raise BlockedClientError(str(decision.entry_id), card_id)

    def booking_queue(self, override_block: bool) -> str | None:
        """The queue a booking's unit of work waits in.

        The business's audit queue when the booking may override a block, and so file
        it in the audit trail (:meth:`record_override`); none otherwise.
        """
        return audit_queue(self.business_id) if override_block else None

    def record_override(
        self, decision: BookingDecision, *, card_id: str, by: str, via: str
    ) -> None:
        """File in the audit trail that ``by`` booked ``card_id`` past a block.

        Does nothing for a decision that allowed the booking anyway.
        """
        if decision.allowed or decision.entry_id is None:
            return
        self._business.audit.record(
            AuditAction.BLOCK_OVERRIDDEN,
            by=by,
            via=via,
            card_id=card_id,
            detail={"entry": decision.entry_id},
        )

    def keep_blocks_of(self, card_id: str) -> int:
        """Keep a card's blocks, as fingerprints only, before the card is deleted.

        ``desk.cards.remove`` calls this in its unit of work: every block that still
        applies or is yet to apply is detached from the card, loses its note and keeps
        its fingerprints, so the same person booking again is still refused. Lifted and
        expired blocks go with the card. Nothing is kept when the business's erasure
        policy says ``keep_blocks=False``. Returns how many blocks were kept.
        """
        card_id = as_id("card_id", card_id)
        core = self._core
        business_id = self.business_id
        if not self._business.erasure.policy().keep_blocks:
            return 0
        now = core.clock.now()
        kept = 0
        query = RecordQuery(kind=BLACKLIST_KIND, card_id=card_id)
        for stored in builtins.list(core.iter_records(business_id, query)):
            entry = entry_from_record(stored)
            ends = entry.ends_at
            if entry.lifted_at is not None or (ends is not None and ends <= now):
                continue
            own = entry_to_records(entry.detached(), revision=stored.revision + 1)[0]
            core.store.update_record(own, expected_revision=stored.revision)
            for match_id in entry.match_ids:
                match = core.store.get_record(business_id, MATCH_KIND, match_id)
                core.store.update_record(
                    match.revised(dict(match.doc), card_id=None), expected_revision=match.revision
                )
            kept += 1
        return kept

    def is_blocked(self, card_id: str) -> bool:
        """Whether any block applies to the card now (anywhere), by card or by details."""
        card_id = as_id("card_id", card_id)
        return not self.may_book(card_id=card_id).allowed

    # -- internals ----------------------------------------------------------------------

    def _refresh_alike(self, card: ClientCard) -> None:
        """Refresh the audience of ``card`` and of every card sharing its address or phone.

        A block reaches them all, so none may stay in a marketing audience. Their wards
        are left alone: a ward's decision doesn't read its guardian's block.
        """
        queries = [CardQuery(phone=number) for number in card.phones]
        if card.email:
            queries.append(CardQuery(email=lookup_key(card.email)))
        alike = {card.id: card}
        for query in queries:
            alike.update(
                (other.id, other) for other in self._core.iter_cards(self.business_id, query)
            )
        for other_id in alike:
            self._business.consent.refresh_permissions(other_id, wards=False)

    def _entries_matching(self, fingerprints: frozenset[str]) -> builtins.list[BlacklistEntry]:
        """The entries holding any of ``fingerprints`` (still stored), by id."""
        store = self._core.store
        business_id = self.business_id
        ids: set[str] = set()
        for fingerprint in sorted(fingerprints):
            query = RecordQuery(kind=MATCH_KIND, key=fingerprint)
            ids.update(
                str(record.doc["entry_id"])
                for record in store.find_records(business_id, query, limit=1000)
            )
        entries = []
        for entry_id in sorted(ids):
            try:
                record = store.get_record(business_id, BLACKLIST_KIND, entry_id)
            except NotFoundError:
                continue  # erased with its card since the match was read
            entries.append(entry_from_record(record))
        return entries
