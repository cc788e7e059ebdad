"""An in-memory :class:`~clientcard.storage.protocol.ClientStore` for tests and prototypes.

It keeps the same rules and raises the same errors as the database stores, so code
tested against it behaves the same on SQLite or PostgreSQL. It is thread-safe: a
transaction holds a re-entrant lock, so writers queue as they would on SQLite.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import attrs

from clientcard.business import Business
from clientcard.cards.card import ClientCard
from clientcard.consent.ledger import ConsentEvent
from clientcard.errors import DuplicateError, NotFoundError, VersionConflictError
from clientcard.events import DomainEvent
from clientcard.messaging.sends import Send, SendScope, SendStatus
from clientcard.storage._matching import due, matches
from clientcard.storage._search import card_tokens, plan, rank
from clientcard.storage.bulk import GroupChange, set_group_card_by_card
from clientcard.storage.protocol import (
    CardQuery,
    Page,
    SearchTerms,
    check_next_version,
    check_one_business,
    check_update_many,
    decode_cursor,
    encode_cursor,
    sort_key,
)
from clientcard.storage.records import (
    Record,
    RecordQuery,
    check_delete_bounded,
    check_next_revision,
    decode_record_cursor,
    encode_record_cursor,
    record_matches,
)
from clientcard.storage.visits import (
    AudienceFigures,
    VisitFigures,
    audience_figures_of,
    visit_figures_of,
)

__all__ = ["MemoryStore", "matches"]


def _copy(record: Record) -> Record:
    """A record whose document the caller may change without changing the store's."""
    return attrs.evolve(record, doc=record.doc)


