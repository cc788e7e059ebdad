"""The values that cross the storage contract: queries, pages, cursors and checks.

:mod:`clientcard.storage.protocol` re-exports every name here; the contract itself
(:class:`~clientcard.storage.protocol.ClientStore`) is there.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Generic, TypeVar

import attrs

from clientcard.cards.card import CardStatus, ClientCard
from clientcard.contact.email import lookup_key
from clientcard.contact.name import fold
from clientcard.errors import FieldIssue, ValidationError

__all__ = [
    "CardQuery",
    "Page",
    "SearchTerms",
    "check_next_version",
    "check_one_business",
    "check_update_many",
    "decode_cursor",
    "encode_cursor",
    "sort_key",
]


T = TypeVar("T")


def _clean(value: str | None, normalise: Callable[[str], str]) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(normalise(value).split())
    return cleaned or None


def _name_term(value: str | None) -> str | None:
    return _clean(value, fold)


def _digit_term(value: str | None) -> str | None:
    return _clean(value, lambda text: "".join(ch for ch in text if ch in "0123456789"))


def _email_term(value: str | None) -> str | None:
    return _clean(value, lookup_key)


def _masked_repr(value: attrs.AttrsInstance) -> str:
    """Name the filters that are set, never their values: a query may sit in a log."""
    fields = attrs.fields(type(value))
    set_ = [field.name for field in fields if getattr(value, field.name) is not None]
    return f"{type(value).__name__}(<masked: {', '.join(set_) or 'nothing'}>)"


@attrs.frozen(repr=False)
class SearchTerms:
    """What a front-desk search box typed, already normalised by the service.

    Terms are normalised on construction (names folded, digits kept, e-mail keyed),
    so a store compares them as they are. A card matches when *any* given term matches:
    every word of ``name`` starts a word of the card's first or last name (accent- and
    case-insensitive: "de lu" finds "De Luca", "jose" finds "José"); ``phone_digits``
    start one of its numbers, with its country code or without ("3331234" finds
    +39 333 1234567); ``email`` starts its e-mail address's key
    (:func:`clientcard.contact.email.lookup_key`). Only the first
    eight distinct words of a name count. :meth:`ClientStore.search` ranks the matches.

    .. versionadded:: 0.1.0
    """

    name: str | None = attrs.field(default=None, converter=_name_term)
    phone_digits: str | None = attrs.field(default=None, converter=_digit_term)
    email: str | None = attrs.field(default=None, converter=_email_term)

    def is_empty(self) -> bool:
        """Tell whether no term is set (such a search matches nothing)."""
        return not (self.name or self.phone_digits or self.email)

    def __repr__(self) -> str:
        return _masked_repr(self)


@attrs.frozen(repr=False)
class CardQuery:
    """Filters for :meth:`ClientStore.find` and :meth:`ClientStore.count`; all must hold.

    ``email`` is an address's key (:func:`clientcard.contact.email.lookup_key`);
    ``phone`` an E.164 number; ``custom_field``/``custom_value`` select cards whose custom
    field equals the value (text, boolean or choice values); ``contactable`` is a
    ``(purpose, channel)`` pair the card's recorded permissions include.

    .. versionadded:: 0.1.0
    """

    search: SearchTerms | None = None
    email: str | None = None
    phone: str | None = None
    group: str | None = None
    tag: str | None = None
    status: CardStatus | None = None
    custom_field: str | None = None
    custom_value: str | bool | None = None
    contactable: tuple[str, str] | None = None
    guardian_id: str | None = None
    """Cards linked to this guardian's card."""
    id_prefix: str | None = None
    """Cards whose id starts with this text, compared exactly (as ``git`` takes a short
    commit id); the command line resolves a short id with it."""
    id_suffix: str | None = None
    """Cards whose id ends with this text, compared exactly: the random end of a
    time-ordered id tells apart cards made in the same moment."""
    source: str | None = None
    """Cards whose ``referral_source`` (how the client found the business) is this text,
    compared as stored."""

    def __repr__(self) -> str:
        return _masked_repr(self)

    def __attrs_post_init__(self) -> None:
        if (self.custom_field is None) != (self.custom_value is None):
            raise ValidationError(
                [
                    FieldIssue(
                        "custom_value",
                        "query.custom_pair",
                        "custom_field and custom_value go together",
                    )
                ]
            )


@attrs.frozen
class Page(Generic[T]):
    """One page of results and the cursor of the next one (``None`` on the last page).

    .. versionadded:: 0.1.0
    """

    items: tuple[T, ...]
    next_cursor: str | None = None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def check_next_version(card: ClientCard, expected_version: int) -> None:
    """Refuse an update whose card is not exactly one version past ``expected_version``.

    Two writers who both read version 1 must not both store a version 1 (or 7): the
    second would silently replace the first. Every store calls this before writing.

    :raises ValidationError: ``card.version_not_next``.
    """
    if card.version != expected_version + 1:
        raise ValidationError(
            [
                FieldIssue(
                    "version",
                    "card.version_not_next",
                    "an updated card must be one version past the version it replaces",
                )
            ]
        )


def check_one_business(cards: Sequence[ClientCard]) -> str | None:
    """Return the business of ``cards`` (``None`` when empty) for :meth:`ClientStore.add_many`.

    :raises ValidationError: ``card.mixed_businesses``.
    """
    owners = {card.business_id for card in cards}
    if len(owners) > 1:
        raise ValidationError(
            [
                FieldIssue(
                    "business_id", "card.mixed_businesses", "add_many takes one business's cards"
                )
            ]
        )
    return next(iter(owners), None)


def check_update_many(
    cards: Sequence[ClientCard], expected_versions: Mapping[str, int]
) -> str | None:
    """Check the arguments of :meth:`ClientStore.update_many`; return the cards' business.

    :raises ValidationError: ``card.mixed_businesses``; ``card.version_not_next`` for a
        card that is not one version past its expected one, or has none.
    """
    business_id = check_one_business(cards)
    seen: set[str] = set()
    for card in cards:
        expected = expected_versions.get(card.id)
        if expected is None or card.id in seen:
            raise ValidationError(
                [
                    FieldIssue(
                        "expected_versions",
                        "card.version_not_next",
                        "every card needs the one version it replaces",
                    )
                ]
            )
        seen.add(card.id)
        check_next_version(card, expected)
    return business_id


def sort_key(card: ClientCard) -> str:
    """The key cards are listed by: folded "last first" name, then the id breaks ties."""
    return fold(f"{card.last_name} {card.first_name}".strip())


def encode_cursor(key: str, card_id: str) -> str:
    """Make the opaque cursor that resumes a listing after (``key``, ``card_id``).

    The cursor carries the folded name of the last card listed (keyset paging needs
    it), so treat it as personal data: keep it in a request body or a session, not in
    a URL that web servers log.
    """
    raw = json.dumps([key, card_id], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """Read a cursor made by :func:`encode_cursor`.

    :raises ValidationError: ``query.cursor_invalid`` for anything else.
    """
    try:
        key, card_id = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        key = card_id = None
    if not isinstance(key, str) or not isinstance(card_id, str):
        raise ValidationError(
            [FieldIssue("cursor", "query.cursor_invalid", "not a cursor this store made")]
        )
    return key, card_id
