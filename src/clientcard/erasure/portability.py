"""Access and portability: everything about one client, as a document and as a report.

``desk.portability.export_subject(card_id)`` gathers it all -- the card with its custom fields
(and their definitions, so another book can hold them), the consent ledger, every record
filed under the card (history, payments, conversations, documents, gallery entries, of
any kind), the dispatcher's sends, and the references of pictures and files in the
host's blob store -- into a :class:`SubjectData`. From it:

* :func:`subject_to_dict` writes the machine-readable document (GDPR Art. 20); its JSON
  Schema ships with the library (:func:`subject_schema`, also
  ``clientcard/erasure/subject-export.schema.json``) so a receiving system can check it;
* :func:`subject_report` writes the human-readable report in the client's language
  (Art. 15), in English, Italian or Dutch.

``other_desk.portability.import_subject(document)`` reads such a document into another
business's book (:func:`subject_from_dict` checks it first) and says what it made of it
in an :class:`ImportedSubject`.

The document holds the client's personal data: hand it to the client, over a channel fit
for it, and keep no copy; the audit trail records that an export was made.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from importlib import resources
from typing import Any, Final
from zoneinfo import ZoneInfo

import attrs

from clientcard.business import is_time_zone
from clientcard.cards.card import BirthDate, ClientCard, Gender
from clientcard.cards.schema import FieldDefinition, FieldSchema
from clientcard.cards.serialization import (
    card_from_dict,
    card_to_dict,
    consent_event_from_dict,
    consent_event_to_dict,
    converter,
    send_from_dict,
    send_to_dict,
)
from clientcard.consent.ledger import ConsentEvent
from clientcard.consent.report import consent_report
from clientcard.contact import phone
from clientcard.erasure._report_lines import history_line, local_date, text
from clientcard.erasure.plan import blob_refs, card_blob_refs
from clientcard.errors import DocumentError
from clientcard.kinds import kind_of
from clientcard.locale import DEFAULT_LANGUAGE, field_label
from clientcard.locale._catalogue import GENDER_LABELS, LANGUAGE_LABELS
from clientcard.messaging.sends import Send
from clientcard.storage.records import Record

__all__ = [
    "SUBJECT_DOCUMENT_VERSION",
    "SUBJECT_SCHEMA_ID",
    "ImportedSubject",
    "ReportSection",
    "SubjectData",
    "SubjectReport",
    "custom_definitions",
    "subject_from_dict",
    "subject_report",
    "subject_schema",
    "subject_to_dict",
]

SUBJECT_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` written on subject documents."""

SUBJECT_SCHEMA_ID: Final = "https://clientcard.dev/schemas/subject-export/1.json"
"""The ``$id`` of the published JSON Schema, also written as the document's ``$schema``."""

_SCHEMA_FILE: Final = "subject-export.schema.json"


@attrs.frozen(repr=False)
class SubjectData:
    """Everything a business holds about one client (see the module docs).

    .. versionadded:: 0.1.0
    """

    exported_at: dt.datetime
    business_id: str
    business_name: str
    card: ClientCard
    fields: tuple[FieldDefinition, ...]
    """The definitions of the custom fields the card fills."""
    consent: tuple[ConsentEvent, ...]
    records: tuple[Record, ...]
    sends: tuple[Send, ...]
    time_zone: str = "UTC"
    """The business's IANA zone: the report's dates and times are its wall clock's."""
    language: str | None = None
    """The business's language: the report's, when the client named none."""

    @property
    def blobs(self) -> tuple[str, ...]:
        """References of the client's pictures and files in the host's blob store."""
        refs = card_blob_refs(self.card, self.fields)
        for record in self.records:
            refs.extend(blob_refs(record))
        return tuple(dict.fromkeys(refs))

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable document (:func:`subject_to_dict`)."""
        return subject_to_dict(self)

    def report(self, lang: str | None = None) -> SubjectReport:
        """The human-readable report, in ``lang``, the client's language or the business's."""
        return subject_report(self, lang)

    def __repr__(self) -> str:
        return (
            f"SubjectData(business_id={self.business_id!r}, card_id={self.card.id!r},"
            f" records={len(self.records)}, consent={len(self.consent)}, sends={len(self.sends)})"
        )


@attrs.frozen
class ImportedSubject:
    """What importing a subject document made of it.

    :param card: the new card, under a new id.
    :param records: how many records came across.
    :param consent_events: how many ledger events came across (only between books of
        the same controller).
    :param sends: how many of the dispatcher's sends came across (likewise).
    :param dropped: sensitive fields left out, because the receiving book holds no
        explicit consent to keep health data for this client.
    :param blobs: pictures and photos whose bytes were copied from the exporting
        business's blob store (the same store serves both books).
    :param missing_blobs: references whose bytes this book's blob store does not hold:
        bring them across and put them back on the card and records yourself.

    .. versionadded:: 0.1.0
    """

    card: ClientCard
    records: int
    consent_events: int
    sends: int
    dropped: tuple[str, ...] = ()
    blobs: int = 0
    missing_blobs: tuple[str, ...] = attrs.field(default=(), repr=False)


def custom_definitions(card: ClientCard, schema: FieldSchema) -> tuple[FieldDefinition, ...]:
    """The schema's definitions of the custom fields ``card`` fills."""
    return tuple(
        definition
        for definition in schema.fields
        if not definition.builtin and definition.key in card.custom
    )


