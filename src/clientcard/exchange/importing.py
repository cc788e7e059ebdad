"""Importing cards: every row validated, good rows stored in batches, every rejection told.

:meth:`~clientcard.exchange.service.ExchangeService.import_cards` (or ``import_file``)
takes a table (CSV, Excel) or a record source (vCard, JSON) and:

1. maps the table's columns to fields (:class:`~clientcard.exchange.mapping.ColumnMapping`,
   suggested from the header unless the host gives one);
2. validates each row against the business's schema in the import context, in the
   business's language -- a row with any problem is rejected whole and reported with
   its number, field and reason, never its values;
3. compares each good row with the book (and the rows before it): a client the book
   already has is skipped, so running an import twice creates nothing twice; a likely
   twin is imported and reported (or skipped, with ``on_duplicate="skip"``);
4. stores the cards in batches of ``batch_size`` (one transaction each, through
   :meth:`~clientcard.storage.protocol.ClientStore.add_many`), with their consent where
   the file states it -- source ``import``, the wording the host names, the row as
   evidence -- and their contact permissions, and a ``card.created`` event each.

Health data (fields the schema marks sensitive) comes in only on rows that also state
the client's explicit consent to keeping it; other rows holding it are rejected.

Nothing is kept of the file but the current batch: any size imports in bounded memory
(the duplicate index holds a few short strings per card). Large tables are prepared by
worker processes (see :func:`cpu_workers`); what they are handed holds no store.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
import uuid
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Final, Literal, TypeGuard, TypeVar

import attrs

from clientcard.errors import FieldIssue, ValidationError
from clientcard.exchange._batches import ImportRun
from clientcard.exchange._cells import DateOrder
from clientcard.exchange._preparing import Item, Outcome, Preparation
from clientcard.exchange._records import RecordSource, Table
from clientcard.exchange.duplicates import DuplicateIndex
from clientcard.exchange.mapping import ColumnMapping
from clientcard.exchange.report import ImportReport
from clientcard.locale import message

if TYPE_CHECKING:
    from clientcard._core import Core
    from clientcard.business import Business

__all__ = ["PARALLEL_FROM", "cpu_workers"]

logger = logging.getLogger("clientcard.exchange")

_MDY_REGIONS: Final = frozenset({"US", "PH", "FM", "MH", "PW"})
_T = TypeVar("_T")


def _run_import(
    core: Core,
    business: Business,
    index: DuplicateIndex,
    source: Table | RecordSource,
    *,
    mapping: ColumnMapping | Mapping[str | int, str | None] | None,
    dry_run: bool,
    batch_size: int,
    consent_wording: str | None,
    by: str,
    on_duplicate: Literal["import", "skip"],
    date_order: DateOrder | None,
    lang: str | None,
    progress: Callable[[int], None] | None,
    workers: int,
    import_id: str | None = None,
    groups: frozenset[str] = frozenset(),
) -> ImportReport:
    """Import ``source`` into ``business``: what the exchange service's import runs.

    Package-private: hosts call the service. ``index`` holds the business's cards
    (:meth:`~clientcard.exchange.duplicates.DuplicateIndex.of_cards` with
    ``fuzzy=False``); the import adds each card it takes. The options are those of
    :meth:`~clientcard.exchange.service.ExchangeService.import_cards`, already checked.
    """
    language = lang or business.language
    now = core.clock.now()
    report = ImportReport(
        import_id=import_id or str(uuid.uuid4()),
        format=source.format,
        dry_run=dry_run,
        lang=language,
    )
    run = ImportRun(
        core=core,
        business=business,
        report=report,
        dry_run=dry_run,
        batch_size=batch_size,
        consent_wording=consent_wording,
        by=by,
        on_duplicate=on_duplicate,
        lang=language,
        today=business.today(now),
        now=now,
        index=index,
        progress=progress,
    )
    preparation = Preparation(
        schema=business.schema,
        business_id=business.id,
        region=business.region,
        lang=language,
        order=date_order or ("mdy" if business.region in _MDY_REGIONS else "dmy"),
        today=business.today(now),
        now=now,
        wording_given=bool(consent_wording),
        groups=groups,
    )
    counted = _Counter()
    if _is_table(source):
        chosen = _mapping_for(source, business, mapping)
        chosen.check(business.schema, language)
        if not consent_wording:
            _refuse_consent_without_wording(chosen, language)
        preparation = attrs.evolve(preparation, mapping=chosen, columns=_columns(chosen))
        items = counted.through((row.number, row.cells, row.problem) for row in source.rows())
        outcomes: Generator[Outcome, None, None] = _prepared(preparation, items, workers)
        mapped = tuple(chosen.to_dict())
    else:
        records = counted.through(source.records())  # type: ignore[union-attr]
        outcomes = (preparation.record(record) for record in records)
        mapped = ()
    # Closed however the loop ends, so a store that raises stops the workers at once.
    with contextlib.closing(outcomes):
        for outcome in outcomes:
            run.take(outcome)
    return run.finish(
        counted.count,
        mapped,
        getattr(source, "encoding", None),
        getattr(source, "delimiter", None),
    )


def _refuse_consent_without_wording(mapping: ColumnMapping, lang: str) -> None:
    """Stop before any row when a column states consent but no wording version was named.

    Every "yes" in the column would need the version of the text the client agreed to;
    finding out row by row would reject them one by one.

    :raises ValidationError: ``import.consent_wording_missing``, naming each column.
    """
    issues = [
        FieldIssue(
            f"column{number}",
            "import.consent_wording_missing",
            message("import.consent_wording_missing", lang),
        )
        for number, target in enumerate(mapping.targets, start=1)
        if target is not None and target.startswith("consent.")
    ]
    if issues:
        raise ValidationError(issues)


PARALLEL_FROM: Final = 2_000
"""Tables of up to this many rows are prepared in the importing process alone."""

_MOST_WORKERS: Final = 4


def cpu_workers() -> int:
    """The workers to give an import here: one per CPU, four at most.

    One per CPU this process may run on, none on a single CPU. The importing process
    stores every row and so sets the pace: past a few workers, more only cost memory.
    ``clientcard import`` uses this unless told ``--workers``.

    .. versionadded:: 0.1.0
    """
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        count = os.cpu_count() or 1
    return min(count, _MOST_WORKERS) if count > 1 else 0


_CHUNK: Final = 250
# Chunks handed out ahead per worker: enough that none waits while this process stores
# a batch, few enough that memory stays bounded whatever the file's size.
_AHEAD: Final = 4


class _Counter:
    """Counts what passes through, so the report can tell the rows read."""

    def __init__(self) -> None:
        self.count = 0

    def through(self, items: Iterable[_T]) -> Iterator[_T]:
        for item in items:
            self.count += 1
            yield item


def _columns(mapping: ColumnMapping) -> dict[str, int]:
    """Each target's first column (1-based), for the report."""
    columns: dict[str, int] = {}
    for number, target in enumerate(mapping.targets, start=1):
        if target is not None:
            columns.setdefault(target, number)
    return columns


