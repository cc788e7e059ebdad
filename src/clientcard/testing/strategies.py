"""Hypothesis strategies for valid client data, for hosts' property tests and ours.

Every value drawn is already in the form clientcard keeps it (E.164 phones, normalised
e-mails, NFC names), so ``schema.validate`` accepts it unchanged.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import phonenumbers
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from stdnum.it import codicefiscale

from clientcard.cards.card import (
    BUILTIN_KEYS,
    BirthDate,
    CardStatus,
    ClientCard,
    CustomValue,
    Gender,
    Invoicing,
    PostalAddress,
)
from clientcard.contact import email as _email
from clientcard.contact import name as _name
from clientcard.locale import LANGUAGES

__all__ = [
    "REGIONS",
    "birth_dates",
    "cards",
    "custom_values",
    "emails",
    "names",
    "phone_numbers",
    "postal_addresses",
    "tax_codes",
    "timestamps",
]

REGIONS: Final[tuple[str, ...]] = ("IT", "NL", "GB", "DE", "FR", "ES", "BE", "US")
"""The regions phone numbers are drawn from by default."""

_LETTERS: Final = st.characters(categories=("Lu", "Ll", "Lo"), exclude_characters="\u0130")
# Any text but U+0000, which no card may hold (see ClientCard).
_CHARACTERS: Final = st.characters(codec="utf-8", exclude_characters="\x00")
_TEXT: Final = st.text(alphabet=_CHARACTERS, max_size=200)


def phone_numbers(
    regions: tuple[str, ...] = REGIONS, *, kind: int = PhoneNumberType.MOBILE
) -> st.SearchStrategy[str]:
    """Valid numbers of ``kind`` in E.164, varied from each region's example number."""

    def vary(region: str, tail: str) -> str | None:
        example = phonenumbers.example_number_for_type(region, kind)
        if example is None:
            return None
        national = str(example.national_number)
        candidate = phonenumbers.parse(
            f"+{example.country_code}{national[: -len(tail)]}{tail}", None
        )
        if not phonenumbers.is_valid_number(candidate):
            return None
        if phonenumbers.number_type(candidate) != phonenumbers.number_type(example):
            return None
        return phonenumbers.format_number(candidate, PhoneNumberFormat.E164)

    tails = st.text(alphabet="0123456789", min_size=1, max_size=4)
    return (
        st.builds(vary, st.sampled_from(regions), tails)
        .filter(lambda number: number is not None)
        .map(str)
    )


def emails() -> st.SearchStrategy[str]:
    """Normalised e-mail addresses, some with internationalised local parts."""
    atom = st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-",
        min_size=1,
        max_size=12,
    )
    local = st.one_of(
        st.lists(atom, min_size=1, max_size=3).map(".".join),
        st.text(alphabet="àèéìòùäöüß", min_size=1, max_size=6),
    )
    label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
    domain = st.builds(
        lambda labels, tld: ".".join([*labels, tld]),
        st.lists(label, min_size=1, max_size=2),
        st.sampled_from(("com", "it", "nl", "org", "eu", "co.uk")),
    )
    return st.builds(lambda lp, dom: _email.normalize(f"{lp}@{dom}"), local, domain)


def names() -> st.SearchStrategy[str]:
    """Normalised personal names in any script, with the punctuation real names have."""
    word = st.text(alphabet=_LETTERS, min_size=1, max_size=12)
    joiner = st.sampled_from((" ", "-", "'", " "))
    parts = st.lists(st.tuples(word, joiner), min_size=1, max_size=3)

    def build(items: list[tuple[str, str]]) -> str:
        text = "".join(w + j for w, j in items[:-1]) + items[-1][0]
        return _name.normalize(text[: _name.MAX_NAME_LENGTH])

    return st.builds(build, parts).filter(bool)


def birth_dates(*, today: dt.date = dt.date(2026, 1, 1)) -> st.SearchStrategy[BirthDate]:
    """Birth dates between 1900 and ``today``; about a third without a year."""
    full = st.dates(min_value=dt.date(1900, 1, 1), max_value=today).map(BirthDate.from_date)
    partial = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2000, 12, 31)).map(
        lambda d: BirthDate(month=d.month, day=d.day)
    )
    return st.one_of(full, full, partial)


