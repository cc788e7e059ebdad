"""The small core every service shares: store, clock, ids, events, blobs, the unit of work.

A :class:`Core` is made by :class:`~clientcard.book.ClientBook` and handed explicitly to
each service it builds; services never reach each other through it (they call each
other's public methods through the business handle). It holds only what is not any
concept's own:

* **The unit of work** (:meth:`Core.write`, :meth:`Core.transaction`): one store
  transaction holding a change and its domain events, replayed with jittered
  exponential back-off, bounded in time, when the database reports a serialization
  conflict or a deadlock, the events handed to the sink after the outermost unit commits.
* **Blobs**: bytes written inside a unit are deleted again if it rolls back; bytes
  released by a unit are deleted once it commits (see :mod:`clientcard.gallery.model`).
* **Fingerprint keys** of each business (see :mod:`clientcard.fingerprints`).

This module is internal: hosts reach all of it through ``book.admin`` and the services.
"""

from __future__ import annotations

import enum
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final, TypeVar

from clientcard._backoff import DEFAULT_BACKOFF, Backoff, replay
from clientcard.cards.card import ClientCard
from clientcard.clock import Clock
from clientcard.errors import DuplicateError, NotFoundError, StorageError, VersionConflictError
from clientcard.events import DomainEvent, EventKind, EventSink
from clientcard.fingerprints import derive_key
from clientcard.gallery.model import PhotoLimits
from clientcard.storage.blobs import BlobStore
from clientcard.storage.protocol import CardQuery, ClientStore
from clientcard.storage.records import Record, RecordQuery

if TYPE_CHECKING:
    from clientcard.book import BusinessBook

__all__ = [
    "BLOB_DELETION",
    "Core",
    "Service",
    "as_enum",
    "as_id",
    "as_optional_enum",
    "as_optional_id",
    "audit_queue",
]

logger = logging.getLogger("clientcard")

T = TypeVar("T")

BLOB_DELETION: Final = "blob.deletion"
"""The record kind that files a blob whose bytes may go once its unit commits."""

_KEY_KIND: Final = "business.fingerprint_key"
_PAGE: Final = 500


class _BlobUnit(threading.local):
    """Per thread: what the current unit of work did to blobs."""

    def __init__(self) -> None:
        self.written: list[tuple[str, str]] = []
        """Blobs put in this unit: deleted again if it rolls back."""
        self.released: list[tuple[str, str]] = []
        """Blobs whose deletion this unit filed: deleted once it commits."""