def subject_schema() -> dict[str, Any]:
    """The published JSON Schema of subject documents."""
    text = resources.files("clientcard.erasure").joinpath(_SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _record_to_dict(record: Record) -> dict[str, Any]:
    return {
        "kind": record.kind,
        "id": record.id,
        "at": record.at.isoformat(),
        "key": record.key,
        "doc": dict(record.doc),
    }


def subject_to_dict(data: SubjectData) -> dict[str, Any]:
    """Return the machine-readable document of ``data`` (valid under :func:`subject_schema`)."""
    return {
        "$schema": SUBJECT_SCHEMA_ID,
        "schema_version": SUBJECT_DOCUMENT_VERSION,
        "exported_at": data.exported_at.isoformat(),
        "business": {"id": data.business_id, "name": data.business_name},
        "card": card_to_dict(data.card),
        "fields": [converter.unstructure(definition) for definition in data.fields],
        "consent": [consent_event_to_dict(event) for event in data.consent],
        "records": [_record_to_dict(record) for record in data.records],
        "sends": [send_to_dict(send) for send in data.sends],
        "blobs": list(data.blobs),
    }


def _list(document: Mapping[str, Any], key: str) -> list[Any]:
    value = document.get(key)
    if not isinstance(value, list):
        raise DocumentError("subject", [f"$.{key}: expected a list"])
    return value


def _read_record(business_id: str, card_id: str, index: int, item: object) -> Record:
    try:
        if not isinstance(item, Mapping) or set(item) != {"kind", "id", "at", "key", "doc"}:
            raise TypeError
        at = dt.datetime.fromisoformat(str(item["at"]))
        key = item["key"]
        return Record(
            business_id=business_id,
            kind=str(item["kind"]),
            id=str(item["id"]),
            at=at,
            doc=dict(item["doc"]),
            card_id=card_id,
            key=None if key is None else str(key),
        )
    except (TypeError, ValueError):
        raise DocumentError("subject", [f"$.records[{index}]: invalid record"]) from None


def subject_from_dict(document: object) -> SubjectData:
    """Read a subject document back (the business and card ids are the exporter's).

    :raises DocumentError: the document is malformed or of another version, naming paths,
        never values.
    """
    if not isinstance(document, Mapping):
        raise DocumentError("subject", ["$: expected an object"])
    found = document.get("schema_version")
    if type(found) is not int or found != SUBJECT_DOCUMENT_VERSION:  # sNaN raises on ==
        raise DocumentError("subject", [f"$.schema_version: expected {SUBJECT_DOCUMENT_VERSION}"])
    business = document.get("business")
    if not isinstance(business, Mapping) or not all(
        isinstance(business.get(key), str) for key in ("id", "name")
    ):
        raise DocumentError("subject", ["$.business: expected an id and a name"])
    try:
        exported_at = dt.datetime.fromisoformat(str(document.get("exported_at")))
    except ValueError:
        raise DocumentError("subject", ["$.exported_at: expected a timestamp"]) from None
    card = card_from_dict(document.get("card"))
    try:
        fields = tuple(
            converter.structure(item, FieldDefinition) for item in _list(document, "fields")
        )
    except Exception:  # noqa: BLE001 - cattrs and attrs validators raise many types
        raise DocumentError("subject", ["$.fields: invalid field definition"]) from None
    return SubjectData(
        exported_at=exported_at,
        business_id=str(business["id"]),
        business_name=str(business["name"]),
        card=card,
        fields=fields,
        consent=tuple(consent_event_from_dict(item) for item in _list(document, "consent")),
        records=tuple(
            _read_record(card.business_id, card.id, index, item)
            for index, item in enumerate(_list(document, "records"))
        ),
        sends=tuple(send_from_dict(item) for item in _list(document, "sends")),
    )


# -- the human-readable report ------------------------------------------------------------


@attrs.frozen
class ReportSection:
    """One titled part of a report.

    .. versionadded:: 0.1.0
    """

    title: str
    lines: tuple[str, ...]


@attrs.frozen(repr=False)
class SubjectReport:
    """The access report in one language: a title and sections of plain lines.

    .. versionadded:: 0.1.0
    """

    lang: str
    title: str
    sections: tuple[ReportSection, ...]

    def text(self) -> str:
        """The whole report as plain text."""
        parts = [self.title, "=" * len(self.title)]
        for section in self.sections:
            parts.extend(("", section.title, "-" * len(section.title), *section.lines))
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"SubjectReport(lang={self.lang!r}, sections={len(self.sections)})"


_text = text


def _value(key: str, value: object, lang: str) -> str:
    if key == "phones" and isinstance(value, tuple):
        return ", ".join(phone.format_international(number) for number in value)
    if isinstance(value, Gender):
        labels = GENDER_LABELS[value.value]
        return labels.get(lang) or labels[DEFAULT_LANGUAGE]
    if key == "language" and isinstance(value, str) and value in LANGUAGE_LABELS:
        return LANGUAGE_LABELS[value].get(lang) or value
    if isinstance(value, bool):
        return _text("report.yes" if value else "report.no", lang)
    if isinstance(value, BirthDate):
        return value.iso()
    if isinstance(value, dt.date | Decimal):
        return str(value)
    if isinstance(value, tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def _label(key: str, fields: Mapping[str, FieldDefinition], lang: str) -> str:
    if key in fields:
        return fields[key].label(lang)
    return field_label(key, lang) or key


def _or_none(lines: Sequence[str], lang: str) -> tuple[str, ...]:
    return tuple(lines) if lines else (_text("report.none", lang),)


def subject_report(data: SubjectData, lang: str | None = None) -> SubjectReport:
    """Write the human-readable access report.

    It is written in ``lang``, else in the client's language, else in the business's
    (``data.language``), else in English. Dates and times are the business's wall
    clock's (``data.time_zone``); the history section has one labelled line per
    record -- an appointment's services, length, status, price and what was paid, a
    payment's amount, method, status and invoice -- with amounts in their currency.
    """
    language = lang or data.card.language or data.language or DEFAULT_LANGUAGE
    zone = ZoneInfo(data.time_zone) if is_time_zone(data.time_zone) else ZoneInfo("UTC")
    fields = {definition.key: definition for definition in data.fields}
    details = [
        f"{_label(key, fields, language)}: {_value(key, value, language)}"
        for key, value in data.card.values().items()
    ]
    consent = consent_report(data.consent, language) if data.consent else None
    history = [
        history_line(record, language, zone)
        for record in sorted(data.records, key=lambda record: (record.at, record.id))
        if kind_of(record.kind).per_client
    ]
    messages = [
        f"{local_date(send.queued_at, zone)} {_text(f'purpose.{send.purpose.value}', language)}"
        f" {_text('by', language)} {_text(f'channel.{send.channel.value}', language)}:"
        f" {_text(f'send.{send.status.value}', language)}"
        for send in data.sends
    ]
    title = _text("report.title", language).format(business=data.business_name)
    sections = (
        ReportSection(
            _text("report.details", language),
            (
                *details,
                _text("report.exported", language).format(date=local_date(data.exported_at, zone)),
            ),
        ),
        ReportSection(
            _text("report.consent", language),
            _or_none([] if consent is None else [*consent.standing, *consent.history], language),
        ),
        ReportSection(_text("report.history", language), _or_none(history, language)),
        ReportSection(_text("report.messages", language), _or_none(messages, language)),
        ReportSection(_text("report.files", language), _or_none(list(data.blobs), language)),
    )
    return SubjectReport(lang=language, title=title, sections=sections)
