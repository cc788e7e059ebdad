"""The ``import``, ``export``, ``duplicates`` and ``merge`` commands.

Put on the ``clientcard`` group by :mod:`clientcard.cli._app`; like the other commands, a
thin shell over a business's exchange service (``book.business(id).exchange``, see
:mod:`clientcard.exchange.service`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from clientcard.cli._context import Context, business_option, console, pairs
from clientcard.cli._i18n import _, cli_language
from clientcard.exchange import ColumnMapping, Selection, cpu_workers, file_format, open_source
from clientcard.locale import LANGUAGES
from clientcard.storage._modes import open_private
from clientcard.storage.protocol import CardQuery

if TYPE_CHECKING:
    from clientcard.cards.service import CardService

__all__ = ["COMMANDS"]

_FORMATS = click.Choice(["csv", "xlsx", "vcard", "json"])
_SHOWN_ISSUES = 50


def _mapping_table(mapping: ColumnMapping) -> Table:
    table = Table(_("column"), _("header"), _("field"), title=_("column mapping"))
    for number, (header, target) in enumerate(
        zip(mapping.headers, mapping.targets, strict=True), start=1
    ):
        table.add_row(str(number), Text(header), Text(target or _("(ignored)")))
    return table


@click.command(name="import", help=_("Import clients from a CSV, Excel, vCard or JSON file."))
@business_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "format_", type=_FORMATS, help=_("Default: from the file name."))
@click.option("--encoding", help=_("Default: detected (UTF-8, UTF-16, Windows-1252)."))
@click.option("--delimiter", help=_("CSV only; default: detected."))
@click.option("--sheet", help=_("Excel only; default: the first sheet."))
@click.option("--map", "maps", multiple=True, help=_("HEADER=FIELD (or N=FIELD, or HEADER=)."))
@click.option("--preview", is_flag=True, help=_("Show the column mapping and stop."))
@click.option("--dry-run", is_flag=True, help=_("Check every row, write nothing."))
@click.option("--consent-wording", help=_("Version of the text clients agreed to (for consent)."))
@click.option("--skip-duplicates", is_flag=True, help=_("Leave out likely duplicates."))
@click.option("--date-order", type=click.Choice(["dmy", "mdy"]), help=_("How to read 03/04/1985."))
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    help=_(
        "Processes preparing rows of a large CSV or Excel file"
        " (default: one per CPU, four at most)."
    ),
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("Where to write the JSON report (default: FILE.report.json)."),
)
@click.pass_obj
def import_command(
    obj: Context,
    business_id: str,
    file: Path,
    format_: str | None,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | None,
    maps: tuple[str, ...],
    preview: bool,
    dry_run: bool,
    consent_wording: str | None,
    skip_duplicates: bool,
    date_order: str | None,
    workers: int | None,
    report_path: Path | None,
) -> None:
    try:
        chosen = format_ or file_format(file)
    except ValueError:
        # The one reason file_format refuses a name, in the command's language.
        raise click.BadParameter(
            _("unknown file type: use .csv, .xlsx, .vcf or .json"), param_hint="FILE"
        ) from None
    if maps and chosen in {"vcard", "json"}:
        # These files name their own fields; ignoring the option would import the
        # cards otherwise than the operator asked.
        raise click.BadParameter(
            _("{format} files name their own fields: --map is for CSV and Excel files").format(
                format=chosen
            ),
            param_hint="--map",
        )
    overrides: dict[str | int, str | None] = {}
    for column, target in pairs(maps, "--map").items():
        key: str | int = int(column) if column.isdigit() else column
        overrides[key] = str(target) or None
    with (
        obj.book() as book,
        open_source(
            file,
            format=chosen,  # type: ignore[arg-type]
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
        ) as source,
    ):
        desk = book.business(business_id)
        headers = getattr(source, "headers", None)
        mapping: ColumnMapping | None = None
        if headers is not None:
            mapping = ColumnMapping.suggest(headers, desk.cards.schema())
            if overrides:
                mapping = mapping.with_targets(overrides)
            console.print(_mapping_table(mapping))
        if preview:
            if headers is None:
                # vCards and JSON cards name their own fields: nothing to map, and a
                # preview never writes. The dry run is the look before importing.
                console.print(
                    _(
                        "{format} files name their fields: no column mapping to preview; "
                        "check the cards with --dry-run"
                    ).format(format=chosen)
                )
            return
        progress = Progress(
            TextColumn(_("importing")),
            BarColumn(),
            TextColumn(_("{task.completed} rows")),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        with progress:
            task = progress.add_task("import", total=None)
            report = desk.exchange.import_cards(
                source,
                mapping=mapping,
                dry_run=dry_run,
                consent_wording=consent_wording,
                on_duplicate="skip" if skip_duplicates else "import",
                date_order=date_order,  # type: ignore[arg-type]
                lang=cli_language(),
                progress=lambda count: progress.advance(task, count),
                workers=cpu_workers() if workers is None else workers,
            )
    target = report_path or file.with_name(file.name + ".report.json")
    with open_private(target, "w", encoding="utf-8") as written:  # rows of client data
        written.write(report.to_json())
    console.print(Text(report.summary()))
    for issue in report.rejected[:_SHOWN_ISSUES]:
        console.print(Text(f"  {issue}"))
    if len(report.rejected) > _SHOWN_ISSUES:
        console.print(
            _("  ... {count} more in the report").format(count=len(report.rejected) - _SHOWN_ISSUES)
        )
    likely = [d for d in report.duplicates if d.action == "imported"]
    if likely and report.dry_run:
        console.print(
            _("{count} rows look like cards already there: see the report").format(
                count=len(likely)
            )
        )
    elif likely:
        console.print(
            _("{count} imported cards look like cards already there: see duplicates").format(
                count=len(likely)
            )
        )
    console.print(_("report: {file}").format(file=target))


@click.command(
    name="export", help=_("Export a selection of clients to CSV, Excel, vCard 4.0 or JSON.")
)
@business_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "format_", type=_FORMATS, help=_("Default: from the file name."))
@click.option("--search", help=_("Only clients found by this search."))
@click.option("--group", help=_("Only this client group."))
@click.option("--tag", help=_("Only clients with this tag."))
@click.option("--segment", help=_("Only clients who may receive PURPOSE.CHANNEL."))
@click.option("--field", "fields", multiple=True, help=_("Only clients with custom KEY=VALUE."))
@click.option("--include-sensitive", is_flag=True, help=_("Include health data fields."))
@click.option("--include-consent", is_flag=True, help=_("JSON only: each client's consent."))
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    help=_("Labels' language (the business's by default)."),
)
@click.pass_obj
def export_command(
    obj: Context,
    business_id: str,
    file: Path,
    format_: str | None,
    search: str | None,
    group: str | None,
    tag: str | None,
    segment: str | None,
    fields: tuple[str, ...],
    include_sensitive: bool,
    include_consent: bool,
    lang: str | None,
) -> None:
    try:
        chosen = format_ or file_format(file)
    except ValueError:
        # The one reason file_format refuses a name, in the command's language.
        raise click.BadParameter(
            _("unknown file type: use .csv, .xlsx, .vcf or .json"), param_hint="FILE"
        ) from None
    contactable = None
    if segment is not None:
        purpose, _sep, channel = segment.partition(".")
        if not channel:
            raise click.BadParameter(_("use PURPOSE.CHANNEL"), param_hint="--segment")
        contactable = (purpose, channel)
    custom = pairs(fields, "--field")
    if len(custom) > 1:
        raise click.BadParameter(_("one custom field at a time"), param_hint="--field")
    custom_field, custom_value = next(iter(custom.items()), (None, None))
    query = CardQuery(
        group=group,
        tag=tag,
        contactable=contactable,
        custom_field=custom_field,
        custom_value=custom_value,
    )
    with obj.book() as book:
        report = book.business(business_id).exchange.export_cards(
            file,
            format=chosen,  # type: ignore[arg-type]
            selection=Selection(query=query, search=search),
            include_sensitive=include_sensitive,
            include_consent=include_consent,
            lang=lang,
        )
    console.print(
        _("exported {count} clients to {file} ({format})").format(
            count=report.count, file=file, format=report.format
        )
    )
    if report.left_out:
        console.print(
            _("left out (health data, --include-sensitive to add): {fields}").format(
                fields=", ".join(report.left_out)
            )
        )


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
    import json  # noqa: PLC0415

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


@click.command(
    name="merge",
    help=_("Merge the second card into the first (KEEP OTHER), undo a merge, or purge snapshots."),
)
@business_option
@click.argument("card_ids", nargs=-1)
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


COMMANDS: tuple[click.Command, ...] = (
    import_command,
    export_command,
    duplicates_command,
    merge_command,
)
"""This module's commands, for :mod:`clientcard.cli._app` to put on the group."""