class Core:
    """What the services of one book share (see the module docs)."""

    def __init__(
        self,
        store: ClientStore,
        *,
        clock: Clock,
        sink: EventSink | None,
        new_id: Callable[[], str],
        conflict_retries: int,
        backoff: Backoff = DEFAULT_BACKOFF,
        fingerprint_secret: bytes | None,
        blobs: BlobStore | None,
        photo_limits: PhotoLimits,
    ) -> None:
        self.store = store
        self.clock = clock
        self.sink = sink
        self.new_id = new_id
        self.conflict_retries = conflict_retries
        self.backoff = backoff
        self.fingerprint_secret = fingerprint_secret
        self.blobs = blobs
        self.photo_limits = photo_limits
        self._blob_unit = _BlobUnit()

    # -- the unit of work ---------------------------------------------------------------

    @contextmanager
    def transaction(self, queue: str | None = None) -> Iterator[None]:
        """One unit of work: all of it commits, or none; events go out after the outermost.

        ``queue`` names a queue the unit waits its turn in, where the store has queues
        (see :meth:`write`).
        """
        outermost = not self.store.in_transaction()
        if outermost:
            self._blobs_begin()
        queued = getattr(self.store, "queued_transaction", None)
        opened = (
            queued(queue)
            if outermost and queue is not None and queued is not None
            else self.store.transaction()
        )
        try:
            with opened:
                yield
        except BaseException:
            if outermost:
                self._blobs_rolled_back()
            raise
        if outermost:
            self._blobs_committed()
            self.deliver_pending()

    def write(self, work: Callable[[], T], *, queue: str | None = None) -> T:
        """Run ``work`` as one unit of work, replaying it when the database says conflict.

        ``work`` reads, validates and writes, so a replay sees the winner's data: a
        stale edit then fails with VersionConflictError, as it should. Inside a caller's
        own transaction nothing can be replayed, and the conflict goes up to the caller.
        Replays wait a jittered pause that doubles each time (:mod:`clientcard._backoff`),
        so that processes that collided don't collide again in step; at most
        ``conflict_retries`` replays, none begun past the ``backoff`` budget.

        ``queue`` names the hot spot the unit will write, for units that would otherwise
        fail each other in turn (every append to a business's audit chain moves its one
        head): on a store with queues (PostgreSQL) such units wait their turn before
        they begin, in the order they came, instead of failing and replaying.
        """

        def unit() -> T:
            with self.transaction(queue):
                return work()

        def conflict(error: BaseException) -> bool:
            return (
                isinstance(error, StorageError)
                and error.reason == "conflict"
                and not self.store.in_transaction()
            )

        return replay(
            unit,
            retryable=conflict,
            replays=self.conflict_retries,
            backoff=self.backoff,
            on_replay=lambda number: logger.debug(
                "replaying a unit of work after a conflict (attempt %d)", number
            ),
        )

    def commit(self, write: Callable[[], None], events: list[DomainEvent]) -> None:
        """Run ``write`` and store ``events`` as one unit of work."""

        def work() -> None:
            write()
            self.store_events(events)

        self.write(work)

    # -- events -------------------------------------------------------------------------

    @property
    def records_events(self) -> bool:
        """Whether events are recorded (a sink was given): else there is no need to make them."""
        return self.sink is not None

    def event(
        self,
        kind: EventKind,
        business_id: str,
        card: ClientCard | None = None,
        fields: list[str] | None = None,
        *,
        record_id: str | None = None,
    ) -> DomainEvent:
        """A new domain event of ``kind``, stamped now, naming ``card`` at its version."""
        return DomainEvent(
            event_id=self.new_id(),
            kind=kind,
            business_id=business_id,
            occurred_at=self.clock.now(),
            card_id=card.id if card is not None else None,
            card_version=card.version if card is not None else None,
            fields=tuple(fields or ()),
            record_id=record_id,
        )

    def store_events(self, events: list[DomainEvent]) -> None:
        """Write events to the outbox in the current transaction (when a sink is set)."""
        if self.sink is not None and events:
            self.store.append_events(events)

    def deliver_pending(self, limit: int = 500) -> int:
        """Hand waiting events to the sink, oldest first; return how many were delivered.

        Delivery stops at the first failure, which is logged (ids only); the rest stay
        in the outbox for the next call. Delivered events leave the outbox a hundred at
        a time, so a process that dies meanwhile offers those again (a sink accepts an
        event twice: its ``event_id`` says so).
        """
        if self.sink is None:
            return 0
        delivered = 0
        published: list[str] = []
        try:
            for event in self.store.pending_events(limit):
                try:
                    self.sink.publish(event)
                except Exception:
                    logger.warning(
                        "event sink failed; event stays in the outbox",
                        extra={"event_id": event.event_id, "business_id": event.business_id},
                        exc_info=True,
                    )
                    break
                published.append(event.event_id)
                delivered += 1
                if len(published) >= _MARKED_TOGETHER:
                    self.store.mark_delivered(published)
                    published = []
        finally:
            # However the loop ended: what the sink took is not offered again.
            if published:
                self.store.mark_delivered(published)
        return delivered

    # -- reading page after page -------------------------------------------------------

    def iter_records(self, business_id: str, query: RecordQuery) -> Iterator[Record]:
        """Every record matching ``query``, page after page, in ``(at, id)`` order."""
        cursor: str | None = None
        while True:
            page = self.store.find_records(business_id, query, limit=_PAGE, cursor=cursor)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def iter_cards(self, business_id: str, query: CardQuery | None = None) -> Iterator[ClientCard]:
        """Every card matching ``query`` (all of them without one), page after page."""
        cursor: str | None = None
        while True:
            page = self.store.find(business_id, query, limit=_PAGE, cursor=cursor)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    # -- versions -----------------------------------------------------------------------

    @staticmethod
    def check_version(card: ClientCard, expected: int) -> None:
        """Refuse a change made against a version of ``card`` that is no longer current."""
        if card.version != expected:
            raise VersionConflictError(card.id, expected, card.version)

    # -- fingerprints -------------------------------------------------------------------

    def fingerprint_key(self, business_id: str) -> bytes:
        """The key of one business's contact fingerprints (see ``ClientBook``)."""
        if self.fingerprint_secret is not None:
            return derive_key(self.fingerprint_secret, business_id)
        try:
            stored = self.store.get_record(business_id, _KEY_KIND, business_id)
        except NotFoundError:
            key = secrets.token_bytes(32)
            try:
                self.store.add_records(
                    [
                        Record(
                            business_id=business_id,
                            kind=_KEY_KIND,
                            id=business_id,
                            at=self.clock.now(),
                            doc={"key": key.hex()},
                        )
                    ]
                )
            except DuplicateError:
                # Another process made it first; theirs is the one to use.
                stored = self.store.get_record(business_id, _KEY_KIND, business_id)
            else:
                return key
        return bytes.fromhex(str(stored.doc["key"]))

    # -- blobs --------------------------------------------------------------------------

    def blob_store(self) -> BlobStore:
        """The book's blob store. :raises StorageError: ``no_blob_store`` without one."""
        if self.blobs is None:
            raise StorageError("no_blob_store", "this ClientBook was made without a blob store")
        return self.blobs

    def blob_written(self, business_id: str, ref: str) -> None:
        """Note bytes put in the current unit: deleted again if it rolls back."""
        self._blob_unit.written.append((business_id, ref))

    def blob_unwritten(self, business_id: str, ref: str) -> None:
        """Delete bytes put in the current unit that nothing will point at."""
        self._blob_unit.written.remove((business_id, ref))
        self._drop_unused_blob(business_id, ref)

    def release_blobs(self, business_id: str, refs: list[str]) -> None:
        """File the deletion of blobs: their bytes go once the outermost unit commits.

        Call inside a unit of work: the ``blob.deletion`` records are written in it.
        """
        if not refs:
            return
        now = self.clock.now()
        self.store.add_records(
            [
                Record(business_id=business_id, kind=BLOB_DELETION, id=ref, at=now, doc={})
                for ref in refs
            ]
        )
        self._blob_unit.released.extend((business_id, ref) for ref in refs)

    def _drop_unused_blob(self, business_id: str, ref: str) -> None:
        """Delete bytes no record points at; a failure leaves an unreachable orphan."""
        try:
            self.blob_store().delete(business_id, ref)
        except Exception:  # noqa: BLE001 - the unit's own error is the one to raise
            logger.warning(
                "could not delete the bytes of a photo that was not kept",
                extra={"business_id": business_id, "blob_ref": ref},
            )

    def purge_blobs(self, pending: list[tuple[str, str]]) -> int:
        """Delete the bytes of committed ``blob.deletion`` records; return how many went."""
        if self.blobs is None:
            return 0
        purged = 0
        for business_id, ref in pending:
            try:
                # Only a committed deletion counts: its record is what says the bytes may go.
                self.store.get_record(business_id, BLOB_DELETION, ref)
                self.blobs.delete(business_id, ref)
                self.store.delete_records(business_id, kind=BLOB_DELETION, record_ids=[ref])
            except NotFoundError:
                continue
            except Exception:
                logger.warning(
                    "could not delete a removed photo's bytes; gallery.purge_deleted retries",
                    extra={"business_id": business_id, "blob_ref": ref},
                    exc_info=True,
                )
                continue
            purged += 1
        return purged

    def _blobs_begin(self) -> None:
        self._blob_unit.written.clear()
        self._blob_unit.released.clear()

    def _blobs_rolled_back(self) -> None:
        written = list(self._blob_unit.written)
        self._blobs_begin()
        for business_id, ref in written:
            self._drop_unused_blob(business_id, ref)

    def _blobs_committed(self) -> None:
        released = list(self._blob_unit.released)
        self._blobs_begin()
        if released:
            self.purge_blobs(released)


