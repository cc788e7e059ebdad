"""``clientcard blacklist``: block clients from booking, and lift blocks."""

from __future__ import annotations

import getpass
from collections.abc import Sequence

import click
from rich.table import Table
from rich.text import Text

from clientcard.blacklist.model import BlacklistEntry, BlockReason
from clientcard.cli._context import Context, business_option, console, show_time, when
from clientcard.cli._i18n import _

__all__ = ["COMMANDS"]


def _actor() -> str:
    """Who the CLI acts as, for blacklist entries: the login name, or ``cli``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


@click.group(help=_("Block clients from booking (and from marketing), and lift blocks."))
def blacklist() -> None:
    pass


def _entries_table(entries: Sequence[BlacklistEntry]) -> Table:
    table = Table()
    for column in (_("id"), _("reason"), _("since"), _("until"), _("where"), _("by")):
        table.add_column(column)
    for entry in entries:
        table.add_row(
            entry.id,
            entry.reason.value,
            show_time(entry.at),
            show_time(entry.ends_at),
            entry.location_id or _("everywhere"),
            Text(entry.lifted_by or entry.by or "-"),
        )
    return table


@blacklist.command(name="add", help=_("Block CARD_ID from booking."))
@business_option
@click.argument("card_id")
@click.option(
    "--reason",
    required=True,
    type=click.Choice([r.value for r in BlockReason]),
    help=_("Why the client is blocked."),
)
@click.option("--location", "location_id", help=_("Block at this location only."))
@click.option("--until", "until", help=_("Expiry, ISO 8601 (open-ended if absent)."))
@click.option("--note", help=_("A note for staff."))
@click.pass_obj
def blacklist_add(
    obj: Context,
    business_id: str,
    card_id: str,
    *,
    reason: str,
    location_id: str | None,
    until: str | None,
    note: str | None,
) -> None:
    with obj.book() as book:
        entry = book.business(business_id).blacklist.add(
            card_id,
            BlockReason(reason),
            by=_actor(),
            location_id=location_id,
            expires_at=None if until is None else when(until, "--until"),
            note=note,
        )
    console.print(entry.id)


@blacklist.command(name="lift", help=_("Lift a block."))
@business_option
@click.argument("entry_id")
@click.pass_obj
def blacklist_lift(obj: Context, business_id: str, entry_id: str) -> None:
    with obj.book() as book:
        book.business(business_id).blacklist.lift(entry_id, by=_actor())
    console.print(_("lifted {id}").format(id=entry_id))


@blacklist.command(name="list", help=_("List every block ever placed on CARD_ID."))
@business_option
@click.argument("card_id")
@click.pass_obj
def blacklist_list(obj: Context, business_id: str, card_id: str) -> None:
    with obj.book() as book:
        entries = book.business(business_id).blacklist.list(card_id)
    console.print(_entries_table(entries))


@blacklist.command(name="check", help=_("Tell whether someone may book (exit status 3 when not)."))
@business_option
@click.option("--card", "card_id", help=_("A known client's card."))
@click.option("--email", help=_("The e-mail address typed in a booking."))
@click.option("--phone", help=_("The phone number typed in a booking."))
@click.option("--location", "location_id", help=_("The location of the booking."))
@click.pass_obj
def blacklist_check(
    obj: Context,
    business_id: str,
    *,
    card_id: str | None,
    email: str | None,
    phone: str | None,
    location_id: str | None,
) -> None:
    with obj.book() as book:
        decision = book.business(business_id).blacklist.may_book(
            card_id=card_id, email=email, phone=phone, location_id=location_id
        )
    if decision.allowed:
        console.print(_("may book"))
        return
    # The reason is the block's code (no_show, ...), as `blacklist add --reason` takes it.
    reason = decision.reason.value if decision.reason else "blocked"
    console.print(
        _("may not book: {reason} (entry {entry})").format(reason=reason, entry=decision.entry_id)
    )
    raise click.exceptions.Exit(3)


COMMANDS: tuple[click.Command, ...] = (blacklist,)
"""This module's commands, for :mod:`clientcard.cli._app` to put on the group."""
