from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.contact import phone
from clientcard.errors import InvalidValueError
from clientcard.testing.strategies import phone_numbers
from tests.strategies import typed_phones


class TestNormalize:
    @pytest.mark.parametrize(
        ("typed", "region", "e164"),
        [
            ("0612345678", "NL", "+31612345678"),
            ("06-12345678", "NL", "+31612345678"),
            ("+39 333 123 4567", "NL", "+393331234567"),
            ("0039 333 123 4567", "IT", "+393331234567"),
            ("333.123.4567", "IT", "+393331234567"),
            ("07911 123456", "GB", "+447911123456"),
            ("(020) 7946 0018", "GB", "+442079460018"),
            ("+44 (0)7911 123456", "IT", "+447911123456"),
            ("06/12345678", "NL", "+31612345678"),
        ],
    )
    def test_reads_numbers_as_people_type_them(self, typed: str, region: str, e164: str) -> None:
        assert phone.normalize(typed, region) == e164

    def test_a_number_without_prefix_is_read_in_the_business_region(self) -> None:
        assert phone.normalize("0612345678", "NL") == "+31612345678"
        assert phone.normalize("0612345678", "IT") == "+390612345678"  # a Rome landline

    @pytest.mark.parametrize("junk", ["", "   ", "12", "+39 123", "abc", "333 FLOWERS", "1" * 41])
    def test_invalid_numbers_raise_phone_invalid(self, junk: str) -> None:
        with pytest.raises(InvalidValueError) as caught:
            phone.normalize(junk, "IT")
        assert caught.value.code == "phone.invalid"

    def test_a_landline_is_refused_where_a_mobile_is_needed(self) -> None:
        with pytest.raises(InvalidValueError) as caught:
            phone.normalize("020 7946 0018", "GB", require_mobile=True)
        assert caught.value.code == "phone.not_mobile"

    def test_a_mobile_passes_where_a_mobile_is_needed(self) -> None:
        assert phone.normalize("333 123 4567", "IT", require_mobile=True) == "+393331234567"

    def test_the_error_message_does_not_hold_the_number(self) -> None:
        with pytest.raises(InvalidValueError) as caught:
            phone.normalize("+39 123 45", "IT")
        assert "123" not in str(caught.value)

    @given(typed_phones(), st.sampled_from(["IT", "NL", "GB", "DE"]))
    def test_a_number_typed_any_way_normalises_to_its_e164_once_and_for_all(
        self, pair: tuple[str, str], region: str
    ) -> None:
        e164, typed = pair
        assert phone.normalize(typed, region) == e164
        assert phone.normalize(phone.normalize(typed, region), region) == e164

    @given(phone_numbers(), st.sampled_from(["IT", "NL", "US"]))
    def test_formatted_forms_read_back_to_the_same_number(self, e164: str, region: str) -> None:
        assert phone.normalize(phone.format_international(e164), region) == e164


class TestKinds:
    def test_tells_a_mobile_from_a_landline(self) -> None:
        assert phone.kind("+393331234567") is phone.PhoneKind.MOBILE
        assert phone.kind("+442079460018") is phone.PhoneKind.FIXED_LINE
        assert phone.is_mobile("+393331234567")
        assert not phone.is_mobile("+442079460018")

    def test_us_numbers_may_be_either_and_count_as_mobile(self) -> None:
        assert phone.kind("+12015550123") is phone.PhoneKind.FIXED_LINE_OR_MOBILE
        assert phone.is_mobile("+12015550123")


class TestFormat:
    def test_formats_nationally_and_internationally(self) -> None:
        assert phone.format_national("+31612345678") == "06 12345678"
        assert phone.format_international("+31612345678") == "+31 6 12345678"

    def test_compact_strips_separators(self) -> None:
        assert phone.compact(" (06) 12.34-56/78 ") == "0612345678"

    def test_is_valid_answers_without_raising(self) -> None:
        assert phone.is_valid("0612345678", "NL")
        assert not phone.is_valid("nope", "NL")


