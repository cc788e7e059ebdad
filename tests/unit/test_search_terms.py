"""What a front desk types, read as search terms: phone beginnings in any common writing."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.cards.search import search_terms

# Regions with the trunk prefix 0, whose numbers are often written "+CC (0)..." in
# international format.
REGIONS = ("GB", "DE", "CH", "AT", "NL", "BE")


@st.composite
def number_beginnings(draw: st.DrawFn) -> tuple[str, str, str]:
    """A region, a valid number's country code and national digits, and a cut of them."""
    region = draw(st.sampled_from(REGIONS))
    kind = draw(
        st.sampled_from(
            [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
        )
    )
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None
    national = str(example.national_number)
    cut = draw(st.integers(min_value=4, max_value=len(national) - 1))
    return region, str(example.country_code), national[:cut]


@given(number_beginnings(), st.sampled_from(["(0)", "(0) ", " (0)", "( 0 )"]))
def test_a_bracketed_trunk_prefix_after_the_country_code_is_not_searched_for(
    drawn: tuple[str, str, str], bracket: str
) -> None:
    region, country, beginning = drawn
    typed = f"+{country} {bracket}{beginning}"
    assert search_terms(typed, region).phone_digits == country + beginning


@given(number_beginnings())
def test_a_beginning_written_with_or_without_the_bracket_searches_the_same_digits(
    drawn: tuple[str, str, str],
) -> None:
    region, country, beginning = drawn
    plain = search_terms(f"+{country} {beginning}", region)
    bracketed = search_terms(f"+{country} (0){beginning}", region)
    assert bracketed.phone_digits == plain.phone_digits


@pytest.mark.parametrize(
    ("typed", "region", "digits"),
    [
        ("+39 (0)6 1234", "IT", "39061234"),
        ("+39 (0)2 8765", "IT", "39028765"),
        ("+378 (0)549 12", "SM", "378054912"),
    ],
)
def test_where_the_country_has_no_trunk_prefix_the_bracketed_zero_is_part_of_the_number(
    typed: str, region: str, digits: str
) -> None:
    # Italian landlines keep their 0 after +39, as whole numbers are read.
    assert search_terms(typed, region).phone_digits == digits


def test_a_name_with_a_bracketed_zero_stays_a_name() -> None:
    terms = search_terms("Anna (0)", "GB")
    assert terms.phone_digits is None
    assert terms.name is not None
