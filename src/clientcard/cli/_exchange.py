"""The ``import``, ``imports`` and ``export`` commands.

Put on the ``clientcard`` group by :mod:`clientcard.cli._app`; like the other commands, a
thin shell over a business's exchange service (``book.business(id).exchange``, see
:mod:`clientcard.exchange.service`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from clientcard.cli._context import Context, business_option, console, pairs, printable, yes_no
from clientcard.cli._i18n import _N, _, cli_language
from clientcard.errors import StorageError
from clientcard.exchange import (
    ColumnMapping,
    ImportIssue,
    ImportReport,
    Selection,
    cpu_workers,
    file_format,
    open_source,
)
from clientcard.locale import LANGUAGES, message
from clientcard.storage._modes import open_private
from clientcard.storage.protocol import CardQuery

__all__ = ["COMMANDS"]

_FORMATS = click.Choice(["csv", "xlsx", "vcard", "json"])
_SHOWN_ISSUES = 50


def _mapping_table(mapping: ColumnMapping) -> Table:
    table = Table(_("column"), _("header"), _("field"), title=_("column mapping"))
    for number, (header, target) in enumerate(
        zip(mapping.headers, mapping.targets, strict=True), start=1
    ):
        table.add_row(str(number), Text(printable(header)), Text(target or _("(ignored)")))
    return table


_EXIT_CODES = _N(
    "Exit status: 0 every row imported (or already there); 1 the file could not be imported"
    " (not readable as its format, empty, a mapping or an option refused: nothing written);"
    " 2 the command was used wrongly; 3 some rows were rejected, the others imported;"
    " 4 nothing imported: every row was rejected, or the file has no rows. A dry run"
    " answers the same for what it would do."
)
EXIT_OK = 0
EXIT_SOME_REJECTED = 3
EXIT_NOTHING_IMPORTED = 4


def reports_dir(obj: Context) -> Path:
    """Where the import reports of the book at ``obj.db`` are kept: ``DB.imports/``."""
    db = Path(obj.db)
    return db.with_name(db.name + ".imports")


def _issue_line(issue: ImportIssue) -> Text:
    # The row, the field and the reason; never a value from the file.
    if issue.column:
        where = _("row {row}, column {column}").format(row=issue.row, column=issue.column)
    else:
        where = _("row {row}").format(row=issue.row)
    return Text(printable(f"  {where}, {issue.field}: {issue.message} ({issue.code})"))


def _print_issues(title: str, issues: Sequence[ImportIssue]) -> None:
    if not issues:
        return
    console.print(title)
    for issue in issues[:_SHOWN_ISSUES]:
        console.print(_issue_line(issue))
    if len(issues) > _SHOWN_ISSUES:
        console.print(
            _("  ... {count} more in the report").format(count=len(issues) - _SHOWN_ISSUES)
        )


def _keep_report(obj: Context, import_id: str, document: dict[str, Any], copy: Path | None) -> Path:
    """Write an import's report as a file of its own (never over another); return its path."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    folder = reports_dir(obj)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    kept = folder / f"{import_id}.json"
    # Rows of client data: owner-only, and never over another import's report.
    with open_private(kept, "x", encoding="utf-8") as stream:
        stream.write(text)
    if copy is not None:
        with open_private(copy, "x", encoding="utf-8") as stream:
            stream.write(text)
    return kept


