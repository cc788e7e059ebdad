"""The ``duplicates`` and ``merge`` commands: clients who seem to be one person.

Put on the ``clientcard`` group by :mod:`clientcard.cli._app`; a thin shell over a
business's exchange service (``book.business(id).exchange``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import click
from rich.table import Table
from rich.text import Text

from clientcard.cli._context import Context, business_option, console
from clientcard.cli._i18n import _

if TYPE_CHECKING:
    from clientcard.cards.service import CardService

__all__ = ["COMMANDS"]


def _name(cards: CardService, card_id: str) -> str:
    card = cards.get(card_id)
    return str(card.display_name or card.email or card.id)


@click.command(
    name="duplicates", help=_("List clients that seem to be one person, most likely first.")
)
@business_option
@click.option(
    "--min-score",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0, 1),
    help=_("Leave out pairs less likely than this."),
)
@click.option("--json", "as_json", is_flag=True, help=_("Print JSON (ids, scores, reasons)."))
@click.pass_obj
def duplicates_command(obj: Context, business_id: str, min_score: float, as_json: bool) -> None:
    with obj.book() as book:
        desk = book.business(business_id)
        pairs = desk.exchange.find_duplicates(min_score=min_score)
        if as_json:
            click.echo(json.dumps([pair.to_dict() for pair in pairs], indent=2))
            return
        table = Table(_("score"), _("client"), _("client"), _("why"))
        # Whole ids, however narrow the terminal: they are what `merge` takes.
        table.add_column(_("ids"), no_wrap=True, min_width=36)
        for pair in pairs:
            first, second = pair.card_ids
            table.add_row(
                f"{pair.score:.2f}",
                Text(_name(desk.cards, first)),
                Text(_name(desk.cards, second)),
                ", ".join(pair.reasons),
                Text(f"{first}\n{second}"),
            )
    console.print(table)
    console.print(_("{count} pairs").format(count=len(pairs)))


def _none_or_two(card_ids: tuple[str, ...]) -> tuple[str, ...]:
    # Checked while parsing, before the short ids are looked up, so that one id given
    # alone is a usage error rather than an unknown card.
    if len(card_ids) not in (0, 2):
        raise click.UsageError(_("give the card to keep and the card to merge into it"))
    return card_ids


@click.command(
    name="merge",
    help=_("Merge the second card into the first (KEEP OTHER), undo a merge, or purge snapshots."),
)
@business_option
@click.argument("card_ids", nargs=-1, callback=lambda _ctx, _param, ids: _none_or_two(ids))
@click.option("--yes", is_flag=True, help=_("Merge for real (default: show the preview)."))
@click.option("--prefer-other", "prefer", multiple=True, help=_("FIELD to take from the second."))
@click.option("--undo", "undo_id", help=_("Undo the merge with this id."))
@click.option("--purge", is_flag=True, help=_("Delete merge snapshots: merges become permanent."))
@click.option("--before", type=click.DateTime(["%Y-%m-%d"]), help=_("With --purge: older only."))
@click.option("--by", default="staff", show_default=True, help=_("Who merges."))
@click.pass_obj
def merge_command(
    obj: Context,
    business_id: str,
    card_ids: tuple[str, ...],
    yes: bool,
    prefer: tuple[str, ...],
    undo_id: str | None,
    purge: bool,
    before: dt.datetime | None,
    by: str,
) -> None:
    with obj.book() as book:
        exchange = book.business(business_id).exchange
        if undo_id is not None:
            survivor, restored = exchange.undo_merge(undo_id, by=by)
            console.print(
                _("undone: {kept} v{version} and {other} are back").format(
                    kept=survivor.id, version=survivor.version, other=restored.id
                )
            )
            return
        if purge:
            cutoff = before.replace(tzinfo=dt.UTC) if before is not None else None
            count = exchange.purge_merge_snapshots(before=cutoff)
            console.print(
                _("purged {count} merge snapshots; those merges are now permanent").format(
                    count=count
                )
            )
            return
        if len(card_ids) != 2:
            raise click.UsageError(_("give the card to keep and the card to merge into it"))
        keep, other = card_ids
        choices = dict.fromkeys(prefer, "absorbed")
        plan = exchange.preview_merge(keep, other, prefer=choices)  # type: ignore[arg-type]
        # A conflict keeps the first card's value unless --prefer-other named the field.
        kept = [key for key in plan.conflicts if key not in choices]
        taken = [key for key in plan.conflicts if key in choices]
        for line, items in (
            (_("changes: {items}"), plan.changed),
            (_("taken from the other card: {items}"), plan.filled),
            (_("both set, kept from the first: {items}"), kept),
            (_("both set, taken from the other card: {items}"), taken),
            (_("consent made stricter: {items}"), plan.stricter),
            (_("warnings: {items}"), plan.warnings),
        ):
            if items:
                console.print(line.format(items=", ".join(items)))
        console.print(
            _("match score {score} ({reasons})").format(
                score=f"{plan.match.score:.2f}", reasons=", ".join(plan.match.reasons)
            )
        )
        if not yes:
            console.print(_("preview only: add --yes to merge"))
            return
        result = exchange.merge(
            keep,
            other,
            expected_versions=(plan.survivor.version, plan.absorbed.version),
            by=by,
            prefer=choices,  # type: ignore[arg-type]
        )
    console.print(
        _("merged into {id} v{version}; undo: --undo {merge}").format(
            id=result.card.id, version=result.card.version, merge=result.merge_id
        )
    )


COMMANDS: tuple[click.Command, ...] = (duplicates_command, merge_command)
"""This module's commands, for :mod:`clientcard.cli._app` to put on the group."""
