from __future__ import annotations

import pytest

from clientcard import (
    ClientCardError,
    DocumentError,
    DuplicateError,
    FieldIssue,
    InvalidValueError,
    NotFoundError,
    SchemaError,
    StorageError,
    ValidationError,
    VersionConflictError,
)
from clientcard.locale import LANGUAGES, field_label, message
from clientcard.locale._catalogue import FIELD_LABELS, MESSAGES


class TestErrors:
    @pytest.mark.parametrize(
        "error",
        [
            ValidationError([FieldIssue("email", "email.invalid", "bad")]),
            InvalidValueError("phone.invalid"),
            NotFoundError("card", "c1"),
            DuplicateError("card", "c1"),
            VersionConflictError("c1", 1, 2),
            SchemaError("k", "schema.x", "m"),
            DocumentError("client_card", ["$.x: bad"]),
            StorageError("locked", "database is locked"),
        ],
    )
    def test_every_error_derives_from_the_root(self, error: Exception) -> None:
        assert isinstance(error, ClientCardError)

    def test_validation_errors_are_value_errors_with_every_issue(self) -> None:
        error = ValidationError([FieldIssue("a", "x.one", "m1"), FieldIssue("b", "x.two", "m2")])
        assert isinstance(error, ValueError)
        assert str(error) == "$.a: x.one: m1\n$.b: x.two: m2"
        assert error.fields == {"a", "b"}
        assert error.issues_for("b") == (FieldIssue("b", "x.two", "m2"),)

    def test_a_validation_error_needs_an_issue(self) -> None:
        with pytest.raises(ValueError, match="at least one issue"):
            ValidationError([])

    def test_not_found_is_a_lookup_error(self) -> None:
        assert isinstance(NotFoundError("card", "c1"), LookupError)

    def test_a_conflict_names_both_versions(self) -> None:
        error = VersionConflictError("c1", expected=1, actual=3)
        assert (error.expected, error.actual) == (1, 3)
        assert "expected version 1" in str(error)

    def test_invalid_value_error_carries_code_and_params(self) -> None:
        error = InvalidValueError("text.too_long", max=5)
        assert error.code == "text.too_long"
        assert str(error) == "text.too_long: Use at most 5 characters."


class TestLocale:
    def test_every_message_speaks_every_language(self) -> None:
        for code, texts in MESSAGES.items():
            assert set(texts) == set(LANGUAGES), code

    def test_every_label_speaks_every_language(self) -> None:
        for key, texts in FIELD_LABELS.items():
            assert set(texts) == set(LANGUAGES), key

    def test_an_unknown_language_falls_back_to_english(self) -> None:
        assert message("field.required", "fr") == "This field is required."

    def test_an_unknown_code_is_its_own_message(self) -> None:
        assert message("no.such.code") == "no.such.code"

    def test_an_unknown_label_is_none(self) -> None:
        assert field_label("nope") is None
        assert field_label("first_name", "nl") == "Voornaam"
