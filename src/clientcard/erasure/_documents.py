"""Documents of the privacy records, through the library's one converter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError

from clientcard.cards.serialization import converter
from clientcard.errors import DocumentError

T = TypeVar("T")


def to_document(value: object, version: int) -> dict[str, Any]:
    """Return ``value`` as a JSON-ready dict with ``schema_version`` first."""
    document: dict[str, Any] = converter.unstructure(value)
    return {"schema_version": version, **document}


def _describe(exc: BaseException, _type: object) -> str:
    # Our own wording: the text never repeats the offending value.
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"unknown keys {sorted(exc.extra_fields)}"
    return f"invalid value ({type(exc).__name__})"


def from_document(kind: str, document: object, version: int, cls: type[T]) -> T:
    """Read a ``cls`` back from :func:`to_document`'s output.

    :raises DocumentError: the document is malformed or of another version.
    """
    if not isinstance(document, Mapping):
        raise DocumentError(kind, ["$: expected an object"])
    body = dict(document)
    found = body.pop("schema_version", None)
    if type(found) is not int or found != version:  # sNaN raises on ==; True == 1
        raise DocumentError(kind, [f"$.schema_version: expected {version}"])
    try:
        return converter.structure(body, cls)
    except ClassValidationError as error:
        raise DocumentError(
            kind, cattrs.transform_error(error, format_exception=_describe)
        ) from None
    except (ValueError, TypeError, ForbiddenExtraKeysError) as error:
        raise DocumentError(kind, [f"$: {type(error).__name__}"]) from None
