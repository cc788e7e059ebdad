"""The storage contract a host implements, and the values that cross it.

:class:`ClientStore` is what :class:`~clientcard.book.ClientBook` needs from storage.
clientcard ships three implementations (memory, SQLite, PostgreSQL); a host may write its
own and prove it with :class:`clientcard.testing.contracts.ClientStoreContract`.

Rules every implementation keeps:

* **Tenancy.** Every call names a business; nothing reads or changes another business's
  data. A card of another business is reported exactly like a missing one.
* **Optimistic concurrency.** :meth:`ClientStore.update` and :meth:`ClientStore.delete`
  take the version the caller read; if the stored version differs, they raise
  :class:`~clientcard.errors.VersionConflictError` and write nothing.
* **Transactions.** Calls made inside ``with store.transaction():`` commit together when
  the block ends, or not at all if it raises. Nested blocks join the outer one.
* **Errors.** Driver errors are translated: a missing row is
  :class:`~clientcard.errors.NotFoundError`, a repeated id
  :class:`~clientcard.errors.DuplicateError`, a locked or full database
  :class:`~clientcard.errors.StorageError` -- and nothing partial is written.
* **Queries run in the store**, using its indexes; an implementation never loads every
  card of a business to answer one.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from clientcard.business import Business
from clientcard.cards.card import ClientCard
from clientcard.consent.ledger import ConsentEvent
from clientcard.events import DomainEvent
from clientcard.messaging.sends import Send, SendScope
from clientcard.storage.bulk import GroupChange
from clientcard.storage.queries import (
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
from clientcard.storage.records import Record, RecordQuery
from clientcard.storage.visits import AudienceFigures, VisitFigures

__all__ = [
    "CardQuery",
    "ClientStore",
    "Page",
    "SearchTerms",
    "check_next_version",
    "check_one_business",
    "check_update_many",
    "decode_cursor",
    "encode_cursor",
    "sort_key",
]


class ClientStore(Protocol):
    """**Protocol:** where a host keeps its businesses, cards and pending events.

    Implement every method with the rules in this module's docstring; run
    :class:`clientcard.testing.contracts.ClientStoreContract` against the result.

    .. versionadded:: 0.1.0
    """

    def transaction(self) -> AbstractContextManager[None]:
        """Open a unit of work: the calls inside commit together or not at all."""
        ...

    def in_transaction(self) -> bool:
        """Tell whether the calling thread is inside :meth:`transaction`.

        While it is, nothing the thread wrote is committed yet.
        """
        ...

    # -- businesses -----------------------------------------------------------------

    def add_business(self, business: Business) -> None:
        """Store a new business. :raises DuplicateError: the id is taken."""
        ...

    def get_business(self, business_id: str) -> Business:
        """Return a business. :raises NotFoundError: no such business."""
        ...

    def update_business(self, business: Business, *, expected_revision: int) -> None:
        """Replace a business whose stored schema revision is ``expected_revision``.

        :raises NotFoundError: no such business.
        :raises VersionConflictError: the stored revision differs.
        """
        ...

    # -- cards ------------------------------------------------------------------------

    def add(self, card: ClientCard) -> None:
        """Store a new card. :raises DuplicateError: its id exists in its business."""
        ...

    def add_many(
        self,
        cards: Sequence[ClientCard],
        *,
        permissions: Mapping[str, frozenset[tuple[str, str]]] | None = None,
    ) -> None:
        """Store new cards of one business together: all of them, or none.

        The bulk path of imports: a few round trips where the database allows it,
        instead of several per card. ``permissions`` maps card ids to the
        ``(purpose, channel)`` pairs to record for them, as :meth:`set_permissions`
        would, in the same statements. An empty sequence writes nothing.

        :raises ValidationError: ``card.mixed_businesses`` when the cards belong to more
            than one business.
        :raises NotFoundError: their business does not exist.
        :raises DuplicateError: an id exists in the business, or is given twice.

        .. versionadded:: 0.1.0
        """
        ...

    def get(self, business_id: str, card_id: str) -> ClientCard:
        """Return a card of ``business_id``. :raises NotFoundError: no such card there."""
        ...

    def get_many(self, business_id: str, card_ids: Sequence[str]) -> dict[str, ClientCard]:
        """Return the cards of ``business_id`` among ``card_ids``, by id.

        Ids with no card in the business are left out. The bulk read of group moves:
        a few statements for any number of ids, not one per card. A host's store may
        answer with one :meth:`get` per id.

        .. versionadded:: 0.1.0
        """
        ...

    def update(self, card: ClientCard, *, expected_version: int) -> None:
        """Replace the stored card, which must be at ``expected_version``.

        ``card.version`` must be ``expected_version + 1`` (:func:`check_next_version`).

        :raises ValidationError: ``card.version_not_next``.
        :raises NotFoundError: no such card in ``card.business_id``.
        :raises VersionConflictError: the stored version differs.
        """
        ...

    def update_many(
        self, cards: Sequence[ClientCard], *, expected_versions: Mapping[str, int]
    ) -> None:
        """Replace stored cards of one business together, each at its expected version.

        ``expected_versions`` maps each card's id to the version the caller read; every
        card must be one version past it. All of them are written, or none. The bulk
        write of group moves: a few statements per batch, not several per card. A host's
        store may answer with one :meth:`update` per card inside :meth:`transaction`.

        :raises ValidationError: ``card.mixed_businesses``; ``card.version_not_next``.
        :raises NotFoundError: a card is not in the business.
        :raises VersionConflictError: a stored version differs.

        .. versionadded:: 0.1.0
        """
        ...

    def set_group(
        self,
        business_id: str,
        expected_versions: Mapping[str, int],
        group: str | None,
        *,
        at: dt.datetime,
    ) -> GroupChange:
        """Put every card of ``expected_versions`` at its version in ``group``, together.

        ``expected_versions`` maps card ids to the versions the caller read. A card at
        that version and in another group moves: its ``client_group`` becomes ``group``
        (``None``: no group), its version goes one up and its ``updated_at`` becomes
        ``at``, as :meth:`~clientcard.cards.card.ClientCard.apply` would make it. Cards
        already in the group, at another version, or missing are reported and left
        alone. All moves are written, or none. A host's store may answer with
        :func:`~clientcard.storage.bulk.set_group_card_by_card`.

        .. versionadded:: 0.1.0
        """
        ...

    def delete(self, business_id: str, card_id: str, *, expected_version: int) -> None:
        """Delete a card with its permissions, consent ledger and sends.

        :raises NotFoundError: no such card.
        :raises VersionConflictError: the stored version differs.
        """
        ...

    def find(
        self,
        business_id: str,
        query: CardQuery | None = None,
        *,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[ClientCard]:
        """Return matching cards ordered by :func:`sort_key` then id, a page at a time.

        A listing resumed from a cursor neither repeats nor skips cards that existed
        before it started, whatever is added or deleted meanwhile.
        """
        ...

    def count(self, business_id: str, query: CardQuery | None = None) -> int:
        """Count matching cards."""
        ...

    def search(self, business_id: str, terms: SearchTerms, *, limit: int = 20) -> list[ClientCard]:
        """Return up to ``limit`` cards matching ``terms``, best match first.

        The cards are those ``find(business_id, CardQuery(search=terms))`` lists; the
        order puts an exact phone number or e-mail address first, then cards where more
        typed words are whole words of the name, then :func:`sort_key` and id. An empty
        search, or a ``limit`` of 0 or less, finds nothing. Served by an index: the cost
        grows with the cards matching, not with the cards stored.

        .. versionadded:: 0.1.0
        """
        ...

    def set_permissions(
        self, business_id: str, card_id: str, permissions: frozenset[tuple[str, str]]
    ) -> None:
        """Record the ``(purpose, channel)`` pairs a card may now be contacted for.

        The consent layer derives them; this replaces whatever was recorded before.

        :raises NotFoundError: no such card.
        """
        ...

    def permissions(self, business_id: str, card_id: str) -> frozenset[tuple[str, str]]:
        """Return the recorded ``(purpose, channel)`` pairs of a card (empty if none)."""
        ...

    # -- consent ledger ---------------------------------------------------------------

    def append_consent(self, events: Sequence[ConsentEvent]) -> None:
        """Append events to their cards' consent ledgers, in order; never edit one.

        :raises NotFoundError: an event's card is not in its business.
        :raises DuplicateError: an event id is already in the ledger.
        """
        ...

    def consent_events(self, business_id: str, card_id: str) -> list[ConsentEvent]:
        """Return a card's consent ledger in the order it was appended (empty if none)."""
        ...

    # -- the dispatcher's sends -----------------------------------------------------------

    def add_sends(self, sends: Sequence[Send]) -> int:
        """Record queued sends; return how many were new.

        A send whose ``send_id`` or ``dedupe_key`` is already recorded in its business is
        left out, so queueing the same thing twice adds it once.
        """
        ...

    def claim_sends(
        self, *, now: dt.datetime, stale_before: dt.datetime, limit: int, scope: SendScope
    ) -> list[Send]:
        """Claim up to ``limit`` sends in ``scope`` to deliver, oldest first, atomically.

        Claimed are queued sends (once ``now`` reached their ``not_before``), and sends
        left ``sending`` since before ``stale_before`` (their dispatcher died). They come
        back ``sending``, updated at ``now``, with one more attempt; no two concurrent
        claims return the same send. Across businesses, "oldest first" holds within each
        business: a store that keeps businesses apart (on the nodes of a cluster) may
        claim business by business, in the order of each one's oldest due send.
        """
        ...

    def update_send(self, send: Send) -> None:
        """Store a send's new state. :raises NotFoundError: no such send."""
        ...

    def sends(self, business_id: str, batch_id: str) -> list[Send]:
        """Return the sends of one batch, oldest first."""
        ...

    # -- events -----------------------------------------------------------------------

    def append_events(self, events: Sequence[DomainEvent]) -> None:
        """Add events to the outbox, in order, within the current transaction."""
        ...

    def pending_events(self, limit: int = 100) -> list[DomainEvent]:
        """Return the oldest undelivered events, oldest first."""
        ...

    def mark_delivered(self, event_ids: Sequence[str]) -> None:
        """Remove delivered events from the outbox; unknown ids are ignored."""
        ...

    # -- records ------------------------------------------------------------------------

    def add_records(self, records: Sequence[Record]) -> None:
        """Store new records, all or none (see :mod:`clientcard.storage.records`).

        :raises NotFoundError: a record's business does not exist.
        :raises DuplicateError: a record's ``(kind, id)`` is taken in its business.
        """
        ...

    def get_record(self, business_id: str, kind: str, record_id: str) -> Record:
        """Return one record. :raises NotFoundError: no such record in that business."""
        ...

    def update_record(self, record: Record, *, expected_revision: int) -> None:
        """Replace a stored record, which must be at ``expected_revision``.

        :raises ValidationError: ``record.revision_not_next`` when ``record`` is not one
            revision past ``expected_revision``.
        :raises NotFoundError: no such record.
        :raises VersionConflictError: the stored revision differs.
        """
        ...

    def find_records(
        self,
        business_id: str,
        query: RecordQuery,
        *,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[Record]:
        """Return matching records in ``(at, id)`` order, a page at a time.

        :raises ValidationError: ``query.cursor_invalid`` for a cursor this store did not
            make.
        """
        ...

    def delete_records(
        self,
        business_id: str,
        *,
        card_id: str | None = None,
        kind: str | None = None,
        record_ids: Sequence[str] | None = None,
    ) -> int:
        """Delete the records matching every criterion given; return how many went.

        At least one of ``card_id`` and ``record_ids`` must be given (``record_ids``
        needs ``kind``), so no call can empty a business by accident.

        :raises ValidationError: ``record.delete_unbounded`` when neither is given.
        """
        ...

    def reassign_records(self, business_id: str, from_card_id: str, to_card_id: str | None) -> int:
        """Move every record of one card to another (or to none); return how many moved.

        Used by merges (history follows the surviving card) and by anonymisation
        (history stays, detached from the erased card).
        """
        ...

    # -- erasure and access -------------------------------------------------------------

    def record_kinds(self, business_id: str, card_id: str) -> frozenset[str]:
        """Return the kinds of which the card has records (empty if none).

        Erasure and the access export walk a card's records kind by kind with
        :meth:`find_records`; this tells them which kinds there are, including kinds
        no module described.
        """
        ...

    def card_sends(self, business_id: str, card_id: str) -> list[Send]:
        """Return every send to one card, oldest first (for the client's access export)."""
        ...

    # -- statistics ---------------------------------------------------------------------

    def visit_figures(
        self, business_id: str, card_id: str, *, now: dt.datetime, months: int
    ) -> VisitFigures:
        """Sum one card's appointment records as of ``now`` (see :mod:`clientcard.storage.visits`).

        ``months`` is how many months, ending with ``now``'s, the monthly totals cover.
        The figures must equal :func:`~clientcard.storage.visits.visit_figures_of`,
        which a host's store may call to implement this.

        :raises ValidationError: an appointment's prices are malformed.

        .. versionadded:: 0.1.0
        """
        ...

    def audience_figures(
        self,
        business_id: str,
        *,
        audience: tuple[str, str],
        now: dt.datetime,
        currency: str,
    ) -> AudienceFigures:
        """Sum the appointment records of the cards holding the ``audience`` permission.

        Only those cards are read: a client without the permission changes no figure.
        The figures must equal :func:`~clientcard.storage.visits.audience_figures_of`,
        which a host's store may call to implement this.

        :raises ValidationError: ``money.currency_mismatch`` for an appointment of such a
            card in another currency than ``currency``.

        .. versionadded:: 0.1.0
        """
        ...
