"""Money: an exact amount in one ISO 4217 currency, never a float.

:class:`Money` keeps a :class:`~decimal.Decimal` quantised to its currency's minor units
(two for EUR, none for JPY, three for KWD; halves round up, as tills do). Arithmetic is
defined only between amounts of the same currency; mixing currencies, or a float, raises
:class:`MoneyError` with a machine code instead of guessing. Documents hold amounts as
strings, so JSON never rounds them.

>>> price = Money.of("12.50", "eur")
>>> str(price * 2 - Money.of("5", "EUR"))
'20.00 EUR'
>>> Money.total([price, price], "EUR")
Money(amount=Decimal('25.00'), currency='EUR')
>>> Money.of("1000", "JPY") < Money.of("999.5", "JPY")
False

Source: ISO 4217 list one (active codes and their minor units), as published by SIX.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

import attrs

from clientcard.errors import ClientCardError
from clientcard.locale import message

__all__ = ["CURRENCIES", "Money", "MoneyError", "minor_units"]

_ZERO_DECIMALS: Final = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS: Final = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMALS: Final = "CLF UYW"
_TWO_DECIMALS: Final = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN"
    " BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB"
    " EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS"
    " KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN"
    " MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD"
    " SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS"
    " UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
)

CURRENCIES: Final[dict[str, int]] = {
    **dict.fromkeys(_TWO_DECIMALS.split(), 2),
    **dict.fromkeys(_ZERO_DECIMALS.split(), 0),
    **dict.fromkeys(_THREE_DECIMALS.split(), 3),
    **dict.fromkeys(_FOUR_DECIMALS.split(), 4),
}
"""Every accepted ISO 4217 code and its number of minor units (decimal places).

Funds and precious metals without minor units (XAU, XDR, ...) are not money a salon takes.
"""


class MoneyError(ClientCardError, ValueError):
    """An amount or currency is not usable, or two currencies were mixed.

    ``code`` is one of ``money.currency_invalid``, ``money.amount_invalid`` and
    ``money.currency_mismatch``; the message never repeats an amount.

    .. versionadded:: 0.1.0
    """

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"{code}: {message(code)}")


def minor_units(currency: str) -> int:
    """The decimal places of an ISO 4217 ``currency`` (upper case).

    >>> minor_units("EUR"), minor_units("JPY"), minor_units("KWD")
    (2, 0, 3)

    :raises MoneyError: ``money.currency_invalid`` for anything else.
    """
    return _units(currency)


def _units(currency: object) -> int:
    units = CURRENCIES.get(currency) if isinstance(currency, str) else None
    if units is None:
        raise MoneyError("money.currency_invalid")
    return units


def _check_currency(_instance: object, _attribute: object, value: str) -> None:
    _units(value)


def _as_decimal(value: object) -> Decimal:
    # A float has already lost the cents it was meant to hold; refuse it, like bool.
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise MoneyError("money.amount_invalid")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise MoneyError("money.amount_invalid") from None
    if not amount.is_finite():
        raise MoneyError("money.amount_invalid")
    return amount


@attrs.frozen(order=False)
class Money:
    """An exact amount of one currency; build it with :meth:`of` or :meth:`zero`.

    The constructor quantises ``amount`` to the currency's minor units (halves up), so
    ``Money(Decimal("9.999"), "EUR")`` is 10.00 EUR. ``+``, ``-`` and comparisons need the
    same currency; ``*`` takes an ``int``. ``str()`` gives ``"12.50 EUR"``.

    :raises MoneyError: an unknown currency, a float or a non-finite amount.

    .. versionadded:: 0.1.0
    """

    amount: Decimal = attrs.field(converter=_as_decimal)
    currency: str = attrs.field(validator=_check_currency)

    def __attrs_post_init__(self) -> None:
        exponent = Decimal(1).scaleb(-CURRENCIES[self.currency])
        quantised = self.amount.quantize(exponent, rounding=ROUND_HALF_UP)
        object.__setattr__(self, "amount", quantised)  # frozen: set once, before use

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """An amount in ``currency`` (any case), e.g. ``Money.of("12.50", "EUR")``."""
        return cls(_as_decimal(amount), currency.strip().upper())

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Nothing, in ``currency``."""
        return cls.of(0, currency)

    @classmethod
    def total(cls, items: Iterable[Money], currency: str) -> Money:
        """Add up ``items``, all in ``currency``; an empty total is zero.

        :raises MoneyError: ``money.currency_mismatch`` if one is in another currency.
        """
        result = cls.zero(currency)
        for item in items:
            result += item
        return result

    @classmethod
    def parse(cls, text: str) -> Money:
        """Read ``"12.50 EUR"`` (as :func:`str` writes it; ``"EUR 12.50"`` works too).

        :raises MoneyError: not an amount and a currency.
        """
        parts = text.split()
        if len(parts) != 2:
            raise MoneyError("money.amount_invalid")
        first, second = parts
        if first.upper() in CURRENCIES:
            return cls.of(second, first)
        return cls.of(first, second)

    @property
    def is_zero(self) -> bool:
        """Whether the amount is zero."""
        return self.amount == 0

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise MoneyError("money.currency_mismatch")
        if other.currency != self.currency:
            raise MoneyError("money.currency_mismatch")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
