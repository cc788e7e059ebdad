from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from clientcard.contact import email
from clientcard.errors import InvalidValueError
from tests.strategies import typed_emails


class TestNormalize:
    def test_lowercases_the_domain_and_keeps_the_local_part(self) -> None:
        assert email.normalize("  Anna.Rossi@Example.COM ") == "Anna.Rossi@example.com"

    def test_accepts_internationalised_addresses(self) -> None:
        assert email.normalize("josé@café.example.it") == "josé@café.example.it"

    @pytest.mark.parametrize(
        "junk", ["", "anna", "anna@", "@example.com", "a b@example.com", "anna@@x.it", "x" * 400]
    )
    def test_invalid_addresses_raise_email_invalid(self, junk: str) -> None:
        with pytest.raises(InvalidValueError) as caught:
            email.normalize(junk)
        assert caught.value.code == "email.invalid"

    def test_the_error_message_does_not_hold_the_address(self) -> None:
        with pytest.raises(InvalidValueError) as caught:
            email.normalize("secret-person@")
        assert "secret" not in str(caught.value)

    def test_lookup_key_is_case_insensitive(self) -> None:
        assert email.lookup_key("Anna@example.com") == email.lookup_key("anna@example.com")

    def test_is_valid_answers_without_raising(self) -> None:
        assert email.is_valid("anna@example.com")
        assert not email.is_valid("anna")

    @given(typed_emails())
    def test_an_address_typed_untidily_normalises_once_and_for_all(
        self, pair: tuple[str, str]
    ) -> None:
        clean, typed = pair
        assert email.normalize(typed) == clean
        assert email.normalize(email.normalize(typed)) == clean

    def test_deliverability_failures_have_their_own_code(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import email_validator

        def undeliverable(*_args: object, **_kwargs: object) -> object:
            raise email_validator.EmailUndeliverableError("no MX")

        monkeypatch.setattr(email_validator, "validate_email", undeliverable)
        with pytest.raises(InvalidValueError) as caught:
            email.normalize("anna@example.com", check_deliverability=True)
        assert caught.value.code == "email.undeliverable"


_ASCII_LOCAL = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+_-"),
    min_size=1,
    max_size=20,
)
# Letters from scripts with case, compatibility forms and combining marks: where
# casefold() and NFKC merge what mail servers keep apart.
_ANY_LOCAL = st.text(
    st.characters(
        codec="utf-8", categories=("Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Mn"), exclude_characters="@"
    ),
    min_size=1,
    max_size=12,
)


def _ascii_lower(text: str) -> str:
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)


class TestLookupKey:
    @pytest.mark.parametrize(
        ("one", "other"),
        [
            ("strasse@example.com", "straße@example.com"),
            ("ff@example.com", "\ufb00@example.com"),
            ("s@example.com", "\u017f@example.com"),
            ("\u03c3@example.com", "\u03c2@example.com"),
            ("\u03a3@example.com", "\u03c3@example.com"),
            ("ü@example.com", "Ü@example.com"),
            ("anna@strasse.de", "anna@straße.de"),
        ],
    )
    def test_distinct_mailboxes_have_distinct_keys(self, one: str, other: str) -> None:
        assert email.lookup_key(one) != email.lookup_key(other)

    def test_the_ascii_letters_of_the_local_part_are_lower_cased(self) -> None:
        assert email.lookup_key("Anna.ROSSI@example.com") == "anna.rossi@example.com"

    def test_other_letters_of_the_local_part_keep_their_case(self) -> None:
        assert email.lookup_key("JÜRGEN@example.com") == "jÜrgen@example.com"

    def test_the_local_part_is_compared_in_nfc(self) -> None:
        assert email.lookup_key("rene\u0301@example.com") == "ren\u00e9@example.com"

    def test_the_domain_is_keyed_in_its_ascii_idna_form(self) -> None:
        assert email.lookup_key("anna@BÜCHER.de") == "anna@xn--bcher-kva.de"
        assert email.lookup_key("anna@XN--BCHER-KVA.DE") == "anna@xn--bcher-kva.de"

    def test_a_domain_idna_cannot_encode_is_kept_lower_cased(self) -> None:
        assert email.lookup_key("anna@-Bad-.example") == "anna@-bad-.example"

    def test_a_partial_international_domain_keeps_its_other_letters(self) -> None:
        # What a search box holds while the domain is being typed: no IDNA form yet.
        assert email.lookup_key("Anna@-BÜ-.de") == "anna@-bÜ-.de"

    def test_the_key_of_a_key_is_itself(self) -> None:
        key = email.lookup_key("Straße.Ü@Bücher.DE")
        assert email.lookup_key(key) == key

    @given(_ASCII_LOCAL, st.sampled_from(["example.com", "Example.COM", "bücher.de"]))
    def test_ascii_case_never_tells_mailboxes_apart(self, local: str, domain: str) -> None:
        address = f"{local}@{domain}"
        assert email.lookup_key(address.swapcase()) == email.lookup_key(address)
        assert email.lookup_key(address.upper()) == email.lookup_key(address.lower())

    @given(_ANY_LOCAL, _ANY_LOCAL)
    def test_local_parts_that_differ_after_nfc_stay_distinct(self, one: str, other: str) -> None:
        first, second = (_ascii_lower(unicodedata.normalize("NFC", x)) for x in (one, other))
        assume(first != second)
        assert email.lookup_key(f"{one}@example.com") != email.lookup_key(f"{other}@example.com")

    @given(_ANY_LOCAL)
    def test_canonically_equivalent_local_parts_share_a_key(self, local: str) -> None:
        decomposed = unicodedata.normalize("NFD", local)
        assert email.lookup_key(f"{decomposed}@example.com") == email.lookup_key(
            f"{local}@example.com"
        )
