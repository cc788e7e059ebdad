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

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Final, Literal, TypeGuard

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
from clientcard.schema import Context, FieldType

if TYPE_CHECKING:
    from clientcard.book import ClientBook
    from clientcard.business import Business

__all__ = ["import_cards", "preview_mapping"]

logger = logging.getLogger("clientcard.exchange")

_MDY_REGIONS: Final = frozenset({"US", "PH", "FM", "MH", "PW"})
_MAX_ISSUES: Final = 100_000


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
    order: DateOrder
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

    def reject(self, row: int, issues: Iterable[FieldIssue], columns: Mapping[str, int]) -> None:
        for issue in issues:
            if len(self.rejected) < _MAX_ISSUES:
                self.rejected.append(
                    ImportIssue(
                        row, issue.field, issue.code, issue.message, columns.get(issue.field)
                    )
                )
        self.count("rejected")

    def warn(self, row: int, field: str, code: str, columns: Mapping[str, int]) -> None:
        if len(self.warnings) < _MAX_ISSUES:
            self.warnings.append(
                ImportIssue(row, field, code, message(code, self.lang), columns.get(field))
            )

    def issue(self, field: str, code: str) -> FieldIssue:
        return FieldIssue(field, code, message(code, self.lang))

    # -- one row ------------------------------------------------------------------------

    def take(
        self,
        row: int,
        values: Mapping[str, object],
        stated: Mapping[str, bool],
        status: str | None,
        columns: Mapping[str, int],
    ) -> None:
        schema = self.business.schema
        try:
            clean = schema.validate(
                values,
                Context.IMPORT,
                today=self.today,
                region=self.business.region,
                lang=self.lang,
            )
        except ValidationError as error:
            self.reject(row, error.issues, columns)
            return
        try:
            consent = self._consent(stated)
        except ValidationError as error:
            self.reject(row, error.issues, columns)
            return
        sensitive = sorted(key for key in schema.sensitive_keys if clean.get(key) is not None)
        if sensitive and not stated.get(Purpose.SPECIAL_CATEGORY_DATA.value):
            code = "consent.sensitive_without_consent"
            self.reject(row, [self.issue(key, code) for key in sensitive], columns)
            return
        card_status = CardStatus.PROSPECT if status == "prospect" else CardStatus.ACTIVE
        try:
            card = ClientCard.create(
                card_id=self.book._new_id(),
                business_id=self.business.id,
                values=clean,
                at=self.now,
                status=card_status,
            )
        except ValidationError as error:
            self.reject(row, error.issues, columns)
            return
        profile = Profile.of(card)
        twin = self.index.best(profile)
        if twin is not None and twin[1].score >= LIKELY:
            twin_id, found = twin
            if found.score >= SAME or self.on_duplicate == "skip":
                action = "skipped" if found.score >= SAME else "not_imported"
                self.duplicates.append(
                    PossibleDuplicate(row, twin_id, found.score, found.reasons, action)
                )
                self.count("already_present" if found.score >= SAME else "skipped")
                return
            self.duplicates.append(
                PossibleDuplicate(row, twin_id, found.score, found.reasons, "imported", card.id)
            )
        self.index.add(profile)
        events = [attrs.evolve(event, card_id=card.id) for event in consent]
        self.batch.append(_Pending(row, card, events))
        self.count("imported")
        self.count("consent_recorded", len(events))
        if len(self.batch) >= self.batch_size:
            self.flush()

    def _consent(self, stated: Mapping[str, bool]) -> list[ConsentEvent]:
        events = []
        for key, granted in sorted(stated.items()):
            purpose, channel = consent_target(f"consent.{key}") or (None, None)
            if purpose is None:  # pragma: no cover - readers only state known keys
                continue
            if granted and not self.consent_wording:
                raise ValidationError(
                    [self.issue(f"consent.{key}", "import.consent_wording_missing")]
                )
            events.append(
                ConsentEvent(
                    event_id=self.book._new_id(),
                    business_id=self.business.id,
                    card_id="pending",
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
            for pending in batch:
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
) -> ImportReport:
    """Import the rows of ``source`` into a business (see the module docs).

    ``mapping`` is a whole :class:`ColumnMapping`, or overrides of the suggested one
    (header or column number to target). ``consent_wording`` names the text the clients
    agreed to, needed on rows that state a grant. ``date_order`` reads dates such as
    ``03/04/1985`` (month first in the United States, day first elsewhere, by default).
    ``progress`` is called with the number of rows in each batch handled.

    :raises ValidationError: the mapping names unknown fields or fills none.
    :raises NotFoundError: no such business.
    :raises StorageError: a batch could not be stored; the batches before it are
        stored, and running the import again skips them.

    .. versionadded:: 0.1.0
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
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
        order=date_order or ("mdy" if business.region in _MDY_REGIONS else "dmy"),
        lang=language,
        today=now.date(),
        now=now,
        index=DuplicateIndex.of_book(book, business_id, fuzzy=False),
        progress=progress,
    )
    if _is_table(source):
        chosen = _mapping_for(source, business, mapping)
        chosen.check(business.schema, language)
        rows = _table_rows(run, source, chosen)
        mapped = tuple(chosen.to_dict())
    else:
        rows = _record_rows(run, source)  # type: ignore[arg-type]
        mapped = ()
    total = sum(1 for _ in rows)
    return run.finish(
        total, mapped, getattr(source, "encoding", None), getattr(source, "delimiter", None)
    )


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


def _table_rows(run: _Run, table: Table, mapping: ColumnMapping) -> Iterator[int]:
    width = len(mapping.headers)
    columns: dict[str, int] = {}
    for number, target in enumerate(mapping.targets, start=1):
        if target is not None:
            columns.setdefault(target, number)
    for row in table.rows():
        yield row.number
        if row.problem is not None:
            run.reject(row.number, [run.issue("row", row.problem)], {})
            continue
        cells = row.cells
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            run.reject(row.number, [run.issue("row", "row.ragged")], {})
            continue
        if len(cells) < width:
            run.reject(row.number, [run.issue("row", "row.ragged")], {})
            continue
        broken = [
            target or "row"
            for target, cell in zip(mapping.targets, cells, strict=False)
            if has_broken_text(cell)
        ]
        if broken:
            run.reject(row.number, [run.issue(broken[0], "row.encoding")], columns)
            continue
        mapped = apply_mapping(
            mapping, cells, run.business.schema, order=run.order, today=run.today, lang=run.lang
        )
        if mapped.issues:
            run.reject(row.number, mapped.issues, columns)
            continue
        before = len(run.rejected)
        run.take(row.number, mapped.values, mapped.consent, None, columns)
        if len(run.rejected) == before:
            for field, code in mapped.warnings:
                run.warn(row.number, field, code, columns)


def _record_rows(run: _Run, source: RecordSource) -> Iterator[int]:
    for record in source.records():
        yield record.number
        if record.problem is not None:
            run.reject(record.number, [run.issue("record", record.problem)], {})
            continue
        if _broken(record):
            run.reject(record.number, [run.issue("record", "row.encoding")], {})
            continue
        values, unknown = _known(run, record)
        before = len(run.rejected)
        run.take(record.number, values, record.consent, record.status, {})
        if len(run.rejected) == before:
            for field, code in [*record.warnings, *unknown]:
                run.warn(record.number, field, code, {})


def _known(run: _Run, record: Record) -> tuple[dict[str, object], list[tuple[str, str]]]:
    """Keep the fields the schema has (dates read as spreadsheets write them); name the rest.

    A vCard or JSON card from another business may carry custom fields this one lacks:
    they are left out with a warning rather than costing the whole card.
    """
    schema = run.business.schema
    values: dict[str, object] = {}
    unknown: list[tuple[str, str]] = []
    for key, value in record.values.items():
        if key not in schema or schema.field(key).retired:
            unknown.append((key[:64], "field.unknown"))
            continue
        kind = schema.field(key).type
        dated = kind in (FieldType.DATE, FieldType.PARTIAL_DATE) and isinstance(value, str)
        values[key] = read_date(str(value), run.order, run.today) if dated else value
    return values, unknown


def _broken(record: Record) -> bool:
    for value in record.values.values():
        items = value if isinstance(value, list | tuple) else [value]
        if any(isinstance(item, str) and has_broken_text(item) for item in items):
            return True
    return False
