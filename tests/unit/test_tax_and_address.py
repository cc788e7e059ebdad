from __future__ import annotations

import pytest
from hypothesis import given

from clientcard.contact import address, tax
from clientcard.errors import InvalidValueError
from clientcard.testing.strategies import tax_codes


class TestTaxCode:
    def test_compacts_and_uppercases_a_personal_code(self) -> None:
        assert tax.normalize_tax_code("rss mra 85t10 a562s") == "RSSMRA85T10A562S"

    def test_accepts_a_company_code_of_eleven_digits(self) -> None:
        assert tax.normalize_tax_code("00743110157") == "00743110157"

    @pytest.mark.parametrize("junk", ["", "RSSMRA85T10A562X", "12345", "x" * 50])
    def test_refuses_codes_that_fail_the_check(self, junk: str) -> None:
        with pytest.raises(InvalidValueError) as caught:
            tax.normalize_tax_code(junk)
        assert caught.value.code == "tax_code.invalid"

    @given(tax_codes())
    def test_normalising_twice_gives_the_same_as_once(self, code: str) -> None:
        assert tax.normalize_tax_code(tax.normalize_tax_code(code)) == code
        assert tax.is_valid_tax_code(code)


class TestSdiCode:
    @pytest.mark.parametrize(("typed", "clean"), [("m5uxcr1", "M5UXCR1"), ("UFXXXX", "UFXXXX")])
    def test_accepts_seven_or_six_characters(self, typed: str, clean: str) -> None:
        assert tax.normalize_sdi_code(typed) == clean

    @pytest.mark.parametrize("junk", ["", "ABC", "ABCDEFGH", "ABC-123", None])
    def test_refuses_other_shapes(self, junk: object) -> None:
        assert not tax.is_valid_sdi_code(junk)

    def test_pec_is_an_email_address(self) -> None:
        assert tax.normalize_pec("Studio@PEC.it") == "Studio@pec.it"


class TestAddress:
    @pytest.mark.parametrize(
        ("typed", "country", "clean"),
        [
            ("1012ab", "NL", "1012 AB"),
            ("20121", "IT", "20121"),
            ("sw1a1aa", "GB", "SW1A 1AA"),
            ("1000-001", "PT", "1000-001"),
            ("10001", "US", "10001"),
            ("100011234", "US", "10001-1234"),
            ("d02 x285", "IE", "D02 X285"),
            ("75 008", "XX", "75 008"),
        ],
    )
    def test_formats_postcodes_per_country(self, typed: str, country: str, clean: str) -> None:
        assert address.normalize_postcode(typed, country) == clean

    @pytest.mark.parametrize(
        ("typed", "country"), [("2012", "IT"), ("0123 AB", "NL"), ("!!", None)]
    )
    def test_refuses_postcodes_of_the_wrong_shape(self, typed: str, country: str | None) -> None:
        with pytest.raises(InvalidValueError) as caught:
            address.normalize_postcode(typed, country)
        assert caught.value.code == "postcode.invalid"

    def test_countries_are_iso_alpha2_upper_case(self) -> None:
        assert address.normalize_country(" nl ") == "NL"
        assert not address.is_valid_postcode("xx", "IT")
        with pytest.raises(InvalidValueError):
            address.normalize_country("Netherlands")
