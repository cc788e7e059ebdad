"""The command line speaks English, Italian or Dutch, chosen by the environment.

The suite pins ``CLIENTCARD_LANG=en`` (``tests/conftest.py``); these tests set another
language for one call at a time.
"""

from __future__ import annotations

import pytest

from clientcard.cli._i18n import ENVIRONMENT, cli_language


@pytest.fixture
def bare(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment with none of the variables that choose the language."""
    for variable in ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


class TestTheLanguageChosen:
    def test_nothing_set_is_english(self, bare: pytest.MonkeyPatch) -> None:
        assert cli_language() == "en"

    def test_clientcard_lang_chooses(self, bare: pytest.MonkeyPatch) -> None:
        bare.setenv("CLIENTCARD_LANG", "nl")
        assert cli_language() == "nl"

    def test_clientcard_lang_wins_over_the_locale(self, bare: pytest.MonkeyPatch) -> None:
        bare.setenv("CLIENTCARD_LANG", "nl")
        bare.setenv("LANG", "it_IT.UTF-8")
        assert cli_language() == "nl"

    def test_a_posix_locale_names_the_language(self, bare: pytest.MonkeyPatch) -> None:
        bare.setenv("LANG", "it_IT.UTF-8")
        assert cli_language() == "it"

    def test_lc_all_overrides_lc_messages_and_lang(self, bare: pytest.MonkeyPatch) -> None:
        bare.setenv("LC_ALL", "nl_BE.UTF-8")
        bare.setenv("LC_MESSAGES", "it_IT.UTF-8")
        bare.setenv("LANG", "it_IT.UTF-8")
        assert cli_language() == "nl"

    def test_language_lists_several_and_the_first_shipped_one_wins(
        self, bare: pytest.MonkeyPatch
    ) -> None:
        bare.setenv("LANGUAGE", "fr_FR:nl:it")
        assert cli_language() == "nl"

    def test_lc_all_c_asks_for_english_whatever_lang_says(self, bare: pytest.MonkeyPatch) -> None:
        bare.setenv("LC_ALL", "C")
        bare.setenv("LANG", "it_IT.UTF-8")
        assert cli_language() == "en"

    def test_an_unsupported_language_falls_back_to_english(self, bare: pytest.MonkeyPatch) -> None:
        bare.setenv("CLIENTCARD_LANG", "fr")
        bare.setenv("LANG", "it_IT.UTF-8")
        assert cli_language() == "en"

    def test_an_empty_variable_counts_as_unset(self, bare: pytest.MonkeyPatch) -> None:
        bare.setenv("CLIENTCARD_LANG", "")
        bare.setenv("LANG", "nl_NL.UTF-8")
        assert cli_language() == "nl"

    def test_case_does_not_matter(self, bare: pytest.MonkeyPatch) -> None:
        bare.setenv("CLIENTCARD_LANG", "IT")
        assert cli_language() == "it"
