"""One cattrs converter for cards and schemas, to and from JSON-ready dicts.

Documents carry ``schema_version`` so stored data can be migrated when the shape changes;
reading a document of an unknown version, or with unknown or malformed keys, raises
:class:`~clientcard.errors.DocumentError` naming the paths at fault, never their values.

Values JSON has no type for are written as strings: timestamps as ISO 8601 with offset,
dates as ``YYYY-MM-DD``, birth dates as ``YYYY-MM-DD`` or ``--MM-DD``, decimals as their
exact text. A custom field's value is tagged where JSON would lose its type:
``{"$decimal": "72.5"}``, ``{"$date": "2026-03-01"}``, ``{"$birth_date": "--03-01"}``.

>>> from clientcard.cards.schema import FieldSchema
>>> schema_from_dict(schema_to_dict(FieldSchema.default())) == FieldSchema.default()
True

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs
import orjson

from clientcard.business import Business
from clientcard.cards._card_reader import CARD_KEY_COUNT as _CARD_KEY_COUNT
from clientcard.cards._card_reader import read_card as _read_card
from clientcard.cards._converter import converter, make_converter, unstructure_custom_value
from clientcard.cards._converter import from_document as _from_document
from clientcard.cards._converter import to_document as _to_document
from clientcard.cards.card import ClientCard, CustomValue
from clientcard.cards.schema import FieldSchema
from clientcard.consent.ledger import ConsentEvent
from clientcard.events import DomainEvent
from clientcard.messaging.sends import Send

if TYPE_CHECKING:
    # Only for annotations: the storage package imports this module.
    from clientcard.storage.records import Record

__all__ = [
    "BUSINESS_DOCUMENT_VERSION",
    "CARD_DOCUMENT_VERSION",
    "CONSENT_DOCUMENT_VERSION",
    "EVENT_DOCUMENT_VERSION",
    "SCHEMA_DOCUMENT_VERSION",
    "SEND_DOCUMENT_VERSION",
    "business_from_dict",
    "business_to_dict",
    "card_from_dict",
    "card_to_dict",
    "consent_event_from_dict",
    "consent_event_to_dict",
    "converter",
    "document_of",
    "event_from_dict",
    "event_to_dict",
    "make_converter",
    "record_document",
    "record_value",
    "schema_from_dict",
    "schema_to_dict",
    "send_from_dict",
    "send_to_dict",
    "value_of",
]

CARD_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` written on card documents."""

SCHEMA_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` written on field schema documents."""

BUSINESS_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` written on business documents."""

CONSENT_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` written on consent ledger documents."""

