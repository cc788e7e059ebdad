"""The command line at the front desk: deleting, short ids, honest counts, one language."""

from __future__ import annotations

import click
import pytest

from tests.cli_support import Cli


def _add(cli: Cli, *fields: str) -> str:
    return cli.ok("add", "-b", "bella", *fields).strip()


class TestDelete:
    def test_delete_removes_the_card_after_asking(
        self, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        anna = _add(cli, "first_name=Anna")
        monkeypatch.setattr("click.confirm", lambda *_a, **_k: True)
        out = cli.ok("delete", "-b", "bella", anna)
        assert f"deleted {anna}" in out
        status, _, err = cli("show", "-b", "bella", anna)
        assert status == 1
        assert "not found" in err

    def test_declining_the_question_keeps_the_card(
        self, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        anna = _add(cli, "first_name=Anna")
        monkeypatch.setattr("click.confirm", _decline)
        status, _, err = cli("delete", "-b", "bella", anna)
        assert status == 1
        assert "aborted" in err
        assert "Anna" in cli.ok("show", "-b", "bella", anna)

    def test_delete_with_yes_does_not_ask(self, cli: Cli) -> None:
        anna = _add(cli, "first_name=Anna")
        cli.ok("delete", "-b", "bella", anna, "--yes")
        assert "0 of 0" in cli.ok("list", "-b", "bella")

    def test_delete_at_a_stale_version_conflicts(self, cli: Cli) -> None:
        anna = _add(cli, "first_name=Anna")
        cli.ok("edit", "-b", "bella", anna, "last_name=Rossi")
        status, _, err = cli("delete", "-b", "bella", anna, "--version", "1", "--yes")
        assert status == 1
        assert "expected version 1" in err
        assert "Rossi" in cli.ok("show", "-b", "bella", anna)

    def test_deleting_an_unknown_card_fails(self, cli: Cli) -> None:
        status, _, err = cli("delete", "-b", "bella", "0" * 36, "--yes")
        assert status == 1
        assert "not found" in err


class TestShortIds:
    def test_a_unique_beginning_names_the_card(self, cli: Cli) -> None:
        anna = _add(cli, "first_name=Anna")
        assert "Anna" in cli.ok("show", "-b", "bella", anna[:13])

    def test_a_unique_end_names_the_card(self, cli: Cli) -> None:
        # Cards made together share the time at the start of their ids; the end differs.
        anna = _add(cli, "first_name=Anna")
        _add(cli, "first_name=Bruno")
        assert "Anna" in cli.ok("show", "-b", "bella", anna[-8:])

    def test_every_card_taking_command_resolves_short_ids(self, cli: Cli) -> None:
        anna = _add(cli, "first_name=Anna", "email=anna@example.com")
        short = anna[-8:]
        assert "changed last_name" in cli.ok("edit", "-b", "bella", short, "last_name=Rossi")
        granted = cli.ok(
            "consent", "grant", "-b", "bella", short,
            "--purpose", "marketing", "--channel", "email", "--wording", "v1",
        )  # fmt: skip
        assert "marketing" in granted
        assert "Rossi" in cli.ok("show", "-b", "bella", short)

    def test_a_beginning_shared_by_several_cards_lists_them(self, cli: Cli) -> None:
        ids = [_add(cli, f"first_name=Anna{letter}") for letter in "abc"]
        shared = _common_prefix(ids)
        assert len(shared) >= 4  # time-ordered ids made one after another
        status, _, err = cli("show", "-b", "bella", shared[:8])
        assert status == 2
        assert "several cards" in err
        for card_id in ids:
            assert card_id in err

    def test_too_short_a_text_is_refused(self, cli: Cli) -> None:
        anna = _add(cli, "first_name=Anna")
        status, _, err = cli("show", "-b", "bella", anna[:3])
        assert status == 2
        assert "at least 4 characters" in err

    def test_an_unmatched_short_id_is_not_found(self, cli: Cli) -> None:
        _add(cli, "first_name=Anna")
        status, _, err = cli("show", "-b", "bella", "zzzzzzzz")
        assert status == 1
        assert "card 'zzzzzzzz' not found" in err

    def test_a_short_id_never_reaches_another_business(self, cli: Cli) -> None:
        cli.ok("init", "other", "--name", "Other")
        theirs = cli.ok("add", "-b", "other", "first_name=Zoe").strip()
        status, _, err = cli("show", "-b", "bella", theirs[-8:])
        assert status == 1
        assert "not found" in err

    def test_pattern_characters_match_nothing(self, cli: Cli) -> None:
        _add(cli, "first_name=Anna")
        status, _, err = cli("show", "-b", "bella", "%%%%")
        assert status == 1
        assert "not found" in err


def _decline(*_args: object, **_kwargs: object) -> bool:
    raise click.Abort


def _common_prefix(ids: list[str]) -> str:
    shared = ids[0]
    for other in ids[1:]:
        while not other.startswith(shared):
            shared = shared[:-1]
    return shared


class TestCounts:
    def test_search_says_how_many_match_beyond_the_page(self, cli: Cli) -> None:
        for number in range(25):
            _add(cli, "first_name=Anna", f"email=anna{number}@example.com")
        out = cli.ok("search", "-b", "bella", "anna", "--limit", "20")
        assert "20 of 25 found" in out

    def test_search_within_the_page_counts_what_it_shows(self, cli: Cli) -> None:
        _add(cli, "first_name=Anna")
        _add(cli, "first_name=Bruno")
        assert "1 found" in cli.ok("search", "-b", "bella", "anna")

    def test_list_of_an_unknown_business_says_it_does_not_exist(self, cli: Cli) -> None:
        status, out, err = cli("list", "-b", "nope")
        assert status == 1
        assert "0 of 0" not in out
        assert "business 'nope' not found" in err


class TestOneLanguagePerScreen:
    def test_the_erasure_plan_speaks_the_commands_language(
        self, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        anna = _add(cli, "first_name=Anna")  # the business "bella" speaks Italian
        monkeypatch.setenv("CLIENTCARD_LANG", "nl")
        monkeypatch.setattr("click.confirm", _decline)
        status, out, _ = cli("erase", "-b", "bella", anna)
        assert status == 1
        assert "kaart" in out
        assert "scheda" not in out

    def test_the_plan_can_be_asked_for_in_another_language(self, cli: Cli) -> None:
        anna = _add(cli, "first_name=Anna")
        out = cli.ok("erase", "-b", "bella", anna, "--lang", "it", "--yes")
        assert "scheda" in out


class TestStaffWording:
    def test_consent_grant_speaks_about_the_client_not_to_them(self, cli: Cli) -> None:
        anna = _add(cli, "first_name=Anna", "email=anna@example.com")
        out = cli.ok(
            "consent", "grant", "-b", "bella", anna,
            "--purpose", "marketing", "--channel", "email", "--wording", "v1",
        )  # fmt: skip
        assert "The client currently agrees to marketing and promotions by e-mail" in out
        assert "You" not in out

    def test_withdrawing_everything_says_the_client_agreed_to_nothing(self, cli: Cli) -> None:
        anna = _add(cli, "first_name=Anna", "email=anna@example.com")
        out = cli.ok(
            "consent",
            "withdraw",
            "-b",
            "bella",
            anna,
            "--purpose",
            "marketing",
            "--channel",
            "email",
        )
        assert "The client has not agreed to any messages" in out

    def test_the_clients_own_report_still_speaks_to_them(self, cli: Cli) -> None:
        anna = _add(cli, "first_name=Anna", "email=anna@example.com")
        shown = cli.ok("consent", "show", "-b", "bella", anna, "--lang", "en")
        assert "You have not agreed" in shown


class TestMissingExtras:
    def test_a_missing_extra_prints_the_install_hint(
        self, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from clientcard.cards.service import CardService

        def needs_excel(*_args: object, **_kwargs: object) -> None:
            raise ModuleNotFoundError("No module named 'openpyxl'", name="openpyxl")

        monkeypatch.setattr(CardService, "search", needs_excel)
        status, _, err = cli("search", "-b", "bella", "anna")
        assert status == 1
        assert "pip install 'clientcard[exchange]'" in err
        assert "unexpected" not in err

    def test_the_librarys_own_hint_is_printed_as_it_is(
        self, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from clientcard.cards.service import CardService

        def needs_it(*_args: object, **_kwargs: object) -> None:
            raise ImportError("clientcard.exchange.xlsx needs openpyxl: pip install 'x[y]'")

        monkeypatch.setattr(CardService, "search", needs_it)
        status, _, err = cli("search", "-b", "bella", "anna")
        assert status == 1
        assert "needs openpyxl: pip install 'x[y]'" in err

    def test_an_unknown_missing_module_is_named(
        self, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from clientcard.cards.service import CardService

        def needs_it(*_args: object, **_kwargs: object) -> None:
            raise ModuleNotFoundError("No module named 'frobnicate'", name="frobnicate")

        monkeypatch.setattr(CardService, "search", needs_it)
        status, _, err = cli("search", "-b", "bella", "anna")
        assert status == 1
        assert "not installed (frobnicate)" in err


class TestBusinessSettings:
    def test_show_names_the_language_and_time_zone(self, cli: Cli) -> None:
        out = cli.ok("business", "show", "-b", "bella")
        assert "language: it" in out
        assert "time zone: Europe/Rome" in out

    def test_set_changes_the_time_zone_and_language(self, cli: Cli) -> None:
        out = cli.ok(
            "business", "set", "-b", "bella", "--time-zone", "Europe/Amsterdam", "--language", "nl"
        )
        assert "language nl, time zone Europe/Amsterdam" in out
        shown = cli.ok("business", "show", "-b", "bella")
        assert "time zone: Europe/Amsterdam" in shown

    def test_an_unknown_time_zone_is_refused_and_nothing_changes(self, cli: Cli) -> None:
        status, _, err = cli("business", "set", "-b", "bella", "--time-zone", "Europe/Atlantis")
        assert status == 1
        assert "time_zone" in err
        assert "time zone: Europe/Rome" in cli.ok("business", "show", "-b", "bella")

    def test_set_needs_something_to_change(self, cli: Cli) -> None:
        status, _, err = cli("business", "set", "-b", "bella")
        assert status == 2
        assert "--time-zone" in err
