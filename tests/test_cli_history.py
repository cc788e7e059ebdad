"""The history, statistics and blacklist commands."""

from __future__ import annotations

import pytest

from tests.cli_support import Cli


def _client(cli: Cli, *fields: str) -> str:
    return cli.ok("add", "-b", "bella", "first_name=Anna", *fields).strip().split()[-1]


def test_show_gives_the_overview_and_history(cli: Cli) -> None:
    card = _client(cli, "notes=Allergic to nickel")
    cli.ok(
        "appointment",
        "add",
        "-b",
        "bella",
        card,
        "--at",
        "2026-01-10T10:00",
        "--service",
        "Colour=60",
        "--status",
        "completed",
    )
    booked = cli.ok(
        "appointment", "add", "-b", "bella", card, "--at", "2099-01-10T10:00", "--service", "Cut=35"
    ).strip()
    out = cli.ok("show", "-b", "bella", card, "--history")
    assert "average spend" in out
    assert "60.00 EUR" in out
    assert "Allergic to nickel" in out
    assert booked in out


def test_an_appointment_status_can_change(cli: Cli) -> None:
    card = _client(cli)
    visit = cli.ok(
        "appointment", "add", "-b", "bella", card, "--at", "2026-01-10", "--service", "Cut=35"
    ).strip()
    assert cli.ok("appointment", "status", "-b", "bella", visit, "no_show").strip() == (
        f"{visit}: no_show"
    )
    assert "no_show" in cli.ok("show", "-b", "bella", card, "--history")


def test_a_bad_service_is_a_usage_error(cli: Cli) -> None:
    card = _client(cli)
    status, _, err = cli(
        "appointment", "add", "-b", "bella", card, "--at", "2026-01-10", "--service", "Cut"
    )
    assert status == 2
    assert "NAME=PRICE" in err


def test_stats_show_a_clients_figures(cli: Cli) -> None:
    card = _client(cli)
    for day in ("2026-01-10", "2026-02-10"):
        cli.ok(
            "appointment",
            "add",
            "-b",
            "bella",
            card,
            "--at",
            day,
            "--service",
            "Cut=35",
            "--status",
            "completed",
        )
    cli.ok("payment", "-b", "bella", card, "--amount", "35", "--invoice", "2026/1")
    out = cli.ok("stats", "-b", "bella", card)
    assert "70.00 EUR" in out
    assert "31.0" in out  # days between the two visits


def test_aggregate_stats_count_only_profiling_clients(cli: Cli) -> None:
    cli.ok("group", "define", "-b", "bella", "vip", "--label", "VIP")
    card = _client(cli, "client_group=vip")
    cli.ok(
        "appointment",
        "add",
        "-b",
        "bella",
        card,
        "--at",
        "2026-01-10",
        "--service",
        "Cut=35",
        "--status",
        "completed",
    )
    assert "clients counted (profiling consent): 0" in cli.ok("stats", "-b", "bella")


def test_blacklist_blocks_and_lifts(cli: Cli) -> None:
    card = _client(cli, "phones=333 1234567")
    entry = cli.ok("blacklist", "add", "-b", "bella", card, "--reason", "no_show").strip()
    status, out, _ = cli("blacklist", "check", "-b", "bella", "--phone", "+393331234567")
    assert status == 3
    assert f"may not book: no_show (entry {entry})" in out
    assert entry in cli.ok("blacklist", "list", "-b", "bella", card)
    cli.ok("blacklist", "lift", "-b", "bella", entry)
    assert cli.ok("blacklist", "check", "-b", "bella", "--card", card).strip() == "may book"


def test_a_short_fingerprint_secret_is_a_usage_error(
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLIENTCARD_FINGERPRINT_SECRET", "abcd")
    status, _, err = cli("blacklist", "check", "-b", "bella", "--email", "a@example.com")
    assert status == 2
    assert "CLIENTCARD_FINGERPRINT_SECRET" in err
