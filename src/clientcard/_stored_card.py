"""Reading back the card documents a store wrote itself, without the converter's dispatch.

A store keeps each card as :func:`~clientcard.serialization.card_to_dict` made it, from a
card that was valid when it was written. Reading it back through cattrs calls a hook per
field and per part; for a document of exactly the shape ``card_to_dict`` writes, this
module builds the card directly instead, checking the type of every value as it goes.
The card's own constructor still runs, with its validators and its text check.

Anything else -- a missing or extra key, a value of another type, an older version, a
value its type refuses -- goes to :func:`~clientcard.serialization.card_from_dict`,
which reads what it can and otherwise raises
:class:`~clientcard.errors.DocumentError` naming the paths at fault. So a corrupted row
is reported exactly as before, and a card read here equals the one ``card_from_dict``
would have read (``tests/unit/test_stored_card.py`` holds the two paths to that).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import attrs

from clientcard.card import (
    BirthDate,
    CardStatus,
    ClientCard,
    CustomValue,
    Gender,
    Invoicing,
    PostalAddress,
)
from clientcard.serialization import CARD_DOCUMENT_VERSION, card_from_dict, converter

__all__ = ["card_from_stored"]


class _Refused(Exception):  # noqa: N818 - never escapes this module
    """The document is not of the shape this reader takes; the converter reads it."""


def _keys(cls: type) -> frozenset[str]:
    return frozenset(field.name for field in attrs.fields(cls))


_CARD_KEYS: Final = _keys(ClientCard) | {"schema_version"}
_ADDRESS_KEYS: Final = _keys(PostalAddress)
_INVOICING_KEYS: Final = _keys(Invoicing)
# The fields that hold text, and those that hold text or null; each is checked first.
_TEXT: Final = (
    "id",
    "business_id",
    "created_at",
    "updated_at",
    "status",
    "first_name",
    "last_name",
    "notes",
)
_OPTIONAL_TEXT: Final = (
    "birth_date",
    "gender",
    "email",
    "tax_code",
    "client_group",
    "referral_source",
    "education",
    "profession",
    "picture",
    "language",
    "guardian_id",
)
# Most cards have no address or invoicing data: their parts are shared, as the defaults.
_NO_ADDRESS: Final = PostalAddress()
_NO_INVOICING: Final = Invoicing()
_UNSET_ADDRESS: Final = dict.fromkeys(_ADDRESS_KEYS)
_UNSET_INVOICING: Final = dict.fromkeys(_INVOICING_KEYS)
_NO_CUSTOM: Final[dict[str, CustomValue]] = {}
# The converter's own hook for custom values: their tags ($decimal, $date, $birth_date)
# are read in one place.
_CUSTOM: Final[Any] = Mapping[str, CustomValue]
_read_custom: Final = converter.get_structure_hook(_CUSTOM)


def card_from_stored(document: object) -> ClientCard:
    """Read a card document that a store wrote with ``card_to_dict``.

    :raises DocumentError: the document is malformed or of another version, exactly as
        :func:`~clientcard.serialization.card_from_dict` reports it.
    """
    if (
        type(document) is dict
        and document.get("schema_version") == CARD_DOCUMENT_VERSION
        and document.keys() == _CARD_KEYS
    ):
        try:
            return _read(document)
        except Exception:  # noqa: BLE001, S110 - the converter reads it again and reports it
            pass
    return card_from_dict(document)


def _texts(value: object) -> tuple[str, ...]:
    if type(value) is not list:
        raise _Refused
    for item in value:
        if type(item) is not str:
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
    try:
        return Decimal(value)
    except InvalidOperation:
        raise _Refused from None


def _part(value: object, keys: frozenset[str]) -> dict[str, Any]:
    if type(value) is not dict or value.keys() != keys:
        raise _Refused
    for item in value.values():
        if item is not None and type(item) is not str:
            raise _Refused
    return value


def _read(document: dict[str, Any]) -> ClientCard:
    for key in _TEXT:
        if type(document[key]) is not str:
            raise _Refused
    for key in _OPTIONAL_TEXT:
        value = document[key]
        if value is not None and type(value) is not str:
            raise _Refused
    version = document["version"]
    if type(version) is not int:
        raise _Refused
    # Compared whole first: an address or invoicing part with nothing set is the shared
    # default, and the comparison checks its keys and values on the way.
    address = document["address"]
    invoicing = document["invoicing"]
    birth_date = document["birth_date"]
    gender = document["gender"]
    custom = document["custom"]
    return ClientCard(
        id=document["id"],
        business_id=document["business_id"],
        created_at=_timestamp(document["created_at"]),
        updated_at=_timestamp(document["updated_at"]),
        version=version,
        status=CardStatus(document["status"]),
        first_name=document["first_name"],
        last_name=document["last_name"],
        email=document["email"],
        phones=_texts(document["phones"]),
        address=_NO_ADDRESS
        if address == _UNSET_ADDRESS
        else PostalAddress(**_part(address, _ADDRESS_KEYS)),
        birth_date=None if birth_date is None else BirthDate.parse(birth_date),
        gender=None if gender is None else Gender(gender),
        weight_kg=_decimal(document["weight_kg"]),
        height_cm=_decimal(document["height_cm"]),
        tax_code=document["tax_code"],
        invoicing=_NO_INVOICING
        if invoicing == _UNSET_INVOICING
        else Invoicing(**_part(invoicing, _INVOICING_KEYS)),
        notes=document["notes"],
        client_group=document["client_group"],
        tags=_texts(document["tags"]),
        referral_source=document["referral_source"],
        education=document["education"],
        profession=document["profession"],
        picture=document["picture"],
        language=document["language"],
        # Only an empty object is no custom values; null, [] or 0 go to the converter.
        custom=_NO_CUSTOM if custom == {} else _read_custom(custom, _CUSTOM),
        guardian_id=document["guardian_id"],
    )
