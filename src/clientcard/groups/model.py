"""Client groups: the segments a business defines, and what their members get.

A card's ``client_group`` holds a group *key*; a :class:`ClientGroup` is the business's
definition of that key: a label to show, a description, and the benefits of belonging
(a discount percentage, services included). The groups service
(:class:`~clientcard.groups.service.GroupService`, ``book.business(id).groups``) keeps
the definitions as records (``add``, ``list``) and moves clients between groups one by
one (``assign``) or in bulk (``move``), refusing keys that are not defined.

>>> from decimal import Decimal
>>> from clientcard.money import Money
>>> gold = ClientGroup.create(key=" Gold ", label="Gold members", discount_percent="10",
...                           included_services=["hair wash"])
>>> gold.key, str(gold.discounted(Money.of("45", "EUR"))), gold.includes("hair wash")
('gold', '40.50 EUR', True)

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import attrs

from clientcard.contact.name import normalize_text
from clientcard.errors import FieldIssue, InvalidValueError, ValidationError
from clientcard.locale import DEFAULT_LANGUAGE, message
from clientcard.money import Money

__all__ = [
    "GROUP_DOCUMENT_VERSION",
    "GROUP_KEY_PATTERN",
    "GROUP_KIND",
    "ClientGroup",
    "GroupMove",
    "normalise_group_key",
]

GROUP_KIND: Final = "client_group"
"""The record kind of a group definition (its id and key: the group key)."""

GROUP_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` of client group records' documents."""

GROUP_KEY_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
"""A group key: lower-case letters, digits, ``-`` and ``_``, at most 40 long."""

_MAX_LABEL: Final = 100
_MAX_DESCRIPTION: Final = 1000
_MAX_SERVICE: Final = 100
_HUNDRED: Final = Decimal(100)


def normalise_group_key(raw: object) -> str:
    """Return a group key as stored: trimmed and lower-cased.

    >>> normalise_group_key(" VIP ")
    'vip'

    :raises InvalidValueError: ``group.key_invalid``.
    """
    if not isinstance(raw, str):
        raise InvalidValueError("group.key_invalid")
    key = raw.strip().lower()
    if not GROUP_KEY_PATTERN.fullmatch(key):
        raise InvalidValueError("group.key_invalid")
    return key


def _percent(raw: object) -> Decimal | None:
    if raw is None or isinstance(raw, Decimal):
        return raw
    if isinstance(raw, bool | float) or not isinstance(raw, int | str):
        return Decimal("NaN")
    try:
        return Decimal(raw)
    except InvalidOperation:
        return Decimal("NaN")


def _issues(values: Mapping[str, Any], lang: str) -> list[FieldIssue]:
    def issue(field: str, code: str) -> FieldIssue:
        return FieldIssue(field, code, message(code, lang))

    found = []
    key = values["key"]
    if not isinstance(key, str) or not GROUP_KEY_PATTERN.fullmatch(key):
        found.append(issue("key", "group.key_invalid"))
    label = values["label"]
    if not isinstance(label, str) or not label or len(label) > _MAX_LABEL:
        found.append(issue("label", "group.label_invalid"))
    description = values["description"]
    if not isinstance(description, str) or len(description) > _MAX_DESCRIPTION:
        found.append(issue("description", "group.description_invalid"))
    percent = values["discount_percent"]
    if percent is not None and not (percent.is_finite() and 0 < percent <= _HUNDRED):
        found.append(issue("discount_percent", "group.discount_invalid"))
    services = values["included_services"]
    if any(not isinstance(item, str) or not item or len(item) > _MAX_SERVICE for item in services):
        found.append(issue("included_services", "group.service_invalid"))
    return found


def _services(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(items)))


@attrs.frozen(kw_only=True)
class ClientGroup:
    """A client group a business defines: its key, label and members' benefits.

    ``discount_percent`` comes off the price of whatever a member buys (``None``: no
    discount); ``included_services`` are services members get as part of the group.

    :raises ValidationError: with every issue (``group.key_invalid``, ...).

    .. versionadded:: 0.1.0
    """

    key: str
    label: str
    description: str = ""
    discount_percent: Decimal | None = attrs.field(default=None, converter=_percent)
    included_services: tuple[str, ...] = attrs.field(default=(), converter=_services)

    def __attrs_post_init__(self) -> None:
        issues = _issues(attrs.asdict(self, recurse=False), DEFAULT_LANGUAGE)
        if issues:
            raise ValidationError(issues)

    @classmethod
    def create(
        cls,
        *,
        key: str,
        label: str,
        description: str = "",
        discount_percent: Decimal | int | str | None = None,
        included_services: Iterable[str] = (),
        lang: str = DEFAULT_LANGUAGE,
    ) -> ClientGroup:
        """Make a group from what was typed: key normalised, texts cleaned.

        :raises ValidationError: with every issue, in ``lang``.
        """
        try:
            clean_key: object = normalise_group_key(key)
        except InvalidValueError:
            clean_key = None
        values: dict[str, Any] = {
            "key": clean_key,
            "label": _text(label, _MAX_LABEL),
            "description": _text(description, _MAX_DESCRIPTION, multiline=True),
            "discount_percent": _percent(discount_percent),
            "included_services": [_text(item, _MAX_SERVICE) for item in included_services],
        }
        issues = _issues(values, lang)
        if issues:
            raise ValidationError(issues)
        values["included_services"] = _services(values["included_services"])
        return cls(**values)

    def discounted(self, price: Money) -> Money:
        """``price`` after the group's discount (the price itself without one)."""
        if self.discount_percent is None:
            return price
        return price - Money(price.amount * self.discount_percent / _HUNDRED, price.currency)

    def includes(self, service: str) -> bool:
        """Whether members get ``service`` as part of the group."""
        return service in self.included_services


def _text(raw: object, limit: int, *, multiline: bool = False) -> str | None:
    try:
        return normalize_text(raw, limit, multiline=multiline)
    except InvalidValueError:
        return None


@attrs.frozen
class GroupMove:
    """What a bulk move of clients between groups did, card by card (ids only).

    :param moved: cards now in the target group.
    :param unchanged: cards that were already in it.
    :param conflicts: cards changed since the caller read them (not moved).
    :param missing: ids with no card in the business.

    .. versionadded:: 0.1.0
    """

    group: str | None
    moved: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
