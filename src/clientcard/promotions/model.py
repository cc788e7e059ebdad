"""Promotions and promo codes: what a business offers, and whether a client may use it.

The pure half of promotions; their service (``book.business(id).promotions``, see
:mod:`clientcard.promotions.service`) stores them as records and redeems codes
atomically (``add``, ``redeem``, ``active_for``).

A :class:`Promotion` is identified by its code, normalised by :func:`normalise_code`:
case, spaces, hyphens, dots and underscores don't matter, so ``"summer-24"`` and
``"SUMMER 24"`` are the same code. It is valid from ``valid_from`` (inclusive) until
``valid_until`` (exclusive), may be limited to client groups and to services, and may be
used a limited number of times overall and per client. :meth:`Promotion.refusal` says
why a redemption would be refused, as a machine code that :func:`refusal_error` turns
into a typed :class:`RedemptionRefusedError`.

>>> import datetime as dt
>>> start = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
>>> summer = Promotion.create(
...     code="summer-24", name="Summer", discount=Discount.percentage("15"),
...     valid_from=start, valid_until=start + dt.timedelta(days=92),
...     limit_per_client=1, created_at=start,
... )
>>> summer.code, str(summer.discount)
('SUMMER24', '15%')
>>> summer.refusal(at=start, group=None, service=None, used_total=0, used_by_client=1)
'promotion.client_limit_reached'
>>> str(summer.discount.apply(Money.of("40", "EUR")))
'34.00 EUR'

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

import attrs

from clientcard.contact.name import normalize_text
from clientcard.errors import ClientCardError, FieldIssue, InvalidValueError, ValidationError
from clientcard.locale import DEFAULT_LANGUAGE, message
from clientcard.money import Money

__all__ = [
    "CODE_PATTERN",
    "ClientLimitReachedError",
    "Discount",
    "NotEligibleError",
    "Promotion",
    "PromotionExhaustedError",
    "PromotionUnavailableError",
    "Redemption",
    "RedemptionRefusedError",
    "UnknownPromotionError",
    "is_valid_code",
    "normalise_code",
    "refusal_error",
]

CODE_PATTERN: Final = re.compile(r"[A-Z0-9]{3,32}")
"""A normalised promo code: 3 to 32 capital letters and digits."""

_SEPARATORS: Final = frozenset(" -_.")
_MAX_NAME: Final = 100
_MAX_SERVICE: Final = 100
_HUNDRED: Final = Decimal(100)


def normalise_code(raw: object) -> str:
    """Return the normalised form of a promo code as typed at a front desk.

    Compatibility characters are folded (NFKC), letters upper-cased, and spaces,
    hyphens, dots and underscores dropped.

    >>> normalise_code(" Summer-24 "), normalise_code("winter.2024"), normalise_code("ﬁve 5")
    ('SUMMER24', 'WINTER2024', 'FIVE5')

    :raises InvalidValueError: ``promotion.code_invalid`` for anything that does not
        leave 3 to 32 letters and digits.
    """
    if not isinstance(raw, str):
        raise InvalidValueError("promotion.code_invalid")
    folded = unicodedata.normalize("NFKC", raw).upper()
    compact = "".join(ch for ch in folded if ch not in _SEPARATORS and not ch.isspace())
    if not CODE_PATTERN.fullmatch(compact):
        raise InvalidValueError("promotion.code_invalid")
    return compact


def is_valid_code(raw: object) -> bool:
    """Tell whether ``raw`` normalises to a promo code."""
    try:
        normalise_code(raw)
    except InvalidValueError:
        return False
    return True


def _issue(field: str, code: str, lang: str) -> FieldIssue:
    return FieldIssue(field, code, message(code, lang))


@attrs.frozen
class Discount:
    """What a promotion takes off: a percentage or a fixed amount, exactly one of them.

    >>> str(Discount.fixed(Money.of("5", "EUR")).apply(Money.of("3", "EUR")))
    '0.00 EUR'

    .. versionadded:: 0.1.0
    """

    percent: Decimal | None = None
    """Between 0 (exclusive) and 100 (inclusive)."""
    amount: Money | None = None
    """A positive amount, in the currency of the prices it applies to."""

    def __attrs_post_init__(self) -> None:
        if not _discount_ok(self.percent, self.amount):
            raise ValidationError([_issue("discount", "promotion.discount_invalid", "en")])

    @classmethod
    def percentage(cls, percent: Decimal | int | str) -> Discount:
        """A discount of ``percent`` per cent of the price."""
        try:
            if isinstance(percent, bool | float):
                raise TypeError("a float has lost digits already")
            value = Decimal(percent)
        except (ArithmeticError, ValueError, TypeError):
            raise ValidationError(
                [_issue("discount", "promotion.discount_invalid", "en")]
            ) from None
        return cls(percent=value)

    @classmethod
    def fixed(cls, amount: Money) -> Discount:
        """A discount of a fixed ``amount``."""
        return cls(amount=amount)

    def off(self, price: Money) -> Money:
        """How much comes off ``price``: never more than the price itself.

        :raises MoneyError: ``money.currency_mismatch`` for a fixed amount in another
            currency than ``price``.
        """
        if self.percent is not None:
            cut = Money(price.amount * self.percent / _HUNDRED, price.currency)
        else:
            assert self.amount is not None  # noqa: S101 - the constructor guarantees one
            cut = self.amount
        return min(cut, price) if price.amount > 0 else Money.zero(price.currency)

    def apply(self, price: Money) -> Money:
        """The price after the discount (never below zero)."""
        return price - self.off(price)

    def __str__(self) -> str:
        if self.percent is not None:
            return f"{self.percent.normalize():f}%"
        return str(self.amount)


def _discount_ok(percent: object, amount: object) -> bool:
    if (percent is None) == (amount is None):
        return False
    if isinstance(percent, Decimal):
        return percent.is_finite() and 0 < percent <= _HUNDRED
    return isinstance(amount, Money) and amount.amount > 0


def _aware(value: object) -> bool:
    return isinstance(value, dt.datetime) and value.utcoffset() is not None


def _keys(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


def _promotion_issues(values: Mapping[str, Any], lang: str) -> list[FieldIssue]:
    """Every rule a promotion's values break (shared by the constructor and ``create``)."""
    issues = []
    code = values["code"]
    if not is_valid_code(code) or normalise_code(code) != code:
        issues.append(_issue("code", "promotion.code_invalid", lang))
    name = values["name"]
    if not isinstance(name, str) or not name or len(name) > _MAX_NAME:
        issues.append(_issue("name", "promotion.name_invalid", lang))
    valid_from, valid_until = values["valid_from"], values["valid_until"]
    if not _aware(valid_from) or not _aware(values["created_at"]):
        issues.append(_issue("valid_from", "promotion.window_invalid", lang))
    elif valid_until is not None and (not _aware(valid_until) or valid_until <= valid_from):
        issues.append(_issue("valid_until", "promotion.window_invalid", lang))
    for field in ("limit_per_client", "limit_total"):
        limit = values[field]
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < 1
        ):
            issues.append(_issue(field, "promotion.limit_invalid", lang))
    issues.extend(
        _issue(field, "promotion.item_invalid", lang)
        for field in ("groups", "services")
        if any(not item or len(item) > _MAX_SERVICE for item in values[field])
    )
    return issues