SEND_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` written on dispatcher send documents."""

EVENT_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` written on event documents."""

_T = TypeVar("_T")


def document_of(value: object, version: int = 1) -> dict[str, Any]:
    """Return a JSON-ready dict of any attrs value, with ``schema_version``.

    The domain modules that keep their values as records use this and :func:`value_of`.
    """
    return _to_document(value, version)


def value_of(cls: type[_T], document: object, *, kind: str, version: int = 1) -> _T:
    """Read a value of ``cls`` back from :func:`document_of`'s dict.

    :raises DocumentError: the document is not a version ``version`` ``kind``.
    """
    return _from_document(kind, document, version, cls)


_RECORD_COLUMNS: Final = ("id", "business_id", "card_id")


def record_document(value: object, version: int = 1) -> dict[str, Any]:
    """:func:`document_of` without the fields a record keeps in its own columns.

    A value filed as a :class:`~clientcard.storage.records.Record` keeps its ``id``,
    ``business_id`` and ``card_id`` in the record's columns, not twice.
    """
    document = _to_document(value, version)
    for column in _RECORD_COLUMNS:
        document.pop(column, None)
    return document


def record_value(cls: type[_T], record: Record, *, version: int = 1, **extra: object) -> _T:
    """Read a value of ``cls`` back from a record made with :func:`record_document`.

    The record's columns that ``cls`` has come back as fields; ``extra`` adds others
    kept in columns (a digest in ``key``, say).

    :raises DocumentError: the document is not a version ``version`` value of the kind.
    """
    fields = attrs.fields_dict(cls)  # type: ignore[arg-type]
    columns = {"id": record.id, "business_id": record.business_id, "card_id": record.card_id}
    document = {
        **record.doc,
        **{name: value for name, value in columns.items() if name in fields},
        **extra,
    }
    return _from_document(record.kind, document, version, cls)


def card_to_dict(card: ClientCard) -> dict[str, Any]:
    """Return a JSON-ready dict of ``card``, with ``schema_version``.

    It is what :data:`converter` makes of the card, written out field by field: a store
    writes one per card, and the converter's hook per field and per part cost twice as
    much (``tests/unit/test_serialization.py`` holds the two equal, and fails when the
    card gains a field this does not write).
    """
    address, invoicing = card.address, card.invoicing
    birth, gender, weight, height = card.birth_date, card.gender, card.weight_kg, card.height_cm
    return {
        "schema_version": CARD_DOCUMENT_VERSION,
        "id": card.id,
        "business_id": card.business_id,
        "created_at": _timestamp_text(card.created_at),
        "updated_at": _timestamp_text(card.updated_at),
        "version": card.version,
        "status": card.status.value,
        "first_name": card.first_name,
        "last_name": card.last_name,
        "email": card.email,
        "phones": list(card.phones),
        "address": {
            "street": address.street,
            "postcode": address.postcode,
            "city": address.city,
            "country": address.country,
        },
        "birth_date": None if birth is None else birth.iso(),
        "gender": None if gender is None else gender.value,
        "weight_kg": None if weight is None else str(weight),
        "height_cm": None if height is None else str(height),
        "tax_code": card.tax_code,
        "invoicing": {"pec": invoicing.pec, "sdi_code": invoicing.sdi_code},
        "notes": card.notes,
        "client_group": card.client_group,
        "tags": list(card.tags),
        "referral_source": card.referral_source,
        "education": card.education,
        "profession": card.profession,
        "picture": card.picture,
        "language": card.language,
        "custom": _custom_document(card.custom) if card.custom else {},
        "guardian_id": card.guardian_id,
    }


def _timestamp_text(value: dt.datetime) -> str:
    # orjson writes a UTC time as isoformat() does, in a third of the time (isoformat
    # spends most of its 0.7 us on the offset); any other time zone goes to isoformat.
    if value.tzinfo is dt.UTC and type(value) is dt.datetime:
        return orjson.dumps(value)[1:-1].decode()
    return value.isoformat()


def _custom_document(values: Mapping[str, CustomValue]) -> dict[str, object]:
    # Text and true/false, the common values, are written as they are.
    return {
        key: value if type(value) is str or type(value) is bool else unstructure_custom_value(value)
        for key, value in values.items()
    }


def card_from_dict(document: object) -> ClientCard:
    """Read a card back from :func:`card_to_dict`'s output.

    A document of exactly the shape ``card_to_dict`` writes is read field by field,
    every value's type checked, and the card built by its own constructor, so its
    converters and checks run as for any card; anything else -- a missing or extra
    key, a value of another type, a value a check refuses -- goes through
    :data:`converter`, which reads what it can (it turns a number into text, as it
    always has) and otherwise reports the paths at fault.
    Both give the same card (``tests/unit/test_card_reader.py`` holds them to that).

    :raises DocumentError: the document is malformed or of another version.
    """
    # The reader reads every key a card document has (a missing one raises), so a
    # document of as many keys has no other.
    if (
        type(document) is dict
        and len(document) == _CARD_KEY_COUNT
        and type(document.get("schema_version")) is int
        and document["schema_version"] == CARD_DOCUMENT_VERSION
    ):
        try:
            return _read_card(document)
        except Exception:  # noqa: BLE001, S110 - the converter reads it again and reports it
            pass
    return _card_by_converter(document)


def _card_by_converter(document: object) -> ClientCard:
    """:func:`card_from_dict` through the converter alone, as the tests compare it."""
    return _from_document("client_card", document, CARD_DOCUMENT_VERSION, ClientCard)


def schema_to_dict(schema: FieldSchema) -> dict[str, Any]:
    """Return a JSON-ready dict of ``schema``, with ``schema_version``."""
    return _to_document(schema, SCHEMA_DOCUMENT_VERSION)


def schema_from_dict(document: object) -> FieldSchema:
    """Read a field schema back from :func:`schema_to_dict`'s output.

    :raises DocumentError: the document is malformed or of another version.
    """
    return _from_document("field_schema", document, SCHEMA_DOCUMENT_VERSION, FieldSchema)


def business_to_dict(business: Business) -> dict[str, Any]:
    """Return a JSON-ready dict of ``business`` (with its schema), with ``schema_version``."""
    return _to_document(business, BUSINESS_DOCUMENT_VERSION)


def business_from_dict(document: object) -> Business:
    """Read a business back from :func:`business_to_dict`'s output.

    :raises DocumentError: the document is malformed or of another version.
    """
    return _from_document("business", document, BUSINESS_DOCUMENT_VERSION, Business)


def event_to_dict(event: DomainEvent) -> dict[str, Any]:
    """Return a JSON-ready dict of ``event``, with ``schema_version``."""
    return _to_document(event, EVENT_DOCUMENT_VERSION)


def event_from_dict(document: object) -> DomainEvent:
    """Read an event back from :func:`event_to_dict`'s output.

    :raises DocumentError: the document is malformed or of another version.
    """
    return _from_document("event", document, EVENT_DOCUMENT_VERSION, DomainEvent)


def consent_event_to_dict(event: ConsentEvent) -> dict[str, Any]:
    """Return a JSON-ready dict of a consent ledger event, with ``schema_version``."""
    return _to_document(event, CONSENT_DOCUMENT_VERSION)


def consent_event_from_dict(document: object) -> ConsentEvent:
    """Read a consent ledger event back from :func:`consent_event_to_dict`'s output.

    :raises DocumentError: the document is malformed or of another version.
    """
    return _from_document("consent_event", document, CONSENT_DOCUMENT_VERSION, ConsentEvent)


def send_to_dict(send: Send) -> dict[str, Any]:
    """Return a JSON-ready dict of a dispatcher send, with ``schema_version``."""
    return _to_document(send, SEND_DOCUMENT_VERSION)


def send_from_dict(document: object) -> Send:
    """Read a dispatcher send back from :func:`send_to_dict`'s output.

    :raises DocumentError: the document is malformed or of another version.
    """
    return _from_document("send", document, SEND_DOCUMENT_VERSION, Send)
