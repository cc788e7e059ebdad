"""Turning a submitted value into the form a field of its type keeps.

Each function raises :class:`~clientcard.errors.InvalidValueError` with a machine code;
:meth:`clientcard.cards.schema.FieldSchema.validate` turns those into field issues.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Final

from clientcard.cards._definitions import FieldDefinition, FieldType
from clientcard.cards.card import BirthDate, FieldValue
from clientcard.contact import address, email, name, phone, tax
from clientcard.errors import InvalidValueError

_TEXT_LIMITS: Final = {
    FieldType.TEXT: 200,
    FieldType.LONG_TEXT: 5000,
    FieldType.REFERENCE: 500,
}
MAX_PHONES: Final = 5
_MAX_TAGS: Final = 50
MAX_TAG_LENGTH: Final = 40
_MAX_ITEMS: Final = 200
_OLDEST_YEAR: Final = 1900
# With TRUE and FALSE as Italian and Dutch Excel write them into a CSV.
_TRUE: Final = frozenset({"true", "yes", "y", "1", "on", "si", "sì", "vero", "ja", "waar"})
_FALSE: Final = frozenset({"false", "no", "n", "0", "off", "falso", "nee", "onwaar"})


def max_length(definition: FieldDefinition) -> int | None:
    if definition.max_length is not None:
        return definition.max_length
    if definition.type is FieldType.NAME:
        return name.MAX_NAME_LENGTH
    return _TEXT_LIMITS.get(definition.type)


def is_empty(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw in ([], ())


def normalise(
    definition: FieldDefinition,
    raw: object,
    today: dt.date,
    region: str,
    country: str | None,
    *,
    check_deliverability: bool = False,
) -> FieldValue:
    if is_empty(raw):
        return None
    kind = definition.type
    if kind in _TEXT_LIMITS:
        limit = max_length(definition) or 0
        return name.normalize_text(raw, limit, multiline=kind is FieldType.LONG_TEXT)
    if kind is FieldType.NAME:
        return name.normalize(raw)
    if kind is FieldType.POSTCODE:
        return address.normalize_postcode(raw, country)
    if kind is FieldType.EMAIL:
        return email.normalize(raw, check_deliverability=check_deliverability)
    simple = _SIMPLE.get(kind)
    if simple is not None:
        return simple(raw)
    if kind is FieldType.PHONE:
        return phone.normalize(raw, region, require_mobile=definition.mobile_only)
    if kind is FieldType.PHONE_LIST:
        return _phones(raw, region, require_mobile=definition.mobile_only)
    if kind is FieldType.DATE:
        return _date(raw)
    if kind is FieldType.PARTIAL_DATE:
        return _partial_date(raw, today)
    if kind is FieldType.NUMBER:
        return _number(raw, definition.min_value, definition.max_value)
    if kind is FieldType.CHOICE:
        return _choice(raw, definition)
    if kind is FieldType.MULTI_CHOICE:
        return _multi_choice(raw, definition)
    return _tags(raw)


def _boolean(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        word = raw.strip().casefold()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise InvalidValueError("boolean.invalid")


_SIMPLE: Final[dict[FieldType, Callable[[object], FieldValue]]] = {
    FieldType.TAX_CODE: tax.normalize_tax_code,
    FieldType.SDI_CODE: tax.normalize_sdi_code,
    FieldType.COUNTRY: address.normalize_country,
    FieldType.BOOLEAN: _boolean,
}


def _items(raw: object, *, split_commas: bool) -> list[object]:
    if isinstance(raw, str):
        return [*raw.split(",")] if split_commas else [raw]
    if isinstance(raw, (list, tuple, set, frozenset)):
        if len(raw) > _MAX_ITEMS:
            raise InvalidValueError("text.too_long", max=_MAX_ITEMS)
        return list(raw)
    raise InvalidValueError("type.invalid", expected="list")


def _phones(raw: object, region: str, *, require_mobile: bool) -> tuple[str, ...]:
    numbers = [item for item in _items(raw, split_commas=False) if not is_empty(item)]
    if len(numbers) > MAX_PHONES:
        raise InvalidValueError("phone.too_many", max=MAX_PHONES)
    return tuple(
        dict.fromkeys(
            phone.normalize(number, region, require_mobile=require_mobile) for number in numbers
        )
    )


def _date(raw: object) -> dt.date:
    if isinstance(raw, dt.datetime):
        raise InvalidValueError("date.invalid")
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise InvalidValueError("date.invalid")


def _partial_date(raw: object, today: dt.date) -> BirthDate:
    if isinstance(raw, BirthDate):
        value = raw
    elif isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        value = BirthDate.from_date(raw)
    elif isinstance(raw, str):
        try:
            value = BirthDate.parse(raw.strip())
        except ValueError:
            raise InvalidValueError("date.invalid") from None
    else:
        raise InvalidValueError("date.invalid")
    full = value.as_date()
    if full is not None and full > today:
        raise InvalidValueError("date.in_future")
    if value.year is not None and value.year < _OLDEST_YEAR:
        raise InvalidValueError("date.too_old")
    return value


def _number(raw: object, low: Decimal | None, high: Decimal | None) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal, str)):
        raise InvalidValueError("number.invalid")
    text = raw.strip().replace(",", ".") if isinstance(raw, str) else str(raw)
    if len(text) > 40:
        raise InvalidValueError("number.invalid")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidValueError("number.invalid") from None
    # Nothing a card holds needs more than 15 digits either side of the point; the bound
    # keeps absurd exponents (1e999999) from reaching arithmetic that would choke on them.
    if not value.is_finite() or not -15 <= value.adjusted() <= 15:
        raise InvalidValueError("number.invalid")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidValueError(
            "number.out_of_range",
            min="-∞" if low is None else low,
            max="∞" if high is None else high,
        )
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _choice(raw: object, definition: FieldDefinition) -> str:
    allowed = {choice.value for choice in definition.choices}
    if not isinstance(raw, str) or raw.strip() not in allowed:
        raise InvalidValueError("choice.invalid")
    return raw.strip()


def _multi_choice(raw: object, definition: FieldDefinition) -> tuple[str, ...]:
    picked = {_choice(item, definition) for item in _items(raw, split_commas=False)}
    return tuple(c.value for c in definition.choices if c.value in picked)


def _tags(raw: object) -> tuple[str, ...]:
    tags: set[str] = set()
    for item in _items(raw, split_commas=True):
        try:
            tag = name.normalize_text(item, MAX_TAG_LENGTH)
        except InvalidValueError:
            raise InvalidValueError("tag.invalid", max=MAX_TAG_LENGTH) from None
        if tag:
            tags.add(tag)
    if len(tags) > _MAX_TAGS:
        raise InvalidValueError("tag.invalid", max=MAX_TAG_LENGTH)
    return tuple(sorted(tags))
