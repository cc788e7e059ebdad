from __future__ import annotations

import os
from pathlib import Path

import pytest

from clientcard.cli import main
from clientcard.exchange import cpu_workers
from tests.cli_support import Cli


def test_init_creates_a_business(cli: Cli) -> None:
    assert cli.db.exists()
    status, _, err = cli("init", "bella", "--name", "Again")
    assert status == 1
    assert err.strip() == "error: business 'bella' already exists"


def test_init_takes_the_businesss_time_zone(cli: Cli) -> None:
    """A country of several zones names its own; one of a single zone gets it."""
    status, _, err = cli("init", "madrid", "--name", "Salón", "--region", "ES")
    assert status == 1
    assert "business.time_zone_required" in err
    canaries = ("--region", "ES", "--time-zone", "Atlantic/Canary")
    cli.ok("init", "canarias", "--name", "Salón", *canaries)
    status, _, err = cli("init", "x", "--name", "X", "--time-zone", "Mars/Olympus")
    assert status == 1
    assert "business.time_zone_invalid" in err


def test_add_then_show_prints_the_card(cli: Cli) -> None:
    card_id = cli.ok(
        "add", "-b", "bella", "first_name=Giulia", "phones=333 1234567", "phones=02 1234 5678"
    ).strip()
    out = cli.ok("show", "-b", "bella", card_id)
    assert "Giulia" in out
    assert "+39 333 123 4567" in out
    assert "v1" in out


def test_a_validation_error_prints_one_line_and_fails(cli: Cli) -> None:
    status, out, err = cli("add", "-b", "bella", "email=nope", "phones=12")
    assert status == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "email" in err
    assert "phone.invalid" in err


def test_a_malformed_argument_is_a_usage_error(cli: Cli) -> None:
    status, _, err = cli("add", "-b", "bella", "no-equals-sign")
    assert status == 2
    assert "KEY=VALUE" in err


def test_edit_changes_fields_and_reports_them(cli: Cli) -> None:
    card_id = cli.ok("add", "-b", "bella", "first_name=Anna").strip()
    out = cli.ok("edit", "-b", "bella", card_id, "email=anna@example.com", "city=Milano")
    assert out.strip() == f"{card_id} v2: changed city, email"


def test_edit_with_a_stale_version_conflicts(cli: Cli) -> None:
    card_id = cli.ok("add", "-b", "bella", "first_name=Anna").strip()
    cli.ok("edit", "-b", "bella", card_id, "last_name=Rossi")
    status, _, err = cli("edit", "-b", "bella", card_id, "last_name=Bianchi", "--version", "1")
    assert status == 1
    assert "expected version 1" in err


def test_search_and_list_show_tables(cli: Cli) -> None:
    cli.ok("group", "define", "-b", "bella", "vip", "--label", "VIP")
    cli.ok("add", "-b", "bella", "first_name=José", "last_name=Núñez", "client_group=vip")
    cli.ok("add", "-b", "bella", "first_name=Anna", "last_name=Rossi", "--prospect")
    assert "Núñez" in cli.ok("search", "-b", "bella", "jose")
    listed = cli.ok("list", "-b", "bella", "--limit", "1")
    assert "1 of 2" in listed
    assert "next page: --cursor" in listed
    assert "José" in cli.ok("list", "-b", "bella", "--group", "vip")
    assert "Rossi" in cli.ok("list", "-b", "bella", "--prospects")


def test_an_unknown_card_is_reported(cli: Cli) -> None:
    status, _, err = cli("show", "-b", "bella", "nope")
    assert status == 1
    assert err.strip() == "error: card 'nope' not found"


def test_schema_fields_are_managed_from_the_command_line(cli: Cli) -> None:
    cli.ok(
        "schema",
        "add",
        "-b",
        "bella",
        "allergies",
        "--type",
        "long_text",
        "--label",
        "en=Allergies",
        "--label",
        "it=Allergie",
        "--booking",
        "--keep-asking",
        "--sensitive",
    )
    cli.ok(
        "schema",
        "add",
        "-b",
        "bella",
        "hair",
        "--type",
        "choice",
        "--label",
        "en=Hair",
        "--choice",
        "curly=Curly",
        "--choice",
        "straight=Straight",
    )
    cli.ok(
        "schema", "set", "-b", "bella", "city", "--required", "--booking", "--label", "it=Comune"
    )
    cli.ok("schema", "retire", "-b", "bella", "education")
    cli.ok("schema", "order", "-b", "bella", "allergies")
    shown = cli.ok("schema", "show", "-b", "bella")
    assert "Allergie" in shown
    assert "Comune" in shown
    assert "retired" in shown
    assert "revision 6" in shown
    cli.ok("schema", "restore", "-b", "bella", "education")
    assert "revision 7" in cli.ok("schema", "show", "-b", "bella", "--lang", "en")


