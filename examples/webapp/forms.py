"""From clientcard's form description to HTML inputs, and from a submitted form back.

:meth:`clientcard.FieldSchema.form` says which fields the booking form has, in which
order, with their labels, required marks, limits and choices; this module only decides
how each field type is typed in. Validation is clientcard's: the browser's own checks
are switched off (``novalidate``) so every message a client sees is the library's, in
the business's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import attrs
from werkzeug.datastructures import MultiDict

from clientcard import FieldType, FormField

#: How each field type is typed in: an ``<input type=...>``, or another element.
INPUT_TYPES: Final[Mapping[FieldType, str]] = {
    FieldType.EMAIL: "email",
    FieldType.PHONE: "tel",
    FieldType.PHONE_LIST: "tel",
    FieldType.DATE: "date",
    FieldType.NUMBER: "number",
}
_ELEMENTS: Final[Mapping[FieldType, str]] = {
    FieldType.LONG_TEXT: "textarea",
    FieldType.CHOICE: "select",
    FieldType.MULTI_CHOICE: "checkboxes",
    FieldType.BOOLEAN: "checkbox",
}
_AUTOCOMPLETE: Final[Mapping[str, str]] = {
    "first_name": "given-name",
    "last_name": "family-name",
    "email": "email",
    "phones": "tel",
    "street": "street-address",
    "postcode": "postal-code",
    "city": "address-level2",
    "country": "country",
}
_PLACEHOLDERS: Final[Mapping[FieldType, str]] = {
    FieldType.PARTIAL_DATE: "YYYY-MM-DD / --MM-DD",
    FieldType.TAGS: "a, b, c",
}


@attrs.frozen
class Widget:
    """One field of the form as the template renders it."""

    field: FormField
    element: str
    """``input``, ``textarea``, ``select``, ``checkbox`` or ``checkboxes``."""
    input_type: str = "text"
    autocomplete: str | None = None
    placeholder: str | None = None

    @property
    def key(self) -> str:
        """The field's key, which is also the input's name."""
        return self.field.key


def widget(field: FormField) -> Widget:
    """How ``field`` is typed in."""
    return Widget(
        field=field,
        element=_ELEMENTS.get(field.type, "input"),
        input_type=INPUT_TYPES.get(field.type, "text"),
        autocomplete=_AUTOCOMPLETE.get(field.key),
        placeholder=_PLACEHOLDERS.get(field.type),
    )


Submitted = dict[str, str | list[str]]
"""What was typed, by field key, as the form re-renders it."""


def read(
    fields: tuple[FormField, ...], form: MultiDict[str, str]
) -> tuple[Submitted, dict[str, object]]:
    """Read the schema's fields from a submitted form.

    Returns what was typed (to show it again) and the values to validate. Only the
    schema's fields are read: anything else in the request is not the card's business.
    An empty input is sent as ``None``, which clientcard reads as "not given".
    """
    typed: Submitted = {}
    values: dict[str, object] = {}
    for field in fields:
        if field.type is FieldType.MULTI_CHOICE:
            picked = form.getlist(field.key)
            typed[field.key] = picked
            values[field.key] = picked or None
        elif field.type is FieldType.BOOLEAN:
            ticked = field.key in form
            typed[field.key] = "yes" if ticked else ""
            values[field.key] = True if ticked else None
        else:
            raw = form.get(field.key, "")
            typed[field.key] = raw
            values[field.key] = raw if raw.strip() else None
    return typed, values
