"""Importing cards: every row validated, good rows stored in batches, every rejection told.

:func:`import_cards` takes a table (CSV, Excel) or a record source (vCard, JSON) and:

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
(the duplicate index holds a few short strings per card).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
import multiprocessing
import os
import uuid
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple, TypeGuard, TypeVar

import attrs

from clientcard._book_consent import MESSAGE_PURPOSES
from clientcard.card import CardStatus, ClientCard
from clientcard.consent import (
    Channel,
    ConsentAction,
    ConsentEvent,
    ConsentPolicy,
    ConsentSource,
    ConsentState,
    Purpose,
    may_contact,
    replay,
)
from clientcard.contact import phone
from clientcard.contact.phone import PhoneKind
from clientcard.errors import FieldIssue, ValidationError
from clientcard.events import DomainEvent, EventKind
from clientcard.exchange._records import Record, RecordSource, Table
from clientcard.exchange._source import has_broken_text
from clientcard.exchange.duplicates import LIKELY, SAME, DuplicateIndex, Profile
from clientcard.exchange.mapping import (
    ColumnMapping,
    DateOrder,
    apply_mapping,
    consent_target,
    read_date,
)
from clientcard.exchange.report import ImportIssue, ImportReport, PossibleDuplicate
from clientcard.locale import message
from clientcard.schema import Context, FieldSchema, FieldType
from clientcard.serialization import schema_from_dict, schema_to_dict

if TYPE_CHECKING:
    from clientcard.book import ClientBook
    from clientcard.business import Business

__all__ = ["PARALLEL_FROM", "cpu_workers", "import_cards", "preview_mapping"]

logger = logging.getLogger("clientcard.exchange")

_MDY_REGIONS: Final = frozenset({"US", "PH", "FM", "MH", "PW"})
_MAX_ISSUES: Final = 100_000
_T = TypeVar("_T")


def preview_mapping(
    book: ClientBook,
    business_id: str,
    table: Table,
    overrides: Mapping[str | int, str | None] | None = None,
) -> ColumnMapping:
    """The mapping an import of ``table`` would use: suggested, then ``overrides``.

    .. versionadded:: 0.1.0
    """
    schema = book.business(business_id).schema
    mapping = ColumnMapping.suggest(table.headers, schema)
    return mapping.with_targets(overrides) if overrides else mapping


class Permissions:
    """The contact permissions of new cards, decided once per kind of card.

    An imported card has no guardian and a ledger of events all made at the import, so
    :func:`~clientcard.consent.may_contact` depends only on what this key holds: which
    addresses it has (an e-mail, a mobile), its status, whether it is a minor, and what
    the file stated. Twenty-eight decisions per card become one dictionary lookup for
    all but the first card of each kind.

    .. versionadded:: 0.1.0
    """

    def __init__(self) -> None:
        self._known: dict[tuple[object, ...], frozenset[tuple[str, str]]] = {}

    def of(
        self,
        card: ClientCard,
        consent: list[ConsentEvent],
        policy: ConsentPolicy,
        today: dt.date,
    ) -> frozenset[tuple[str, str]]:
        age = card.birth_date.age_on(today) if card.birth_date is not None else None
        key = (
            card.email is not None,
            card.mobile is not None,
            card.status,
            age is not None and age < policy.age_of_consent,
            frozenset((e.action, e.purpose, e.channel) for e in consent),
        )
        found = self._known.get(key)
        if found is None:
            state = replay(consent) if consent else ConsentState()
            found = frozenset(
                (purpose.value, channel.value)
                for purpose in MESSAGE_PURPOSES
                for channel in Channel
                if may_contact(card, purpose, channel, state=state, policy=policy, today=today)
            )
            self._known[key] = found
        return found


@attrs.define
class _Pending:
    row: int
    card: ClientCard
    consent: list[ConsentEvent]


class _Rejected(NamedTuple):
    """A row turned down, with every reason (already in the report's language)."""

    row: int
    issues: tuple[ImportIssue, ...]


class _Ready(NamedTuple):
    """A row that makes a valid card; the card and profile wait for their id."""

    row: int
    card: ClientCard
    profile: Profile
    stated: tuple[tuple[str, bool], ...]
    warnings: tuple[ImportIssue, ...]
    kinds: tuple[str, ...]
    """The kind of each of the card's phones (:class:`PhoneKind` values), found when they
    were validated."""


_Outcome = _Rejected | _Ready
_Item = tuple[int, tuple[str, ...], str | None]
"""A table row as the reader gave it: its number, its cells and its problem, if any."""

_PLACEHOLDER: Final = ""


@attrs.frozen
class _Preparation:
    """Everything that turns one row into a card or a rejection, apart from the book.

    Preparing a row is pure -- mapping, validation, building the card and its profile
    -- so it runs the same in this process or in a worker (it is pickled to each once).
    What needs the book -- ids, the duplicate check, storing -- stays with
    :class:`_Run`, in file order.
    """

    schema: FieldSchema
    business_id: str
    region: str
    lang: str
    order: DateOrder
    today: dt.date
    now: dt.datetime
    wording_given: bool
    mapping: ColumnMapping | None = None
    columns: Mapping[str, int] = attrs.field(factory=dict)

    def __reduce__(self) -> tuple[Callable[..., _Preparation], tuple[object, ...]]:
        # A schema holds read-only views, which can't be pickled; its document can.
        fields = attrs.asdict(self, recurse=False)
        fields["schema"] = schema_to_dict(self.schema)
        return _unpickled_preparation, (fields,)

    def issue(self, row: int, field: str, code: str, column: int | None = None) -> ImportIssue:
        return ImportIssue(row, field, code, message(code, self.lang), column)

    def _rejected(self, row: int, issues: Iterable[FieldIssue]) -> _Rejected:
        return _Rejected(
            row,
            tuple(
                ImportIssue(row, i.field, i.code, i.message, self.columns.get(i.field))
                for i in issues
            ),
        )

    def table_row(self, item: _Item) -> _Outcome:
        """Prepare one row of a table read through :attr:`mapping`."""
        number, cells, problem = item
        mapping = self.mapping
        assert mapping is not None  # noqa: S101 - set for every table import
        if problem is not None:
            return _Rejected(number, (self.issue(number, "row", problem),))
        width = len(mapping.headers)
        if len(cells) < width or (
            len(cells) > width and any(cell.strip() for cell in cells[width:])
        ):
            return _Rejected(number, (self.issue(number, "row", "row.ragged"),))
        for target, cell in zip(mapping.targets, cells, strict=False):
            if has_broken_text(cell):
                field = target or "row"
                issue = self.issue(number, field, "row.encoding", self.columns.get(field))
                return _Rejected(number, (issue,))
        mapped = apply_mapping(
            mapping, cells, self.schema, order=self.order, today=self.today, lang=self.lang
        )
        if mapped.issues:
            return self._rejected(number, mapped.issues)
        return self._card(number, mapped.values, mapped.consent, None, mapped.warnings)

    def record(self, record: Record) -> _Outcome:
        """Prepare one record of a vCard or JSON file."""
        number = record.number
        if record.problem is not None:
            return _Rejected(number, (self.issue(number, "record", record.problem),))
        if _broken(record):
            return _Rejected(number, (self.issue(number, "record", "row.encoding"),))
        values, unknown = self._known(record)
        warnings = (*record.warnings, *unknown)
        return self._card(number, values, record.consent, record.status, warnings)

    def _known(self, record: Record) -> tuple[dict[str, object], list[tuple[str, str]]]:
        """Keep the fields the schema has (dates read as spreadsheets write them); name the rest.

        A vCard or JSON card from another business may carry custom fields this one lacks:
        they are left out with a warning rather than costing the whole card.
        """
        schema = self.schema
        values: dict[str, object] = {}
        unknown: list[tuple[str, str]] = []
        for key, value in record.values.items():
            if key not in schema or schema.field(key).retired:
                unknown.append((key[:64], "field.unknown"))
                continue
            kind = schema.field(key).type
            dated = kind in (FieldType.DATE, FieldType.PARTIAL_DATE) and isinstance(value, str)
            values[key] = read_date(str(value), self.order, self.today) if dated else value
        return values, unknown

    def _card(
        self,
        row: int,
        values: Mapping[str, object],
        stated: Mapping[str, bool],
        status: str | None,
        warnings: Iterable[tuple[str, str]],
    ) -> _Outcome:
        schema = self.schema
        try:
            clean = schema.validate(
                values, Context.IMPORT, today=self.today, region=self.region, lang=self.lang
            )
        except ValidationError as error:
            return self._rejected(row, error.issues)
        ordered = tuple(sorted(stated.items()))
        if not self.wording_given:
            granted = next((key for key, given in ordered if given), None)
            if granted is not None:
                field = f"consent.{granted}"
                code = "import.consent_wording_missing"
                return _Rejected(row, (self.issue(row, field, code, self.columns.get(field)),))
        sensitive = sorted(key for key in schema.sensitive_keys if clean.get(key) is not None)
        if sensitive and not stated.get(Purpose.SPECIAL_CATEGORY_DATA.value):
            code = "consent.sensitive_without_consent"
            return _Rejected(
                row, tuple(self.issue(row, k, code, self.columns.get(k)) for k in sensitive)
            )
        try:
            card = ClientCard.create(
                card_id=_PLACEHOLDER,
                business_id=self.business_id,
                values=clean,
                at=self.now,
                status=CardStatus.PROSPECT if status == "prospect" else CardStatus.ACTIVE,
            )
        except ValidationError as error:
            # The card speaks English; the report speaks the import's language.
            issues = [FieldIssue(i.field, i.code, message(i.code, self.lang)) for i in error.issues]
            return self._rejected(row, issues)
        notes = tuple(self.issue(row, f, c, self.columns.get(f)) for f, c in warnings)
        kinds = tuple(phone.kind(number).value for number in card.phones)
        return _Ready(row, card, Profile.of(card), ordered, notes, kinds)


def _unpickled_preparation(fields: dict[str, Any]) -> _Preparation:
    return _Preparation(**{**fields, "schema": schema_from_dict(fields["schema"])})


@attrs.define
class _Run:
    """The state of one import run; it only ever holds the current batch of cards."""

    book: ClientBook
    business: Business
    report: ImportReport
    dry_run: bool
    batch_size: int
    consent_wording: str | None
    recorded_by: str
    on_duplicate: str
    lang: str
    today: dt.date
    now: dt.datetime
    index: DuplicateIndex
    progress: Callable[[int], None] | None
    permissions: Permissions = attrs.Factory(Permissions)
    batch: list[_Pending] = attrs.Factory(list)
    rejected: list[ImportIssue] = attrs.Factory(list)
    warnings: list[ImportIssue] = attrs.Factory(list)
    duplicates: list[PossibleDuplicate] = attrs.Factory(list)
    counts: dict[str, int] = attrs.Factory(dict)

    def count(self, what: str, by: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + by

    # -- one row ------------------------------------------------------------------------

    def take(self, outcome: _Outcome) -> None:
        """Report a rejected row, or give a ready card its ids and batch it (file order)."""
        if isinstance(outcome, _Rejected):
            room = _MAX_ISSUES - len(self.rejected)
            self.rejected.extend(outcome.issues[: max(room, 0)])
            self.count("rejected")
            return
        if len(self.warnings) < _MAX_ISSUES:
            self.warnings.extend(outcome.warnings[: _MAX_ISSUES - len(self.warnings)])
        card, profile = outcome.card, outcome.profile
        for number, line in zip(card.phones, outcome.kinds, strict=True):
            # Classified by the worker that validated it: not read again here.
            phone._remember_kind(number, PhoneKind(line))
        # Compared before it has an id: a row found already in the book uses none.
        twin = self.index.best(profile)
        if twin is not None and twin[1].score < LIKELY:
            twin = None
        if twin is not None:
            twin_id, found = twin
            if found.score >= SAME or self.on_duplicate == "skip":
                action = "skipped" if found.score >= SAME else "not_imported"
                self.duplicates.append(
                    PossibleDuplicate(outcome.row, twin_id, found.score, found.reasons, action)
                )
                self.count("already_present" if found.score >= SAME else "skipped")
                return
        card_id = self.book._new_id()
        _give_id(card, card_id)
        _give_id(profile, card_id)
        if twin is not None:
            twin_id, found = twin
            self.duplicates.append(
                PossibleDuplicate(
                    outcome.row, twin_id, found.score, found.reasons, "imported", card_id
                )
            )
        self.index.add(profile)
        consent = self._consent(card_id, outcome.stated)
        self.batch.append(_Pending(outcome.row, card, consent))
        self.count("imported")
        self.count("consent_recorded", len(consent))
        if len(self.batch) >= self.batch_size:
            self.flush()

    def _consent(self, card_id: str, stated: tuple[tuple[str, bool], ...]) -> list[ConsentEvent]:
        events = []
        for key, granted in stated:
            purpose, channel = consent_target(f"consent.{key}") or (None, None)
            if purpose is None:  # pragma: no cover - readers only state known keys
                continue
            events.append(
                ConsentEvent(
                    event_id=self.book._new_id(),
                    business_id=self.business.id,
                    card_id=card_id,
                    action=ConsentAction.GRANT if granted else ConsentAction.WITHDRAW,
                    at=self.now,
                    source=ConsentSource.IMPORT,
                    recorded_by=self.recorded_by,
                    purpose=purpose,
                    channel=channel,
                    wording_version=self.consent_wording if granted else None,
                    evidence_ref=f"import:{self.report.import_id}",
                )
            )
        return events

    # -- batches ------------------------------------------------------------------------

    def flush(self) -> None:
        batch, self.batch = self.batch, []
        if not batch:
            return
        if not self.dry_run:
            self._write(batch)
        if self.progress is not None:
            self.progress(len(batch))

    def _write(self, batch: list[_Pending]) -> None:
        book = self.book
        store = book.store
        policy = self.business.consent_policy
        events: list[DomainEvent] = []
        granted = {
            pending.card.id: self.permissions.of(pending.card, pending.consent, policy, self.today)
            for pending in batch
        }
        with book.transaction():
            store.add_many([pending.card for pending in batch], permissions=granted)
            ledger = [event for pending in batch for event in pending.consent]
            if ledger:
                store.append_consent(ledger)
            for pending in batch if book.records_events else ():
                card = pending.card
                events.append(self._event(EventKind.CARD_CREATED, card, sorted(card.values())))
                if pending.consent:
                    changed = sorted(_key(event) for event in pending.consent)
                    events.append(self._event(EventKind.CONSENT_CHANGED, card, changed))
            book.store_events(events)
        logger.info(
            "import batch stored",
            extra={
                "business_id": self.business.id,
                "import_id": self.report.import_id,
                "cards": len(batch),
            },
        )

    def _event(self, kind: EventKind, card: ClientCard, fields: list[str]) -> DomainEvent:
        return DomainEvent(
            event_id=self.book._new_id(),
            kind=kind,
            business_id=card.business_id,
            occurred_at=self.now,
            card_id=card.id,
            card_version=card.version,
            fields=tuple(fields),
        )

    def finish(
        self,
        rows: int,
        mapping: tuple[dict[str, object], ...],
        encoding: str | None,
        delimiter: str | None,
    ) -> ImportReport:
        self.flush()
        return attrs.evolve(
            self.report,
            rows=rows,
            mapping=mapping,
            encoding=encoding,
            delimiter=delimiter,
            imported=self.counts.get("imported", 0),
            already_present=self.counts.get("already_present", 0),
            skipped=self.counts.get("skipped", 0),
            consent_recorded=self.counts.get("consent_recorded", 0),
            rejected=tuple(self.rejected),
            warnings=tuple(self.warnings),
            duplicates=tuple(self.duplicates),
        )


def _key(event: ConsentEvent) -> str:
    return ".".join(part.value for part in (event.purpose, event.channel) if part is not None)


def import_cards(
    book: ClientBook,
    business_id: str,
    source: Table | RecordSource,
    *,
    mapping: ColumnMapping | Mapping[str | int, str | None] | None = None,
    dry_run: bool = False,
    batch_size: int = 500,
    consent_wording: str | None = None,
    recorded_by: str = "import",
    on_duplicate: Literal["import", "skip"] = "import",
    date_order: DateOrder | None = None,
    lang: str | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int = 0,
) -> ImportReport:
    """Import the rows of ``source`` into a business (see the module docs).

    ``mapping`` is a whole :class:`ColumnMapping`, or overrides of the suggested one
    (header or column number to target). ``consent_wording`` names the text the clients
    agreed to, needed on rows that state a grant. ``date_order`` reads dates such as
    ``03/04/1985`` (month first in the United States, day first elsewhere, by default).
    ``progress`` is called with the number of rows in each batch handled.

    ``workers`` is how many worker processes prepare a table's rows (map, validate and
    build each card) while this process compares and stores them, in file order: the
    report and the cards are the same with any number. ``0``, the default, prepares
    every row here; one per CPU (``len(os.sched_getaffinity(0))``) made an import of
    50,000 rows about one and a half times as fast on two. They are started (spawned:
    the calling script must keep its top-level code under ``if __name__ ==
    "__main__":``, as :mod:`multiprocessing` asks) only for a table of more than
    :data:`PARALLEL_FROM` rows, where starting them costs less than it saves. vCard and
    JSON files are always prepared here.

    Each card stored is given its id (and then its consent events theirs) through the
    book's ``new_id``, in file order; rows turned down or left out as duplicates are
    given none.

    :raises ValidationError: the mapping names unknown fields or fills none.
    :raises NotFoundError: no such business.
    :raises StorageError: a batch could not be stored; the batches before it are
        stored, and running the import again skips them.

    .. versionadded:: 0.1.0
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if workers < 0:
        raise ValueError("workers must be zero or more")
    business = book.business(business_id)
    language = lang or business.language
    now = book.clock.now()
    report = ImportReport(
        import_id=str(uuid.uuid4()), format=source.format, dry_run=dry_run, lang=language
    )
    run = _Run(
        book=book,
        business=business,
        report=report,
        dry_run=dry_run,
        batch_size=batch_size,
        consent_wording=consent_wording,
        recorded_by=recorded_by,
        on_duplicate=on_duplicate,
        lang=language,
        today=now.date(),
        now=now,
        index=DuplicateIndex.of_book(book, business_id, fuzzy=False),
        progress=progress,
    )
    preparation = _Preparation(
        schema=business.schema,
        business_id=business.id,
        region=business.region,
        lang=language,
        order=date_order or ("mdy" if business.region in _MDY_REGIONS else "dmy"),
        today=now.date(),
        now=now,
        wording_given=bool(consent_wording),
    )
    counted = _Counter()
    if _is_table(source):
        chosen = _mapping_for(source, business, mapping)
        chosen.check(business.schema, language)
        preparation = attrs.evolve(preparation, mapping=chosen, columns=_columns(chosen))
        items = counted.through((row.number, row.cells, row.problem) for row in source.rows())
        outcomes: Generator[_Outcome, None, None] = _prepared(preparation, items, workers)
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


PARALLEL_FROM: Final = 2_000
"""Tables of up to this many rows are prepared in the importing process alone."""

_MOST_WORKERS: Final = 4


def cpu_workers() -> int:
    """The workers to give :func:`import_cards` here: one per CPU, four at most.

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
    preparation: _Preparation, items: Iterator[_Item], workers: int
) -> Generator[_Outcome, None, None]:
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


_InFlight = deque[tuple[list[_Item], "Future[list[_Outcome]] | None"]]


def _prepared_by_workers(
    preparation: _Preparation, chunks: Iterator[list[_Item]], workers: int
) -> Generator[_Outcome, None, Iterator[list[_Item]]]:
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


def _taken_back(pending: _InFlight, chunks: Iterator[list[_Item]]) -> Iterator[list[_Item]]:
    # An error raised by a row itself is raised again here, where it belongs.
    logger.warning(
        "import workers failed or could not start; preparing the remaining rows in this process",
        exc_info=True,
    )
    return itertools.chain([chunk for chunk, _future in pending], chunks)


def _first_done(pending: _InFlight) -> list[_Outcome]:
    """Wait for the oldest chunk handed out; it leaves ``pending`` only once it is done."""
    future = pending[0][1]
    assert future is not None  # noqa: S101 - only the newest may wait to be handed out
    outcomes = future.result()
    pending.popleft()
    return outcomes


def _chunks(items: Iterator[_Item], size: int) -> Iterator[list[_Item]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk


_worker_preparation: _Preparation | None = None
_WORKER_NICENESS: Final = 10


def _start_worker(preparation: _Preparation) -> None:
    """Keep the preparation a worker process was started with; yield to the importer.

    The importing process stores every row, one at a time, in file order: it sets the
    pace. Workers that outnumber the free CPUs would otherwise take CPU time from it.
    """
    global _worker_preparation  # noqa: PLW0603 - one per worker process, set once
    _worker_preparation = preparation
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(_WORKER_NICENESS)


def _prepare_chunk(chunk: list[_Item]) -> list[_Outcome]:
    """Prepare a chunk of rows in a worker process."""
    preparation = _worker_preparation
    assert preparation is not None  # noqa: S101 - set by _start_worker
    return [preparation.table_row(item) for item in chunk]


def _give_id(made: ClientCard | Profile, card_id: str) -> None:
    """Give a card (or its profile) prepared without an id the id the book drew for it.

    Both are frozen, and ``attrs.evolve`` would run every validator of the card again;
    but this one was just made, by this import, and nothing else holds it yet.
    """
    object.__setattr__(made, "card_id" if isinstance(made, Profile) else "id", card_id)


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


def _broken(record: Record) -> bool:
    for value in record.values.values():
        items = value if isinstance(value, list | tuple) else [value]
        if any(isinstance(item, str) and has_broken_text(item) for item in items):
            return True
    return False
