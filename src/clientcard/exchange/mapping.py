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
from decimal import Decimal
from typing import Final, Literal

import attrs

from clientcard.consent import NOT_MESSAGES, Channel, Purpose
from clientcard.contact.name import fold
from clientcard.errors import FieldIssue, ValidationError
from clientcard.locale import LANGUAGES, message
from clientcard.schema import FieldDefinition, FieldSchema, FieldType

__all__ = [
    "SPECIAL_TARGETS",
    "ColumnMapping",
    "DateOrder",
    "consent_target",
    "normalise_header",
    "read_date",
]

DateOrder = Literal["dmy", "mdy"]
"""How ``03/04/1985`` is read: day first (Europe) or month first (United States)."""

SPECIAL_TARGETS: Final = frozenset({"full_name", "name_infix", "house_number"})
"""Targets that are not field keys; ``consent.*`` targets come on top."""

_NON_ALNUM: Final = re.compile(r"[^0-9a-z]+")
_LIST_SPLIT: Final = re.compile(r"\s*(?:[;,\n]|:::)\s*")
_PHONE_SPLIT: Final = re.compile(r"\s*(?:[;,\n]|:::)\s*")
# TRUE and FALSE as Italian and Dutch Excel write them into a CSV: VERO/FALSO, WAAR/ONWAAR.
_YES: Final = frozenset({"yes", "y", "true", "1", "si", "ja", "x", "granted", "on", "vero", "waar"})
_NO: Final = frozenset(
    {"no", "n", "false", "0", "nee", "withdrawn", "off", "refused", "falso", "onwaar"}
)


def normalise_header(header: str) -> str:
    """Fold a header for matching: no accents or case, punctuation as single spaces.

    >>> normalise_header("E-mail 1 - Value")
    'e mail 1 value'

    .. versionadded:: 0.1.0
    """
    return _NON_ALNUM.sub(" ", fold(header)).strip()


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

_COUNTRY_NAMES: Final = {
    normalise_header(name): code
    for code, names in {
        "IT": ("Italy", "Italia", "Italië"),
        "NL": ("Netherlands", "The Netherlands", "Paesi Bassi", "Olanda", "Nederland", "Holland"),
        "BE": ("Belgium", "Belgio", "België", "Belgique"),
        "DE": ("Germany", "Germania", "Duitsland", "Deutschland"),
        "FR": ("France", "Francia", "Frankrijk"),
        "ES": ("Spain", "Spagna", "Spanje", "España"),
        "GB": ("United Kingdom", "UK", "Great Britain", "Regno Unito", "Verenigd Koninkrijk"),
        "US": ("United States", "USA", "United States of America", "Stati Uniti",
               "Verenigde Staten"),
        "CH": ("Switzerland", "Svizzera", "Zwitserland", "Schweiz", "Suisse"),
        "AT": ("Austria", "Oostenrijk", "Österreich"),
        "SM": ("San Marino",),
        "LU": ("Luxembourg", "Lussemburgo", "Luxemburg"),
    }.items()
    for name in names
}  # fmt: skip

_GENDER_LETTERS: Final = {"f": "female", "m": "male", "v": "female", "w": "female", "x": "other"}


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


# -- reading cells ----------------------------------------------------------------------

_ISO_DATE: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?")
_SLASHED: Final = re.compile(r"(\d{1,4})[/.\-](\d{1,2})(?:[/.\-](\d{2,4}))?")
_COMPACT: Final = re.compile(r"(\d{4})(\d{2})(\d{2})")
_NO_YEAR: Final = re.compile(r"--(\d{2})-?(\d{2})")


