"""How a SQL store runs its operations: units of work, savepoints and retries.

:class:`TransactionRunner` is the base of :class:`~clientcard.storage._sql.store.SQLStore`:
it binds a ``with store.transaction():`` block to the thread that opened it, runs each
operation inside one within a savepoint, and retries a conflicting operation that ran
alone. What a driver supplies -- connections and the translation of its errors -- is
abstract here.
"""

from __future__ import annotations

import abc
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from types import TracebackType
from typing import Final, Self, TypeVar

import attrs

from clientcard._backoff import replay
from clientcard.errors import StorageError
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session, TxState

__all__ = ["TransactionRunner"]

T = TypeVar("T")

_log = logging.getLogger("clientcard.storage")
_SAVEPOINT: Final = "clientcard_op"


@attrs.define
class _Unit:
    """The transaction a ``with store.transaction():`` block opened on this thread."""

    session: Session
    broken: bool = False


class _Units(threading.local):
    unit: _Unit | None = None


class TransactionRunner(abc.ABC):
    """Runs a SQL store's operations, alone or inside a unit of work.

    An operation runs:

    * alone, in a transaction of its own (reads in a single statement), retried up to
      ``max_retries`` times with jittered exponential back-off, bounded in time
      (:mod:`clientcard._backoff`), when the database reports a conflict;
    * inside ``transaction()``, on that block's connection and within a savepoint, so a
      failed operation leaves the rest of the block as it was -- and is never retried,
      as the block around it can't be replayed.

    Subclasses supply connections (:meth:`_checkout`) and the translation of driver
    errors (:meth:`_translated`).

    .. versionadded:: 0.1.0
    """

    def __init__(self, dialect: Dialect, *, max_retries: int = 0) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be zero or more")
        self._dialect = dialect
        self._max_retries = max_retries
        self._units = _Units()

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
        with self.queued_transaction(None):
            yield

    @contextmanager
    def queued_transaction(self, queue: str | None) -> Iterator[None]:
        """:meth:`transaction`, begun only when it is this unit's turn in ``queue``.

        Units of every process that name the same queue run one at a time, in the
        order they asked, each beginning after the one before committed: on
        PostgreSQL, units that all write one hot row (the audit chain's head) then wait
        for each other instead of failing with serialization errors and starving the
        longest of them. Where writers queue anyway (SQLite), and inside a unit already
        open, it is :meth:`transaction`.

        .. versionadded:: 0.1.0
        """
        if self._units.unit is not None:
            yield
            return
        with ExitStack() as stack:
            with self._translated():
                session = stack.enter_context(self._checkout())
                if queue is not None and self._dialect.queue_lock is not None:
                    take, give_back = self._dialect.queue_lock
                    session.execute(take, [queue])
                    stack.callback(self._leave_queue, session, give_back, queue)
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
        return replay(
            lambda: self._run_alone(work, write=write, subject=subject),
            retryable=_is_conflict,
            replays=self._max_retries,
            on_replay=lambda number: _log.debug(
                "transaction conflict; retry %d of %d", number, self._max_retries
            ),
        )

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

    def _leave_queue(self, session: Session, give_back: str, queue: str) -> None:
        """Give the queue's lock back, or drop the connection (the server frees its locks).

        A connection that still holds the lock never goes back to the pool.
        """
        try:
            with self._translated():
                session.execute(give_back, [queue])
        except StorageError:
            session.discard()

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


def _is_conflict(error: BaseException) -> bool:
    return isinstance(error, StorageError) and error.reason == "conflict"
