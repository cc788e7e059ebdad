"""One cattrs converter for cards and schemas, to and from JSON-ready dicts.

Documents carry ``schema_version`` so stored data can be migrated when the shape changes;
reading a document of an unknown version, or with unknown or malformed keys, raises
:class:`~clientcard.errors.DocumentError` naming the paths at fault, never their values.

Values JSON has no type for are written as strings: timestamps as ISO 8601 with offset,
dates as ``YYYY-MM-DD``, birth dates as ``YYYY-MM-DD`` or ``--MM-DD``, decimals as their
exact text. A custom field's value is tagged where JSON would lose its type:
``{"$decimal": "72.5"}``, ``{"$date": "2026-03-01"}``, ``{"$birth_date": "--03-01"}``.

>>> from clientcard.schema import FieldSchema
>>> schema_from_dict(schema_to_dict(FieldSchema.default())) == FieldSchema.default()
True

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs
import cattrs
import orjson
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError

from clientcard.business import Business
from clientcard.card import (
    _NO_ADDRESS,
    _NO_INVOICING,
    BirthDate,
    CardStatus,
    ClientCard,
    CustomValue,
    Gender,
    Invoicing,
    PostalAddress,
)
from clientcard.consent.ledger import ConsentEvent
from clientcard.errors import DocumentError
from clientcard.events import DomainEvent
from clientcard.messaging.sends import Send
from clientcard.schema import FieldSchema

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


def _structure_datetime(value: object, _type: object) -> dt.datetime:
    if not isinstance(value, str):
        raise TypeError("expected an ISO 8601 timestamp string")
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("timestamp must carry a UTC offset")
    return parsed


def _structure_date(value: object, _type: object) -> dt.date:
    if not isinstance(value, str):
        raise TypeError("expected an ISO 8601 date string")
    return dt.date.fromisoformat(value)


def _structure_time(value: object, _type: object) -> dt.time:
    if not isinstance(value, str):
        raise TypeError("expected an ISO 8601 time string")
    return dt.time.fromisoformat(value)


def _structure_decimal(value: object, _type: object) -> Decimal:
    if not isinstance(value, str | int):
        raise TypeError("expected a decimal string")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError("expected a decimal string") from None


def _structure_birth_date(value: object, _type: object) -> BirthDate:
    if not isinstance(value, str):
        raise TypeError("expected YYYY-MM-DD or --MM-DD")
    return BirthDate.parse(value)


def _unstructure_custom_value(value: CustomValue) -> object:
    if isinstance(value, bool | str):
        return value
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, BirthDate):
        return {"$birth_date": value.iso()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    return list(value)


_TAGGED: Final[dict[str, Callable[[object], CustomValue]]] = {
    "$decimal": lambda text: _structure_decimal(text, Decimal),
    "$date": lambda text: _structure_date(text, dt.date),
    "$birth_date": lambda text: _structure_birth_date(text, BirthDate),
}


def _structure_custom_value(value: object) -> CustomValue:
    if isinstance(value, bool | str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text),) = value.items()
        reader = _TAGGED.get(tag)
        if reader is not None:
            return reader(text)
    raise ValueError("unsupported custom field value")


def _structure_custom(value: object, _type: object) -> Mapping[str, CustomValue]:
    if not isinstance(value, dict):
        raise TypeError("expected an object of custom field values")
    return {str(key): _structure_custom_value(item) for key, item in value.items()}


def _structure_labels(value: object, _type: object) -> Mapping[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise TypeError("expected an object of language to label")
    return dict(value)


def _is_custom(type_: object) -> bool:
    return type_ == Mapping[str, CustomValue]


def _is_labels(type_: object) -> bool:
    return type_ == Mapping[str, str]


def make_converter(*, detailed_validation: bool = True) -> cattrs.Converter:
    """Build a fresh converter configured for clientcard's types.

    Use :data:`converter` unless you need to register hooks of your own on a copy.
    ``detailed_validation=False`` builds the faster converter that reads documents
    which turn out valid; it can't say where an invalid one went wrong.
    """
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=detailed_validation)
    conv.register_unstructure_hook(dt.datetime, lambda value: value.isoformat())
    conv.register_structure_hook(dt.datetime, _structure_datetime)
    conv.register_unstructure_hook(dt.date, lambda value: value.isoformat())
    conv.register_structure_hook(dt.date, _structure_date)
    conv.register_unstructure_hook(dt.time, lambda value: value.isoformat())
    conv.register_structure_hook(dt.time, _structure_time)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_unstructure_hook(BirthDate, BirthDate.iso)
    conv.register_structure_hook(BirthDate, _structure_birth_date)
    conv.register_unstructure_hook_func(
        _is_custom,
        lambda values: {key: _unstructure_custom_value(v) for key, v in values.items()},
    )
    conv.register_structure_hook_func(_is_custom, _structure_custom)
    conv.register_unstructure_hook_func(_is_labels, dict)
    conv.register_structure_hook_func(_is_labels, _structure_labels)
    return conv


converter: Final[cattrs.Converter] = make_converter()
"""The converter every clientcard document goes through.