class MemoryStore:
    """Cards, businesses and the outbox in dictionaries.

    .. versionadded:: 0.1.0
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._owner: int | None = None
        self._businesses: dict[str, Business] = {}
        self._cards: dict[tuple[str, str], ClientCard] = {}
        self._permissions: dict[tuple[str, str], frozenset[tuple[str, str]]] = {}
        self._outbox: list[DomainEvent] = []
        self._consent: dict[tuple[str, str], list[ConsentEvent]] = {}
        self._sends: dict[str, Send] = {}
        self._records: dict[tuple[str, str, str], Record] = {}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Open a unit of work; on an exception every change in it is undone."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            snapshot = (
                dict(self._businesses),
                dict(self._cards),
                dict(self._permissions),
                list(self._outbox),
                {owner: list(events) for owner, events in self._consent.items()},
                dict(self._sends),
                dict(self._records),
            )
            self._depth = 1
            self._owner = threading.get_ident()
            try:
                yield
            except BaseException:
                (
                    self._businesses,
                    self._cards,
                    self._permissions,
                    self._outbox,
                    self._consent,
                    self._sends,
                    self._records,
                ) = snapshot
                raise
            finally:
                self._depth = 0
                self._owner = None

    def in_transaction(self) -> bool:
        """Tell whether the calling thread is inside :meth:`transaction`."""
        return self._owner == threading.get_ident()

    # -- businesses -----------------------------------------------------------------

    def add_business(self, business: Business) -> None:
        """Store a new business."""
        with self._lock:
            if business.id in self._businesses:
                raise DuplicateError("business", business.id)
            self._businesses[business.id] = business

    def get_business(self, business_id: str) -> Business:
        """Return a business."""
        with self._lock:
            try:
                return self._businesses[business_id]
            except KeyError:
                raise NotFoundError("business", business_id) from None

    def update_business(self, business: Business, *, expected_revision: int) -> None:
        """Replace a business whose stored schema revision is ``expected_revision``."""
        with self._lock:
            stored = self.get_business(business.id)
            if stored.schema.revision != expected_revision:
                raise VersionConflictError(business.id, expected_revision, stored.schema.revision)
            self._businesses[business.id] = business

    # -- cards ------------------------------------------------------------------------

    def add(self, card: ClientCard) -> None:
        """Store a new card."""
        with self._lock:
            self.get_business(card.business_id)
            key = (card.business_id, card.id)
            if key in self._cards:
                raise DuplicateError("card", card.id)
            self._cards[key] = card

    def add_many(
        self,
        cards: Sequence[ClientCard],
        *,
        permissions: Mapping[str, frozenset[tuple[str, str]]] | None = None,
    ) -> None:
        """Store new cards of one business together (with their permissions), or none."""
        business_id = check_one_business(cards)
        if business_id is None:
            return
        with self._lock:
            self.get_business(business_id)
            seen: set[str] = set()
            for card in cards:
                if card.id in seen or (business_id, card.id) in self._cards:
                    raise DuplicateError("card", card.id)
                seen.add(card.id)
            for card in cards:
                self._cards[(business_id, card.id)] = card
                granted = (permissions or {}).get(card.id)
                if granted:
                    self._permissions[(business_id, card.id)] = frozenset(granted)

    def get(self, business_id: str, card_id: str) -> ClientCard:
        """Return a card of ``business_id``."""
        with self._lock:
            try:
                return self._cards[(business_id, card_id)]
            except KeyError:
                raise NotFoundError("card", card_id) from None

    def get_many(self, business_id: str, card_ids: Sequence[str]) -> dict[str, ClientCard]:
        """Return the cards of ``business_id`` among ``card_ids``, by id."""
        with self._lock:
            found = ((card_id, self._cards.get((business_id, card_id))) for card_id in card_ids)
            return {card_id: card for card_id, card in found if card is not None}

    def update_many(
        self, cards: Sequence[ClientCard], *, expected_versions: Mapping[str, int]
    ) -> None:
        """Replace stored cards of one business together, each at its expected version."""
        business_id = check_update_many(cards, expected_versions)
        if business_id is None:
            return
        with self._lock:
            for card in cards:
                expected = expected_versions[card.id]
                stored = self.get(business_id, card.id)
                if stored.version != expected:
                    raise VersionConflictError(card.id, expected, stored.version)
            for card in cards:
                self._cards[(business_id, card.id)] = card

    def set_group(
        self,
        business_id: str,
        expected_versions: Mapping[str, int],
        group: str | None,
        *,
        at: dt.datetime,
    ) -> GroupChange:
        """Put the cards at their versions in ``group``, together, card by card."""
        with self.transaction():
            return set_group_card_by_card(self, business_id, expected_versions, group, at=at)

    def update(self, card: ClientCard, *, expected_version: int) -> None:
        """Replace the stored card, which must be at ``expected_version``."""
        check_next_version(card, expected_version)
        with self._lock:
            stored = self.get(card.business_id, card.id)
            if stored.version != expected_version:
                raise VersionConflictError(card.id, expected_version, stored.version)
            self._cards[(card.business_id, card.id)] = card

    def delete(self, business_id: str, card_id: str, *, expected_version: int) -> None:
        """Delete a card and its permissions."""
        with self._lock:
            stored = self.get(business_id, card_id)
            if stored.version != expected_version:
                raise VersionConflictError(card_id, expected_version, stored.version)
            del self._cards[(business_id, card_id)]
            self._permissions.pop((business_id, card_id), None)
            self._consent.pop((business_id, card_id), None)
            self._sends = {
                key: send
                for key, send in self._sends.items()
                if (send.business_id, send.card_id) != (business_id, card_id)
            }
            self._records = {
                key: record
                for key, record in self._records.items()
                if (record.business_id, record.card_id) != (business_id, card_id)
            }

    def _matching(self, business_id: str, query: CardQuery | None) -> list[ClientCard]:
        empty: frozenset[tuple[str, str]] = frozenset()
        return [
            card
            for (owner, card_id), card in self._cards.items()
            if owner == business_id
            and (
                query is None
                or matches(card, query, self._permissions.get((owner, card_id), empty))
            )
        ]

    def find(
        self,
        business_id: str,
        query: CardQuery | None = None,
        *,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[ClientCard]:
        """Return matching cards ordered by name then id, a page at a time."""
        after = decode_cursor(cursor) if cursor is not None else None
        with self._lock:
            found = sorted(
                ((sort_key(card), card.id, card) for card in self._matching(business_id, query)),
                key=lambda entry: (entry[0], entry[1]),
            )
        if after is not None:
            found = [entry for entry in found if (entry[0], entry[1]) > after]
        page = found[: max(limit, 0)]
        more = len(found) > len(page) and page
        next_cursor = encode_cursor(page[-1][0], page[-1][1]) if more else None
        return Page(items=tuple(entry[2] for entry in page), next_cursor=next_cursor)

    def count(self, business_id: str, query: CardQuery | None = None) -> int:
        """Count matching cards."""
        with self._lock:
            return len(self._matching(business_id, query))

    def search(self, business_id: str, terms: SearchTerms, *, limit: int = 20) -> list[ClientCard]:
        """Return up to ``limit`` cards matching ``terms``, best match first."""
        wanted = plan(terms)
        if wanted.is_empty() or limit <= 0:
            return []
        ranked: list[tuple[int, int, str, str, ClientCard]] = []
        with self._lock:
            for (owner, _), card in self._cards.items():
                if owner != business_id:
                    continue
                found = rank(card_tokens(card), wanted)
                if found is not None:
                    # Negated so one ascending sort puts the best first.
                    ranked.append((-found[0], -found[1], sort_key(card), card.id, card))
        ranked.sort(key=lambda entry: entry[:4])
        return [entry[4] for entry in ranked[:limit]]

    def set_permissions(
        self, business_id: str, card_id: str, permissions: frozenset[tuple[str, str]]
    ) -> None:
        """Record the ``(purpose, channel)`` pairs a card may be contacted for."""
        with self._lock:
            self.get(business_id, card_id)
            self._permissions[(business_id, card_id)] = frozenset(permissions)

    def permissions(self, business_id: str, card_id: str) -> frozenset[tuple[str, str]]:
        """Return the recorded ``(purpose, channel)`` pairs of a card."""
        with self._lock:
            return self._permissions.get((business_id, card_id), frozenset())

    # -- consent ledger ---------------------------------------------------------------

    def append_consent(self, events: Sequence[ConsentEvent]) -> None:
        """Append events to their cards' consent ledgers."""
        with self.transaction():
            known = {e.event_id for ledger in self._consent.values() for e in ledger}
            for event in events:
                self.get(event.business_id, event.card_id)
                if event.event_id in known:
                    raise DuplicateError("consent event", event.event_id)
                known.add(event.event_id)
                self._consent.setdefault((event.business_id, event.card_id), []).append(event)

    def consent_events(self, business_id: str, card_id: str) -> list[ConsentEvent]:
        """Return a card's consent ledger in the order it was appended."""
        with self._lock:
            return list(self._consent.get((business_id, card_id), ()))

    # -- the dispatcher's sends -----------------------------------------------------------

    def add_sends(self, sends: Sequence[Send]) -> int:
        """Record queued sends; return how many were new."""
        with self.transaction():
            keys: set[tuple[str, str | None]] = {
                (s.business_id, s.dedupe_key)
                for s in self._sends.values()
                if s.dedupe_key is not None
            }
            added = 0
            for send in sends:
                key = (send.business_id, send.dedupe_key)
                if send.send_id in self._sends or (send.dedupe_key is not None and key in keys):
                    continue
                self._sends[send.send_id] = send
                if send.dedupe_key is not None:
                    keys.add(key)
                added += 1
            return added

    def claim_sends(
        self, *, now: dt.datetime, stale_before: dt.datetime, limit: int, scope: SendScope
    ) -> list[Send]:
        """Claim up to ``limit`` sends in ``scope`` to deliver, oldest first."""
        with self.transaction():
            ready = sorted(
                (
                    send
                    for send in self._sends.values()
                    if scope.covers(send) and due(send, now, stale_before)
                ),
                key=lambda send: (send.queued_at, send.send_id),
            )[: max(limit, 0)]
            claimed = [
                attrs.evolve(
                    send, status=SendStatus.SENDING, updated_at=now, attempts=send.attempts + 1
                )
                for send in ready
            ]
            for send in claimed:
                self._sends[send.send_id] = send
            return claimed

    def update_send(self, send: Send) -> None:
        """Store a send's new state."""
        with self._lock:
            if send.send_id not in self._sends:
                raise NotFoundError("send", send.send_id)
            self._sends[send.send_id] = send

    def sends(self, business_id: str, batch_id: str) -> list[Send]:
        """Return the sends of one batch, oldest first."""
        with self._lock:
            found = [
                s
                for s in self._sends.values()
                if s.business_id == business_id and s.batch_id == batch_id
            ]
        return sorted(found, key=lambda send: (send.queued_at, send.send_id))

    # -- events -----------------------------------------------------------------------

    def append_events(self, events: Sequence[DomainEvent]) -> None:
        """Add events to the outbox."""
        with self._lock:
            self._outbox.extend(events)

    def pending_events(self, limit: int = 100) -> list[DomainEvent]:
        """Return the oldest undelivered events."""
        with self._lock:
            return self._outbox[: max(limit, 0)]

    def mark_delivered(self, event_ids: Sequence[str]) -> None:
        """Remove delivered events from the outbox."""
        done = set(event_ids)
        with self._lock:
            self._outbox = [event for event in self._outbox if event.event_id not in done]

    # -- records ------------------------------------------------------------------------

    def add_records(self, records: Sequence[Record]) -> None:
        """Store new records, all or none."""
        with self._lock:
            keys = set()
            for record in records:
                self.get_business(record.business_id)
                key = (record.business_id, record.kind, record.id)
                if key in self._records or key in keys:
                    raise DuplicateError(record.kind, record.id)
                keys.add(key)
            for record in records:
                self._records[(record.business_id, record.kind, record.id)] = record

    def get_record(self, business_id: str, kind: str, record_id: str) -> Record:
        """Return one record."""
        with self._lock:
            try:
                return _copy(self._records[(business_id, kind, record_id)])
            except KeyError:
                raise NotFoundError(kind, record_id) from None

    def update_record(self, record: Record, *, expected_revision: int) -> None:
        """Replace a stored record, which must be at ``expected_revision``."""
        check_next_revision(record, expected_revision)
        with self._lock:
            stored = self.get_record(record.business_id, record.kind, record.id)
            if stored.revision != expected_revision:
                raise VersionConflictError(record.id, expected_revision, stored.revision)
            self._records[(record.business_id, record.kind, record.id)] = record

    def find_records(
        self,
        business_id: str,
        query: RecordQuery,
        *,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[Record]:
        """Return matching records in ``(at, id)`` order, a page at a time."""
        after = decode_record_cursor(cursor) if cursor is not None else None
        if limit <= 0:
            return Page(items=())
        with self._lock:
            found = sorted(
                (
                    record
                    for (owner, _, _), record in self._records.items()
                    if owner == business_id
                    and record_matches(record, query)
                    and (after is None or (record.at, record.id) > after)
                ),
                key=lambda record: (record.at, record.id),
            )
        items = tuple(_copy(record) for record in found[:limit])
        more = len(found) > limit
        last = items[-1] if items else None
        return Page(
            items=items,
            next_cursor=encode_record_cursor(last.at, last.id) if more and last else None,
        )

    def delete_records(
        self,
        business_id: str,
        *,
        card_id: str | None = None,
        kind: str | None = None,
        record_ids: Sequence[str] | None = None,
    ) -> int:
        """Delete the records matching every criterion given; return how many went."""
        check_delete_bounded(card_id, kind, record_ids)
        ids = None if record_ids is None else set(record_ids)
        with self._lock:
            doomed = [
                key
                for key, record in self._records.items()
                if record.business_id == business_id
                and (card_id is None or record.card_id == card_id)
                and (kind is None or record.kind == kind)
                and (ids is None or record.id in ids)
            ]
            for key in doomed:
                del self._records[key]
            return len(doomed)

    def reassign_records(self, business_id: str, from_card_id: str, to_card_id: str | None) -> int:
        """Move every record of one card to another (or to none); return how many moved."""
        with self._lock:
            moved = 0
            for key, record in list(self._records.items()):
                if record.business_id == business_id and record.card_id == from_card_id:
                    self._records[key] = attrs.evolve(record, card_id=to_card_id)
                    moved += 1
            return moved

    # -- erasure and access -------------------------------------------------------------

    def record_kinds(self, business_id: str, card_id: str) -> frozenset[str]:
        """Return the kinds of which the card has records."""
        with self._lock:
            return frozenset(
                record.kind
                for record in self._records.values()
                if record.business_id == business_id and record.card_id == card_id
            )

    def card_sends(self, business_id: str, card_id: str) -> list[Send]:
        """Return every send to one card, oldest first."""
        with self._lock:
            found = [
                s
                for s in self._sends.values()
                if s.business_id == business_id and s.card_id == card_id
            ]
        return sorted(found, key=lambda send: (send.queued_at, send.send_id))

    # -- statistics ---------------------------------------------------------------------

    def visit_figures(
        self, business_id: str, card_id: str, *, now: dt.datetime, months: int
    ) -> VisitFigures:
        """Sum one card's appointment records as of ``now``, in Python."""
        return visit_figures_of(self, business_id, card_id, now=now, months=months)

    def audience_figures(
        self,
        business_id: str,
        *,
        audience: tuple[str, str],
        now: dt.datetime,
        currency: str,
    ) -> AudienceFigures:
        """Sum the appointment records of the cards holding ``audience``, in Python."""
        return audience_figures_of(self, business_id, audience=audience, now=now, currency=currency)
