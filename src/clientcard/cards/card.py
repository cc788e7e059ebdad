"""The client card: who a client is and how to reach them.

A :class:`ClientCard` is an immutable value. It is made from values a
:class:`~clientcard.cards.schema.FieldSchema` has validated (:meth:`ClientCard.create`) and
changed the same way (:meth:`ClientCard.apply`), which returns a new card with the
version bumped and the names of the fields that changed. Nothing here reads a clock or
touches storage: the caller passes the time.

Every field is addressed by a flat *key* (``first_name``, ``postcode``, ``pec``, or a
custom field's key), the same keys a field schema, a form and an import use.

``repr()`` of a card, an address or a birth date shows ids and which fields are set,
never their values, so a card in a log line or a traceback leaks nothing.

The constructor holds every card, however made (by :meth:`ClientCard.create`, read from a
store or a document, or built by a host), to the card's own rules: text where text
belongs, an e-mail address of an address's shape, phones in E.164, a version from 1 to
:data:`MAX_VERSION`, and no U+0000 or lone surrogate in any text. It does not re-run the
schema's validation (the e-mail's deliverability, a phone's numbering plan): values come
to a card validated.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

import attrs

from clientcard.cards._card_text import check_text
from clientcard.cards._values import (
    BirthDate,
    CardStatus,
    CustomValue,
    FieldValue,
    Gender,
    Invoicing,
    PostalAddress,
)
from clientcard.contact import phone as _phone
from clientcard.errors import FieldIssue, ValidationError
from clientcard.locale import message

__all__ = [
    "BUILTIN_KEYS",
    "IDENTITY_KEYS",
    "MAX_VERSION",
    "BirthDate",
    "CardStatus",
    "CardUpdate",
    "ClientCard",
    "CustomValue",
    "FieldValue",
    "Gender",
    "Invoicing",
    "PostalAddress",
]


def _freeze_custom(values: Mapping[str, CustomValue]) -> Mapping[str, CustomValue]:
    return MappingProxyType(dict(values))


def _sorted_unique(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


_ADDRESS_KEYS: Final = ("street", "postcode", "city", "country")
_INVOICING_KEYS: Final = ("pec", "sdi_code")
_DIRECT_KEYS: Final = (
    "first_name",
    "last_name",
    "email",
    "phones",
    "birth_date",
    "gender",
    "weight_kg",
    "height_cm",
    "tax_code",
    "notes",
    "client_group",
    "tags",
    "referral_source",
    "education",
    "profession",
    "picture",
    "language",
)

_READ_DIRECT: Final = operator.attrgetter(*_DIRECT_KEYS)
_READ_ADDRESS: Final = operator.attrgetter(*_ADDRESS_KEYS)
_READ_INVOICING: Final = operator.attrgetter(*_INVOICING_KEYS)
BUILTIN_KEYS: Final[frozenset[str]] = frozenset(_DIRECT_KEYS + _ADDRESS_KEYS + _INVOICING_KEYS)
"""The keys of the fields every card has; custom fields may not reuse them."""

IDENTITY_KEYS: Final[tuple[str, ...]] = ("first_name", "last_name", "email", "phones")
"""A card must keep at least one of these set, or nobody could tell who it is."""

_EMPTY_TEXT_KEYS: Final = frozenset({"first_name", "last_name", "notes"})

MAX_VERSION: Final = 2**63 - 1
"""The highest version a card may have: the largest integer the stores' columns keep."""

_E164: Final = re.compile(r"\+[1-9][0-9]{1,14}")


def _check_shapes(card: ClientCard) -> None:
    """Refuse a card whose contact details or version are not of their shape.

    Text fields were checked to hold text (:func:`check_text`, run first).
    """
    if type(card.phones) is not tuple or type(card.tags) is not tuple:
        raise TypeError("phones and tags must be tuples of text")
    version = card.version
    if type(version) is not int and (isinstance(version, bool) or not isinstance(version, int)):
        raise TypeError("version must be an integer")
    if not 1 <= version <= MAX_VERSION:
        raise ValueError(f"version must be from 1 to {MAX_VERSION}")
    email = card.email
    # The shape of an address (what email-validator's normal form always has): one "@"
    # between a local part and a domain, neither empty, no space or control character.
    # String methods rather than a pattern: every card read from a store passes here.
    if email is not None and not (
        email.count("@") == 1
        and 3 <= len(email) <= _MAX_EMAIL
        and email[0] != "@"
        and email[-1] != "@"
        and email.isprintable()
        and " " not in email
    ):
        raise ValueError("email is not an e-mail address")
    for number in card.phones:
        if _E164.fullmatch(number) is None:
            raise ValueError("phones must be E.164 numbers (+ and up to 15 digits)")


