from __future__ import annotations

import pytest
from hypothesis import given

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
