"""Phone numbers: parsed with phonenumbers, stored as E.164, shown nationally or not.

People type numbers every way: ``0612345678`` in the Netherlands, ``+39 333 123 4567``,
``0039 333 1234567``, ``07911 123456`` in Britain, with dots, dashes, slashes and brackets.
The business's default region decides what a number without a country prefix means.

>>> normalize("06-12345678", "NL")
'+31612345678'
>>> format_international("+31612345678")
'+31 6 12345678'
>>> format_national("+393331234567")
'333 123 4567'

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import enum
import functools
import re
from typing import Final

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from clientcard.errors import InvalidValueError

__all__ = [
    "PhoneKind",
    "compact",
    "format_international",
    "format_national",
    "is_mobile",
    "is_valid",
    "kind",
    "normalize",
]

MAX_INPUT_LENGTH: Final = 40
"""Longer input is refused before parsing: no real number, even with spacing, is longer."""

# Letters are refused rather than read as vanity numbers (1-800-FLOWERS): at a salon desk a
# letter in a phone field is a typo, and guessing would store a number nobody gave.
_ALLOWED: Final = re.compile(r"[0-9+\s().\-/\u00a0\u2010-\u2015]+")
_SEPARATORS: Final = re.compile(r"[\s().\-/\u00a0\u2010-\u2015]")


class PhoneKind(enum.Enum):
    """What kind of line a number is, as far as the numbering plan tells.

    .. versionadded:: 0.1.0
    """

    MOBILE = "mobile"
    FIXED_LINE = "fixed_line"
    FIXED_LINE_OR_MOBILE = "fixed_line_or_mobile"
    OTHER = "other"


_KINDS: Final = {
    PhoneNumberType.MOBILE: PhoneKind.MOBILE,
    PhoneNumberType.FIXED_LINE: PhoneKind.FIXED_LINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: PhoneKind.FIXED_LINE_OR_MOBILE,
}


def compact(raw: str) -> str:
    """Strip the separators people type (spaces, dots, dashes, brackets, slashes)."""
    return _SEPARATORS.sub("", raw.strip())


def _parse(raw: object, region: str) -> phonenumbers.PhoneNumber:
    if not isinstance(raw, str):
        raise InvalidValueError("phone.invalid")
    text = raw.strip()
    if not text or len(text) > MAX_INPUT_LENGTH or not _ALLOWED.fullmatch(text):
        raise InvalidValueError("phone.invalid")
    try:
        number = phonenumbers.parse(compact(text), region.upper())
    except NumberParseException:
        raise InvalidValueError("phone.invalid") from None
    if not _is_valid_number(number):
        raise InvalidValueError("phone.invalid")
    return number


def _is_valid_number(number: phonenumbers.PhoneNumber) -> bool:
    """``phonenumbers.is_valid_number``, without classifying the number twice.

    A calling code shared by several regions (+39 by Italy and the Vatican, +1, +44)
    makes ``is_valid_number`` first find the number's region by classifying it against
    each region's patterns, then classify it again against the region found. The first
    classification already tells: a region found that way is one the number is valid
    for. Regions found by their leading digits alone are still checked, as there.
    The answer is the same for every number (``tests/unit/test_phone.py`` compares the
    two on every region's example numbers and on random ones).
    """
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(number.country_code or 0)
    if not regions:
        return False
    if len(regions) == 1:
        return phonenumbers.is_valid_number_for_region(number, regions[0])
    national = phonenumbers.national_significant_number(number)
    for region in regions:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if re.match(metadata.leading_digits, national):
                return phonenumbers.is_valid_number_for_region(number, region)
        elif phonenumbers.is_valid_number_for_region(number, region):
            return True
    return False


def normalize(raw: object, region: str = "IT", *, require_mobile: bool = False) -> str:
    """Return the number in E.164 (``+393331234567``).

    ``region`` is the business's default region (ISO 3166 alpha-2) for numbers typed
    without a country prefix. With ``require_mobile``, a number that can't receive SMS
    is refused with ``phone.not_mobile``.

    :raises InvalidValueError: ``phone.invalid`` or ``phone.not_mobile``.
    """
    number = _parse(raw, region)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if require_mobile and not is_mobile(e164):
        raise InvalidValueError("phone.not_mobile")
    return e164


def is_valid(raw: object, region: str = "IT") -> bool:
    """Tell whether ``raw`` is a valid phone number in ``region``, without raising."""
    try:
        _parse(raw, region)
    except InvalidValueError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def kind(e164: str) -> PhoneKind:
    """Tell what kind of line a normalised number is (``OTHER`` for one that isn't).

    Answers are cached: consent decisions ask it for every purpose and channel.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        # Cards read from a host's own data may hold anything; asking is never an error.
        return PhoneKind.OTHER
    return _KINDS.get(phonenumbers.number_type(number), PhoneKind.OTHER)


def is_mobile(e164: str) -> bool:
    """Tell whether a normalised number can be a mobile (and so may receive SMS)."""
    return kind(e164) in (PhoneKind.MOBILE, PhoneKind.FIXED_LINE_OR_MOBILE)


def format_international(e164: str) -> str:
    """Format a normalised number for people abroad: ``+39 333 123 4567``."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def format_national(e164: str) -> str:
    """Format a normalised number as dialled inside its country: ``333 123 4567``."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
