"""Field types, contexts and field definitions (re-exported by :mod:`clientcard.cards.schema`)."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Final

import attrs

from clientcard.errors import SchemaError
from clientcard.locale import DEFAULT_LANGUAGE


class FieldType(enum.Enum):
    """What kind of value a field holds; it decides validation and how forms render it.

    .. versionadded:: 0.1.0
    """

    TEXT = "text"
    LONG_TEXT = "long_text"
    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"
    PHONE_LIST = "phone_list"
    DATE = "date"
    PARTIAL_DATE = "partial_date"
    """A date whose year may be left out (``--MM-DD``), as for birthdays."""
    NUMBER = "number"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    TAGS = "tags"
    TAX_CODE = "tax_code"
    SDI_CODE = "sdi_code"
    COUNTRY = "country"
    POSTCODE = "postcode"
    REFERENCE = "reference"
    """An opaque reference into the host's storage, such as a picture's blob key."""


class Context(enum.Enum):
    """Where values were submitted from; it decides which fields and rules apply.

    .. versionadded:: 0.1.0
    """

    STAFF = "staff"
    """Staff editing a card: every active field, no required flags."""
    BOOKING = "booking"
    """The online booking form: only fields collected during booking; required enforced."""
    PORTAL = "portal"
    """The client portal: only fields collected online; required enforced."""
    IMPORT = "import"
    """A bulk import: every active field, no required flags."""
    CONTACT = "contact"
    """A prospect's first contact (widget, contact form): booking fields, none required."""


_KEY: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")
_CHOICE_TYPES: Final = frozenset({FieldType.CHOICE, FieldType.MULTI_CHOICE})


def _freeze_labels(labels: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(labels))


def _check_labels(_instance: object, _attr: object, labels: object) -> None:
    # Labels may come from a host's stored JSON, so their types are checked, not assumed.
    if (
        not isinstance(labels, Mapping)
        or not labels
        or not all(
            isinstance(lang, str) and isinstance(text, str) and text.strip() and "\x00" not in text
            for lang, text in labels.items()
        )
    ):
        raise SchemaError("labels", "schema.label_missing", "give at least one non-empty label")


def _pick_label(labels: Mapping[str, str], lang: str) -> str:
    return labels.get(lang) or labels.get(DEFAULT_LANGUAGE) or next(iter(labels.values()))


@attrs.frozen
class Choice:
    """One allowed value of a choice field, with its labels.

    .. versionadded:: 0.1.0
    """

    value: str
    labels: Mapping[str, str] = attrs.field(
        converter=_freeze_labels, validator=_check_labels, hash=False
    )

    def label(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The label in ``lang``, falling back to English, then to any label."""
        return _pick_label(self.labels, lang)


@attrs.frozen
class FieldDefinition:
    """One field of a business's client card.

    .. versionadded:: 0.1.0
    """

    key: str
    type: FieldType
    labels: Mapping[str, str] = attrs.field(
        converter=_freeze_labels, validator=_check_labels, hash=False
    )
    choices: tuple[Choice, ...] = ()
    required: bool = False
    collect_during_booking: bool = False
    collect_online: bool = False
    keep_asking: bool = False
    sensitive: bool = False
    mobile_only: bool = False
    """For phone fields: only numbers that can receive SMS (``phone.not_mobile``)."""
    builtin: bool = False
    retired: bool = False
    max_length: int | None = None
    """For text fields: the longest value kept; the type's default when ``None``."""
    min_value: Decimal | None = None
    max_value: Decimal | None = None

    def __attrs_post_init__(self) -> None:
        if not _KEY.fullmatch(self.key):
            raise SchemaError(self.key, "schema.key_invalid", "keys are 1-40 of a-z, 0-9 and _")
        if (self.type in _CHOICE_TYPES) != bool(self.choices):
            raise SchemaError(
                self.key, "schema.choices_mismatch", "choice fields, and only they, need choices"
            )
        values = [choice.value for choice in self.choices]
        if len(set(values)) != len(values):
            raise SchemaError(self.key, "schema.choice_duplicate", "choice values must differ")
        if self.keep_asking and not (self.collect_during_booking or self.collect_online):
            raise SchemaError(
                self.key,
                "schema.keep_asking_not_collected",
                "keep asking needs the field collected during booking or online",
            )
        if (
            self.min_value is not None
            and self.max_value is not None
            and self.min_value > self.max_value
        ):
            raise SchemaError(self.key, "schema.range_invalid", "min_value exceeds max_value")
        if self.mobile_only and self.type not in (FieldType.PHONE, FieldType.PHONE_LIST):
            raise SchemaError(self.key, "schema.mobile_only_not_phone", "only phones can be")
        if self.max_length is not None and self.max_length < 1:
            raise SchemaError(self.key, "schema.max_length_invalid", "max_length must be >= 1")

    def label(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The label in ``lang``, falling back to English, then to any label."""
        return _pick_label(self.labels, lang)

    def collected_in(self, context: Context) -> bool:
        """Tell whether values for this field are accepted in ``context``."""
        if self.retired:
            return False
        if context in (Context.BOOKING, Context.CONTACT):
            return self.collect_during_booking
        if context is Context.PORTAL:
            return self.collect_online
        return True

    def required_in(self, context: Context) -> bool:
        """Tell whether ``context`` must leave this field filled in."""
        return (
            self.required
            and context in (Context.BOOKING, Context.PORTAL)
            and (self.collected_in(context))
        )


@attrs.frozen
class FormOption:
    """A choice as a form shows it.

    .. versionadded:: 0.1.0
    """

    value: str
    label: str


@attrs.frozen
class FormField:
    """A field as a host's form renders it, labelled in one language.

    .. versionadded:: 0.1.0
    """

    key: str
    type: FieldType
    label: str
    required: bool
    keep_asking: bool
    sensitive: bool
    options: tuple[FormOption, ...] = ()
    mobile_only: bool = False
    max_length: int | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