_MAX_EMAIL: Final = 320


@attrs.frozen(repr=False)
class ClientCard:
    """One client of one business.

    Build cards with :meth:`create` from validated values; reading one back from a
    store or a document uses the constructor directly. Phones are E.164, mobile numbers
    first; tags are sorted and unique; custom values are keyed by their field's key.

    .. versionadded:: 0.1.0
    """

    id: str
    business_id: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = 1
    status: CardStatus = CardStatus.ACTIVE
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    phones: tuple[str, ...] = ()
    # Frozen values, so one default instance is safely shared by every card.
    address: PostalAddress = PostalAddress()  # noqa: RUF009
    birth_date: BirthDate | None = None
    gender: Gender | None = None
    weight_kg: Decimal | None = None
    height_cm: Decimal | None = None
    tax_code: str | None = None
    invoicing: Invoicing = Invoicing()  # noqa: RUF009
    notes: str = ""
    client_group: str | None = None
    tags: tuple[str, ...] = attrs.field(default=(), converter=_sorted_unique)
    referral_source: str | None = None
    education: str | None = None
    profession: str | None = None
    picture: str | None = None
    """An opaque reference to the picture in the host's blob store."""
    language: str | None = None
    """The language the client reads messages and reports in (``en``, ``it``, ``nl``)."""
    custom: Mapping[str, CustomValue] = attrs.field(
        factory=dict, converter=_freeze_custom, hash=False
    )
    guardian_id: str | None = None
    """The card of a child's parent or guardian, who receives the service messages."""

    def __reduce__(self) -> tuple[Callable[..., ClientCard], tuple[object, ...]]:
        """Pickle the card as plain values: an import sends cards between processes.

        The read-only view of the custom values can't be pickled, and attrs' own way
        goes through Python, part by part; a chunk of an import's cards is read back
        in a fifth of the time.
        """
        values = list(_ALL_FIELDS(self))
        for at, (encode, _decode) in _SLOW_FIELDS:
            values[at] = encode(values[at])
        return _unpickled_card, tuple(values)

    @classmethod
    def create(
        cls,
        *,
        card_id: str,
        business_id: str,
        values: Mapping[str, FieldValue],
        at: dt.datetime,
        status: CardStatus = CardStatus.ACTIVE,
    ) -> ClientCard:
        """Make a new card at version 1 from validated ``values`` (flat keys).

        :raises ValidationError: ``card.no_identity`` when no name, e-mail or phone is set.
        """
        fields = _fields_from_values(_BLANK, values)
        card = cls(
            id=card_id,
            business_id=business_id,
            created_at=at,
            updated_at=at,
            status=status,
            **fields,
        )
        _check_identity(card)
        return card

    def apply(self, values: Mapping[str, FieldValue], *, at: dt.datetime) -> CardUpdate:
        """Return the card with ``values`` (flat keys) applied, and what changed.

        A value of ``None`` clears a field. When nothing changes the same card comes back
        with an empty ``changed``; otherwise the version goes up by one.

        :raises ValidationError: ``card.no_identity`` when the change would leave no name,
            e-mail or phone.
        """
        changed = frozenset(
            key for key, value in values.items() if _canonical(key, value) != self.value(key)
        )
        if not changed:
            return CardUpdate(card=self, previous=self, changed=frozenset())
        updated = attrs.evolve(
            self,
            version=self.version + 1,
            updated_at=at,
            **_fields_from_values(self, {key: values[key] for key in changed}),
        )
        _check_identity(updated)
        return CardUpdate(card=updated, previous=self, changed=changed)

    def with_status(self, status: CardStatus, *, at: dt.datetime) -> CardUpdate:
        """Return the card moved to ``status`` (a prospect who books becomes active)."""
        if status is self.status:
            return CardUpdate(card=self, previous=self, changed=frozenset())
        updated = attrs.evolve(self, status=status, version=self.version + 1, updated_at=at)
        return CardUpdate(card=updated, previous=self, changed=frozenset({"status"}))

    def with_guardian(self, guardian_id: str | None, *, at: dt.datetime) -> CardUpdate:
        """Return the card linked to (or, with ``None``, unlinked from) a guardian's card."""
        if guardian_id == self.guardian_id:
            return CardUpdate(card=self, previous=self, changed=frozenset())
        if guardian_id == self.id:
            raise ValidationError(
                [FieldIssue("guardian_id", "card.own_guardian", "a card can't guard itself")]
            )
        updated = attrs.evolve(
            self, guardian_id=guardian_id, version=self.version + 1, updated_at=at
        )
        return CardUpdate(card=updated, previous=self, changed=frozenset({"guardian_id"}))

    def value(self, key: str) -> FieldValue:
        """Return the value behind a field key (built-in or custom); ``None`` if unset."""
        if key in _ADDRESS_KEYS:
            raw: object = getattr(self.address, key)
        elif key in _INVOICING_KEYS:
            raw = getattr(self.invoicing, key)
        elif key in BUILTIN_KEYS:
            raw = getattr(self, key)
        else:
            return self.custom.get(key)
        # Read as stored: reading (and so repr) never parses or reorders anything.
        return None if raw in ("", ()) else raw  # type: ignore[return-value]

    def values(self) -> dict[str, FieldValue]:
        """Return every set field as flat key to value, built-in fields first.

        The same as :meth:`value` of every key, read in three sweeps rather than one
        dispatch per key: imports and duplicate checks ask it of every card.
        """
        read = (
            *zip(_DIRECT_KEYS, _READ_DIRECT(self), strict=True),
            *zip(_ADDRESS_KEYS, _READ_ADDRESS(self.address), strict=True),
            *zip(_INVOICING_KEYS, _READ_INVOICING(self.invoicing), strict=True),
        )
        found: dict[str, FieldValue] = {
            key: raw for key, raw in read if raw is not None and raw not in ("", ())
        }
        # A custom key that shadows a built-in one can't be reached by key (see value()).
        found.update(
            (key, custom)
            for key, custom in self.custom.items()
            if key not in BUILTIN_KEYS and _is_set(custom)
        )
        return found

    @property
    def display_name(self) -> str:
        """The name to show staff: first and last name, or ``""`` when neither is set."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def is_minor(self, today: dt.date, age_of_consent: int) -> bool:
        """Tell whether the client is under ``age_of_consent`` on ``today``.

        ``age_of_consent`` is the business's age of digital consent
        (:attr:`~clientcard.consent.ConsentPolicy.age_of_consent`): below it, no
        marketing reaches the client without a guardian's consent. A birthday without a
        year, or none, tells no age: ``False``.
        """
        if self.birth_date is None:
            return False
        age = self.birth_date.age_on(today)
        return age is not None and age < age_of_consent

    @property
    def mobile(self) -> str | None:
        """The first number that can receive SMS, or ``None``."""
        return next((number for number in self.phones if _phone.is_mobile(number)), None)

    def __attrs_post_init__(self) -> None:
        # The card's own checks, in one place rather than one validator per field: every
        # card read from a store passes here, and each validator is a call of its own.
        if self.created_at.utcoffset() is None:
            raise ValueError("created_at must be timezone-aware")
        if self.updated_at.utcoffset() is None:
            raise ValueError("updated_at must be timezone-aware")
        # Text where text belongs, and none holding what no store keeps (U+0000, a lone
        # surrogate); then contact details of their shape and a version a store keeps.
        check_text(self)
        _check_shapes(self)

    def __repr__(self) -> str:
        filled = ",".join(sorted(self.values()))
        return (
            f"ClientCard(id={self.id!r}, business_id={self.business_id!r}, "
            f"version={self.version}, status={self.status.value}, fields=[{filled}])"
        )


@attrs.frozen
class CardUpdate:
    """The outcome of changing a card: the new card, the old one, the keys that changed.

    .. versionadded:: 0.1.0
    """

    card: ClientCard
    previous: ClientCard
    changed: frozenset[str]

    @property
    def is_noop(self) -> bool:
        """Tell whether nothing changed (the card is the same object)."""
        return not self.changed


def _canonical(key: str, value: FieldValue) -> FieldValue:
    """Bring a value to the form the card keeps, so equal values compare equal."""
    if value in ("", ()):
        return None
    if key == "phones" and isinstance(value, tuple):
        unique = tuple(dict.fromkeys(value))
        return tuple(sorted(unique, key=lambda number: not _phone.is_mobile(number)))
    if key == "tags" and isinstance(value, tuple):
        return _sorted_unique(value)
    if key == "gender" and isinstance(value, str):
        return Gender(value)
    return value


def _fields_from_values(card: ClientCard, values: Mapping[str, FieldValue]) -> dict[str, Any]:
    """Turn flat key/values into ``attrs.evolve`` arguments for ``card``."""
    changes: dict[str, Any] = {}
    address: dict[str, Any] = {
        key: _canonical(key, values[key]) for key in _ADDRESS_KEYS if key in values
    }
    if address:
        changes["address"] = attrs.evolve(card.address, **address)
    invoicing: dict[str, Any] = {
        key: _canonical(key, values[key]) for key in _INVOICING_KEYS if key in values
    }
    if invoicing:
        changes["invoicing"] = attrs.evolve(card.invoicing, **invoicing)
    custom = dict(card.custom)
    for key, raw in values.items():
        if key in _ADDRESS_KEYS or key in _INVOICING_KEYS:
            continue
        value = _canonical(key, raw)
        if key in ("phones", "tags"):
            changes[key] = value or ()
        elif key in _EMPTY_TEXT_KEYS:
            changes[key] = value or ""
        elif key in BUILTIN_KEYS:
            changes[key] = value
        elif value is None:
            custom.pop(key, None)
        else:
            custom[key] = value  # type: ignore[assignment]
    if custom != dict(card.custom):
        changes["custom"] = custom
    return changes


def _is_set(value: object) -> bool:
    # A host may build a card whose custom values hold None (the type says they don't).
    return value is not None


def _check_identity(card: ClientCard) -> None:
    if not any(card.value(key) for key in IDENTITY_KEYS):
        raise ValidationError([FieldIssue("card", "card.no_identity", message("card.no_identity"))])


def _address_from(parts: tuple[str | None, ...]) -> PostalAddress:
    if parts == _NO_PARTS:
        return _NO_ADDRESS
    address = object.__new__(PostalAddress)
    for put, part in zip(_SET_ADDRESS, parts, strict=True):
        put(address, part)
    return address


def _invoicing_from(parts: tuple[str | None, ...]) -> Invoicing:
    if parts == _NO_PARTS[:2]:
        return _NO_INVOICING
    invoicing = object.__new__(Invoicing)
    for put, part in zip(_SET_INVOICING, parts, strict=True):
        put(invoicing, part)
    return invoicing


# Most cards have no address or invoicing data: theirs are the defaults, shared.
_NO_PARTS: Final = (None, None, None, None)
_NO_ADDRESS: Final = PostalAddress()
_NO_INVOICING: Final = Invoicing()
_SET_ADDRESS: Final = tuple(getattr(PostalAddress, name).__set__ for name in _ADDRESS_KEYS)
_SET_INVOICING: Final = tuple(getattr(Invoicing, name).__set__ for name in _INVOICING_KEYS)
# How each field that can't be pickled, or pickles slowly, is sent, and read back. The
# rest go as they are: timestamps, the status and the business id are the same objects
# on every card an import prepares, which pickle sends once for a whole chunk of cards.
_PICKLE: Final[dict[str, tuple[Callable[[Any], object], Callable[[Any], object]]]] = {
    "address": (_READ_ADDRESS, _address_from),
    "invoicing": (_READ_INVOICING, _invoicing_from),
    "custom": (dict, _freeze_custom),
}
_CARD_FIELDS: Final = tuple(field.name for field in attrs.fields(ClientCard))
# What ClientCard.create fills in: every field at its default.
_BLANK: Final = ClientCard(
    id="blank",
    business_id="blank",
    created_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
    updated_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
)
_ALL_FIELDS: Final = operator.attrgetter(*_CARD_FIELDS)
_SLOW_FIELDS: Final = tuple((_CARD_FIELDS.index(name), codec) for name, codec in _PICKLE.items())
# Each field's slot, set directly: a frozen card refuses setattr, and object.__setattr__
# looks the slot up by name every time.
_SET_FIELDS: Final = tuple(getattr(ClientCard, name).__set__ for name in _CARD_FIELDS)


def _filled(values: list[Any]) -> ClientCard:
    card = object.__new__(ClientCard)
    for put, value in zip(_SET_FIELDS, values, strict=True):
        put(card, value)
    return card


def _unpickled_card(*values: object) -> ClientCard:
    """A card from the values :meth:`ClientCard.__reduce__` pickled, as it was."""
    plain = list(values)
    for at, (_encode, decode) in _SLOW_FIELDS:
        plain[at] = decode(plain[at])
    return _filled(plain)
