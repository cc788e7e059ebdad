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
import functools
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

import attrs

from clientcard.cards._definitions import (
    Choice,
    Context,
    FieldDefinition,
    FieldType,
    FormField,
    FormOption,
)
from clientcard.cards._normalise import MAX_PHONES, MAX_TAG_LENGTH, max_length, normalise
from clientcard.cards.card import BUILTIN_KEYS, IDENTITY_KEYS, ClientCard, FieldValue
from clientcard.contact import address
from clientcard.errors import FieldIssue, InvalidValueError, SchemaError, ValidationError
from clientcard.locale import DEFAULT_LANGUAGE, LANGUAGES, field_label, message
from clientcard.locale._catalogue import GENDER_LABELS, LANGUAGE_LABELS

__all__ = [
    "Choice",
    "Context",
    "FieldDefinition",
    "FieldSchema",
    "FieldType",
    "FormField",
    "FormOption",
]


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
    labels: dict[str, str] = {lang: field_label(key, lang) or key for lang in LANGUAGES}
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
    languages = tuple(
        Choice(value=value, labels=labels) for value, labels in LANGUAGE_LABELS.items()
    )
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
        _builtin("language", f.CHOICE, choices=languages),
    )


_BUILTIN_TYPES: Final = {definition.key: definition.type for definition in _default_fields()}
_UNRETIRABLE: Final = frozenset(IDENTITY_KEYS)


def _check_fields(_instance: object, _attr: object, fields: tuple[FieldDefinition, ...]) -> None:
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

    @functools.cached_property
    def sensitive_keys(self) -> frozenset[str]:
        """The keys of every field marked sensitive, retired ones included."""
        return frozenset(definition.key for definition in self.fields if definition.sensitive)

    def fields_for(self, context: Context) -> tuple[FieldDefinition, ...]:
        """The fields accepted in ``context``, in order."""
        return tuple(definition for definition in self.fields if definition.collected_in(context))

    def pending_fields(self, card: ClientCard | None, context: Context) -> tuple[str, ...]:
        """The keys ``context`` should ask the client for, as they are still empty.

        Those are the fields required in ``context`` and, where the client is the one
        asked (booking, portal), the keep-asking fields.
        """
        asks_client = context in (Context.BOOKING, Context.PORTAL)
        return tuple(
            definition.key
            for definition in self.fields_for(context)
            if ((definition.keep_asking and asks_client) or definition.required_in(context))
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
        mobile_only: bool | None = None,
    ) -> FieldSchema:
        """Change the flags of ``key``; flags left ``None`` keep their value."""
        flags = {
            "required": required,
            "collect_during_booking": collect_during_booking,
            "collect_online": collect_online,
            "keep_asking": keep_asking,
            "sensitive": sensitive,
            "mobile_only": mobile_only,
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
        :raises ValueError: ``context`` is neither a :class:`Context` nor one's value.
        """
        issues: list[FieldIssue] = []
        clean: dict[str, FieldValue] = {}
        # Hosts pass decoded JSON; its shape is checked here rather than trusted.
        submitted: object = values
        if not isinstance(submitted, Mapping):
            issue = FieldIssue("$", "type.invalid", message("type.invalid", lang, expected="map"))
            raise ValidationError([issue])
        by_key = self._by_key
        # A host may pass the context's value ("booking"); anything else is a ValueError.
        context = Context(context)
        collected = self._collected[context]
        country = self._country(values, current)
        for key, raw in submitted.items():
            definition = by_key.get(key) if isinstance(key, str) else None
            if definition is None:
                # An unknown key is reported as sent, cut short: keys are names, not data.
                issues.append(_issue(str(key)[:64] or "$", "field.unknown", lang))
            elif definition.retired:
                issues.append(_issue(key, "field.retired", lang))
            elif key not in collected:
                issues.append(_issue(key, "field.not_collected", lang))
            else:
                try:
                    clean[key] = normalise(
                        definition,
                        raw,
                        today,
                        region,
                        country,
                        check_deliverability=check_deliverability,
                    )
                except InvalidValueError as error:
                    issues.append(_issue(key, error.code, lang, **error.params))
        required = self._required[context]
        refused = _issue_keys(issues) if required else frozenset()
        for definition in required:
            if definition.key in refused:
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

    # Worked out once per schema, not on every validation: a schema never changes.
    @functools.cached_property
    def _by_key(self) -> dict[str, FieldDefinition]:
        return {definition.key: definition for definition in self.fields}

    @functools.cached_property
    def _collected(self) -> dict[Context, frozenset[str]]:
        return {
            context: frozenset(d.key for d in self.fields if d.collected_in(context))
            for context in Context
        }

    @functools.cached_property
    def _required(self) -> dict[Context, tuple[FieldDefinition, ...]]:
        return {
            context: tuple(d for d in self.fields if d.required_in(context)) for context in Context
        }

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
                mobile_only=d.mobile_only,
                options=tuple(FormOption(c.value, c.label(lang)) for c in d.choices),
                max_length=max_length(d),
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


_JSON_TYPES: Final[dict[FieldType, dict[str, Any]]] = {
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
        "maxItems": MAX_PHONES,
    },
    FieldType.TAGS: {
        "type": "array",
        "items": {"type": "string", "maxLength": MAX_TAG_LENGTH},
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
    if field.mobile_only:
        prop["x-clientcard-mobile-only"] = True
    return prop
