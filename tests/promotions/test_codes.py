"""Promo codes are case-insensitive and normalised the same way everywhere."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.errors import InvalidValueError
from clientcard.promotions.model import CODE_PATTERN, is_valid_code, normalise_code

CODES = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=3, max_size=32)
SEPARATORS = st.sampled_from([" ", "-", "_", ".", "\u00a0", "\t"])


@st.composite
def typed_forms(draw: st.DrawFn) -> tuple[str, str]:
    """A code and a way a person might type it: any case, separators anywhere."""
    code = draw(CODES)
    typed = ""
    for ch in code:
        typed += draw(st.sampled_from([ch, ch.lower()]))
        if draw(st.booleans()):
            typed += draw(SEPARATORS)
    return code, f"{draw(SEPARATORS)}{typed}"


class TestNormalising:
    def test_case_spaces_and_hyphens_do_not_matter(self) -> None:
        assert normalise_code("summer-24") == normalise_code(" SUMMER 24 ") == "SUMMER24"

    def test_full_width_characters_fold_to_ascii(self) -> None:
        assert normalise_code("\uff53\uff55\uff4e\uff11") == "SUN1"

    @pytest.mark.parametrize("raw", ["", "ab", "x" * 33, "café", "10%OFF", None, 42, "€€€€"])
    def test_what_does_not_leave_3_to_32_letters_and_digits_is_not_a_code(
        self, raw: object
    ) -> None:
        with pytest.raises(InvalidValueError) as caught:
            normalise_code(raw)
        assert caught.value.code == "promotion.code_invalid"
        assert not is_valid_code(raw)

    @given(typed_forms())
    def test_every_way_of_typing_a_code_normalises_to_it(self, case: tuple[str, str]) -> None:
        code, typed = case
        assert normalise_code(typed) == code

    @given(st.text(max_size=40))
    def test_normalising_is_idempotent_and_yields_the_pattern(self, raw: str) -> None:
        if is_valid_code(raw):
            code = normalise_code(raw)
            assert CODE_PATTERN.fullmatch(code)
            assert normalise_code(code) == code
            assert normalise_code(raw.lower()) == normalise_code(raw.upper()) or not raw.isascii()


@pytest.mark.parametrize("junk", [None, "€", object(), b"SUMMER", ["SUMMER"], 3.5])
def test_junk_is_never_a_code_or_a_group_key(junk: object) -> None:
    from clientcard.groups.model import normalise_group_key

    for normalise in (normalise_code, normalise_group_key):
        with pytest.raises(InvalidValueError):
            normalise(junk)
