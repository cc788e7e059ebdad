"""The cattrs converter behind every clientcard document, and versioned documents.

:func:`make_converter` registers the hooks for the values JSON has no type for
(timestamps, dates, decimals, birth dates, tagged custom values); :func:`to_document`
and :func:`from_document` add and check ``schema_version`` and report a refused
document by the paths at fault, never its values.
:mod:`clientcard.cards.serialization` re-exports :data:`converter` and
:func:`make_converter`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final, TypeVar

import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError

from clientcard.cards.card import BirthDate, CustomValue
from clientcard.errors import DocumentError

__all__ = [
    "converter",
    "from_document",
    "make_converter",
    "structure_custom_value",
    "to_document",
    "unstructure_custom_value",
]

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


def _structure_text(value: object, _type: object) -> str:
    # A number is read as its text, as older writers left some; anything else (a
    # mapping, a list, true/false) is no text, where str() would make one of it.
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise TypeError("expected text")


def _structure_birth_date(value: object, _type: object) -> BirthDate:
    if not isinstance(value, str):
        raise TypeError("expected YYYY-MM-DD or --MM-DD")
    return BirthDate.parse(value)


def unstructure_custom_value(value: CustomValue) -> object:
    """Write a custom field's value, tagged where JSON would lose its type."""
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


def structure_custom_value(value: object) -> CustomValue:
    """Read a custom field's value back from :func:`unstructure_custom_value`'s output.

    :raises ValueError: the value is of no kind a custom field holds.
    """
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
    return {str(key): structure_custom_value(item) for key, item in value.items()}


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
    conv.register_structure_hook(str, _structure_text)
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
        lambda values: {key: unstructure_custom_value(v) for key, v in values.items()},
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


def to_document(value: object, version: int) -> dict[str, Any]:
    """Return the JSON-ready dict of an attrs ``value``, ``schema_version`` first."""
    document: dict[str, Any] = converter.unstructure(value)
    return {"schema_version": version, **document}


def from_document(kind: str, document: object, version: int, cls: type[_T]) -> _T:
    """Read a value of ``cls`` from a version ``version`` document of ``kind``.

    :raises DocumentError: the document is of another version, or malformed; the
        report names the paths at fault, never their values.
    """
    if not isinstance(document, Mapping):
        raise DocumentError(kind, ["$: expected an object"])
    body = dict(document)
    found = body.pop("schema_version", None)
    # Compared as an integer only: a Decimal('sNaN') raises on ==, and True == 1.
    if type(found) is not int or found != version:
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


def _describe(exc: BaseException, _type: object) -> str:
    # Our own wording, so the text never repeats the offending value; cattrs adds the path.
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"unknown keys {sorted(exc.extra_fields)}"
    return f"invalid value ({type(exc).__name__})"


def _problems(error: ClassValidationError) -> list[str]:
    return cattrs.transform_error(error, format_exception=_describe)
