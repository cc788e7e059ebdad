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
import re
from collections.abc import Callable
from typing import Final

import phonenumbers
from phonenumbers import (
    NumberParseException,
    PhoneMetadata,
    PhoneNumberFormat,
    PhoneNumberType,
    phonenumberutil,
)

from clientcard.errors import InvalidValueError

__all__ = [
    "PhoneKind",
    "compact",
    "forget_kinds",
    "format_international",
    "format_national",
    "is_mobile",
    "is_valid",
    "kind",
    "lookup_form",
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
_MOBILE: Final = frozenset({PhoneKind.MOBILE, PhoneKind.FIXED_LINE_OR_MOBILE})


def compact(raw: str) -> str:
    """Strip the separators people type (spaces, dots, dashes, brackets, slashes)."""
    return _SEPARATORS.sub("", raw.strip())


def _read(raw: object, region: str) -> phonenumbers.PhoneNumber:
    """Parse what someone typed, refusing letters and overlong input; not yet validated."""
    if not isinstance(raw, str):
        raise InvalidValueError("phone.invalid")
    text = raw.strip()
    if not text or len(text) > MAX_INPUT_LENGTH or not _ALLOWED.fullmatch(text):
        raise InvalidValueError("phone.invalid")
    try:
        number = phonenumbers.parse(compact(text), region.upper())
    except NumberParseException:
        raise InvalidValueError("phone.invalid") from None
    return number


# "+44 (0)20 ..." and "+39 (0)339 ...": the trunk prefix written in brackets after the
# country code, to be dialled only from inside the country.
_TRUNK: Final = re.compile(r"^\s*((?:\+|00)\s*\d{1,3})[\s.\-/]*\(\s*0\s*\)")


def _parse(raw: object, region: str) -> tuple[phonenumbers.PhoneNumber, PhoneKind]:
    """Parse and validate what someone typed; return the number and its kind of line.

    A bracketed trunk prefix after the country code is left out; where the country
    keeps it in international numbers (Italy's landlines: ``+39 (0)2 ...``), it is
    read as written.
    """
    if isinstance(raw, str) and len(raw) <= MAX_INPUT_LENGTH and (trunk := _TRUNK.match(raw)):
        rest = raw[trunk.end() :]
        try:
            return _checked(_read(f"{trunk[1]} {rest}", region))
        except InvalidValueError:
            return _checked(_read(f"{trunk[1]} 0{rest}", region))
    return _checked(_read(raw, region))


def _checked(number: phonenumbers.PhoneNumber) -> tuple[phonenumbers.PhoneNumber, PhoneKind]:
    line_type = _line_type(number)
    if line_type == PhoneNumberType.UNKNOWN:
        raise InvalidValueError("phone.invalid")
    return number, _KINDS.get(line_type, PhoneKind.OTHER)


# phonenumbers' own classification against one region's patterns. It is not public, so
# the public number_type stands in where a release lacks it; the tests compare the two.
_type_for_metadata: Final[Callable[[str, PhoneMetadata], int] | None] = getattr(
    phonenumberutil, "_number_type_helper", None
)


def _line_type(number: phonenumbers.PhoneNumber) -> int:
    """``phonenumbers.number_type``, classifying the number once rather than twice.

    A calling code shared by several regions (+39 by Italy and the Vatican, +1, +44)
    makes ``number_type`` (and ``is_valid_number``) first find the number's region by
    classifying it against each region's patterns, then classify it again against the
    region found. The first classification already tells. Regions found by their
    leading digits alone are classified once, as there. The answer is the same for
    every number (``tests/unit/test_phone.py`` compares the two on every region's example
    numbers and on random ones).

    Validity and kind come from this one pass: a number is valid exactly when its type
    is known, so a card's phones are sorted mobile first without being read again.
    """
    code = number.country_code or 0
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code)
    if not regions:
        return PhoneNumberType.UNKNOWN
    if len(regions) == 1 or _type_for_metadata is None:
        return phonenumbers.number_type(number)
    national = phonenumbers.national_significant_number(number)
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if re.match(metadata.leading_digits, national):
                return _type_for_metadata(national, metadata)
        else:
            line_type = _type_for_metadata(national, metadata)
            if line_type != PhoneNumberType.UNKNOWN:
                return line_type
    return PhoneNumberType.UNKNOWN


def normalize(raw: object, region: str = "IT", *, require_mobile: bool = False) -> str:
    """Return the number in E.164 (``+393331234567``).

    ``region`` is the business's default region (ISO 3166 alpha-2) for numbers typed
    without a country prefix. With ``require_mobile``, a number that can't receive SMS
    is refused with ``phone.not_mobile``. The number's :func:`kind` comes with it, and
    is remembered for the card it goes on.

    :raises InvalidValueError: ``phone.invalid`` or ``phone.not_mobile``.
    """
    number, line = _parse(raw, region)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    _remember_kind(e164, line)
    if require_mobile and line not in _MOBILE:
        raise InvalidValueError("phone.not_mobile")
    return e164


def lookup_form(raw: object, region: str = "IT") -> str:
    """Return the E.164 form of what someone typed, to look up numbers already stored.

    The same text :func:`normalize` returns for a real number, without checking that the
    numbering plan has such a number: a number that matches a stored one is as real as
    it was when it was stored, so a lookup checks only when nothing matched. Never store
    what this returns.

    .. versionadded:: 0.1.0

    :raises InvalidValueError: ``phone.invalid``: letters, overlong input, or text that
        can't be read as a number at all.
    """
    return phonenumbers.format_number(_read(raw, region), PhoneNumberFormat.E164)


def is_valid(raw: object, region: str = "IT") -> bool:
    """Tell whether ``raw`` is a valid phone number in ``region``, without raising."""
    try:
        _parse(raw, region)
    except InvalidValueError:
        return False
    return True


_KIND_MEMORY: Final = 4096
# The kinds of the numbers classified last.
_kinds: dict[str, PhoneKind] = {}


def _remember_kind(e164: str, line: PhoneKind) -> None:
    """Tell :func:`kind` what a normalised number's kind is, as found elsewhere.

    An import classifies numbers in worker processes; this process then needn't read
    them again to sort a card's phones or decide its permissions.
    """
    if len(_kinds) >= _KIND_MEMORY:
        # Forget them all rather than the oldest: a dict emptied from the front makes
        # every next look for the oldest step over the holes (a tenth of an import's
        # time), and the numbers asked about are nearly always the ones just read.
        _kinds.clear()
    _kinds[e164] = line


def forget_kinds() -> None:
    """Forget every remembered kind (an erasure leaves no number of the client behind).

    .. versionadded:: 0.1.0
    """
    _kinds.clear()


def kind(e164: str) -> PhoneKind:
    """Tell what kind of line a normalised number is (``OTHER`` for one that isn't).

    The last few thousand answers are remembered: consent decisions ask it for every
    purpose and channel, and a card asks it of the numbers :func:`normalize` just read.
    """
    found = _kinds.get(e164)
    if found is not None:
        return found
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        # Cards read from a host's own data may hold anything; asking is never an error.
        return PhoneKind.OTHER
    found = _KINDS.get(_line_type(number), PhoneKind.OTHER)
    _remember_kind(e164, found)
    return found


def is_mobile(e164: str) -> bool:
    """Tell whether a normalised number can be a mobile (and so may receive SMS)."""
    return kind(e164) in _MOBILE


def format_international(e164: str) -> str:
    """Format a normalised number for people abroad: ``+39 333 123 4567``."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def format_national(e164: str) -> str:
    """Format a normalised number as dialled inside its country: ``333 123 4567``."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