# -- what every service shares ----------------------------------------------------------


# Delivered events are removed from the outbox this many at a time: one statement and
# one commit each, not one per event (an import leaves one per card). Should the process
# die in between, at most these are offered again, which a sink must accept anyway.
_MARKED_TOGETHER: Final = 100


def audit_queue(business_id: str) -> str:
    """The queue of the units that append to one business's audit chain (see ``write``)."""
    return f"clientcard.audit:{business_id}"


E = TypeVar("E", bound=enum.Enum)


def as_id(name: str, value: object) -> str:
    """Check that ``value``, passed as the parameter ``name``, is an id.

    :raises TypeError: naming the parameter, when an object (a card, a plan) was passed
        where its id belongs; the message holds type names only, never the object.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be an id (str), not {type(value).__name__}")
    return value


def as_optional_id(name: str, value: object) -> str | None:
    """:func:`as_id`, letting ``None`` through."""
    return None if value is None else as_id(name, value)


def as_enum(kind: type[E], name: str, value: object) -> E:
    """Take a member of ``kind`` or its value (``"marketing"`` for ``Purpose.MARKETING``).

    :raises ValueError: naming the parameter and listing the allowed values.
    :raises TypeError: neither a member nor a value's type.
    """
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in kind)
        shown = repr(value) if isinstance(value, (int, float, bool)) else "that value"
        raise ValueError(f"{name}: {shown} is not one of {allowed}") from None
    except TypeError:
        raise TypeError(f"{name} must be a {kind.__name__} or its value") from None


def as_optional_enum(kind: type[E], name: str, value: object) -> E | None:
    """:func:`as_enum`, letting ``None`` through."""
    return None if value is None else as_enum(kind, name, value)


class Service:
    """The base of every concept's service: the shared core and the business it serves.

    ``core`` is the book's :class:`Core`; ``business`` is the handle the service hangs
    on, through which it calls the public methods of the services it needs (a card's
    consent, a client's photos): those calls are its dependencies, in plain sight.
    """

    def __init__(self, core: Core, business: BusinessBook) -> None:
        self._core = core
        self._business = business
        self.business_id: str = business.id
        """The id of the business every call of this service is scoped to."""
