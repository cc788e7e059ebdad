"""The command line speaks English, Italian or Dutch, chosen by the environment.

The suite pins ``CLIENTCARD_LANG=en`` (``tests/conftest.py``); these tests set another
language for one call at a time. Output is translated when it is printed, so it follows
the environment of each call; help texts are translated when the commands load, so
``--help`` in another language needs a fresh interpreter.
"""

from __future__ import annotations

import gettext
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from babel.messages.extract import extract_from_dir

from clientcard.cli._i18n import CLICK_TEXTS
from tests.cli_support import Cli

# The variables that choose the language (their rules: tests/unit/test_cli_language.py).
ENVIRONMENT = ("CLIENTCARD_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture
def bare(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment with none of the variables that choose the language."""
    for variable in ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


@pytest.fixture
def anna(cli: Cli) -> str:
    return cli.ok("add", "-b", "bella", "first_name=Anna", "email=anna@example.com").strip()


class TestOutput:
    def test_tables_and_counts_speak_italian(
        self, cli: Cli, anna: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLIENTCARD_LANG", "it")
        listed = cli.ok("list", "-b", "bella")
        assert "telefono" in listed
        assert "1 su 1" in listed

    def test_tables_and_counts_speak_dutch(
        self, cli: Cli, anna: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLIENTCARD_LANG", "nl")
        listed = cli.ok("list", "-b", "bella")
        assert "telefoon" in listed
        assert "1 van 1" in listed

    def test_a_summary_keeps_its_values_in_the_translated_sentence(
        self, cli: Cli, anna: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLIENTCARD_LANG", "nl")
        out = cli.ok("edit", "-b", "bella", anna, "city=Utrecht")
        assert out.strip() == f"{anna} v2: gewijzigd city"

    def test_the_language_is_read_at_each_call(
        self, cli: Cli, anna: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert "1 of 1" in cli.ok("list", "-b", "bella")
        monkeypatch.setenv("CLIENTCARD_LANG", "it")
        assert "1 su 1" in cli.ok("list", "-b", "bella")

    def test_the_card_shows_its_labels_in_the_command_language(
        self, cli: Cli, anna: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLIENTCARD_LANG", "nl")
        shown = cli.ok("show", "-b", "bella", anna)
        assert "Voornaam" in shown  # the salon speaks Italian; the desk, Dutch
        assert "overzicht" in shown

    def test_errors_speak_the_language(self, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CLIENTCARD_LANG", "it")
        status, _, err = cli("show", "-b", "bella", "nope")
        assert (status, err.strip()) == (1, "errore: scheda cliente 'nope' inesistente")

    def test_a_duplicate_is_reported_in_dutch(
        self, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLIENTCARD_LANG", "nl")
        status, _, err = cli("init", "bella", "--name", "Again")
        assert (status, err.strip()) == (1, "fout: bedrijf 'bella' bestaat al")

    def test_a_version_conflict_is_reported_in_italian(
        self, cli: Cli, anna: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        cli.ok("edit", "-b", "bella", anna, "city=Roma")
        monkeypatch.setenv("CLIENTCARD_LANG", "it")
        status, _, err = cli("edit", "-b", "bella", anna, "city=Milano", "--version", "1")
        assert status == 1
        assert f"scheda cliente '{anna}': attesa la versione 1, quella salvata è la 2" in err

    def test_a_record_kind_without_a_translation_is_named_by_its_code(
        self, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLIENTCARD_LANG", "it")
        status, _, err = cli("blacklist", "lift", "-b", "bella", "nope")
        assert (status, err.strip()) == (1, "errore: blacklist 'nope' inesistente")

    def test_a_refused_promo_code_gives_its_reason_in_dutch(
        self, cli: Cli, anna: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLIENTCARD_LANG", "nl")
        status, _, err = cli("promo", "redeem", "-b", "bella", anna, "NOSUCH")
        assert status == 1
        assert "promotion.unknown: Er is geen promotie met deze code." in err

    def test_an_edit_that_changes_nothing_says_so(
        self, cli: Cli, anna: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLIENTCARD_LANG", "nl")
        out = cli.ok("edit", "-b", "bella", anna, "first_name=Anna")
        assert out.strip() == f"{anna} v1: niets gewijzigd"

    def test_validation_messages_follow_the_command_not_the_business(
        self, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLIENTCARD_LANG", "nl")
        status, _, err = cli("add", "-b", "bella", "email=nope")
        assert status == 1
        assert "Dit is geen geldig e-mailadres." in err
        assert "email.invalid" in err  # codes stay as they are

    def test_consent_confirmations_follow_the_command(
        self, cli: Cli, anna: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLIENTCARD_LANG", "nl")
        granted = cli.ok(
            "consent", "grant", "-b", "bella", anna, "--purpose", "marketing",
            "--channel", "email", "--wording", "v1",
        )  # fmt: skip
        assert "marketing en promoties" in granted

    def test_a_lang_option_still_chooses_the_report_language(
        self, cli: Cli, anna: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLIENTCARD_LANG", "nl")
        cli.ok(
            "consent", "grant", "-b", "bella", anna, "--purpose", "marketing",
            "--channel", "email", "--wording", "v1",
        )  # fmt: skip
        shown = cli.ok("consent", "show", "-b", "bella", anna, "--lang", "it")
        assert "marketing e promozioni" in shown

    def test_the_import_summary_speaks_the_command_language(
        self, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        clients = tmp_path / "clients.csv"
        clients.write_text("First name;E-mail\nSanne;sanne@example.nl\n", encoding="utf-8")
        monkeypatch.setenv("CLIENTCARD_LANG", "it")
        out = cli.ok("import", "-b", "bella", str(clients), "--dry-run")
        assert "Prova, nulla scritto: 1 righe lette" in out
        assert "abbinamento delle colonne" in out

    def test_a_posix_locale_picks_italian(
        self, cli: Cli, anna: str, bare: pytest.MonkeyPatch
    ) -> None:
        bare.setenv("LANG", "it_IT.UTF-8")
        assert "1 su 1" in cli.ok("list", "-b", "bella")

    def test_an_unsupported_language_prints_english(
        self, cli: Cli, anna: str, bare: pytest.MonkeyPatch
    ) -> None:
        bare.setenv("CLIENTCARD_LANG", "fr")
        bare.setenv("LANG", "it_IT.UTF-8")
        assert "1 of 1" in cli.ok("list", "-b", "bella")

    def test_codes_and_values_stay_untranslated(
        self, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        cli.ok("add", "-b", "bella", "first_name=Carla")
        monkeypatch.setenv("CLIENTCARD_LANG", "it")
        counted = cli.ok("audience", "-b", "bella", "--purpose", "marketing", "--channel", "sms")
        assert "possono ricevere marketing via sms: 0" in counted
        assert "esclusi per no_address: 1" in counted


class TestClickSpeaksToo:
    def test_an_unknown_command_is_reported_in_italian(
        self, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLIENTCARD_LANG", "it")
        status, _, err = cli("nosuch")
        assert (status, err.strip()) == (2, "errore: Il comando 'nosuch' non esiste.")

    def test_a_missing_argument_is_reported_in_dutch(
        self, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLIENTCARD_LANG", "nl")
        status, _, err = cli("add", "-b", "bella")
        assert (status, err.strip()) == (2, "fout: Argument ontbreekt: 'FIELDS...'.")

    def test_an_invalid_value_is_reported_in_italian(
        self, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLIENTCARD_LANG", "it")
        status, _, err = cli("duplicates", "-b", "bella", "--min-score", "3")
        assert status == 2
        assert "Valore non valido per '--min-score': 3.0 non è nell'intervallo" in err

    def test_english_is_what_click_says(self, cli: Cli) -> None:
        status, _, err = cli("nosuch")
        assert (status, err.strip()) == (2, "error: No such command 'nosuch'.")

    @pytest.mark.parametrize("language", [None, "fr:de"])
    def test_the_process_wide_gettext_state_is_restored(
        self, cli: Cli, monkeypatch: pytest.MonkeyPatch, language: str | None
    ) -> None:
        if language is None:
            monkeypatch.delenv("LANGUAGE", raising=False)
        else:
            monkeypatch.setenv("LANGUAGE", language)
        domain = gettext.textdomain()
        monkeypatch.setenv("CLIENTCARD_LANG", "it")
        cli("nosuch")
        assert (gettext.textdomain(), os.environ.get("LANGUAGE")) == (domain, language)

    def test_every_click_text_translated_is_one_click_still_says(self) -> None:
        said = {
            text if isinstance(text, str) else text[0]
            for _file, _line, text, _comments, _context in extract_from_dir(
                str(Path(click.__file__).parent),
                method_map=[("**.py", "python")],
                keywords={"_": None, "ngettext": (1, 2)},
                comment_tags=(),
            )
        }
        # Click passes "required" through gettext from a variable, which extraction misses;
        # the help pages below show it translated.
        assert sorted(set(CLICK_TEXTS) - said - {"required"}) == []


# What the ``clientcard`` script does (``clientcard.cli:main``), under the same name.
PROGRAM = (
    "import sys; sys.argv[0] = 'clientcard'; from clientcard.cli import main; sys.exit(main())"
)


def clientcard(*args: str, **environment: str) -> str:
    """Run ``clientcard`` in a fresh interpreter, which loads the commands anew."""
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT}
    env.update(environment)
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM, *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    return result.stdout


@pytest.mark.slow
class TestHelp:
    def test_the_group_help_is_english_by_default(self) -> None:
        shown = clientcard("--help")
        assert "Usage: clientcard" in shown
        assert "Keep a business's client cards" in shown
        assert "Show this message and exit." in shown

    def test_the_group_help_speaks_italian(self) -> None:
        shown = clientcard("--help", CLIENTCARD_LANG="it")
        assert "Uso: clientcard" in shown
        assert "Opzioni:" in shown
        assert "Comandi:" in shown
        assert "Gestisce le schede clienti di un'attività" in shown
        assert "Mostra questo messaggio ed esce." in shown

    def test_a_command_help_speaks_dutch_down_to_the_option_notes(self) -> None:
        shown = clientcard("erase", "--help", CLIENTCARD_LANG="nl")
        assert "Gebruik: clientcard erase" in shown
        assert "Wis een klant" in shown
        assert "[verplicht]" in shown
        assert "[standaard:" in shown

    def test_the_posix_locale_picks_the_help_language(self) -> None:
        shown = clientcard("--help", LANG="it_IT.UTF-8")
        assert "Uso: clientcard" in shown
        assert "Gestisce le schede clienti di un'attività" in shown
