"""Upkeep of the database file: ``clientcard scrub``."""

from __future__ import annotations

import click
from rich.table import Table

from clientcard.cli._context import Context, console
from clientcard.cli._i18n import _

__all__ = ["COMMANDS"]


@click.command(
    name="scrub",
    help=_(
        "Rebuild the database file so that no deleted data is left in it, "
        "and empty its write-ahead log."
    ),
)
@click.pass_obj
def scrub(obj: Context) -> None:
    # The SQLite store already overwrites what it deletes; this also clears a file that
    # another tool wrote without secure delete, and gives freed pages back.
    with obj.book() as book:
        report = book.admin.scrub()
    table = Table(_("table"), _("method"), _("seconds"), _("bytes before"), _("bytes after"))
    for done in report.tables:
        table.add_row(
            done.table,
            done.method.value,
            f"{done.seconds:.3f}",
            str(done.bytes_before),
            str(done.bytes_after),
        )
    console.print(table)
    if not report.complete:
        raise click.ClickException(_("scrub incomplete: run it again later"))
    console.print(_("scrub complete"))


COMMANDS: tuple[click.Command, ...] = (scrub,)
"""This module's commands, for :mod:`clientcard.cli._app` to put on the group."""
