"""``clientcard group``: define client groups and move clients between them."""

from __future__ import annotations

import click
from rich.table import Table
from rich.text import Text

from clientcard.cli._context import Context, business_option, console, every_card
from clientcard.cli._i18n import _, cli_language
from clientcard.storage.protocol import CardQuery

__all__ = ["COMMANDS"]


@click.group(help=_("Define client groups and move clients between them."))
def group() -> None:
    pass


@group.command(name="define", help=_("Define a client group under KEY."))
@business_option
@click.argument("key")
@click.option("--label", required=True, help=_("The name staff see."))
@click.option("--description", default="", help=_("What the group is for."))
@click.option("--discount", help=_("Members' discount, in per cent."))
@click.option("--service", "services", multiple=True, help=_("A service members get (repeat)."))
@click.option("--replace", is_flag=True, help=_("Redefine an existing group."))
@click.pass_obj
def group_define(
    obj: Context,
    business_id: str,
    key: str,
    label: str,
    description: str,
    discount: str | None,
    services: tuple[str, ...],
    replace: bool,
) -> None:
    with obj.book() as book:
        defined = book.business(business_id).groups.add(
            key=key,
            label=label,
            description=description,
            discount_percent=discount,
            included_services=services,
            replace=replace,
            lang=cli_language(),
        )
    console.print(_("defined group {key}").format(key=defined.key))


@group.command(
    name="list",
    help=_("List the client groups with their benefits and how many clients are in each."),
)
@business_option
@click.pass_obj
def group_list(obj: Context, business_id: str) -> None:
    table = Table(_("key"), _("label"), _("discount"), _("services"), _("clients"))
    with obj.book() as book:
        desk = book.business(business_id)
        groups = desk.groups.list()
        for item in groups:
            members = desk.cards.count(CardQuery(group=item.key))
            percent = f"{item.discount_percent.normalize():f}%" if item.discount_percent else ""
            cells = (item.key, item.label, percent, ", ".join(item.included_services), str(members))
            table.add_row(*(Text(cell) for cell in cells))
    console.print(table)
    console.print(_("{count} groups").format(count=len(groups)))


@group.command(
    name="move",
    help=_("Move clients (CARD_IDS, or every member of --from) into the --to group."),
)
@business_option
@click.argument("card_ids", nargs=-1)
@click.option("--to", "target", help=_("The group to move into."))
@click.option("--none", "no_group", is_flag=True, help=_("Take the clients out of every group."))
@click.option("--from", "source", help=_("Move every client of this group."))
@click.pass_obj
def group_move(
    obj: Context,
    business_id: str,
    card_ids: tuple[str, ...],
    target: str | None,
    no_group: bool,
    source: str | None,
) -> None:
    if (target is not None) == no_group:
        raise click.UsageError(_("give one of --to and --none"))
    if bool(card_ids) == (source is not None):
        raise click.UsageError(_("give card ids or --from, not both"))
    with obj.book() as book:
        desk = book.business(business_id)
        # Each card at the version read now: one changed meanwhile is reported, not moved.
        if source is not None:
            cards = {
                card.id: card.version for card in every_card(desk.cards, CardQuery(group=source))
            }
        else:
            cards = {}
            for card_id in card_ids:
                try:
                    cards[card_id] = desk.cards.get(card_id).version
                except LookupError:
                    cards[card_id] = 0
        move = desk.groups.move(cards, target, lang=cli_language())
    if move.group:
        console.print(_("moved {count} to {group}").format(count=len(move.moved), group=move.group))
    else:
        console.print(_("moved {count} to no group").format(count=len(move.moved)))
    for line, ids in (
        (_("  {count} already there: {ids}"), move.unchanged),
        (_("  {count} changed meanwhile, not moved: {ids}"), move.conflicts),
        (_("  {count} not found: {ids}"), move.missing),
    ):
        if ids:
            console.print(line.format(count=len(ids), ids=", ".join(ids)))


COMMANDS: tuple[click.Command, ...] = (group,)
"""This module's commands, for :mod:`clientcard.cli._app` to put on the group."""