@attrs.frozen(kw_only=True)
class Promotion:
    """A promotion a business offers, identified by its normalised code.

    ``groups`` and ``services`` restrict it (empty: every client, every service);
    ``limit_per_client`` and ``limit_total`` cap its use (``None``: no cap). A retired
    promotion can't be redeemed; its code stays taken, so old redemptions keep
    pointing at the terms they were given under.

    Build one with :meth:`create`, which normalises what was typed.

    :raises ValidationError: with every issue (``promotion.code_invalid``, ...).

    .. versionadded:: 0.1.0
    """

    code: str
    name: str
    discount: Discount
    valid_from: dt.datetime
    created_at: dt.datetime
    valid_until: dt.datetime | None = None
    groups: tuple[str, ...] = attrs.field(default=(), converter=_keys)
    services: tuple[str, ...] = attrs.field(default=(), converter=_keys)
    limit_per_client: int | None = None
    limit_total: int | None = None
    retired: bool = False

    def __attrs_post_init__(self) -> None:
        issues = _promotion_issues(attrs.asdict(self, recurse=False), DEFAULT_LANGUAGE)
        if issues:
            raise ValidationError(issues)

    @classmethod
    def create(
        cls,
        *,
        code: str,
        name: str,
        discount: Discount,
        valid_from: dt.datetime,
        created_at: dt.datetime,
        valid_until: dt.datetime | None = None,
        groups: Iterable[str] = (),
        services: Iterable[str] = (),
        limit_per_client: int | None = None,
        limit_total: int | None = None,
        lang: str = DEFAULT_LANGUAGE,
    ) -> Promotion:
        """Make a promotion from what was typed: the code normalised, texts cleaned.

        :raises ValidationError: with every issue, in ``lang``.
        """
        try:
            clean_code = normalise_code(code)
        except InvalidValueError:
            clean_code = code
        try:
            clean_name = normalize_text(name, _MAX_NAME)
        except InvalidValueError:
            clean_name = ""
        values: dict[str, Any] = {
            "code": clean_code,
            "name": clean_name,
            "discount": discount,
            "valid_from": valid_from,
            "created_at": created_at,
            "valid_until": valid_until,
            "groups": _clean_items(groups),
            "services": _clean_items(services),
            "limit_per_client": limit_per_client,
            "limit_total": limit_total,
        }
        issues = _promotion_issues(values, lang)
        if issues:
            raise ValidationError(issues)
        return cls(**values)

    def refusal(
        self,
        *,
        at: dt.datetime,
        group: str | None,
        service: str | None,
        used_total: int,
        used_by_client: int,
    ) -> str | None:
        """Why a redemption at ``at`` would be refused, as a machine code; ``None`` if not.

        The checks run in this order: ``promotion.retired``, ``promotion.not_yet_valid``,
        ``promotion.expired``, ``promotion.group_not_eligible``,
        ``promotion.service_not_eligible`` (a promotion for some services needs one of
        them named), ``promotion.exhausted``, ``promotion.client_limit_reached``.
        """
        return self._refusal(at, group, service, used_total, used_by_client, check_service=True)

    def is_active_for(
        self, *, at: dt.datetime, group: str | None, used_total: int, used_by_client: int
    ) -> bool:
        """Whether a client in ``group`` could redeem it at ``at`` (for some service)."""
        refusal = self._refusal(at, group, None, used_total, used_by_client, check_service=False)
        return refusal is None

    def _refusal(
        self,
        at: dt.datetime,
        group: str | None,
        service: str | None,
        used_total: int,
        used_by_client: int,
        *,
        check_service: bool,
    ) -> str | None:
        if self.retired:
            return "promotion.retired"
        if at < self.valid_from:
            return "promotion.not_yet_valid"
        if self.valid_until is not None and at >= self.valid_until:
            return "promotion.expired"
        if self.groups and group not in self.groups:
            return "promotion.group_not_eligible"
        if check_service and self.services and service not in self.services:
            return "promotion.service_not_eligible"
        if self.limit_total is not None and used_total >= self.limit_total:
            return "promotion.exhausted"
        if self.limit_per_client is not None and used_by_client >= self.limit_per_client:
            return "promotion.client_limit_reached"
        return None