def timestamps() -> st.SearchStrategy[dt.datetime]:
    """Timezone-aware UTC timestamps with microseconds."""
    return st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2100, 1, 1),
        timezones=st.just(dt.UTC),
    )


def custom_values() -> st.SearchStrategy[CustomValue]:
    """Any value a custom field can hold."""
    return st.one_of(
        st.text(alphabet=_CHARACTERS, max_size=50),
        st.booleans(),
        st.decimals(
            allow_nan=False, allow_infinity=False, places=2, min_value=-(10**6), max_value=10**6
        ),
        st.dates(),
        birth_dates(),
        st.lists(
            st.text(alphabet=_CHARACTERS, min_size=1, max_size=10), max_size=4, unique=True
        ).map(tuple),
    )


_WORDS: Final = st.text(alphabet=_LETTERS, min_size=1, max_size=30)


def tax_codes() -> st.SearchStrategy[str]:
    """Valid Italian personal tax codes (codice fiscale) with their check letter."""
    upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def build(parts: tuple[str, int, str, int, str, int]) -> str:
        letters, year, month, day, place, num = parts
        body = f"{letters}{year:02d}{month}{day:02d}{place}{num:03d}"
        return body + str(codicefiscale.calc_check_digit(body))

    return st.tuples(
        st.text(alphabet=upper, min_size=6, max_size=6),
        st.integers(0, 99),
        st.sampled_from("ABCDEHLMPRST"),
        st.one_of(st.integers(1, 28), st.integers(41, 68)),
        st.sampled_from(upper),
        st.integers(1, 999),
    ).map(build)


def postal_addresses() -> st.SearchStrategy[PostalAddress]:
    """Italian and Dutch addresses, some parts left out."""
    italian = st.builds(
        PostalAddress,
        street=st.none() | _WORDS,
        postcode=st.none() | st.from_regex(r"\d{5}", fullmatch=True),
        city=st.none() | _WORDS,
        country=st.just("IT"),
    )
    dutch = st.builds(
        PostalAddress,
        street=st.none() | _WORDS,
        postcode=st.none() | st.from_regex(r"[1-9]\d{3} [A-Z]{2}", fullmatch=True),
        city=st.none() | _WORDS,
        country=st.just("NL"),
    )
    return st.one_of(italian, dutch)


def cards(business_id: str | None = None) -> st.SearchStrategy[ClientCard]:
    """Valid client cards with every field exercised, at any version."""
    business = st.just(business_id) if business_id is not None else st.uuids().map(str)

    @st.composite
    def build(draw: st.DrawFn) -> ClientCard:
        created = draw(timestamps())
        updated = created + dt.timedelta(seconds=draw(st.integers(0, 10**8)))
        return ClientCard(
            id=str(draw(st.uuids())),
            business_id=draw(business),
            created_at=created,
            updated_at=updated,
            version=draw(st.integers(1, 10**6)),
            status=draw(st.sampled_from(CardStatus)),
            first_name=draw(names()),
            last_name=draw(st.one_of(st.just(""), names())),
            email=draw(st.none() | emails()),
            phones=tuple(draw(st.lists(phone_numbers(), max_size=3, unique=True))),
            address=draw(postal_addresses()),
            tax_code=draw(st.none() | tax_codes()),
            invoicing=Invoicing(
                pec=draw(st.none() | emails()),
                sdi_code=draw(st.none() | st.from_regex(r"[A-Z0-9]{7}", fullmatch=True)),
            ),
            birth_date=draw(st.none() | birth_dates()),
            gender=draw(st.none() | st.sampled_from(Gender)),
            weight_kg=draw(st.none() | st.decimals(1, 400, places=1)),
            height_cm=draw(st.none() | st.decimals(30, 272, places=0)),
            notes=draw(_TEXT),
            client_group=draw(st.none() | _WORDS),
            tags=tuple(draw(st.lists(_WORDS, max_size=4))),
            referral_source=draw(st.none() | _WORDS),
            education=draw(st.none() | _WORDS),
            profession=draw(st.none() | _WORDS),
            picture=draw(st.none() | st.uuids().map(lambda u: f"blob/{u}")),
            language=draw(st.none() | st.sampled_from(LANGUAGES)),
            custom=draw(
                st.dictionaries(
                    st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True).filter(
                        lambda key: key not in BUILTIN_KEYS
                    ),
                    custom_values(),
                    max_size=4,
                )
            ),
        )

    return build()
