"""The field schema a business configures for its client cards.

A :class:`FieldSchema` lists the fields a business's cards have, in display order. The
built-in fields come predefined (:meth:`FieldSchema.default`); a business relabels them,
changes their flags, and adds its own custom fields, which it can later retire (their
stored values stay on the cards) and restore.

Each :class:`FieldDefinition` carries the flags of the seed products:

* ``required``: the client must fill it in where it is collected (booking, portal);
* ``collect_during_booking``: asked on the online booking form;
* ``collect_online``: shown in the client portal;
* ``keep_asking``: asked again at each booking while it is still empty;
* ``sensitive``: special-category data (GDPR Art. 9: allergies, patch tests, weight and
  height for treatments) that later parts keep out of segments, statistics, messages and
  logs, and that needs explicit consent.

:meth:`FieldSchema.validate` checks a set of submitted values for a :class:`Context` and
returns every problem at once; :meth:`FieldSchema.form` and
:meth:`FieldSchema.json_schema` describe the form a host renders.

Every operation returns a new schema with :attr:`FieldSchema.revision` one higher, so a
host can store revisions side by side.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Final

import attrs

from clientcard.card import BUILTIN_KEYS, IDENTITY_KEYS, BirthDate, ClientCard, FieldValue
from clientcard.contact import address, email, name, phone, tax
from clientcard.errors import FieldIssue, InvalidValueError, SchemaError, ValidationError
from clientcard.locale import DEFAULT_LANGUAGE, field_label, message
from clientcard.locale._catalogue import GENDER_LABELS

__all__ = [
    "Choice",
    "Context",
    "FieldDefinition",
    "FieldSchema",
    "FieldType",
    "FormField",
    "FormOption",
]


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


_KEY: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")
_CHOICE_TYPES: Final = frozenset({FieldType.CHOICE, FieldType.MULTI_CHOICE})
_TEXT_LIMITS: Final = {
    FieldType.TEXT: 200,
    FieldType.LONG_TEXT: 5000,
    FieldType.REFERENCE: 500,
}
_MAX_PHONES: Final = 5
_MAX_TAGS: Final = 50
_MAX_TAG_LENGTH: Final = 40
_MAX_ITEMS: Final = 200
_OLDEST_YEAR: Final = 1900
_TRUE: Final = frozenset({"true", "yes", "y", "1", "on", "si", "sì", "ja", "waar"})
_FALSE: Final = frozenset({"false", "no", "n", "0", "off", "nee", "onwaar"})


def _freeze_labels(labels: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(labels))


def _check_labels(_instance: object, _attr: object, labels: Mapping[str, str]) -> None:
    if not labels or not all(
        isinstance(lang, str) and isinstance(text, str) and text.strip()
        for lang, text in labels.items()
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
    builtin: bool = False
    retired: bool = False
    max_length: int | None = None
    """For text fields: the longest value kept; the type's default when ``None``."""
    min_value: Decimal | None = None
    max_value: Decimal | None = None

    def __attrs_post_init__(self) -> None:
        if not _KEY.fullmatch(self.key):
            raise SchemaError(
                self.key, "schema.key_invalid", "keys are 1-40 of a-z, 0-9 and _"
            )
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
        if self.max_length is not None and self.max_length < 1:
            raise SchemaError(self.key, "schema.max_length_invalid", "max_length must be >= 1")

    def label(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The label in ``lang``, falling back to English, then to any label."""
        return _pick_label(self.labels, lang)

    def collected_in(self, context: Context) -> bool:
        """Tell whether values for this field are accepted in ``context``."""
        if self.retired:
            return False
        if context is Context.BOOKING:
            return self.collect_during_booking
        if context is Context.PORTAL:
            return self.collect_online
        return True

    def required_in(self, context: Context) -> bool:
        """Tell whether ``context`` must leave this field filled in."""
        return self.required and context in (Context.BOOKING, Context.PORTAL) and (
            self.collected_in(context)
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
    max_length: int | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None


def _builtin(
    key: str,
    type_: FieldType,
    *,
    choices: tuple[Choice, ...] = (),
    booking: bool = False,
    online: bool = False,
    sensitive: bool = False,
    min_value: str | None = None,
    max_value: str | None = None,
    max_length: int | None = None,
) -> FieldDefinition:
    labels = {lang: field_label(key, lang) or key for lang in ("en", "it", "nl")}
    return FieldDefinition(
        key=key,
        type=type_,
        labels=labels,
        choices=choices,
        collect_during_booking=booking,
        collect_online=online,
        sensitive=sensitive,
        builtin=True,
        min_value=Decimal(min_value) if min_value is not None else None,
        max_value=Decimal(max_value) if max_value is not None else None,
        max_length=max_length,
    )


def _default_fields() -> tuple[FieldDefinition, ...]:
    genders = tuple(Choice(value=value, labels=labels) for value, labels in GENDER_LABELS.items())
    f = FieldType
    return (
        _builtin("first_name", f.NAME, booking=True, online=True),
        _builtin("last_name", f.NAME, booking=True, online=True),
        _builtin("email", f.EMAIL, booking=True, online=True),
        _builtin("phones", f.PHONE_LIST, booking=True, online=True),
        _builtin("street", f.TEXT, online=True),
        _builtin("postcode", f.POSTCODE, online=True),
        _builtin("city", f.TEXT, online=True, max_length=100),
        _builtin("country", f.COUNTRY, online=True),
        _builtin("birth_date", f.PARTIAL_DATE, online=True),
        _builtin("gender", f.CHOICE, choices=genders),
        _builtin("weight_kg", f.NUMBER, sensitive=True, min_value="1", max_value="400"),
        _builtin("height_cm", f.NUMBER, sensitive=True, min_value="30", max_value="272"),
        _builtin("tax_code", f.TAX_CODE),
        _builtin("pec", f.EMAIL),
        _builtin("sdi_code", f.SDI_CODE),
        _builtin("notes", f.LONG_TEXT),
        _builtin("client_group", f.TEXT, max_length=100),
        _builtin("tags", f.TAGS),
        _builtin("referral_source", f.TEXT, max_length=100),
        _builtin("education", f.TEXT, max_length=100),
        _builtin("profession", f.TEXT, max_length=100),
        _builtin("picture", f.REFERENCE),
    )


_BUILTIN_TYPES: Final = {definition.key: definition.type for definition in _default_fields()}
_UNRETIRABLE: Final = frozenset(IDENTITY_KEYS)


def _check_fields(
    _instance: object, _attr: object, fields: tuple[FieldDefinition, ...]
) -> None:
    seen: set[str] = set()
    for definition in fields:
        if definition.key in seen:
            raise SchemaError(definition.key, "schema.key_duplicate", "keys must be unique")
        seen.add(definition.key)
        if definition.builtin != (definition.key in BUILTIN_KEYS):
            raise SchemaError(
                definition.key,
                "schema.builtin_mismatch",
                "built-in keys are reserved for built-in fields",
            )
        if definition.builtin and definition.type is not _BUILTIN_TYPES[definition.key]:
            raise SchemaError(
                definition.key, "schema.builtin_type", "a built-in field keeps its type"
            )
    missing = BUILTIN_KEYS - seen
    if missing:
        raise SchemaError(
            sorted(missing)[0], "schema.builtin_missing", "every built-in field must be present"
        )


Values = Mapping[str, FieldValue]


@attrs.frozen
class FieldSchema:
    """The fields of a business's client cards, in display order.

    .. versionadded:: 0.1.0
    """

    fields: tuple[FieldDefinition, ...] = attrs.field(validator=_check_fields)
    revision: int = attrs.field(default=1, validator=attrs.validators.ge(1))

    @classmethod
    def default(cls) -> FieldSchema:
        """The built-in fields, with the collection flags the seed products start from."""
        return cls(fields=_default_fields())

    # -- reading ------------------------------------------------------------------------

    def field(self, key: str) -> FieldDefinition:
        """Return the definition of ``key``.

        :raises SchemaError: ``schema.unknown_field``.
        """
        for definition in self.fields:
            if definition.key == key:
                return definition
        raise SchemaError(key, "schema.unknown_field", "no such field")

    def __contains__(self, key: object) -> bool:
        return any(definition.key == key for definition in self.fields)

    @property
    def active_fields(self) -> tuple[FieldDefinition, ...]:
        """The fields that are not retired, in order."""
        return tuple(definition for definition in self.fields if not definition.retired)

    @property
    def sensitive_keys(self) -> frozenset[str]:
        """The keys of every field marked sensitive, retired ones included."""
        return frozenset(definition.key for definition in self.fields if definition.sensitive)

    def fields_for(self, context: Context) -> tuple[FieldDefinition, ...]:
        """The fields accepted in ``context``, in order."""
        return tuple(definition for definition in self.fields if definition.collected_in(context))

    def pending_fields(self, card: ClientCard | None, context: Context) -> tuple[str, ...]:
        """The keys ``context`` should ask for: required or keep-asking fields still empty."""
        return tuple(
            definition.key
            for definition in self.fields_for(context)
            if (definition.keep_asking or definition.required_in(context))
            and (card is None or card.value(definition.key) is None)
        )

    # -- changing -----------------------------------------------------------------------

    def _replace(self, fields: Iterable[FieldDefinition]) -> FieldSchema:
        return FieldSchema(fields=tuple(fields), revision=self.revision + 1)

    def _change(self, key: str, **changes: Any) -> FieldSchema:
        target = self.field(key)
        updated = attrs.evolve(target, **changes)
        return self._replace(updated if d.key == key else d for d in self.fields)

    def add(self, definition: FieldDefinition) -> FieldSchema:
        """Add a custom field at the end.

        :raises SchemaError: the key is taken (``schema.key_duplicate``) or reserved for a
            built-in field (``schema.builtin_mismatch``).
        """
        if definition.builtin:
            raise SchemaError(
                definition.key, "schema.builtin_mismatch", "only custom fields can be added"
            )
        return self._replace((*self.fields, definition))

    def relabel(self, key: str, labels: Mapping[str, str]) -> FieldSchema:
        """Set labels of ``key``; languages not given keep their label."""
        merged = {**self.field(key).labels, **labels}
        return self._change(key, labels=merged)

    def relabel_choice(self, key: str, value: str, labels: Mapping[str, str]) -> FieldSchema:
        """Set labels of one choice of ``key``."""
        definition = self.field(key)
        if value not in {choice.value for choice in definition.choices}:
            raise SchemaError(key, "schema.unknown_choice", "no such choice")
        choices = tuple(
            Choice(value=c.value, labels={**c.labels, **labels}) if c.value == value else c
            for c in definition.choices
        )
        return self._change(key, choices=choices)

    def configure(
        self,
        key: str,
        *,
        required: bool | None = None,
        collect_during_booking: bool | None = None,
        collect_online: bool | None = None,
        keep_asking: bool | None = None,
        sensitive: bool | None = None,
    ) -> FieldSchema:
        """Change the flags of ``key``; flags left ``None`` keep their value."""
        flags = {
            "required": required,
            "collect_during_booking": collect_during_booking,
            "collect_online": collect_online,
            "keep_asking": keep_asking,
            "sensitive": sensitive,
        }
        return self._change(key, **{k: v for k, v in flags.items() if v is not None})

    def reorder(self, keys: Iterable[str]) -> FieldSchema:
        """Put the given keys first, in that order; the other fields follow as they were.

        :raises SchemaError: a key is unknown or named twice.
        """
        wanted = list(keys)
        if len(set(wanted)) != len(wanted):
            raise SchemaError("fields", "schema.key_duplicate", "a key is named twice")
        first = [self.field(key) for key in wanted]
        rest = [d for d in self.fields if d.key not in set(wanted)]
        return self._replace((*first, *rest))

    def retire(self, key: str) -> FieldSchema:
        """Retire a field: it leaves forms and validation, its stored values stay.

        :raises SchemaError: ``schema.cannot_retire`` for name, e-mail and phone.
        """
        if key in _UNRETIRABLE:
            raise SchemaError(key, "schema.cannot_retire", "identity fields stay on every card")
        return self._change(key, retired=True)

    def restore(self, key: str) -> FieldSchema:
        """Bring a retired field back; the values stored meanwhile reappear."""
        return self._change(key, retired=False)

    # -- validating ---------------------------------------------------------------------

    def validate(
        self,
        values: Mapping[str, object],
        context: Context,
        *,
        today: dt.date,
        region: str = "IT",
        lang: str = DEFAULT_LANGUAGE,
        current: ClientCard | None = None,
        check_deliverability: bool = False,
    ) -> dict[str, FieldValue]:
        """Check submitted ``values`` for ``context`` and return them normalised.

        Every problem is reported at once in one :class:`ValidationError`, each issue
        naming its field and code, with a message in ``lang``. An empty value (``None``,
        ``""``, ``[]``) means "clear this field". ``current`` is the card being edited:
        required fields already filled on it need not be sent again. ``today`` is the
        business's current date, for rules such as "birth date not in the future";
        ``region`` reads phone numbers typed without a country prefix.

        :raises ValidationError: with every issue found.
        """
        issues: list[FieldIssue] = []
        clean: dict[str, FieldValue] = {}
        if not isinstance(values, Mapping):
            issue = FieldIssue("$", "type.invalid", message("type.invalid", lang, expected="map"))
            raise ValidationError([issue])
        by_key = {definition.key: definition for definition in self.fields}
        country = self._country(values, current)
        for key, raw in values.items():
            definition = by_key.get(key) if isinstance(key, str) else None
            if definition is None:
                issues.append(_issue(str(key), "field.unknown", lang))
            elif definition.retired:
                issues.append(_issue(key, "field.retired", lang))
            elif not definition.collected_in(context):
                issues.append(_issue(key, "field.not_collected", lang))
            else:
                try:
                    clean[key] = _normalise(definition, raw, today, region, country)
                except InvalidValueError as error:
                    issues.append(_issue(key, error.code, lang, **error.params))
        for definition in self.fields:
            if not definition.required_in(context) or definition.key in _issue_keys(issues):
                continue
            submitted = clean.get(definition.key, _MISSING)
            if submitted is _MISSING:
                present = current is not None and current.value(definition.key) is not None
            else:
                present = submitted is not None
            if not present:
                issues.append(_issue(definition.key, "field.required", lang))
        if issues:
            raise ValidationError(issues)
        return clean

    def _country(self, values: Mapping[str, object], current: ClientCard | None) -> str | None:
        raw = values.get("country")
        if isinstance(raw, str) and raw.strip().upper() in address.COUNTRIES:
            return raw.strip().upper()
        return current.address.country if current is not None else None

    # -- describing ---------------------------------------------------------------------

    def form(self, context: Context, lang: str = DEFAULT_LANGUAGE) -> tuple[FormField, ...]:
        """The fields a form for ``context`` shows, in order, labelled in ``lang``."""
        return tuple(
            FormField(
                key=d.key,
                type=d.type,
                label=d.label(lang),
                required=d.required_in(context),
                keep_asking=d.keep_asking,
                sensitive=d.sensitive,
                options=tuple(FormOption(c.value, c.label(lang)) for c in d.choices),
                max_length=_max_length(d),
                min_value=d.min_value,
                max_value=d.max_value,
            )
            for d in self.fields_for(context)
        )

    def json_schema(self, context: Context, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        """A JSON Schema (draft 2020-12) of the form for ``context``, for a front end."""
        properties = {f.key: _json_property(f) for f in self.form(context, lang)}
        required = [f.key for f in self.form(context, lang) if f.required]
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"clientcard {context.value} form",
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }


_MISSING: Final[Any] = object()


def _issue_keys(issues: Iterable[FieldIssue]) -> frozenset[str]:
    return frozenset(issue.field for issue in issues)


def _issue(key: str, code: str, lang: str, **params: object) -> FieldIssue:
    return FieldIssue(key, code, message(code, lang, **params))


def _max_length(definition: FieldDefinition) -> int | None:
    if definition.max_length is not None:
        return definition.max_length
    if definition.type is FieldType.NAME:
        return name.MAX_NAME_LENGTH
    return _TEXT_LIMITS.get(definition.type)


def _is_empty(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw in ([], ())


def _normalise(
    definition: FieldDefinition,
    raw: object,
    today: dt.date,
    region: str,
    country: str | None,
) -> FieldValue:
    if _is_empty(raw):
        return None
    kind = definition.type
    if kind in _TEXT_LIMITS:
        limit = _max_length(definition) or 0
        return name.normalize_text(raw, limit, multiline=kind is FieldType.LONG_TEXT)
    if kind is FieldType.NAME:
        return name.normalize(raw)
    if kind is FieldType.POSTCODE:
        return address.normalize_postcode(raw, country)
    simple = _SIMPLE.get(kind)
    if simple is not None:
        return simple(raw)
    if kind is FieldType.PHONE:
        return phone.normalize(raw, region)
    if kind is FieldType.PHONE_LIST:
        return _phones(raw, region)
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
    FieldType.EMAIL: email.normalize,
    FieldType.TAX_CODE: tax.normalize_tax_code,
    FieldType.SDI_CODE: tax.normalize_sdi_code,
    FieldType.COUNTRY: address.normalize_country,
    FieldType.BOOLEAN: _boolean,
}


def _items(raw: object, *, split_commas: bool) -> list[object]:
    if isinstance(raw, str):
        return [part for part in raw.split(",")] if split_commas else [raw]
    if isinstance(raw, (list, tuple, set, frozenset)):
        if len(raw) > _MAX_ITEMS:
            raise InvalidValueError("text.too_long", max=_MAX_ITEMS)
        return list(raw)
    raise InvalidValueError("type.invalid", expected="list")


def _phones(raw: object, region: str) -> tuple[str, ...]:
    numbers = [item for item in _items(raw, split_commas=False) if not _is_empty(item)]
    if len(numbers) > _MAX_PHONES:
        raise InvalidValueError("phone.too_many", max=_MAX_PHONES)
    return tuple(dict.fromkeys(phone.normalize(number, region) for number in numbers))


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
            tag = name.normalize_text(item, _MAX_TAG_LENGTH)
        except InvalidValueError:
            raise InvalidValueError("tag.invalid", max=_MAX_TAG_LENGTH) from None
        if tag:
            tags.add(tag)
    if len(tags) > _MAX_TAGS:
        raise InvalidValueError("tag.invalid", max=_MAX_TAG_LENGTH)
    return tuple(sorted(tags))


_JSON_TYPES: Final = {
    FieldType.NUMBER: {"type": "number"},
    FieldType.BOOLEAN: {"type": "boolean"},
    FieldType.EMAIL: {"type": "string", "format": "email"},
    FieldType.DATE: {"type": "string", "format": "date"},
    FieldType.PARTIAL_DATE: {
        "type": "string",
        "pattern": r"^(\d{4}|-)-\d{2}-\d{2}$",
    },
    FieldType.PHONE: {"type": "string", "format": "phone"},
    FieldType.PHONE_LIST: {
        "type": "array",
        "items": {"type": "string", "format": "phone"},
        "maxItems": _MAX_PHONES,
    },
    FieldType.TAGS: {
        "type": "array",
        "items": {"type": "string", "maxLength": _MAX_TAG_LENGTH},
        "uniqueItems": True,
    },
    FieldType.COUNTRY: {"type": "string", "pattern": "^[A-Za-z]{2}$"},
}


def _json_property(field: FormField) -> dict[str, Any]:
    prop: dict[str, Any] = {"title": field.label, "x-clientcard-type": field.type.value}
    if field.type is FieldType.CHOICE:
        prop["enum"] = [option.value for option in field.options]
    elif field.type is FieldType.MULTI_CHOICE:
        prop["type"] = "array"
        prop["items"] = {"enum": [option.value for option in field.options]}
        prop["uniqueItems"] = True
    else:
        prop.update(_JSON_TYPES.get(field.type, {"type": "string"}))
    if field.options:
        prop["x-clientcard-labels"] = {option.value: option.label for option in field.options}
    if field.max_length is not None and prop.get("type") == "string":
        prop["maxLength"] = field.max_length
    if field.min_value is not None:
        prop["minimum"] = float(field.min_value)
    if field.max_value is not None:
        prop["maximum"] = float(field.max_value)
    if field.sensitive:
        prop["x-clientcard-sensitive"] = True
    return prop
