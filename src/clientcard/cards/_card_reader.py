"""Reading a card document field by field, without the converter.

A store reads one card document per card it returns; the converter's hook per field
and per part cost several times what this reader does. It takes only documents of
exactly the shape :func:`~clientcard.cards.serialization.card_to_dict` writes, and
refuses anything else, which :func:`~clientcard.cards.serialization.card_from_dict`
then hands to the converter.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

import attrs

from clientcard.cards._converter import structure_custom_value
from clientcard.cards.card import (
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

__all__ = ["CARD_KEY_COUNT", "read_card"]


class _Refused(Exception):  # noqa: N818 - card_from_dict catches it; never escapes
    """The document is not of the shape the field-by-field reader takes."""


def _keys(cls: type) -> frozenset[str]:
    return frozenset(field.name for field in attrs.fields(cls))


CARD_KEY_COUNT: Final = len(attrs.fields(ClientCard)) + 1
"""How many keys a card document has: the card's fields and ``schema_version``."""

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
        read[key] = item if kind is str or kind is bool else structure_custom_value(item)
    return read


def read_card(document: dict[str, Any]) -> ClientCard:
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