def test_a_schema_rule_violation_is_one_line(cli: Cli) -> None:
    status, _, err = cli("schema", "retire", "-b", "bella", "email")
    assert status == 1
    assert "schema.cannot_retire" in err


def test_the_database_defaults_to_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLIENTCARD_DB", str(tmp_path / "env.db"))
    assert main(["init", "x", "--name", "X"]) == 0
    assert (tmp_path / "env.db").exists()


def test_client_data_is_printed_literally_never_as_markup(cli: Cli) -> None:
    card_id = cli.ok(
        "add",
        "-b",
        "bella",
        "first_name=Anna",
        "notes=allergic to [/] dye",
        "referral_source=[bold red]VIP",
    ).strip()
    out = cli.ok("show", "-b", "bella", card_id)
    assert "allergic to [/] dye" in out
    assert "[bold red]VIP" in out


def test_sensitive_fields_need_explicit_consent_and_are_marked_when_shown(cli: Cli) -> None:
    card_id = cli.ok("add", "-b", "bella", "first_name=Anna").strip()
    status, _, err = cli("edit", "-b", "bella", card_id, "weight_kg=60")
    assert status == 1
    assert "consent.sensitive_without_consent" in err
    cli.ok(
        "consent",
        "grant",
        "-b",
        "bella",
        card_id,
        "--purpose",
        "special_category_data",
        "--wording",
        "health-v1",
    )
    cli.ok("edit", "-b", "bella", card_id, "weight_kg=60")
    assert "(sensitive)" in cli.ok("show", "-b", "bella", card_id)


def test_a_schema_exported_from_one_business_starts_another(cli: Cli, tmp_path: Path) -> None:
    cli.ok("schema", "add", "-b", "bella", "hair", "--type", "text", "--label", "en=Hair")
    exported = tmp_path / "schema.json"
    exported.write_text(cli.ok("schema", "export", "-b", "bella"), encoding="utf-8")
    cli.ok("init", "copy", "--name", "Copy", "--schema", str(exported))
    assert "hair" in cli.ok("schema", "show", "-b", "copy")


