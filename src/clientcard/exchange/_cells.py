"""Reading the cells of an import file: dates, choices, countries, yes and no.

What :func:`~clientcard.exchange.mapping.apply_mapping` and the readers use to turn the
text of one cell (or a spreadsheet's typed value) into what the field schema validates.
The public names are re-exported by :mod:`clientcard.exchange.mapping`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Final, Literal

from clientcard.cards.schema import FieldDefinition, FieldType
from clientcard.contact.name import fold

__all__ = [
    "COUNTRY_NAMES",
    "DateOrder",
    "cell_text",
    "normalise_header",
    "read_cell",
    "read_consent",
    "read_date",
]

DateOrder = Literal["dmy", "mdy"]
"""How ``03/04/1985`` is read: day first (Europe) or month first (United States)."""

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


COUNTRY_NAMES: Final = {
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
"""Country names as files write them (folded), to their ISO code."""

_GENDER_LETTERS: Final = {"f": "female", "m": "male", "v": "female", "w": "female", "x": "other"}

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
        return COUNTRY_NAMES.get(normalise_header(text), text)
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