def read_date(text: str, order: DateOrder, today: dt.date) -> str:
    """Turn a date as spreadsheets and address books write it into ISO 8601.

    Reads ``1985-12-10``, ``19851210``, ``--12-10``/``--1210`` (no year), ``10/12/1985``,
    ``10.12.85`` and ``10-12`` (day and month, in ``order``). Two-digit years fall in
    the last hundred years before ``today``. Outlook's empty ``0/0/00`` reads as empty.
    Anything else comes back unchanged, for validation to refuse.

    >>> read_date("10/12/1985", "dmy", dt.date(2026, 1, 1))
    '1985-12-10'
    >>> read_date("2/29", "mdy", dt.date(2026, 1, 1))
    '--02-29'

    .. versionadded:: 0.1.0
    """
    text = text.strip()
    if match := _ISO_DATE.fullmatch(text):
        return f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}"
    if match := _NO_YEAR.fullmatch(text):
        return f"--{match[1]}-{match[2]}"
    if match := _COMPACT.fullmatch(text):
        return f"{match[1]}-{match[2]}-{match[3]}"
    match = _SLASHED.fullmatch(text)
    if match is None:
        return text
    first, second, year_text = match[1], match[2], match[3]
    if len(first) == 4:
        if year_text is None:
            return text
        return f"{first}-{int(second):02d}-{int(year_text):02d}"
    day, month = (first, second) if order == "dmy" else (second, first)
    if int(day) == 0 and int(month) == 0:
        return ""
    if year_text is None:
        return f"--{int(month):02d}-{int(day):02d}"
    year = int(year_text)
    if len(year_text) == 2:
        year += 2000 if 2000 + year <= today.year else 1900
    return f"{year:04d}-{int(month):02d}-{int(day):02d}"


def read_cell(definition: FieldDefinition, text: str, order: DateOrder, today: dt.date) -> object:
    """Turn one cell into what :meth:`FieldSchema.validate` takes for ``definition``.

    .. versionadded:: 0.1.0
    """
    kind = definition.type
    if kind is FieldType.PHONE_LIST:
        return [part for part in _PHONE_SPLIT.split(text) if part.strip()]
    if kind in (FieldType.TAGS, FieldType.MULTI_CHOICE):
        parts = [part for part in _LIST_SPLIT.split(text) if part.strip()]
        # Google Contacts adds system labels ("* myContacts", "* starred").
        parts = [part for part in parts if not part.startswith("* ")]
        if kind is FieldType.MULTI_CHOICE:
            return [_choice(definition, part) for part in parts]
        return parts
    if kind in (FieldType.DATE, FieldType.PARTIAL_DATE):
        return read_date(text, order, today)
    if kind is FieldType.CHOICE:
        return _choice(definition, text)
    if kind is FieldType.COUNTRY:
        return _COUNTRY_NAMES.get(normalise_header(text), text)
    return text


def _choice(definition: FieldDefinition, text: str) -> str:
    wanted = normalise_header(text)
    for choice in definition.choices:
        names = [choice.value, *choice.labels.values()]
        if any(normalise_header(name) == wanted for name in names):
            return choice.value
    if definition.key == "gender" and wanted in _GENDER_LETTERS:
        return _GENDER_LETTERS[wanted]
    return text


def read_consent(text: str) -> bool | None:
    """Read a consent cell: ``True`` for yes, ``False`` for no, ``None`` for anything else.

    .. versionadded:: 0.1.0
    """
    word = normalise_header(text)
    if word in _YES:
        return True
    if word in _NO:
        return False
    return None


_JOINED: Final = {"first_name": " ", "last_name": " ", "street": ", ", "notes": "\n"}


@attrs.frozen
class MappedRow:
    """One row read through a mapping: field values, consent statements, what was left out.

    .. versionadded:: 0.1.0
    """

    values: dict[str, object]
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
        value = read_cell(definition, text, order, today)
        if isinstance(value, list):
            collected.setdefault(target, []).extend(value)
        elif value != "":
            collected.setdefault(target, []).append(value)
    values, warnings = _combine(collected, schema)
    return MappedRow(values, consent, tuple(issues), tuple(warnings))


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


def cell_text(value: object) -> str:
    """Write a spreadsheet cell's value (number, date, bool, text) as import text.

    .. versionadded:: 0.1.0
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, int | Decimal):
        return str(value)
    return str(value)