def test_a_schema_file_that_is_not_json_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{nope", encoding="utf-8")
    status, _, err = cli("init", "x", "--name", "X", "--schema", str(broken))
    assert status == 2
    assert "not JSON" in err


def test_a_phone_field_can_be_made_mobile_only(cli: Cli) -> None:
    cli.ok("schema", "set", "-b", "bella", "phones", "--mobile-only")
    status, _, err = cli("add", "-b", "bella", "first_name=A", "phones=02 1234 5678")
    assert status == 1
    assert "phone.not_mobile" in err


def test_an_unexpected_failure_is_one_line_without_a_traceback(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientcard.cards.service import CardService

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret client detail")

    monkeypatch.setattr(CardService, "search", broken)
    status, _, err = cli("search", "-b", "bella", "anna")
    assert status == 1
    assert err.strip() == "error: unexpected RuntimeError"


def test_consent_is_granted_shown_and_counted_from_the_command_line(cli: Cli) -> None:
    anna = cli.ok("add", "-b", "bella", "first_name=Anna", "email=anna@example.com").strip()
    cli.ok("add", "-b", "bella", "first_name=Bruno", "email=bruno@example.com")
    cli.ok("add", "-b", "bella", "first_name=Carla")
    granted = cli.ok(
        "consent",
        "grant",
        "-b",
        "bella",
        anna,
        "--purpose",
        "marketing",
        "--channel",
        "email",
        "--wording",
        "newsletter-v2",
        "--by",
        "staff-3",
    )
    assert "agrees to marketing and promotions by e-mail" in granted  # the command's language
    counted = cli.ok("audience", "-b", "bella", "--purpose", "marketing", "--channel", "email")
    assert "1 may receive marketing by email" in counted
    assert "1 excluded: no_consent" in counted
    assert "1 excluded: no_address" in counted
    shown = cli.ok("consent", "show", "-b", "bella", anna, "--lang", "en")
    assert "agreed to marketing and promotions by e-mail" in shown
    assert "newsletter-v2" in shown


def test_withdrawal_and_objection_from_the_command_line(cli: Cli) -> None:
    anna = cli.ok("add", "-b", "bella", "first_name=Anna", "email=anna@example.com").strip()
    cli.ok(
        "consent",
        "grant",
        "-b",
        "bella",
        anna,
        "--purpose",
        "marketing",
        "--channel",
        "email",
        "--wording",
        "v1",
    )
    cli.ok(
        "consent", "withdraw", "-b", "bella", anna, "--purpose", "marketing", "--channel", "email"
    )
    objected = cli.ok("consent", "object", "-b", "bella", anna)
    assert "The client objects to all direct marketing." in objected
    status, _, err = cli(
        "consent", "grant", "-b", "bella", anna, "--purpose", "marketing", "--wording", "v1"
    )
    assert status == 1
    assert "consent.channel_mismatch" in err


def test_send_is_a_dry_run_by_default(cli: Cli) -> None:
    anna = cli.ok("add", "-b", "bella", "first_name=Anna", "email=anna@example.com").strip()
    cli.ok("add", "-b", "bella", "first_name=Bruno", "email=bruno@example.com")
    cli.ok(
        "consent",
        "grant",
        "-b",
        "bella",
        anna,
        "--purpose",
        "marketing",
        "--channel",
        "email",
        "--wording",
        "v1",
    )
    out = cli.ok(
        "send",
        "-b",
        "bella",
        "--purpose",
        "marketing",
        "--subject",
        "Novità",
        "--body",
        "Ciao $first_name $unsubscribe_url",
    )
    assert "dry run: 1 would receive it" in out
    assert "1 skipped: no_consent" in out


def test_a_marketing_send_without_an_unsubscribe_link_is_refused(cli: Cli) -> None:
    status, _, err = cli(
        "send", "-b", "bella", "--purpose", "marketing", "--subject", "x", "--body", "Buy now"
    )
    assert status == 1
    assert "template.no_unsubscribe" in err


def test_send_delivers_through_smtp(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from aiosmtpd.controller import Controller

    from tests.messaging.test_smtp import Inbox, free_port

    anna = cli.ok("add", "-b", "bella", "first_name=Anna", "email=anna@example.com").strip()
    cli.ok(
        "consent",
        "grant",
        "-b",
        "bella",
        anna,
        "--purpose",
        "marketing",
        "--channel",
        "email",
        "--wording",
        "v1",
    )
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("CLIENTCARD_TOKEN_SECRET", "ab" * 32)
    try:
        out = cli.ok(
            "send",
            "-b",
            "bella",
            "--purpose",
            "marketing",
            "--subject",
            "Novità",
            "--body",
            "Ciao $first_name: $unsubscribe_url",
            "--send",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            str(port),
            "--smtp-security",
            "none",
            "--sender",
            "bella@example.com",
            "--unsubscribe-url",
            "https://bella.example/u/{token}",
        )
    finally:
        controller.stop()
    assert "sent 1 of 1" in out
    (mail,) = handler.messages
    assert mail["To"] == "anna@example.com"
    assert "Ciao Anna: https://bella.example/u/" in mail.get_content()  # type: ignore[attr-defined]


def test_send_for_real_needs_its_settings(cli: Cli) -> None:
    status, _, err = cli(
        "send",
        "-b",
        "bella",
        "--purpose",
        "marketing",
        "--subject",
        "x",
        "--body",
        "y $unsubscribe_url",
        "--send",
    )
    assert status == 2
    assert "CLIENTCARD_TOKEN_SECRET" in err


def test_send_is_for_marketing_only(cli: Cli) -> None:
    status, _, err = cli(
        "send", "-b", "bella", "--purpose", "appointment_reminders", "--subject", "x", "--body", "y"
    )
    assert status == 2
    assert "appointment_reminders" in err


class TestImportWorkers:
    @pytest.mark.parametrize(("cpus", "workers"), [(1, 0), (2, 2), (4, 4), (64, 4)])
    def test_the_import_starts_one_worker_per_cpu_four_at_most(
        self, monkeypatch: pytest.MonkeyPatch, cpus: int, workers: int
    ) -> None:
        monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cpus)))
        assert cpu_workers() == workers
