"""Postal addresses: country codes and postcodes.

Countries are ISO 3166-1 alpha-2 codes, upper-cased. Postcodes are checked and formatted
for the countries whose salons use clientcard most; elsewhere any short alphanumeric code
is kept as typed, upper-cased, since a wrong guess would refuse a real address.

>>> normalize_postcode("1012ab", "NL")
'1012 AB'
>>> normalize_postcode("sw1a1aa", "GB")
'SW1A 1AA'

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

import phonenumbers

from clientcard.errors import InvalidValueError

__all__ = ["COUNTRIES", "is_valid_postcode", "normalize_country", "normalize_postcode"]

COUNTRIES: Final[frozenset[str]] = frozenset(
    region for region in phonenumbers.SUPPORTED_REGIONS if len(region) == 2
)
"""The ISO 3166-1 alpha-2 codes accepted as a country."""


def _digits(count: int) -> Callable[[str], str | None]:
    pattern = re.compile(rf"\d{{{count}}}")
    return lambda code: code if pattern.fullmatch(code) else None


def _split(pattern: str, sep: str) -> Callable[[str], str | None]:
    compiled = re.compile(pattern)

    def check(code: str) -> str | None:
        match = compiled.fullmatch(code)
        return sep.join(group for group in match.groups() if group) if match else None

    return check


_GB: Final = r"([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})"
_FORMATS: Final[dict[str, Callable[[str], str | None]]] = {
    "IT": _digits(5),
    "DE": _digits(5),
    "FR": _digits(5),
    "ES": _digits(5),
    "BE": _digits(4),
    "AT": _digits(4),
    "CH": _digits(4),
    "DK": _digits(4),
    "NL": _split(r"([1-9]\d{3})([A-Z]{2})", " "),
    "GB": _split(_GB, " "),
    "PT": _split(r"(\d{4})(\d{3})", "-"),
    "PL": _split(r"(\d{2})(\d{3})", "-"),
    "US": _split(r"(\d{5})(\d{4})?", "-"),
    "IE": _split(r"([AC-FHKNPRTV-Y]\d{2}|D6W)([AC-FHKNPRTV-Y\d]{4})", " "),
}
_GENERIC: Final = re.compile(r"[A-Z0-9][A-Z0-9 \-]{0,9}")


def normalize_country(raw: object) -> str:
    """Return the upper-case ISO 3166-1 alpha-2 code.

    :raises InvalidValueError: ``country.invalid``.
    """
    if not isinstance(raw, str) or raw.strip().upper() not in COUNTRIES:
        raise InvalidValueError("country.invalid")
    return raw.strip().upper()


def normalize_postcode(raw: object, country: str | None) -> str:
    """Return the postcode in the country's usual form (``1012 AB``, ``SW1A 1AA``).

    ``country`` may be ``None`` when the address has none yet; then only the generic
    shape is checked.

    :raises InvalidValueError: ``postcode.invalid``.
    """
    if not isinstance(raw, str) or len(raw) > 20:
        raise InvalidValueError("postcode.invalid")
    text = raw.strip().upper()
    check = _FORMATS.get(country.upper()) if country else None
    if check is None:
        if not _GENERIC.fullmatch(text):
            raise InvalidValueError("postcode.invalid")
        return " ".join(text.split())
    result = check(re.sub(r"[\s\-]", "", text))
    if result is None:
        raise InvalidValueError("postcode.invalid")
    return result


def is_valid_postcode(raw: object, country: str | None) -> bool:
    """Tell whether ``raw`` is a valid postcode for ``country``, without raising."""
    try:
        normalize_postcode(raw, country)
    except InvalidValueError:
        return False
    return True
