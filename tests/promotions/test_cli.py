"""`clientcard promo`, `clientcard group` and `clientcard photo`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_support import Cli

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)


def add(cli: Cli, name: str = "Giulia") -> str:
    return cli.ok("add", "-b", "bella", f"first_name={name}").strip()


def test_a_promotion_is_defined_listed_and_redeemed(cli: Cli) -> None:
    out = cli.ok(
        "promo", "define", "-b", "bella", "summer-26", "--name", "Summer", "--percent", "15",
        "--from", "2020-06-01", "--until", "2099-01-01", "--per-client", "1", "--total", "10",
    )  # fmt: skip
    assert out.strip() == "defined SUMMER26: 15%"
    card_id = add(cli)
    assert "SUMMER26" in cli.ok("promo", "active-for", "-b", "bella", card_id)
    redeemed = cli.ok("promo", "redeem", "-b", "bella", card_id, "Summer 26")
    assert redeemed.strip() == f"redeemed SUMMER26 for {card_id}: 15% off"
    status, _, err = cli("promo", "redeem", "-b", "bella", card_id, "summer26")
    assert status == 1
    assert "promotion.client_limit_reached" in err
    assert "0 active" in cli.ok("promo", "active-for", "-b", "bella", card_id)
    listed = cli.ok("promo", "list", "-b", "bella")
    assert "SUMMER26" in listed
    assert "2020-06-01" in listed


def test_a_fixed_discount_and_retiring(cli: Cli) -> None:
    cli.ok("promo", "define", "-b", "bella", "FIVE", "--name", "Five", "--amount", "5 EUR")
    assert cli.ok("promo", "retire", "-b", "bella", "five").strip() == "retired FIVE"
    assert "0 promotions" in cli.ok("promo", "list", "-b", "bella")
    assert "5.00 EUR" in cli.ok("promo", "list", "-b", "bella", "--all")
    status, _, err = cli("promo", "redeem", "-b", "bella", add(cli), "five")
    assert status == 1
    assert "promotion.retired" in err


def test_a_promotion_needs_exactly_one_discount(cli: Cli) -> None:
    status, _, err = cli("promo", "define", "-b", "bella", "X1X", "--name", "X")
    assert status == 2
    assert "--percent" in err


def test_groups_are_defined_listed_and_clients_moved(cli: Cli) -> None:
    cli.ok("group", "define", "-b", "bella", "gold", "--label", "Gold", "--discount", "10")
    cli.ok("group", "define", "-b", "bella", "silver", "--label", "Silver", "--service", "wash")
    anna, bea = add(cli, "Anna"), add(cli, "Bea")
    moved = cli.ok("group", "move", "-b", "bella", anna, bea, "nobody", "--to", "gold")
    assert "moved 2 to gold" in moved
    assert "1 not found: nobody" in moved
    assert "moved 2 to silver" in cli.ok(
        "group", "move", "-b", "bella", "--from", "gold", "--to", "silver"
    )
    listed = cli.ok("group", "list", "-b", "bella")
    assert "Silver" in listed
    assert "10%" in listed
    assert "moved 2 to no group" in cli.ok(
        "group", "move", "-b", "bella", "--from", "silver", "--none"
    )
    status, _, err = cli("group", "move", "-b", "bella", anna, "--to", "platinum")
    assert status == 1
    assert "group.unknown" in err


def test_group_move_arguments_are_checked(cli: Cli) -> None:
    assert cli("group", "move", "-b", "bella", "c1")[0] == 2
    assert cli("group", "move", "-b", "bella", "--to", "x")[0] == 2


def test_photos_are_added_and_listed(cli: Cli, tmp_path: Path) -> None:
    card_id = add(cli)
    picture = tmp_path / "Giulia Verdi.jpg"
    picture.write_bytes(JPEG)
    out = cli.ok(
        "photo", "add", "-b", "bella", card_id, str(picture),
        "--kind", "inspiration", "--appointment", "apt-1", "--caption", "ramato",
    )  # fmt: skip
    assert "image/jpeg" in out
    listed = cli.ok("photo", "list", "-b", "bella", card_id)
    assert "inspiration" in listed
    assert "ramato" in listed
    assert "1 photos" in cli.ok("photo", "list", "-b", "bella", "--appointment", "apt-1")
    stored = [p for p in Path(f"{cli.db}.photos").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in stored] == [JPEG]
    assert "Giulia" not in str(stored[0])
    assert cli.ok("photo", "purge", "-b", "bella").strip() == "purged 0"


def test_a_file_that_is_not_a_photo_is_refused(cli: Cli, tmp_path: Path) -> None:
    document = tmp_path / "notes.pdf"
    document.write_bytes(b"%PDF-1.7")
    status, _, err = cli("photo", "add", "-b", "bella", add(cli), str(document))
    assert status == 1
    assert "photo.type_unsupported" in err
    assert cli("photo", "list", "-b", "bella")[0] == 2


@pytest.mark.parametrize("command", ["promo", "group", "photo"])
def test_each_command_explains_itself(cli: Cli, command: str) -> None:
    assert "Usage" in cli.ok(command, "--help")


def test_show_lists_the_active_promotions(cli: Cli) -> None:
    cli.ok("promo", "define", "-b", "bella", "WELCOME", "--name", "Welcome", "--percent", "10")
    assert "WELCOME" in cli.ok("show", "-b", "bella", add(cli))
