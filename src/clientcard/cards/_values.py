"""The value types a client card is made of: status, gender, birth date, address, invoicing.

Each is an immutable value; ``repr()`` of a birth date, an address or invoicing data
shows no value, so none leaks into a log line or a traceback.
:mod:`clientcard.cards.card` re-exports them all.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from decimal import Decimal
from typing import Final, TypeAlias

import attrs

__all__ = [
    "BirthDate",
    "CardStatus",
    "CustomValue",
    "FieldValue",
    "Gender",
    "Invoicing",
    "PostalAddress",
]


class CardStatus(enum.Enum):
    """Where a client stands with the business.

    .. versionadded:: 0.1.0
    """

    ACTIVE = "active"
    """A client of the business."""
    PROSPECT = "prospect"
    """Someone who reached out (a booking widget, a contact form) but never booked."""


class Gender(enum.Enum):
    """A client's gender, when they chose to tell it; unset by default.

    .. versionadded:: 0.1.0
    """

    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    OTHER = "other"


_PARTIAL_DATE: Final = re.compile(r"--(\d{2})-(\d{2})")
_FULL_DATE: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _check_day(instance: BirthDate, _attr: object, day: int) -> None:
    # A leap year makes every day valid, so 29 February without a year is kept.
    dt.date(instance.year or 2000, instance.month, day)


@attrs.frozen(repr=False, order=False)
class BirthDate:
    """A birth date, possibly day and month only.

    Day and month are all birthday greetings need; minimisation says to keep no more
    unless the business needs the year. Written as ISO 8601: ``1985-12-10`` with a year,
    ``--12-10`` without one (the vCard form).

    >>> BirthDate.parse("--02-29").iso()
    '--02-29'

    .. versionadded:: 0.1.0
    """

    month: int = attrs.field(validator=[attrs.validators.ge(1), attrs.validators.le(12)])
    day: int = attrs.field(validator=_check_day)
    year: int | None = None

    @classmethod
    def parse(cls, text: str) -> BirthDate:
        """Read ``YYYY-MM-DD`` or ``--MM-DD``.

        :raises ValueError: the text is neither form, or names no real day.
        """
        if match := _PARTIAL_DATE.fullmatch(text):
            return cls(month=int(match[1]), day=int(match[2]))
        if match := _FULL_DATE.fullmatch(text):
            return cls(year=int(match[1]), month=int(match[2]), day=int(match[3]))
        raise ValueError("expected YYYY-MM-DD or --MM-DD")

    @classmethod
    def from_date(cls, value: dt.date) -> BirthDate:
        """Make a full birth date from a :class:`datetime.date`."""
        return cls(year=value.year, month=value.month, day=value.day)

    def iso(self) -> str:
        """Return ``YYYY-MM-DD``, or ``--MM-DD`` when the year is unknown."""
        if self.year is None:
            return f"--{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def as_date(self) -> dt.date | None:
        """Return the full date, or ``None`` when the year is unknown."""
        if self.year is None:
            return None
        return dt.date(self.year, self.month, self.day)

    def age_on(self, day: dt.date) -> int | None:
        """Return the age in whole years on ``day``, or ``None`` without a year."""
        if self.year is None:
            return None
        before_birthday = (day.month, day.day) < (self.month, self.day)
        return day.year - self.year - int(before_birthday)

    def is_birthday(self, day: dt.date) -> bool:
        """Tell whether ``day`` is the birthday (28 February for 29 February in other years)."""
        if (self.month, self.day) == (2, 29) and not _is_leap(day.year):
            return (day.month, day.day) == (2, 28)
        return (day.month, day.day) == (self.month, self.day)

    def __repr__(self) -> str:
        return "BirthDate(<masked>)"


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


@attrs.frozen(repr=False)
class PostalAddress:
    """A postal address; every part is optional and already normalised.

    .. versionadded:: 0.1.0
    """

    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None
    """ISO 3166-1 alpha-2 code."""

    def is_empty(self) -> bool:
        """Tell whether no part of the address is set."""
        return not any((self.street, self.postcode, self.city, self.country))

    def __repr__(self) -> str:
        return "PostalAddress(<masked>)"


@attrs.frozen(repr=False)
class Invoicing:
    """What an Italian e-invoice needs: a PEC address and an SDI recipient code.

    .. versionadded:: 0.1.0
    """

    pec: str | None = None
    sdi_code: str | None = None

    def __repr__(self) -> str:
        return "Invoicing(<masked>)"


CustomValue: TypeAlias = str | bool | Decimal | dt.date | BirthDate | tuple[str, ...]
"""The value of a custom field, as its field type normalises it."""

FieldValue: TypeAlias = CustomValue | Gender | None
"""The value behind any field key; ``None`` means unset."""
