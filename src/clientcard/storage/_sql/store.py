"""SQLStore: the protocol methods of a SQL store, each one statement function run as a unit.

How an operation runs -- alone with retries, or inside ``transaction()`` within a
savepoint -- is :class:`~clientcard.storage._sql._units.TransactionRunner`'s part; the
statements themselves are in :mod:`clientcard.storage._sql.rows`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Final

from clientcard.business import Business
from clientcard.cards.card import ClientCard
from clientcard.consent.ledger import ConsentEvent
from clientcard.events import DomainEvent
from clientcard.messaging.sends import Send, SendScope
from clientcard.storage._sql import rows
from clientcard.storage._sql._units import TransactionRunner
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage.bulk import GroupChange
from clientcard.storage.protocol import (
    CardQuery,
    Page,
    SearchTerms,
    check_next_version,
    check_one_business,
    check_update_many,
    decode_cursor,
)
from clientcard.storage.records import (
    Record,
    RecordQuery,
    check_delete_bounded,
    check_next_revision,
    decode_record_cursor,
)
from clientcard.storage.visits import (
    AudienceFigures,
    VisitFigures,
    audience_figures_of,
    visit_figures_of,
)

__all__ = ["SQLStore"]

# Past this many remembered event owners (a relay that reads and never marks), forget
# them: a delete without its business is slower on a cluster, never wrong.
_KNOWN_EVENT_OWNERS: Final = 10_000


class SQLStore(TransactionRunner):
    """A :class:`~clientcard.storage.protocol.ClientStore` on a SQL database.

    Subclasses supply connections (:meth:`_checkout`) and the translation of driver
    errors (:meth:`_translated`); this class runs every operation:

    * alone, in a transaction of its own (reads in a single statement), retried up to
      ``max_retries`` times with jittered back-off when the database reports a conflict;
    * inside ``transaction()``, on that block's connection and within a savepoint, so a
      failed operation leaves the rest of the block as it was -- and is never retried,
      as the block around it can't be replayed.

    .. versionadded:: 0.1.0
    """

    def __init__(self, dialect: Dialect, *, max_retries: int = 0) -> None:
        super().__init__(dialect, max_retries=max_retries)
        # Decoded businesses by id, with the stored document they came from.
        self._known_businesses: dict[str, tuple[object, Business]] = {}
        # The business of each event pending_events handed out, until it is delivered.
        self._event_owners: dict[str, str] = {}

    # -- businesses -------------------------------------------------------------------

    def add_business(self, business: Business) -> None:
        """Store a new business. :raises DuplicateError: the id is taken."""
        self._run(
            lambda s: rows.insert_business(s, self._dialect, business),
            write=True,
            subject=("business", business.id),
        )

    def get_business(self, business_id: str) -> Business:
        """Return a business. :raises NotFoundError: no such business."""
        return self._run(
            lambda s: rows.select_business(s, self._dialect, business_id, self._known_businesses),
            write=False,
        )

    def update_business(self, business: Business, *, expected_revision: int) -> None:
        """Replace a business whose stored schema revision is ``expected_revision``.

        :raises NotFoundError: no such business.
        :raises VersionConflictError: the stored revision differs.
        """
        self._run(
            lambda s: rows.replace_business(s, self._dialect, business, expected_revision),
            write=True,
        )

    # -- cards ------------------------------------------------------------------------

    def add(self, card: ClientCard) -> None:
        """Store a new card.

        :raises NotFoundError: its business does not exist.
        :raises DuplicateError: its id exists in its business.
        """
        self._run(
            lambda s: rows.insert_card(s, self._dialect, card),
            write=True,
            subject=("card", card.id),
        )

    def add_many(
        self,
        cards: Sequence[ClientCard],
        *,
        permissions: Mapping[str, frozenset[tuple[str, str]]] | None = None,
    ) -> None:
        """Store new cards of one business together (with their permissions), or none.

        Rows go out in bulk (multi-row statements of 200 on PostgreSQL, one prepared
        statement stepped per row on SQLite), not a round trip per card.

        :raises ValidationError: ``card.mixed_businesses``.
        :raises NotFoundError: their business does not exist.
        :raises DuplicateError: an id exists in the business, or is given twice.
        """
        if check_one_business(cards) is None:
            return
        self._run(
            lambda s: rows.insert_cards(s, self._dialect, cards, permissions or {}),
            write=True,
            subject=("card", cards[0].id),
        )

    def get(self, business_id: str, card_id: str) -> ClientCard:
        """Return a card of ``business_id``. :raises NotFoundError: no such card there."""
        return self._run(
            lambda s: rows.select_card(s, self._dialect, business_id, card_id), write=False
        )

    def get_many(self, business_id: str, card_ids: Sequence[str]) -> dict[str, ClientCard]:
        """Return the cards of ``business_id`` among ``card_ids``, by id (500 ids a query)."""
        if not card_ids:
            return {}
        return self._run(
            lambda s: rows.select_cards_by_id(s, self._dialect, business_id, card_ids),
            write=False,
        )

    def update_many(
        self, cards: Sequence[ClientCard], *, expected_versions: Mapping[str, int]
    ) -> None:
        """Replace cards of one business together, each at its expected version, or none.

        Versions are read 500 cards a statement (locked on PostgreSQL) and checked before
        anything is written; phones and tags are rewritten only where they changed.

        :raises ValidationError: ``card.mixed_businesses``; ``card.version_not_next``.
        :raises NotFoundError: a card is not in the business.
        :raises VersionConflictError: a stored version differs.
        """
        if check_update_many(cards, expected_versions) is None:
            return
        self._run(
            lambda s: rows.replace_cards(s, self._dialect, cards, expected_versions),
            write=True,
        )

    def set_group(
        self,
        business_id: str,
        expected_versions: Mapping[str, int],
        group: str | None,
        *,
        at: dt.datetime,
    ) -> GroupChange:
        """Put the cards at their versions in ``group``: one read and one UPDATE per 500."""
        if not expected_versions:
            return GroupChange(moved=(), unchanged=(), conflicts=(), missing=())
        return self._run(
            lambda s: rows.set_group(
                s, self._dialect, business_id, expected_versions, group, at=at
            ),
            write=True,
        )

    def update(self, card: ClientCard, *, expected_version: int) -> None:
        """Replace the stored card, which must be at ``expected_version``.

        :raises NotFoundError: no such card in ``card.business_id``.
        :raises VersionConflictError: the stored version differs.
        """
        check_next_version(card, expected_version)
        self._run(lambda s: rows.replace_card(s, self._dialect, card, expected_version), write=True)

    def delete(self, business_id: str, card_id: str, *, expected_version: int) -> None:
        """Delete a card (and its phones, tags and permissions) at ``expected_version``.

        :raises NotFoundError: no such card.
        :raises VersionConflictError: the stored version differs.
        """
        self._run(
            lambda s: rows.remove_card(s, self._dialect, business_id, card_id, expected_version),
            write=True,
        )

    def find(
        self,
        business_id: str,
        query: CardQuery | None = None,
        *,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[ClientCard]:
        """Return matching cards ordered by sort key then id, a page at a time.

        :raises ValidationError: ``query.cursor_invalid`` for a cursor this store did not
            make.
        """
        after = decode_cursor(cursor) if cursor is not None else None
        if limit <= 0:
            return Page(items=())
        return self._run(
            lambda s: rows.select_cards(
                s, self._dialect, business_id, query, limit=limit, after=after
            ),
            write=False,
        )

    def count(self, business_id: str, query: CardQuery | None = None) -> int:
        """Count matching cards."""
        return self._run(
            lambda s: rows.count_cards(s, self._dialect, business_id, query), write=False
        )

    def search(self, business_id: str, terms: SearchTerms, *, limit: int = 20) -> list[ClientCard]:
        """Return up to ``limit`` cards matching ``terms``, best match first.

        Each typed word, phone or e-mail is one range scan of the ``card_search`` index.
        """
        return self._run(
            lambda s: rows.search_cards(s, self._dialect, business_id, terms, limit),
            write=False,
        )

    def set_permissions(
        self, business_id: str, card_id: str, permissions: frozenset[tuple[str, str]]
    ) -> None:
        """Record the ``(purpose, channel)`` pairs a card may now be contacted for.

        :raises NotFoundError: no such card.
        """
        self._run(
            lambda s: rows.replace_permissions(s, self._dialect, business_id, card_id, permissions),
            write=True,
        )

    def permissions(self, business_id: str, card_id: str) -> frozenset[tuple[str, str]]:
        """Return the recorded ``(purpose, channel)`` pairs of a card (empty if none)."""
        return self._run(lambda s: rows.select_permissions(s, business_id, card_id), write=False)

    # -- consent ledger ---------------------------------------------------------------

    def append_consent(self, events: Sequence[ConsentEvent]) -> None:
        """Append events to their cards' consent ledgers, in order; never edit one.

        :raises NotFoundError: an event's card is not in its business.
        :raises DuplicateError: an event id is already in the ledger.
        """
        if events:
            self._run(lambda s: rows.insert_consent(s, self._dialect, events), write=True)

    def consent_events(self, business_id: str, card_id: str) -> list[ConsentEvent]:
        """Return a card's consent ledger in the order it was appended (empty if none)."""
        return self._run(
            lambda s: rows.select_consent(s, self._dialect, business_id, card_id), write=False
        )

    # -- the dispatcher's sends -----------------------------------------------------------

    def add_sends(self, sends: Sequence[Send]) -> int:
        """Record queued sends; return how many were new (ids and dedupe keys are unique)."""
        if not sends:
            return 0
        return self._run(lambda s: rows.insert_sends(s, self._dialect, sends), write=True)

    def claim_sends(
        self, *, now: dt.datetime, stale_before: dt.datetime, limit: int, scope: SendScope
    ) -> list[Send]:
        """Claim up to ``limit`` queued or stale sends in ``scope``, oldest first."""
        if limit <= 0:
            return []
        return self._run(
            lambda s: rows.claim_sends(
                s, self._dialect, now=now, stale_before=stale_before, limit=limit, scope=scope
            ),
            write=True,
        )

    def update_send(self, send: Send) -> None:
        """Store a send's new state. :raises NotFoundError: no such send."""
        self._run(lambda s: rows.update_send(s, self._dialect, send), write=True)

    def sends(self, business_id: str, batch_id: str) -> list[Send]:
        """Return the sends of one batch, oldest first."""
        return self._run(
            lambda s: rows.select_sends(s, self._dialect, business_id, batch_id), write=False
        )

    # -- events -----------------------------------------------------------------------

    def append_events(self, events: Sequence[DomainEvent]) -> None:
        """Add events to the outbox, in order, within the current transaction."""
        if events:
            self._run(lambda s: rows.insert_events(s, self._dialect, events), write=True)

    def pending_events(self, limit: int = 100) -> list[DomainEvent]:
        """Return the oldest undelivered events, oldest first."""
        if limit <= 0:
            return []
        found = self._run(lambda s: rows.select_events(s, self._dialect, limit), write=False)
        if len(self._event_owners) > _KNOWN_EVENT_OWNERS:
            self._event_owners.clear()
        self._event_owners.update((event.event_id, owner) for owner, event in found)
        return [event for _, event in found]

    def mark_delivered(self, event_ids: Sequence[str]) -> None:
        """Remove delivered events from the outbox; unknown ids are ignored.

        The business of an event this store handed out is remembered until then, so
        the delete names it: on a cluster that routes it to one shard.
        """
        if not event_ids:
            return
        # get(), not a test then a read: another thread may mark the same event meanwhile.
        owners = {i: owner for i in event_ids if (owner := self._event_owners.get(i)) is not None}
        self._run(lambda s: rows.delete_events(s, self._dialect, event_ids, owners), write=True)
        for event_id in owners:
            self._event_owners.pop(event_id, None)

    # -- records ------------------------------------------------------------------------

    def add_records(self, records: Sequence[Record]) -> None:
        """Store new records, all or none.

        :raises NotFoundError: a record's business does not exist.
        :raises DuplicateError: a record's ``(kind, id)`` is taken in its business.
        """
        if records:
            self._run(lambda s: rows.insert_records(s, self._dialect, records), write=True)

    def get_record(self, business_id: str, kind: str, record_id: str) -> Record:
        """Return one record. :raises NotFoundError: no such record in that business."""
        return self._run(
            lambda s: rows.select_record(s, self._dialect, business_id, kind, record_id),
            write=False,
        )

    def update_record(self, record: Record, *, expected_revision: int) -> None:
        """Replace a stored record, which must be at ``expected_revision``.

        :raises NotFoundError: no such record.
        :raises VersionConflictError: the stored revision differs.
        """
        check_next_revision(record, expected_revision)
        self._run(
            lambda s: rows.replace_record(s, self._dialect, record, expected_revision),
            write=True,
        )

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
        return self._run(
            lambda s: rows.select_records(
                s, self._dialect, business_id, query, limit=limit, after=after
            ),
            write=False,
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
        return self._run(
            lambda s: rows.remove_records(
                s, business_id, card_id=card_id, kind=kind, record_ids=record_ids
            ),
            write=True,
        )

    def reassign_records(self, business_id: str, from_card_id: str, to_card_id: str | None) -> int:
        """Move every record of one card to another (or to none); return how many moved."""
        return self._run(
            lambda s: rows.move_records(s, business_id, from_card_id, to_card_id), write=True
        )

    # -- erasure and access -------------------------------------------------------------

    def record_kinds(self, business_id: str, card_id: str) -> frozenset[str]:
        """Return the kinds of which the card has records (empty if none)."""
        return self._run(lambda s: rows.select_record_kinds(s, business_id, card_id), write=False)

    def card_sends(self, business_id: str, card_id: str) -> list[Send]:
        """Return every send to one card, oldest first."""
        return self._run(
            lambda s: rows.select_card_sends(s, self._dialect, business_id, card_id), write=False
        )

    # -- statistics ---------------------------------------------------------------------

    def visit_figures(
        self, business_id: str, card_id: str, *, now: dt.datetime, months: int
    ) -> VisitFigures:
        """Sum one card's appointment records as of ``now``, in one statement.

        Months are cut on ``now``'s wall clock, in any time zone: Python works out where
        they start and the statement compares instants with those starts. Falls back
        to :func:`~clientcard.storage.visits.visit_figures_of` for what the statement
        can't read exactly (see :mod:`clientcard.storage._sql._visit_rows`).
        """
        figures = self._run(
            lambda s: rows.select_visit_figures(
                s, self._dialect, business_id, card_id, now=now, months=months
            ),
            write=False,
        )
        if figures is None:
            return visit_figures_of(self, business_id, card_id, now=now, months=months)
        return figures

    def audience_figures(
        self,
        business_id: str,
        *,
        audience: tuple[str, str],
        now: dt.datetime,
        currency: str,
    ) -> AudienceFigures:
        """Sum the appointment records of the cards holding ``audience``, in one statement.

        Months are cut on ``now``'s wall clock, in any time zone (a first query reads
        the span of the business's appointments, for the month starts to give). Falls
        back to :func:`~clientcard.storage.visits.audience_figures_of` for what the
        statement can't read exactly.

        :raises ValidationError: ``money.currency_mismatch``.
        """
        figures = self._run(
            lambda s: rows.select_audience_figures(
                s, self._dialect, business_id, audience=audience, now=now, currency=currency
            ),
            write=False,
        )
        if figures is None:
            return audience_figures_of(
                self, business_id, audience=audience, now=now, currency=currency
            )
        return figures