.. versionadded:: 0.1.0
"""

# Reading tries the fast converter first; only a document it refuses is read again by
# the detailed one, to name the paths at fault. Most documents are valid (the library
# wrote them), so most reads pay for no error bookkeeping.
_fast: Final[cattrs.Converter] = make_converter(detailed_validation=False)


def _to_document(value: object, version: int) -> dict[str, Any]:
    document: dict[str, Any] = converter.unstructure(value)
    return {"schema_version": version, **document}


def _from_document(kind: str, document: object, version: int, cls: type[_T]) -> _T:
    if not isinstance(document, Mapping):
        raise DocumentError(kind, ["$: expected an object"])
    body = dict(document)
    found = body.pop("schema_version", None)
    if found != version:
        raise DocumentError(kind, [f"$.schema_version: expected {version}"])
    try:
        return _fast.structure(body, cls)
    except Exception:  # noqa: BLE001, S110 - any refusal is reported by the detailed pass below
        pass
    try:
        return converter.structure(body, cls)
    except ClassValidationError as error:
        raise DocumentError(kind, _problems(error)) from None
    except (ValueError, TypeError, ForbiddenExtraKeysError) as error:
        # attrs validators and __attrs_post_init__ raise outside cattrs' error groups.
        raise DocumentError(kind, [f"$: {type(error).__name__}"]) from None


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


def _describe(exc: BaseException, _type: object) -> str:
    # Our own wording, so the text never repeats the offending value; cattrs adds the path.
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"unknown keys {sorted(exc.extra_fields)}"
    return f"invalid value ({type(exc).__name__})"


def _problems(error: ClassValidationError) -> list[str]:
    return cattrs.transform_error(error, format_exception=_describe)


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
        key: value
        if type(value) is str or type(value) is bool
        else _unstructure_custom_value(value)
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
        and document.get("schema_version") == CARD_DOCUMENT_VERSION
    ):
        try:
            return _read_card(document)
        except Exception:  # noqa: BLE001, S110 - the converter reads it again and reports it
            pass
    return _card_by_converter(document)


def _card_by_converter(document: object) -> ClientCard:
    """:func:`card_from_dict` through the converter alone, as the tests compare it."""
    return _from_document("client_card", document, CARD_DOCUMENT_VERSION, ClientCard)


class _Refused(Exception):  # noqa: N818 - never escapes this module
    """The document is not of the shape the field-by-field reader takes."""


def _keys(cls: type) -> frozenset[str]:
    return frozenset(field.name for field in attrs.fields(cls))


# A card document's keys: the card's fields and schema_version.
_CARD_KEY_COUNT: Final = len(attrs.fields(ClientCard)) + 1
_ADDRESS_KEYS: Final = _keys(PostalAddress)
_INVOICING_KEYS: Final = _keys(Invoicing)
# The fields that hold text, and those that hold text or null, each read in one sweep.
_READ_TEXT: Final = operator.itemgetter(
    "id", "business_id", "created_at", "updated_at", "status", "first_name", "last_name", "notes"
)
_READ_OPTIONAL_TEXT: Final = operator.itemgetter(
    "email",
    "birth_date",
    "gender",
    "tax_code",
    "client_group",
    "referral_source",
    "education",
    "profession",
    "picture",
    "language",
    "guardian_id",
)
_ONLY_TEXT: Final = frozenset({str})
_TEXT_OR_NULL: Final = frozenset({str, type(None)})
_STATUSES: Final = {status.value: status for status in CardStatus}
_GENDERS: Final = {gender.value: gender for gender in Gender}
_UNSET_ADDRESS: Final = dict.fromkeys(_ADDRESS_KEYS)
_UNSET_INVOICING: Final = dict.fromkeys(_INVOICING_KEYS)
_NO_CUSTOM: Final[dict[str, CustomValue]] = {}


def _texts(value: object) -> tuple[str, ...]:
    if type(value) is not list or not set(map(type, value)) <= _ONLY_TEXT:
        raise _Refused
    return tuple(value)


def _timestamp(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise _Refused
    return parsed


def _decimal(value: object) -> Decimal | None:
    if value is None:
        return None
    if type(value) is not str:
        raise _Refused
    return Decimal(value)


def _part(value: object, keys: frozenset[str]) -> dict[str, Any]:
    if type(value) is not dict or value.keys() != keys:
        raise _Refused
    if not set(map(type, value.values())) <= _TEXT_OR_NULL:
        raise _Refused
    return value


def _custom(value: object) -> Mapping[str, CustomValue]:
    if type(value) is not dict:
        raise _Refused
    if not value:
        return _NO_CUSTOM
    # Text and true/false are the common values, read as they are; a key that is not
    # text is left to the converter, which makes it text.
    read: dict[str, CustomValue] = {}
    for key, item in value.items():
        if type(key) is not str:
            raise _Refused
        kind = type(item)
        read[key] = item if kind is str or kind is bool else _structure_custom_value(item)
    return read


def _read_card(document: dict[str, Any]) -> ClientCard:
    """The card of a document of ``card_to_dict``'s shape; raises on anything else."""
    identifier, business, created, updated, status, first, last, notes = _READ_TEXT(document)
    optional = _READ_OPTIONAL_TEXT(document)
    if (
        set(map(type, (identifier, business, created, updated, status, first, last, notes)))
        != (_ONLY_TEXT)
        or not set(map(type, optional)) <= _TEXT_OR_NULL
    ):
        raise _Refused
    email, birth, gender, tax_code, group, referral, education, profession = optional[:8]
    picture, language, guardian = optional[8:]
    version = document["version"]
    if type(version) is not int:
        raise _Refused
    address = document["address"]
    invoicing = document["invoicing"]
    # The class's own constructor, with every field in its order: its converters and
    # checks run as for any card, and a positional call costs less than setting the
    # slots one by one from here.
    return ClientCard(
        identifier,
        business,
        _timestamp(created),
        _timestamp(updated),
        version,
        _STATUSES[status],
        first,
        last,
        email,
        _texts(document["phones"]),
        # Compared whole first: an address or invoicing part with nothing set is the
        # shared default, and the comparison checks its keys and values on the way.
        _NO_ADDRESS
        if address == _UNSET_ADDRESS
        else PostalAddress(**_part(address, _ADDRESS_KEYS)),
        None if birth is None else BirthDate.parse(birth),
        None if gender is None else _GENDERS[gender],
        _decimal(document["weight_kg"]),
        _decimal(document["height_cm"]),
        tax_code,
        _NO_INVOICING
        if invoicing == _UNSET_INVOICING
        else Invoicing(**_part(invoicing, _INVOICING_KEYS)),
        notes,
        group,
        _texts(document["tags"]),
        referral,
        education,
        profession,
        picture,
        language,
        _custom(document["custom"]),
        guardian,
    )


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
