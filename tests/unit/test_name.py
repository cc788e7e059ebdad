from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.contact import name
from clientcard.errors import InvalidValueError
from tests.strategies import typed_names


class TestNames:
    def test_trims_and_collapses_whitespace(self) -> None:
        assert name.normalize("  Anna \t  Maria  ") == "Anna Maria"

    def test_composes_to_nfc(self) -> None:
        decomposed = "Jose\u0301"
        assert name.normalize(decomposed) == "José"

    @pytest.mark.parametrize(
        "real", ["D'Angelo", "Jean-Luc", "St. John", "Nguyễn", "李小龍", "Ørsted"]
    )
    def test_accepts_letters_of_any_script_and_name_punctuation(self, real: str) -> None:
        assert name.normalize(real) == real

    @pytest.mark.parametrize(
        "written",
        ["Maria (mamma)", "Anna & Marco", "Giulia 2", "Sig.ra Rossi", "Anna 💇", "R2D2",
         "Anna_Rossi", "Luca / Piero", "Zoë #2"],
    )  # fmt: skip
    def test_keeps_names_as_salons_write_them(self, written: str) -> None:
        assert name.normalize(written) == written

    @pytest.mark.parametrize(
        "junk", ["Anna<script>", "😀", "a\x00b", "2", "(1)", "Anna\u202eRossi", "Ann\u200bRossi"]
    )
    def test_refuses_names_without_a_letter_markup_and_controls(self, junk: str) -> None:
        with pytest.raises(InvalidValueError):
            name.normalize(junk)

    def test_keeps_the_joiners_scripts_and_emoji_sequences_need(self) -> None:
        assert name.normalize("Anna 👩\u200d🦰") == "Anna 👩\u200d🦰"

    def test_refuses_overlong_names(self) -> None:
        with pytest.raises(InvalidValueError) as caught:
            name.normalize("a" * 101)
        assert caught.value.code == "text.too_long"

    def test_refuses_non_text(self) -> None:
        with pytest.raises(InvalidValueError) as caught:
            name.normalize(42)
        assert caught.value.code == "type.invalid"

    @given(typed_names())
    def test_a_name_typed_untidily_normalises_once_and_for_all(self, pair: tuple[str, str]) -> None:
        clean, typed = pair
        assert name.normalize(typed) == clean
        assert name.normalize(name.normalize(typed)) == clean

    @given(st.text(max_size=120))
    def test_normalised_names_are_nfc_and_trimmed(self, raw: str) -> None:
        if name.is_valid(raw):
            clean = name.normalize(raw)
            assert unicodedata.is_normalized("NFC", clean)
            assert clean == clean.strip()
            assert "  " not in clean

    @pytest.mark.parametrize(
        ("raw", "code"),
        [
            ("a\x01b", "text.invalid_character"),
            ("a\x7fb", "text.invalid_character"),
            ("R2D2" * 30, "text.too_long"),
            ("Anna\x1fRossi", None),  # a separator str.split() reads as whitespace
            ("Anna<Rossi", "name.invalid"),
            (" ' - . , ", "name.invalid"),
            ("Anna_Rossi", None),
        ],
    )
    def test_ascii_names_keep_their_error_codes(self, raw: str, code: str | None) -> None:
        if code is None:
            assert name.normalize(raw) == name._normalize_exactly(raw)
            return
        with pytest.raises(InvalidValueError) as caught:
            name.normalize(raw)
        assert caught.value.code == code

    @given(st.text(alphabet=st.characters(max_codepoint=127), max_size=120) | st.text())
    def test_the_ascii_shortcut_answers_as_the_exact_check(self, raw: str) -> None:
        def outcome(normalise: Callable[[object], str]) -> str:
            try:
                return "ok: " + normalise(raw)
            except InvalidValueError as error:
                return f"refused: {error.code} {error.params}"

        assert outcome(name.normalize) == outcome(name._normalize_exactly)


class TestText:
    def test_long_text_keeps_line_breaks(self) -> None:
        assert name.normalize_text("a  b\r\n\r\nc ", 100, multiline=True) == "a b\n\nc"

    def test_single_line_text_folds_line_breaks(self) -> None:
        assert name.normalize_text("a\nb", 100) == "a b"

    def test_refuses_control_characters(self) -> None:
        with pytest.raises(InvalidValueError) as caught:
            name.normalize_text("a\x07b", 100)
        assert caught.value.code == "text.invalid_character"


class TestFold:
    def test_folds_accents_and_case(self) -> None:
        assert name.fold("JOSÉ Müller") == "jose muller"

    @given(st.text())
    def test_folding_is_idempotent(self, text: str) -> None:
        assert name.fold(name.fold(text)) == name.fold(text)

    @given(st.text(st.characters(max_codepoint=127)))
    def test_ascii_text_folds_as_the_full_unicode_path_does(self, text: str) -> None:
        assert name.fold(text) == name._strip_marks(name._strip_marks(text).casefold())

    @given(st.text())
    def test_stripping_marks_drops_exactly_the_combining_characters(self, text: str) -> None:
        decomposed = unicodedata.normalize("NFKD", text)
        expected = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        assert name._strip_marks(text) == expected

    def test_a_folded_name_asked_again_is_the_same_answer(self) -> None:
        assert name.fold("Núñez José") == name.fold("Núñez José") == "nunez jose"
