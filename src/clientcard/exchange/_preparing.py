"""Preparing one row (or record) of an import: map, validate, build the card and its profile.

Preparing is pure -- no store, no clock, no ids -- so it runs the same in the importing
process or in a worker process, to which a :class:`Preparation` is pickled once (its
schema as its document). What needs the book -- ids, the duplicate check, storing --
stays with :class:`~clientcard.exchange._batches.ImportRun`, in file order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, NamedTuple

import attrs

from clientcard.cards.card import CardStatus, ClientCard
from clientcard.cards.schema import Context, FieldSchema, FieldType
from clientcard.cards.serialization import schema_from_dict, schema_to_dict
from clientcard.consent import Purpose
from clientcard.contact import phone
from clientcard.errors import FieldIssue, InvalidValueError, ValidationError
from clientcard.exchange._cells import DateOrder, read_date
from clientcard.exchange._records import Record
from clientcard.exchange._source import has_broken_text
from clientcard.exchange.duplicates import Profile
from clientcard.exchange.mapping import ColumnMapping, apply_mapping
from clientcard.exchange.report import ImportIssue
from clientcard.groups.model import normalise_group_key
from clientcard.locale import message

__all__ = ["IDENTITY", "PLACEHOLDER", "Item", "Outcome", "Preparation", "Ready", "Rejected"]


class Rejected(NamedTuple):
    """A row turned down, with every reason (already in the report's language)."""

    row: int
    issues: tuple[ImportIssue, ...]


class Ready(NamedTuple):
    """A row that makes a valid card; the card and profile wait for their id."""

    row: int
    card: ClientCard
    profile: Profile
    stated: tuple[tuple[str, bool], ...]
    warnings: tuple[ImportIssue, ...]
    kinds: tuple[str, ...]
    """The kind of each of the card's phones
    (:class:`~clientcard.contact.phone.PhoneKind` values), found when they were validated."""


Outcome = Rejected | Ready
"""What preparing a row gives: a rejection or a card ready for its id."""
Item = tuple[int, tuple[str, ...], str | None]
"""A table row as the reader gave it: its number, its cells and its problem, if any."""

PLACEHOLDER: Final = ""
"""The id of a prepared card until the import draws its own (in file order)."""


@attrs.frozen
class Preparation:
    """Everything that turns one row into a card or a rejection, apart from the book.

    Preparing a row is pure -- mapping, validation, building the card and its profile
    -- so it runs the same in this process or in a worker (it is pickled to each once).
    What needs the book -- ids, the duplicate check, storing -- stays with
    :class:`~clientcard.exchange._batches.ImportRun`, in file order.
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
    groups: frozenset[str] = frozenset()
    """The keys of the business's client groups: a row naming another is rejected."""

    def __reduce__(self) -> tuple[Callable[..., Preparation], tuple[object, ...]]:
        # A schema holds read-only views, which can't be pickled; its document can.
        fields = attrs.asdict(self, recurse=False)
        fields["schema"] = schema_to_dict(self.schema)
        return _unpickled_preparation, (fields,)

    def issue(self, row: int, field: str, code: str, column: int | None = None) -> ImportIssue:
        return ImportIssue(row, field, code, message(code, self.lang), column)

    def _rejected(self, row: int, issues: Iterable[FieldIssue]) -> Rejected:
        return Rejected(
            row,
            tuple(
                ImportIssue(row, i.field, i.code, i.message, self.columns.get(i.field))
                for i in issues
            ),
        )

    def table_row(self, item: Item) -> Outcome:
        """Prepare one row of a table read through :attr:`mapping`."""
        number, cells, problem = item
        mapping = self.mapping
        assert mapping is not None  # noqa: S101 - set for every table import
        if problem is not None:
            return Rejected(number, (self.issue(number, "row", problem),))
        width = len(mapping.headers)
        if len(cells) < width or (
            len(cells) > width and any(cell.strip() for cell in cells[width:])
        ):
            return Rejected(number, (self.issue(number, "row", "row.ragged"),))
        for target, cell in zip(mapping.targets, cells, strict=False):
            if has_broken_text(cell):
                field = target or "row"
                issue = self.issue(number, field, "row.encoding", self.columns.get(field))
                return Rejected(number, (issue,))
        mapped = apply_mapping(
            mapping, cells, self.schema, order=self.order, today=self.today, lang=self.lang
        )
        if mapped.issues:
            return self._rejected(number, mapped.issues)
        return self._card(number, mapped.values, mapped.consent, None, mapped.warnings)

    def record(self, record: Record) -> Outcome:
        """Prepare one record of a vCard or JSON file."""
        number = record.number
        if record.problem is not None:
            return Rejected(number, (self.issue(number, "record", record.problem),))
        if _broken(record):
            return Rejected(number, (self.issue(number, "record", "row.encoding"),))
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
    ) -> Outcome:
        schema = self.schema
        dropped: list[ImportIssue] = []
        try:
            clean = schema.validate(
                values, Context.IMPORT, today=self.today, region=self.region, lang=self.lang
            )
        except ValidationError as error:
            if not all(self._droppable(issue.field) for issue in error.issues):
                return self._rejected(row, error.issues)
            # Only optional fields are unreadable: the contact is kept without them.
            dropped = [self._left_out(row, issue) for issue in error.issues]
            bad = {issue.field for issue in error.issues}
            kept = {key: value for key, value in values.items() if key not in bad}
            try:
                clean = schema.validate(
                    kept, Context.IMPORT, today=self.today, region=self.region, lang=self.lang
                )
            except ValidationError as again:  # pragma: no cover - each field is read alone
                return self._rejected(row, again.issues)
        group = clean.get("client_group")
        if isinstance(group, str):
            key = self._group_key(group)
            if key is None:
                unknown = FieldIssue(
                    "client_group", "group.unknown", message("group.unknown", self.lang)
                )
                if not self._droppable("client_group"):
                    return self._rejected(row, (unknown,))
                # A group the salon hasn't defined yet is left out, as any other optional
                # value that can't be used: the contact matters more than their group.
                dropped.append(self._left_out(row, unknown))
                del clean["client_group"]
            else:
                clean["client_group"] = key
        ordered = tuple(sorted(stated.items()))
        if not self.wording_given:
            granted = next((key for key, given in ordered if given), None)
            if granted is not None:
                field = f"consent.{granted}"
                code = "import.consent_wording_missing"
                return Rejected(row, (self.issue(row, field, code, self.columns.get(field)),))
        sensitive = sorted(key for key in schema.sensitive_keys if clean.get(key) is not None)
        if sensitive and not stated.get(Purpose.SPECIAL_CATEGORY_DATA.value):
            code = "consent.sensitive_without_consent"
            return Rejected(
                row, tuple(self.issue(row, k, code, self.columns.get(k)) for k in sensitive)
            )
        try:
            card = ClientCard.create(
                card_id=PLACEHOLDER,
                business_id=self.business_id,
                values=clean,
                at=self.now,
                status=CardStatus.PROSPECT if status == "prospect" else CardStatus.ACTIVE,
            )
        except ValidationError as error:
            # The card speaks English; the report speaks the import's language.
            issues = [FieldIssue(i.field, i.code, message(i.code, self.lang)) for i in error.issues]
            return self._rejected(row, issues)
        notes = (
            *(self.issue(row, f, c, self.columns.get(f)) for f, c in warnings),
            *dropped,
        )
        kinds = tuple(phone.kind(number).value for number in card.phones)
        return Ready(row, card, Profile.of(card), ordered, notes, kinds)

    def _droppable(self, field: str) -> bool:
        """Tell whether a value of ``field`` that can't be read may be left out.

        Who the client is and how to reach them (:data:`IDENTITY`), and fields the
        business requires somewhere, reject the row; any other field is left out with
        a warning, and the contact is kept.
        """
        if field in IDENTITY or field not in self.schema:
            return False
        definition = self.schema.field(field)
        return not definition.required and not definition.retired

    def _left_out(self, row: int, issue: FieldIssue) -> ImportIssue:
        text = message("import.value_left_out", self.lang, reason=issue.message)
        return ImportIssue(row, issue.field, issue.code, text, self.columns.get(issue.field))

    def _group_key(self, group: str) -> str | None:
        """The stored key of a group the business defined, or ``None``."""
        try:
            key = normalise_group_key(group)
        except InvalidValueError:
            return None
        return key if key in self.groups else None


IDENTITY: Final = frozenset({"first_name", "last_name", "email", "phones"})
"""Fields whose unreadable value rejects an imported row: who the client is, how to reach
them. An unreadable value of any other field that the business does not require is left
out with a warning."""


def _unpickled_preparation(fields: dict[str, Any]) -> Preparation:
    return Preparation(**{**fields, "schema": schema_from_dict(fields["schema"])})


def _broken(record: Record) -> bool:
    for value in record.values.values():
        items = value if isinstance(value, list | tuple) else [value]
        if any(isinstance(item, str) and has_broken_text(item) for item in items):
            return True
    return False
