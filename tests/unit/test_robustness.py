"""Every contact validator, fed junk, answers with the library's own error or a value."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.contact import address, email, name, phone, tax
from clientcard.errors import InvalidValueError

VALIDATORS: dict[str, Callable[[object], object]] = {
    "phone": lambda v: phone.normalize(v, "IT"),
    "mobile": lambda v: phone.normalize(v, "NL", require_mobile=True),
    "email": email.normalize,
    "name": name.normalize,
    "text": lambda v: name.normalize_text(v, 50),
    "tax_code": tax.normalize_tax_code,
    "sdi_code": tax.normalize_sdi_code,
    "pec": tax.normalize_pec,
    "country": address.normalize_country,
    "postcode_nl": lambda v: address.normalize_postcode(v, "NL"),
    "postcode_any": lambda v: address.normalize_postcode(v, None),
}
JUNK: list[object] = [None, "", " ", "€", "\x00", object(), 42, 3.5, b"bytes", [], {}, "a" * 10_000]
# Free text may legitimately be empty (it clears the field) or hold a euro sign.
ACCEPTED = {("name", ""), ("name", " "), ("text", ""), ("text", " "), ("text", "€")}


@pytest.mark.parametrize("kind", VALIDATORS)
@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_raises_invalid_value_error(kind: str, junk: object) -> None:
    if isinstance(junk, str) and (kind, junk) in ACCEPTED:
        assert isinstance(VALIDATORS[kind](junk), str)
        return
    with pytest.raises(InvalidValueError):
        VALIDATORS[kind](junk)


@pytest.mark.parametrize("validator", VALIDATORS.values(), ids=VALIDATORS.keys())
@given(raw=st.one_of(st.text(), st.integers(), st.none(), st.binary()))
def test_random_input_never_raises_anything_else(
    validator: Callable[[object], object], raw: object
) -> None:
    with contextlib.suppress(InvalidValueError):
        validator(raw)