def _example_numbers() -> list[phonenumbers.PhoneNumber]:
    """Every example number phonenumbers has, of every region and type, and neighbours."""
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in phonenumbers.PhoneNumberType.values():
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                found.append(number)
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            found.append(number)
    # One digit more and one less turn most valid examples into invalid ones.
    neighbours = [
        phonenumbers.PhoneNumber(
            country_code=number.country_code,
            national_number=national,
            italian_leading_zero=number.italian_leading_zero,
        )
        for number in found
        for national in (number.national_number * 10 + 1, number.national_number // 10)
    ]
    return found + neighbours


class TestLookupForm:
    @given(typed_phones(), st.sampled_from(["IT", "NL", "GB", "DE"]))
    def test_a_real_number_has_the_form_normalize_gives_it(
        self, pair: tuple[str, str], region: str
    ) -> None:
        _e164, typed = pair
        assert phone.lookup_form(typed, region) == phone.normalize(typed, region)

    def test_a_number_no_numbering_plan_has_still_has_a_form(self) -> None:
        # Nothing stored matches it; the lookup then asks normalize, which refuses it.
        assert phone.lookup_form("+39 123", "IT") == "+39123"

    @pytest.mark.parametrize("junk", ["", "   ", "abc", "333 FLOWERS", "1" * 41, "+"])
    def test_what_is_no_number_at_all_is_refused(self, junk: str) -> None:
        with pytest.raises(InvalidValueError) as caught:
            phone.lookup_form(junk, "IT")
        assert caught.value.code == "phone.invalid"


class TestValidity:
    def test_every_region_of_a_calling_code_has_that_code(self) -> None:
        # What the shortcut relies on: a region listed under a calling code is a region
        # of that code, so validity for it is its patterns alone.
        for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items():
            for region in regions:
                if region != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
                    assert phonenumbers.country_code_for_valid_region(region) == code

    def test_a_calling_code_nobody_has_is_invalid(self) -> None:
        number = phonenumbers.PhoneNumber(country_code=999, national_number=1234567)
        assert phone._line_type(number) == phonenumbers.PhoneNumberType.UNKNOWN


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _agrees_with_phonenumbers(number: phonenumbers.PhoneNumber) -> None:
    line_type = phone._line_type(number)
    assert line_type == phonenumbers.number_type(number), number
    # Validity is read from the line type alone.
    valid = line_type != phonenumbers.PhoneNumberType.UNKNOWN
    assert valid is phonenumbers.is_valid_number(number), number


class TestLineType:
    def test_agrees_with_phonenumbers_on_every_example_number(self) -> None:
        numbers = _example_numbers()
        assert len(numbers) > 1000
        for number in numbers:
            _agrees_with_phonenumbers(number)

    @given(
        st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)),
        st.integers(min_value=0, max_value=10**15),
        st.booleans(),
    )
    def test_agrees_with_phonenumbers_on_any_number(
        self, code: int, national: int, leading_zero: bool
    ) -> None:
        number = phonenumbers.PhoneNumber(
            country_code=code, national_number=national, italian_leading_zero=leading_zero
        )
        _agrees_with_phonenumbers(number)


class TestRememberedKinds:
    def test_normalize_remembers_the_kind_phonenumbers_tells(self) -> None:
        for number in _example_numbers():
            try:
                e164 = phone.normalize(_e164(number), "IT")
            except InvalidValueError:
                continue
            told = phonenumbers.number_type(phonenumbers.parse(e164, None))
            assert phone.kind(e164) is phone._KINDS.get(told, phone.PhoneKind.OTHER), e164

    def test_forgets_what_it_remembered_once_its_memory_is_full(self) -> None:
        first = phone.normalize("333 000 0000", "IT")
        for offset in range(1, phone._KIND_MEMORY + 1):
            phone.normalize(f"333 {offset:07d}", "IT")
        assert first not in phone._kinds
        assert 0 < len(phone._kinds) <= phone._KIND_MEMORY
        assert phone.kind(first) is phone.PhoneKind.MOBILE
