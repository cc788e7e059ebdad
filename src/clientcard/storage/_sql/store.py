"""SQLStore: units of work, retries and the protocol methods, over a dialect."""

from __future__ import annotations

import abc
import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from types import TracebackType
from typing import Final, Self, TypeVar

import attrs

from clientcard.business import Business
from clientcard.card import ClientCard
from clientcard.consent.ledger import ConsentEvent
from clientcard.errors import (
    StorageError,
)
from clientcard.events import DomainEvent
from clientcard.messaging.sends import Send, SendScope
from clientcard.storage._sql import rows
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session, TxState
from clientcard.storage.protocol import (
    CardQuery,
    Page,
    check_next_version,
    check_one_business,
    decode_cursor,
)
from clientcard.storage.records import (
    Record,
    RecordQuery,
    check_delete_bounded,
    check_next_revision,
    decode_record_cursor,
)

T = TypeVar("T")

_log = logging.getLogger("clientcard.storage")
_SAVEPOINT: Final = "clientcard_op"
_FIRST_PAUSE: Final = 0.01
_LONGEST_PAUSE: Final = 0.25

# -- the store ----------------------------------------------------------------------------


@attrs.define
class _Unit:
    """The transaction a ``with store.transaction():`` block opened on this thread."""

    session: Session
    broken: bool = False


class _Units(threading.local):
    unit: _Unit | None = None


class SQLStore(abc.ABC):
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
        if max_retries < 0:
            raise ValueError("max_retries must be zero or more")
        self._dialect = dialect
        self._max_retries = max_retries
        self._units = _Units()
        # Decoded businesses by id, with the stored document they came from.
        self._known_businesses: dict[str, tuple[object, Business]] = {}

    def in_transaction(self) -> bool:
        """Tell whether the calling thread is inside :meth:`transaction`."""
        return self._units.unit is not None

    @property
    def max_retries(self) -> int:
        """How many times an operation run alone is retried after a conflict."""
        return self._max_retries

    # -- what a driver supplies -------------------------------------------------------

    @abc.abstractmethod
    def _checkout(self) -> AbstractContextManager[Session]:
        """Lend a connection for one operation or one transaction."""

    @abc.abstractmethod
    def _translated(self, subject: tuple[str, str] | None = None) -> AbstractContextManager[None]:
        """Turn driver errors raised inside into clientcard errors.

        ``subject`` is the ``(kind, id)`` being inserted, reported by a
        :class:`~clientcard.errors.DuplicateError` when its key is taken.
        """

    @abc.abstractmethod
    def close(self) -> None:
        """Release every connection; the store can't be used afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- units of work ----------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Open a unit of work: the calls inside commit together or not at all.

        A block nested in another joins it. The unit belongs to the thread that opened
        it; calls from other threads run outside it.

        :raises StorageError: the database could not begin or commit the transaction;
            ``aborted`` when an operation inside failed in a way that ended the
            transaction and the block went on regardless.
        """
        if self._units.unit is not None:
            yield
            return
        with ExitStack() as stack:
            with self._translated():
                session = stack.enter_context(self._checkout())
                session.execute(self._dialect.begin)
            unit = _Unit(session)
            self._units.unit = unit
            try:
                yield
            except BaseException:
                self._abandon(session)
                raise
            finally:
                self._units.unit = None
            if unit.broken:
                self._abandon(session)
                raise StorageError("aborted", "the transaction failed part-way; nothing was kept")
            self._commit(session)

    def _run(
        self,
        work: Callable[[Session], T],
        *,
        write: bool,
        subject: tuple[str, str] | None = None,
    ) -> T:
        unit = self._units.unit
        if unit is not None:
            return self._run_in_unit(unit, work, write=write, subject=subject)
        retries = 0
        while True:
            try:
                return self._run_alone(work, write=write, subject=subject)
            except StorageError as error:
                if error.reason != "conflict" or retries >= self._max_retries:
                    raise
                retries += 1
                _log.debug("transaction conflict; retry %d of %d", retries, self._max_retries)
                self._pause(retries)

    def _run_alone(
        self, work: Callable[[Session], T], *, write: bool, subject: tuple[str, str] | None
    ) -> T:
        with self._translated(subject), self._checkout() as session:
            if not write:
                return work(session)
            session.execute(self._dialect.begin)
            try:
                result = work(session)
                session.execute("COMMIT")
            except BaseException:
                self._abandon(session)
                raise
            return result

    def _run_in_unit(
        self,
        unit: _Unit,
        work: Callable[[Session], T],
        *,
        write: bool,
        subject: tuple[str, str] | None,
    ) -> T:
        if unit.broken:
            raise StorageError("aborted", "an earlier failure ended this transaction")
        session = unit.session
        with self._translated(subject):
            if not write or not self._dialect.savepoints:
                try:
                    return work(session)
                except BaseException:
                    # Without a savepoint to return to, a failure the database noticed
                    # leaves the transaction unusable: nothing more may commit.
                    if session.state() is not TxState.ACTIVE:
                        unit.broken = True
                    raise
            try:
                session.execute(f"SAVEPOINT {_SAVEPOINT}")
                result = work(session)
                session.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            except BaseException:
                self._undo_operation(unit)
                raise
            return result

    def _undo_operation(self, unit: _Unit) -> None:
        """Roll back to the operation's savepoint, or mark the unit broken if that fails."""
        session = unit.session
        if session.state() in (TxState.ACTIVE, TxState.FAILED):
            try:
                with self._translated():
                    session.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
                    session.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            except StorageError:
                pass
            else:
                return
        # SQLite rolls the whole transaction back by itself on some errors (a full disk,
        # an I/O error); what the block wrote before is gone, so it must not commit.
        unit.broken = True

    def _commit(self, session: Session) -> None:
        try:
            with self._translated():
                session.execute("COMMIT")
        except BaseException:
            self._abandon(session)
            raise

    def _abandon(self, session: Session) -> None:
        """Roll back whatever is open; a connection that can't even do that is dropped."""
        state = session.state()
        if state is TxState.IDLE:
            return
        if state is not TxState.LOST:
            try:
                with self._translated():
                    session.execute("ROLLBACK")
            except StorageError:
                pass
            else:
                return
        session.discard()

    def _pause(self, retry: int) -> None:
        """Wait before a retry; full jitter keeps the losers of a race from colliding again."""
        ceiling = min(_LONGEST_PAUSE, _FIRST_PAUSE * 2**retry)
        time.sleep(random.uniform(0, ceiling))  # noqa: S311 -- jitter, not a secret

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
        return self._run(lambda s: rows.select_events(s, self._dialect, limit), write=False)

    def mark_delivered(self, event_ids: Sequence[str]) -> None:
        """Remove delivered events from the outbox; unknown ids are ignored."""
        if event_ids:
            self._run(lambda s: rows.delete_events(s, event_ids), write=True)

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
