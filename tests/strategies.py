"""Raw input as people type it: valid values dressed in the noise real forms carry."""

from __future__ import annotations

import unicodedata

import phonenumbers
from hypothesis import strategies as st

from clientcard.testing.strategies import birth_dates, emails, names, phone_numbers, tax_codes

SEPARATORS = st.sampled_from([" ", "-", ".", "/", "  ", ""])


@st.composite
def typed_phones(draw: st.DrawFn) -> tuple[str, str]:
    """An E.164 number and the way someone typed it (spaced, dotted, with 00 or +)."""
    e164 = draw(phone_numbers())
    shown = phonenumbers.format_number(
        phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    parts = shown.split(" ")
    typed = parts[0]
    for part in parts[1:]:
        typed += draw(SEPARATORS) + part
    if draw(st.booleans()):
        typed = "00" + typed.removeprefix("+")
    return e164, f"{draw(st.sampled_from(['', ' ']))}{typed}{draw(st.sampled_from(['', ' ']))}"


@st.composite
def typed_emails(draw: st.DrawFn) -> tuple[str, str]:
    """A normalised address and a typed form: padded, its domain in random case."""
    clean = draw(emails())
    local, _, domain = clean.rpartition("@")
    cased = "".join(ch.upper() if draw(st.booleans()) else ch for ch in domain)
    return clean, f" {local}@{cased} "


@st.composite
def typed_names(draw: st.DrawFn) -> tuple[str, str]:
    """A normalised name and a typed form: decomposed (NFD), padded, spaces doubled."""
    clean = draw(names())
    noisy = unicodedata.normalize("NFD", clean).replace(" ", draw(st.sampled_from([" ", "  "])))
    return clean, f"  {noisy} "


@st.composite
def typed_forms(draw: st.DrawFn) -> dict[str, object]:
    """A staff form of built-in fields, every value valid but typed untidily."""
    form: dict[str, object] = {"first_name": draw(typed_names())[1]}
    optional = {
        "last_name": typed_names().map(lambda pair: pair[1]),
        "email": typed_emails().map(lambda pair: pair[1]),
        "phones": st.lists(typed_phones().map(lambda pair: pair[1]), min_size=1, max_size=3),
        "birth_date": birth_dates().map(lambda b: b.iso()),
        "weight_kg": st.decimals(1, 400, places=1).map(lambda d: str(d).replace(".", ",")),
        "tags": st.lists(st.sampled_from(["vip", "colour", "bride", "new"]), max_size=3).map(
            ", ".join
        ),
        "tax_code": tax_codes().map(lambda code: f" {code.lower()} "),
        "sdi_code": st.from_regex(r"[a-z0-9]{7}", fullmatch=True),
        "gender": st.sampled_from(["female", "male", "non_binary", "other"]),
        "city": names(),
        "notes": st.text(alphabet="abc \n", max_size=30),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            form[key] = draw(strategy)
    if draw(st.booleans()):
        form["country"] = "nl"
        form["postcode"] = draw(st.from_regex(r"[1-9][0-9]{3} ?[a-z]{2}", fullmatch=True))
    return form
