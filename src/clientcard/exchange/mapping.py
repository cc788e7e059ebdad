"""Which column of an import file fills which field of the card.

:meth:`ColumnMapping.suggest` reads a header row and maps each column it recognises:

* the business's own field labels in English, Italian and Dutch, and field keys (so a
  file clientcard exported comes back as it left, custom fields included);
* the usual headers of salon spreadsheets in those languages ("Nome", "Cognome",
  "Cellulare", "Voornaam", "Tussenvoegsel", "Achternaam", "Telefoon", ...);
* the export headers of Google Contacts ("Given Name", "E-mail 1 - Value",
  "Phone 1 - Value", "Labels", ...) and Outlook ("First Name", "E-mail Address",
  "Mobile Phone", "Home Street", "Categories", ...).

The host overrides any of it with :meth:`ColumnMapping.with_targets`. Several columns
may fill one field: phones and tags collect every value; names, streets and notes are
joined; other fields keep the first value and report the rest as left out.

Targets beyond field keys: ``full_name`` (split at the first space when no first or
last name column is filled), ``name_infix`` (the Dutch "tussenvoegsel", put before the
last name), ``house_number`` (joined to the street) and ``consent.PURPOSE.CHANNEL`` (or
``consent.PURPOSE`` for profiling and health data): a yes or no the file states, recorded
with source ``import``. Nothing else is ever taken as consent.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import attrs

from clientcard.cards.schema import FieldSchema, FieldType
from clientcard.consent import NOT_MESSAGES, Channel, Purpose
from clientcard.errors import FieldIssue, ValidationError
from clientcard.exchange._cells import (
    DateOrder,
    cell_text,
    normalise_header,
    read_cell,
    read_consent,
    read_date,
)
from clientcard.locale import LANGUAGES, message

__all__ = [
    "SPECIAL_TARGETS",
    "ColumnMapping",
    "DateOrder",
    "MappedRow",
    "apply_mapping",
    "cell_text",
    "consent_target",
    "normalise_header",
    "read_cell",
    "read_consent",
    "read_date",
]

SPECIAL_TARGETS: Final = frozenset({"full_name", "name_infix", "house_number"})
"""Targets that are not field keys; ``consent.*`` targets come on top."""


def _synonyms() -> dict[str, str]:
    table: dict[str, Iterable[str]] = {
        "first_name": [
            "first name", "firstname", "given name", "first", "name first", "middle name",
            "additional name", "nome", "nome di battesimo", "voornaam", "roepnaam",
            "voornamen", "forename",
        ],
        "last_name": [
            "last name", "lastname", "surname", "family name", "last", "cognome",
            "achternaam", "familienaam",
        ],
        "name_infix": ["tussenvoegsel", "tussenvoegsels", "prefix last name"],
        "full_name": [
            "name", "full name", "display name", "client", "customer", "nome e cognome",
            "nome completo", "nominativo", "cliente", "naam", "volledige naam", "klant",
        ],
        "email": [
            "email", "e mail", "mail", "email address", "e mail address", "e mail 1 value",
            "e mail 2 value", "e mail 3 value", "e mail 2 address", "e mail 3 address",
            "indirizzo email", "indirizzo e mail", "posta elettronica", "emailadres",
            "e mailadres", "primary email",
        ],
        "phones": [
            "phone", "phones", "telephone", "tel", "mobile", "mobile phone", "cell",
            "cellphone", "cell phone", "mobile number", "phone number", "home phone",
            "home phone 2", "business phone", "business phone 2", "other phone",
            "primary phone", "company main phone", "car phone", "phone 1 value",
            "phone 2 value", "phone 3 value", "phone 4 value", "cellulare", "telefono",
            "tel cellulare", "telefono cellulare", "telefono fisso", "numero di telefono",
            "recapito telefonico", "telefoon", "telefoonnummer", "mobiel", "mobiel nummer",
            "mobiele telefoon", "gsm", "telefoon mobiel", "telefoon vast",
        ],
        "street": [
            "address", "street", "street address", "address 1 street",
            "address 1 extended address", "address line 1", "address line 2",
            "home street", "home street 2", "home street 3", "indirizzo", "via",
            "adres", "straat", "straatnaam",
        ],
        "house_number": ["house number", "huisnummer", "numero civico", "civico"],
        "postcode": [
            "postcode", "post code", "postal code", "zip", "zip code", "postalcode",
            "address 1 postal code", "home postal code", "cap", "c a p",
            "codice postale",
        ],
        "city": [
            "city", "town", "address 1 city", "home city", "citta", "comune", "localita",
            "plaats", "woonplaats", "stad",
        ],
        "country": [
            "country", "country region", "address 1 country", "home country region",
            "nazione", "paese", "land",
        ],
        "birth_date": [
            "birthday", "birth date", "birthdate", "date of birth", "dob",
            "data di nascita", "compleanno", "geboortedatum", "verjaardag",
        ],
        "gender": ["gender", "sex", "sesso", "genere", "geslacht"],
        "notes": [
            "notes", "note", "comments", "comment", "remarks", "annotazioni", "commenti",
            "opmerkingen", "opmerking", "notities", "notitie",
        ],
        "tags": ["tags", "labels", "categories", "group membership", "etichette", "tag"],
        "client_group": ["group", "client group", "gruppo", "gruppo clienti", "groep",
                         "klantengroep"],
        "tax_code": ["tax code", "fiscal code", "codice fiscale", "cf", "c f"],
        "pec": ["pec", "indirizzo pec", "email pec"],
        "sdi_code": ["sdi", "sdi code", "codice sdi", "codice destinatario"],
        "profession": [
            "profession", "occupation", "job title", "organization title",
            "organization 1 title", "professione", "beroep",
        ],
        "education": ["education", "titolo di studio", "opleiding"],
        "referral_source": [
            "referral", "referral source", "source", "how did you hear about us",
            "come ci hai conosciuto", "fonte", "hoe heeft u ons leren kennen",
        ],
        "language": ["language", "lingua", "taal"],
        "weight_kg": ["weight", "peso", "gewicht"],
        "height_cm": ["height", "altezza", "lengte"],
    }  # fmt: skip
    return {header: target for target, headers in table.items() for header in headers}


_SYNONYMS: Final = _synonyms()


def consent_target(target: str) -> tuple[Purpose, Channel | None] | None:
    """Read a ``consent.PURPOSE.CHANNEL`` target; ``None`` when it is not one.

    :raises ValidationError: ``mapping.unknown_target`` for a consent target naming an
        unknown purpose or channel, or a message purpose without a channel.

    .. versionadded:: 0.1.0
    """
    if not target.startswith("consent."):
        return None
    parts = target.split(".")
    try:
        purpose = Purpose(parts[1])
        channel = Channel(parts[2]) if len(parts) == 3 else None
    except (ValueError, IndexError):
        purpose = None
        channel = None
    if purpose is None or len(parts) > 3 or (purpose in NOT_MESSAGES) != (channel is None):
        raise ValidationError([_issue(target, "mapping.unknown_target")])
    return purpose, channel


def _consent_header(normalised: str) -> str | None:
    words = normalised.split(" ")
    if not words or words[0] != "consent":
        return None
    rest = "_".join(words[1:])
    for channel in Channel:
        if rest.endswith(f"_{channel.value}"):
            purpose = rest.removesuffix(f"_{channel.value}")
            if purpose in {p.value for p in Purpose} and Purpose(purpose) not in NOT_MESSAGES:
                return f"consent.{purpose}.{channel.value}"
    if rest in {p.value for p in NOT_MESSAGES}:
        return f"consent.{rest}"
    return None


def _issue(field: str, code: str, lang: str = "en", **params: object) -> FieldIssue:
    return FieldIssue(field, code, message(code, lang, **params))


@attrs.frozen
class ColumnMapping:
    """The target of each column of a header row (``None``: the column is ignored).

    Columns are matched by position, so two columns with one header ("Telefono",
    "Telefono") each get their own target.

    .. versionadded:: 0.1.0
    """

    headers: tuple[str, ...]
    targets: tuple[str | None, ...]

    def __attrs_post_init__(self) -> None:
        if len(self.headers) != len(self.targets):
            raise ValueError("one target per header")

    @classmethod
    def suggest(cls, headers: Sequence[str], schema: FieldSchema) -> ColumnMapping:
        """Map every column whose header is recognised (see the module docs)."""
        known = _schema_headers(schema)
        targets: list[str | None] = []
        for header in headers:
            normalised = normalise_header(header)
            bracketed = re.search(r"\[([a-z][a-z0-9_]{0,39})\]\s*$", header)
            if bracketed and bracketed[1] in schema:
                targets.append(bracketed[1])
                continue
            target = known.get(normalised) or _SYNONYMS.get(normalised)
            if target is None:
                target = _consent_header(normalised)
            if (
                target is not None
                and target not in SPECIAL_TARGETS
                and target in schema
                and schema.field(target).retired
            ):
                target = None
            targets.append(target)
        return cls(headers=tuple(headers), targets=tuple(targets))

    def with_targets(self, overrides: Mapping[str | int, str | None]) -> ColumnMapping:
        """Return the mapping with some columns' targets changed.

        A key is a header (every column with that header changes) or a 1-based column
        number; a value of ``None`` ignores the column.

        :raises ValidationError: ``mapping.unknown_column`` for a key matching no column.
        """
        targets = list(self.targets)
        issues = []
        for key, target in overrides.items():
            if isinstance(key, int):
                positions = [key - 1] if 1 <= key <= len(targets) else []
            else:
                positions = [i for i, header in enumerate(self.headers) if header == key]
            if not positions:
                issues.append(_issue("mapping", "mapping.unknown_column"))
            for position in positions:
                targets[position] = target
        if issues:
            raise ValidationError(issues)
        return attrs.evolve(self, targets=tuple(targets))

    @property
    def mapped(self) -> dict[str, list[int]]:
        """Each target and the 1-based numbers of the columns that fill it."""
        found: dict[str, list[int]] = {}
        for number, target in enumerate(self.targets, start=1):
            if target is not None:
                found.setdefault(target, []).append(number)
        return found

    @property
    def ignored(self) -> tuple[int, ...]:
        """The 1-based numbers of the columns no target takes."""
        return tuple(n for n, target in enumerate(self.targets, start=1) if target is None)

    def check(self, schema: FieldSchema, lang: str = "en") -> None:
        """Refuse targets the schema does not have, or a mapping that fills nothing.

        :raises ValidationError: ``mapping.unknown_target`` (the field names the column
            by number), ``mapping.no_columns``.
        """
        issues = []
        for number, target in enumerate(self.targets, start=1):
            if target is None or target in SPECIAL_TARGETS:
                continue
            if target.startswith("consent."):
                try:
                    consent_target(target)
                except ValidationError:
                    issues.append(_issue(f"column{number}", "mapping.unknown_target", lang))
            elif target not in schema or schema.field(target).retired:
                issues.append(_issue(f"column{number}", "mapping.unknown_target", lang))
        if not issues and not any(self.targets):
            issues.append(_issue("mapping", "mapping.no_columns", lang))
        if issues:
            raise ValidationError(issues)

    def to_dict(self) -> list[dict[str, object]]:
        """The mapping as JSON-ready rows: column number, header and target."""
        return [
            {"column": n, "header": header, "target": target}
            for n, (header, target) in enumerate(zip(self.headers, self.targets, strict=True), 1)
        ]


def _schema_headers(schema: FieldSchema) -> dict[str, str]:
    known: dict[str, str] = {}
    for definition in schema.active_fields:
        names = [definition.key, *definition.labels.values()]
        names += [definition.label(lang) for lang in LANGUAGES]
        for name in names:
            known.setdefault(normalise_header(name), definition.key)
    return known


# -- reading rows ----------------------------------------------------------------------

_JOINED: Final = {"first_name": " ", "last_name": " ", "street": ", ", "notes": "\n"}
# Lists split the separator themselves; a note is free text, where ":::" is just text.
_LISTS: Final = frozenset(
    {FieldType.PHONE_LIST, FieldType.TAGS, FieldType.MULTI_CHOICE, FieldType.LONG_TEXT}
)
_GOOGLE_SEPARATOR: Final = ":::"


@attrs.frozen
class MappedRow:
    """One row read through a mapping: field values, consent statements, what was left out.

    .. versionadded:: 0.1.0
    """

    values: dict[str, object] = attrs.field(repr=False)
    consent: dict[str, bool]
    issues: tuple[FieldIssue, ...]
    warnings: tuple[tuple[str, str], ...]


def apply_mapping(
    mapping: ColumnMapping,
    cells: Sequence[str],
    schema: FieldSchema,
    *,
    order: DateOrder,
    today: dt.date,
    lang: str,
) -> MappedRow:
    """Read one row's cells into field values, as the mapping says (see the module docs).

    .. versionadded:: 0.1.0
    """
    collected: dict[str, list[object]] = {}
    consent: dict[str, bool] = {}
    issues: list[FieldIssue] = []
    extra: list[tuple[str, str]] = []
    for target, raw in zip(mapping.targets, cells, strict=False):
        text = raw.strip()
        if target is None or not text:
            continue
        if target.startswith("consent."):
            stated = read_consent(text)
            if stated is None:
                issues.append(_issue(target, "consent.invalid", lang))
            else:
                consent[target.removeprefix("consent.")] = stated
            continue
        if target in SPECIAL_TARGETS:
            collected.setdefault(target, []).append(text)
            continue
        definition = schema.field(target)
        if definition.type not in _LISTS and _GOOGLE_SEPARATOR in text:
            # Google Contacts writes every value of one label into one cell: the card
            # keeps the first, and the report says the others were left out.
            parts = [part.strip() for part in text.split(_GOOGLE_SEPARATOR) if part.strip()]
            text = parts[0] if parts else ""
            if len(parts) > 1:
                extra.append((target, "import.extra_value_ignored"))
        value = read_cell(definition, text, order, today)
        if isinstance(value, list):
            collected.setdefault(target, []).extend(value)
        elif value != "":
            collected.setdefault(target, []).append(value)
    values, warnings = _combine(collected, schema)
    return MappedRow(values, consent, tuple(issues), (*extra, *warnings))


def _combine(
    collected: dict[str, list[object]], schema: FieldSchema
) -> tuple[dict[str, object], list[tuple[str, str]]]:
    values: dict[str, object] = {}
    warnings: list[tuple[str, str]] = []
    infix = collected.pop("name_infix", None)
    house = collected.pop("house_number", None)
    full = collected.pop("full_name", None)
    for key, items in collected.items():
        kind = schema.field(key).type
        if kind in (FieldType.PHONE_LIST, FieldType.TAGS, FieldType.MULTI_CHOICE):
            values[key] = list(dict.fromkeys(items))
        elif key in _JOINED:
            values[key] = _JOINED[key].join(str(item) for item in items)
        else:
            distinct = list(dict.fromkeys(items))
            values[key] = distinct[0]
            if len(distinct) > 1:
                warnings.append((key, "import.extra_value_ignored"))
    if infix:
        values["last_name"] = " ".join([*map(str, infix), str(values.get("last_name", ""))]).strip()
    if house:
        values["street"] = " ".join([str(values.get("street", "")), *map(str, house)]).strip()
    if full and not values.get("first_name") and not values.get("last_name"):
        first, _, last = " ".join(map(str, full)).strip().partition(" ")
        values["first_name"] = first
        if last:
            values["last_name"] = last
    return values, warnings
