"""The password policy and the Argon2id hasher."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.errors import ValidationError
from clientcard.portal import PasswordHasher, PasswordPolicy
from tests.portal.conftest import cheap_hasher

policy = PasswordPolicy()


class TestPolicy:
    def test_a_long_passphrase_of_any_characters_is_fine(self) -> None:
        assert policy.problems("ombrello 🌂 sotto la pioggia") == ()

    def test_a_short_password_is_refused_whatever_its_mix(self) -> None:
        assert policy.problems("Xy7!kq") == ("password.too_short",)

    def test_a_common_password_is_refused_in_any_case(self) -> None:
        assert policy.problems("QWERTY123456") == ("password.common",)
        assert "password.common" in PasswordPolicy(min_length=4).problems("Dragon")

    def test_the_login_is_not_a_password(self) -> None:
        problems = policy.problems("anna.rossi@example.com", login="Anna.Rossi@example.com")
        assert "password.is_login" in problems

    def test_check_names_every_rule_broken_without_the_password(self) -> None:
        with pytest.raises(ValidationError) as caught:
            policy.check("monkey", lang="it")
        assert caught.value.codes == {"password.too_short", "password.common"}
        assert "monkey" not in str(caught.value)

    def test_a_non_text_password_is_refused(self) -> None:
        assert policy.problems(None) == ("password.invalid",)


class TestHasher:
    @given(password=st.text(min_size=1, max_size=40))
    def test_a_hash_verifies_its_password_and_nothing_else(self, password: str) -> None:
        hasher = cheap_hasher()
        stored = hasher.hash(password)
        assert hasher.verify(stored, password)
        assert not hasher.verify(stored, password + "x")

    def test_composed_and_decomposed_accents_are_the_same_password(self) -> None:
        hasher = cheap_hasher()
        stored = hasher.hash(unicodedata.normalize("NFC", "caffè corretto ogni mattina"))
        assert hasher.verify(stored, unicodedata.normalize("NFD", "caffè corretto ogni mattina"))

    def test_a_malformed_hash_matches_nothing(self) -> None:
        assert not cheap_hasher().verify("not a hash", "anything")

    def test_a_hash_with_older_parameters_needs_a_rehash(self) -> None:
        old = cheap_hasher().hash("a long and quiet river")
        stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
        assert stronger.needs_rehash(old)
        assert not stronger.needs_rehash(stronger.hash("a long and quiet river"))
        assert stronger.verify(old, "a long and quiet river")
