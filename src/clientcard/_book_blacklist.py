"""Blacklist operations of :class:`~clientcard.book.ClientBook`."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import attrs

from clientcard.blacklist import (
    BLACKLIST_KIND,
    MATCH_KIND,
    BlacklistEntry,
    BlockReason,
    BookingDecision,
    booking_decision,
    entry_from_record,
    entry_to_records,
)
from clientcard.card import ClientCard
from clientcard.contact import email as _email
from clientcard.contact import phone as _phone
from clientcard.contact.email import lookup_key
from clientcard.errors import InvalidValueError, NotFoundError
from clientcard.events import DomainEvent, EventKind
from clientcard.fingerprints import contact_fingerprints, email_fingerprint, phone_fingerprint
from clientcard.storage.protocol import CardQuery
from clientcard.storage.records import RecordQuery

if TYPE_CHECKING:
    from clientcard.clock import Clock
    from clientcard.storage.protocol import ClientStore

__all__ = ["BlacklistMixin"]

T = TypeVar("T")


class BlacklistMixin:
    """Blacklist operations of :class:`~clientcard.book.ClientBook` (see its docs).

    .. versionadded:: 0.1.0
    """

    if TYPE_CHECKING:
        # What ClientBook provides; declared so the type checker can follow the mixin.
        store: ClientStore
        clock: Clock
        _new_id: Callable[[], str]

        def _write(self, work: Callable[[], T]) -> T: ...
        def store_events(self, events: list[DomainEvent]) -> None: ...
        def _event(
            self,
            kind: EventKind,
            business_id: str,
            card: ClientCard | None = None,
            fields: list[str] | None = None,
        ) -> DomainEvent: ...
        def fingerprint_key(self, business_id: str) -> bytes: ...
        def _refresh_permissions(self, card: ClientCard) -> None: ...

    def block(
        self,
        business_id: str,
        card_id: str,
        reason: BlockReason,
        *,
        by: str,
        location_id: str | None = None,
        expires_at: dt.datetime | None = None,
        note: str | None = None,
    ) -> BlacklistEntry:
        """Blacklist a client: they may not book (in ``location_id``, or anywhere).

        The entry keeps fingerprints of the card's e-mail address and phone numbers, so
        :meth:`may_book` also catches the person under a new card. A blocked client
        gets no marketing from then on.

        :raises NotFoundError: the card is not in the business.
        :raises ValidationError: ``blacklist.expiry_past`` for an expiry not after now.
        """

        def work() -> BlacklistEntry:
            card = self.store.get(business_id, card_id)
            key = self.fingerprint_key(business_id)
            entry = BlacklistEntry(
                id=self._new_id(),
                business_id=business_id,
                card_id=card_id,
                reason=reason,
                at=self.clock.now(),
                by=by,
                location_id=location_id,
                expires_at=expires_at,
                note=note,
                fingerprints=contact_fingerprints(key, email=card.email, phones=card.phones),
            )
            self.store.add_records(entry_to_records(entry))
            self._refresh_alike(card)
            event = self._event(EventKind.CLIENT_BLOCKED, business_id, card, [reason.value])
            self.store_events([attrs.evolve(event, record_id=entry.id)])
            return entry

        return self._write(work)

    def lift_block(self, business_id: str, entry_id: str, *, by: str) -> BlacklistEntry:
        """Lift a block now; lifting one already lifted changes nothing.

        :raises NotFoundError: no such entry.
        """

        def work() -> BlacklistEntry:
            stored = self.store.get_record(business_id, BLACKLIST_KIND, entry_id)
            entry = entry_from_record(stored)
            if entry.lifted_at is not None:
                return entry
            lifted = entry.lifted(self.clock.now(), by=by)
            own = entry_to_records(lifted, revision=stored.revision + 1)[0]
            self.store.update_record(own, expected_revision=stored.revision)
            card = None
            if entry.card_id is not None:
                try:
                    card = self.store.get(business_id, entry.card_id)
                except NotFoundError:
                    card = None
                else:
                    self._refresh_alike(card)
            event = self._event(EventKind.CLIENT_UNBLOCKED, business_id, card)
            self.store_events([attrs.evolve(event, record_id=entry.id)])
            return lifted

        return self._write(work)

    def _refresh_alike(self, card: ClientCard) -> None:
        """Refresh the audience of ``card`` and of every card sharing its address or phone.

        A block reaches them all, so none may stay in a marketing audience.
        """
        queries = [CardQuery(phone=number) for number in card.phones]
        if card.email:
            queries.append(CardQuery(email=lookup_key(card.email)))
        alike = {card.id: card}
        for query in queries:
            cursor: str | None = None
            while True:
                page = self.store.find(card.business_id, query, limit=200, cursor=cursor)
                alike.update((other.id, other) for other in page)
                cursor = page.next_cursor
                if cursor is None:
                    break
        for other in alike.values():
            self._refresh_permissions(other)

    def blocks(self, business_id: str, card_id: str) -> list[BlacklistEntry]:
        """Return every block ever placed on a card, lifted and expired ones included."""
        page_query = RecordQuery(kind=BLACKLIST_KIND, card_id=card_id)
        entries: list[BlacklistEntry] = []
        cursor: str | None = None
        while True:
            page = self.store.find_records(business_id, page_query, limit=200, cursor=cursor)
            entries.extend(entry_from_record(record) for record in page)
            cursor = page.next_cursor
            if cursor is None:
                return entries

    def _entries_matching(
        self, business_id: str, fingerprints: frozenset[str]
    ) -> list[BlacklistEntry]:
        ids: set[str] = set()
        for fingerprint in sorted(fingerprints):
            query = RecordQuery(kind=MATCH_KIND, key=fingerprint)
            ids.update(
                str(record.doc["entry_id"])
                for record in self.store.find_records(business_id, query, limit=1000)
            )
        entries = []
        for entry_id in sorted(ids):
            try:
                record = self.store.get_record(business_id, BLACKLIST_KIND, entry_id)
            except NotFoundError:
                continue  # erased with its card since the match was read
            entries.append(entry_from_record(record))
        return entries

    def may_book(
        self,
        business_id: str,
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
        now = self.clock.now()
        key = self.fingerprint_key(business_id)
        prints: set[str] = set()
        entries: list[BlacklistEntry] = []
        if card_id is not None:
            entries.extend(self.blocks(business_id, card_id))
            try:
                card = self.store.get(business_id, card_id)
            except NotFoundError:
                pass
            else:
                prints |= contact_fingerprints(key, email=card.email, phones=card.phones)
        region = self.store.get_business(business_id).region
        if email is not None:
            with contextlib.suppress(InvalidValueError):
                prints.add(email_fingerprint(key, _email.normalize(email)))
        if phone is not None:
            with contextlib.suppress(InvalidValueError):
                prints.add(phone_fingerprint(key, _phone.normalize(phone, region)))
        entries.extend(self._entries_matching(business_id, frozenset(prints)))
        return booking_decision(entries, now=now, location_id=location_id)

    def is_blocked(self, business_id: str, card_id: str) -> bool:
        """Whether any block applies to the card now (anywhere), by card or by details."""
        # Most businesses never block anyone: one cheap query spares them the lookups.
        if not self.store.find_records(business_id, RecordQuery(kind=BLACKLIST_KIND), limit=1):
            return False
        return not self.may_book(business_id, card_id=card_id).allowed