def _clean_items(items: Iterable[str]) -> tuple[str, ...]:
    cleaned = []
    for item in items:
        try:
            cleaned.append(normalize_text(item, _MAX_SERVICE))
        except InvalidValueError:
            cleaned.append("")
    return _keys(cleaned)


@attrs.frozen(kw_only=True)
class Redemption:
    """One use of a promotion by one client, with the terms it was given under.

    ``card_id`` is ``None`` once the client's card was erased and the redemption kept
    without identity (it still counts toward the promotion's overall limit).

    .. versionadded:: 0.1.0
    """

    id: str
    code: str
    card_id: str | None
    at: dt.datetime
    discount: Discount
    service: str | None = None
    appointment_id: str | None = None
    recorded_by: str = ""


class RedemptionRefusedError(ClientCardError):
    """A promo code could not be redeemed; :attr:`code` says why.

    Subclasses group the reasons; the message names the reason only, never the client.
    :meth:`text` gives it in another language::

        RedemptionRefusedError
        ├── UnknownPromotionError (also LookupError)  promotion.unknown
        ├── PromotionUnavailableError    promotion.retired / not_yet_valid / expired
        ├── NotEligibleError             promotion.group_not_eligible / service_not_eligible
        ├── PromotionExhaustedError      promotion.exhausted
        └── ClientLimitReachedError      promotion.client_limit_reached

    .. versionadded:: 0.1.0
    """

    def __init__(self, code: str, promotion: str | None = None) -> None:
        self.code = code
        self.promotion = promotion
        """The normalised promo code, when there is one."""
        super().__init__(f"{code}: {message(code)}")

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The reason, for people, in ``lang``."""
        return message(self.code, lang)


class UnknownPromotionError(RedemptionRefusedError, LookupError):
    """No promotion of the business has this code (or it is not a code at all).

    .. versionadded:: 0.1.0
    """

    def __init__(self, promotion: str | None = None) -> None:
        super().__init__("promotion.unknown", promotion)


class PromotionUnavailableError(RedemptionRefusedError):
    """The promotion is retired, not valid yet, or expired.

    .. versionadded:: 0.1.0
    """


class NotEligibleError(RedemptionRefusedError):
    """The client's group, or the service, is not one the promotion is for.

    .. versionadded:: 0.1.0
    """


class PromotionExhaustedError(RedemptionRefusedError):
    """The promotion has been used as many times as it may be, by everyone together.

    .. versionadded:: 0.1.0
    """


class ClientLimitReachedError(RedemptionRefusedError):
    """This client has used the promotion as many times as one client may.

    .. versionadded:: 0.1.0
    """


_REFUSALS: Final[dict[str, type[RedemptionRefusedError]]] = {
    "promotion.retired": PromotionUnavailableError,
    "promotion.not_yet_valid": PromotionUnavailableError,
    "promotion.expired": PromotionUnavailableError,
    "promotion.group_not_eligible": NotEligibleError,
    "promotion.service_not_eligible": NotEligibleError,
    "promotion.exhausted": PromotionExhaustedError,
    "promotion.client_limit_reached": ClientLimitReachedError,
}


def refusal_error(code: str, promotion: str | None = None) -> RedemptionRefusedError:
    """The typed error for a refusal ``code`` from :meth:`Promotion.refusal`.

    >>> type(refusal_error("promotion.expired")).__name__
    'PromotionUnavailableError'
    """
    if code == "promotion.unknown":
        return UnknownPromotionError(promotion)
    return _REFUSALS.get(code, RedemptionRefusedError)(code, promotion)