def _prepared(
    preparation: Preparation, items: Iterator[Item], workers: int
) -> Generator[Outcome, None, None]:
    """Each row's outcome, in file order: prepared here, or by ``workers`` processes.

    Rows are read here and handed out in chunks, a bounded number ahead, so only a few
    chunks are ever in memory. Workers start only once the table has more than
    :data:`PARALLEL_FROM` rows, and never from a daemonic process (which may have no
    children). Should they fail to start or die, the rows they had are prepared here:
    workers only make an import faster, never change it. An error reading the file is
    the import's, workers or not.
    """
    chunks = _chunks(items, _CHUNK)
    if workers > 0 and not multiprocessing.current_process().daemon:
        head = list(itertools.islice(chunks, PARALLEL_FROM // _CHUNK + 1))
        chunks = itertools.chain(head, chunks)
        if len(head) * _CHUNK > PARALLEL_FROM:
            chunks = yield from _prepared_by_workers(preparation, chunks, workers)
    for chunk in chunks:
        yield from (preparation.table_row(item) for item in chunk)


_InFlight = deque[tuple[list[Item], "Future[list[Outcome]] | None"]]


def _prepared_by_workers(
    preparation: Preparation, chunks: Iterator[list[Item]], workers: int
) -> Generator[Outcome, None, Iterator[list[Item]]]:
    """Hand chunks to worker processes; return the chunks left if the workers failed.

    Only handing work out and taking it back are guarded: reading the next chunk is
    not, so an error reading the file is raised, never taken for a worker's failure.
    Any failure of the pool -- a worker killed, one that can't start, an error raised
    in one -- sends the chunks not yet taken back here, where a real error in the rows
    shows itself again.
    """
    # Spawned, not forked: the host's process may hold threads, locks and connections
    # that a forked child would inherit in whatever state they were in.
    context = multiprocessing.get_context("spawn")
    pending: _InFlight = deque()
    try:
        pool = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(preparation,)
        )
    except Exception:  # noqa: BLE001 - no pool on this host (no /dev/shm, no semaphores)
        return _taken_back(pending, chunks)
    try:
        for chunk in chunks:
            # In pending before it is handed out: a failing submit must not lose it.
            pending.append((chunk, None))
            try:
                pending[-1] = (chunk, pool.submit(_prepare_chunk, chunk))
                outcomes = _first_done(pending) if len(pending) >= _AHEAD * workers else []
            except Exception:  # noqa: BLE001 - any pool failure: the rows are prepared here
                return _taken_back(pending, chunks)
            yield from outcomes
        while pending:
            try:
                outcomes = _first_done(pending)
            except Exception:  # noqa: BLE001 - as above
                return _taken_back(pending, chunks)
            yield from outcomes
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return iter(())


def _taken_back(pending: _InFlight, chunks: Iterator[list[Item]]) -> Iterator[list[Item]]:
    # An error raised by a row itself is raised again here, where it belongs.
    logger.warning(
        "import workers failed or could not start; preparing the remaining rows in this process",
        exc_info=True,
    )
    return itertools.chain([chunk for chunk, _future in pending], chunks)


def _first_done(pending: _InFlight) -> list[Outcome]:
    """Wait for the oldest chunk handed out; it leaves ``pending`` only once it is done."""
    future = pending[0][1]
    assert future is not None  # noqa: S101 - only the newest may wait to be handed out
    outcomes = future.result()
    pending.popleft()
    return outcomes


def _chunks(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk


_worker_preparation: Preparation | None = None
_WORKER_NICENESS: Final = 10


def _start_worker(preparation: Preparation) -> None:
    """Keep the preparation a worker process was started with; yield to the importer.

    The importing process stores every row, one at a time, in file order: it sets the
    pace. Workers that outnumber the free CPUs would otherwise take CPU time from it.
    A worker exits as soon as the importing process is gone, however it ended: a worker
    waits for work on a queue it holds both ends of, so nothing else would wake it.
    """
    global _worker_preparation  # noqa: PLW0603 - one per worker process, set once
    _worker_preparation = preparation
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(
            target=_exit_with_parent, args=(parent.sentinel,), name="parent-watch", daemon=True
        ).start()
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(_WORKER_NICENESS)


def _exit_with_parent(sentinel: int) -> None:  # pragma: no cover - runs in a worker
    """Wait until the parent process ends, then end this worker at once.

    The sentinel is the end of a pipe whose other end only the parent holds: it reads
    as ready when the parent is gone, killed or not. Nothing of the worker's is worth
    finishing then: its outcomes had nowhere to go.
    """
    multiprocessing.connection.wait([sentinel])
    os._exit(_ORPHANED)


_ORPHANED: Final = 1


def _prepare_chunk(chunk: list[Item]) -> list[Outcome]:
    """Prepare a chunk of rows in a worker process."""
    preparation = _worker_preparation
    assert preparation is not None  # noqa: S101 - set by _start_worker
    return [preparation.table_row(item) for item in chunk]


def _is_table(source: Table | RecordSource) -> TypeGuard[Table]:
    return hasattr(source, "headers") and hasattr(source, "rows")


def _mapping_for(
    table: Table,
    business: Business,
    mapping: ColumnMapping | Mapping[str | int, str | None] | None,
) -> ColumnMapping:
    if isinstance(mapping, ColumnMapping):
        return mapping
    suggested = ColumnMapping.suggest(table.headers, business.schema)
    return suggested.with_targets(mapping) if mapping else suggested