def _about(business_id: str, file: Path) -> dict[str, Any]:
    return {
        "business_id": business_id,
        "file": file.name,
        "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _exit_status(report: ImportReport) -> int:
    rejected = len(report.rejected_rows)
    if report.rows in (0, rejected):
        return EXIT_NOTHING_IMPORTED
    return EXIT_SOME_REJECTED if rejected else EXIT_OK


def _print_report(report: ImportReport, kept: Path) -> None:
    """What an import did, for people: rows and reasons, never a value from the file."""
    console.print(Text(report.summary()))
    if report.rows == 0:
        console.print(_("the file has no rows to import"))
    if report.minors:
        console.print(Text(message("import.minors", cli_language(), count=report.minors)))
    _print_issues(_("rejected:"), report.rejected)
    _print_issues(_("left out (the contact was kept):"), report.warnings)
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
    console.print(
        _("import {id}; report: {file}").format(id=report.import_id, file=printable(str(kept)))
    )


@click.command(
    name="import",
    help=_("Import clients from a CSV, Excel, vCard or JSON file."),
    epilog=_EXIT_CODES,
)
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
    help=_(
        "Also write the JSON report here (never over an existing file); every report is"
        " kept in DB.imports/ (see `imports`)."
    ),
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
    if report_path is not None and report_path.exists():
        # A report is the evidence of the consent an import records: never replaced.
        raise click.BadParameter(
            _("{file} exists: reports are never overwritten").format(
                file=printable(str(report_path))
            ),
            param_hint="--report",
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
        # Chosen here, so a run that stops after storing some batches (their consent
        # names it as evidence) still leaves a report under it.
        import_id = str(uuid.uuid4())
        try:
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
                    import_id=import_id,
                )
        except StorageError as error:
            failed = {
                "import_id": import_id,
                "format": source.format,
                "dry_run": dry_run,
                "failed": error.reason,
                **_about(business_id, file),
            }
            _keep_report(obj, import_id, failed, report_path)
            raise
    document = {**report.to_dict(), **_about(business_id, file)}
    kept = _keep_report(obj, import_id, document, report_path)
    _print_report(report, kept)
    status = _exit_status(report)
    if status != EXIT_OK:
        raise click.exceptions.Exit(status)


def _stored_reports(obj: Context, business_id: str) -> list[dict[str, Any]]:
    """The reports kept for ``business_id``, newest first; unreadable files are skipped."""
    folder = reports_dir(obj)
    found = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(document, dict) and document.get("business_id") == business_id:
            found.append(document)
    return sorted(found, key=lambda d: str(d.get("recorded_at", "")), reverse=True)


@click.command(
    name="imports",
    help=_(
        "List the imports of a business (kept in DB.imports/), newest first, or show one's"
        " rejected rows and warnings."
    ),
)
@business_option
@click.argument("import_id", required=False)
@click.pass_obj
def imports_command(obj: Context, business_id: str, import_id: str | None) -> None:
    reports = _stored_reports(obj, business_id)
    if import_id is None:
        table = Table(
            _("when"), _("format"), _("dry run"), _("rows"), _("imported"), _("rejected"),
            _("file"),
        )  # fmt: skip
        table.add_column(_("import id"), no_wrap=True, min_width=36)
        for document in reports:
            counts = document.get("counts", {})
            table.add_row(
                str(document.get("recorded_at", "")),
                str(document.get("format", "")),
                yes_no(bool(document.get("dry_run"))),
                str(counts.get("rows", "")),
                str(counts.get("imported", "")),
                str(counts.get("rejected", "")),
                Text(printable(str(document.get("file", "")))),
                str(document.get("import_id", "")),
            )
        console.print(table)
        console.print(_("{count} imports").format(count=len(reports)))
        return
    shown = next((d for d in reports if d.get("import_id") == import_id), None)
    if shown is None:
        raise click.BadParameter(
            _("no import {id} in this business").format(id=printable(import_id)),
            param_hint="IMPORT_ID",
        )
    counts = shown.get("counts", {})
    console.print(
        _("import {id} of {file} ({format}) at {when}: {rows} rows, {imported} imported,"
          " {rejected} rejected").format(
            id=import_id,
            file=printable(str(shown.get("file", ""))),
            format=shown.get("format", ""),
            when=shown.get("recorded_at", ""),
            rows=counts.get("rows", 0),
            imported=counts.get("imported", 0),
            rejected=counts.get("rejected", 0),
        ),
        markup=False,
    )  # fmt: skip
    _print_issues(_("rejected:"), _issues(shown.get("rejected")))
    _print_issues(_("left out (the contact was kept):"), _issues(shown.get("warnings")))


def _issues(items: object) -> list[ImportIssue]:
    found = []
    for item in items if isinstance(items, list) else []:
        try:
            found.append(ImportIssue(**item))
        except TypeError:
            continue
    return found


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
@click.option(
    "--include-notes",
    is_flag=True,
    help=_("Include free-text notes (they may hold health data: an allergy, a treatment)."),
)
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
    include_notes: bool,
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
            include_notes=include_notes,
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
    if report.notes_left_out:
        console.print(
            _("left out (free-text notes, which may hold health data; --include-notes to add):"
              " {fields}").format(fields=", ".join(report.notes_left_out))
        )  # fmt: skip
    elif include_notes:
        console.print(_("notes included: they may hold health data, handle the file so"))


COMMANDS: tuple[click.Command, ...] = (
    import_command,
    imports_command,
    export_command,
)
"""This module's commands, for :mod:`clientcard.cli._app` to put on the group."""
