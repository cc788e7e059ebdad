"""The privacy commands of ``clientcard``: erase, retention, export-subject and friends.

Put on the ``clientcard`` group by :mod:`clientcard.cli._app`.
"""

from __future__ import annotations

import datetime as dt
import json
import string
from collections.abc import Sequence
from pathlib import Path
from typing import Final, TextIO

import click
from rich.table import Table
from rich.text import Text

from clientcard.cli._context import (
    MIN_ID_PREFIX,
    Context,
    business_option,
    console,
    pairs,
    yes_no,
)
from clientcard.cli._i18n import _, cli_language
from clientcard.consent import Purpose
from clientcard.erasure import (
    ErasureMode,
    ErasurePolicy,
    ExtensionReason,
    RequestKind,
    RetentionRules,
    receipt_from_dict,
    receipt_to_dict,
)
from clientcard.erasure.audit import AuditEntry
from clientcard.errors import DocumentError
from clientcard.locale import LANGUAGES
from clientcard.storage._modes import open_private

_LANGS = click.Choice(LANGUAGES)
_MODES = click.Choice([mode.value for mode in ErasureMode])

by_option = click.option(
    "--by",
    "actor",
    default="staff",
    show_default=True,
    help=_("Who does it (for the audit trail)."),
)


@click.command(
    help=_("Erase a client: show what will go and what stays, ask, then do it in one step.")
)
@business_option
@click.argument("card_id")
@click.option("--mode", type=_MODES, help=_("Delete or anonymise (the policy's mode by default)."))
@click.option(
    "--suppress/--no-suppress",
    default=None,
    help=_("Keep fingerprints of the e-mail and phones so they are never contacted again."),
)
@click.option("--yes", is_flag=True, help=_("Erase without asking (for scripts)."))
@click.option("--lang", type=_LANGS, help=_("Language of the plan (the command's own by default)."))
@click.option(
    "--receipts",
    "receipts_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="CLIENTCARD_RECEIPTS",
    help=_(
        "Append the receipt to this JSON-lines file, kept apart from backups "
        "(env CLIENTCARD_RECEIPTS)."
    ),
)
@by_option
@click.pass_obj
def erase(
    obj: Context,
    business_id: str,
    card_id: str,
    mode: str | None,
    suppress: bool | None,
    yes: bool,
    lang: str | None,
    receipts_file: Path | None,
    actor: str,
) -> None:
    with obj.book() as book:
        desk = book.business(business_id)
        # The plan is read on the same screen as the prompt, so by default it speaks
        # the command's language, not the business's.
        language = lang or cli_language()
        plan = desk.erasure.plan(
            card_id, mode=ErasureMode(mode) if mode else None, suppress=suppress
        )
        for line in plan.lines(language):
            console.print(Text(line))
        if not yes:
            click.confirm(_("Erase this client?"), abort=True)
        receipt = desk.erasure.run(plan, by=actor, via="clientcard erase")
    if receipts_file is not None:
        with open_private(receipts_file, "a", encoding="utf-8") as file:
            file.write(json.dumps(receipt_to_dict(receipt), separators=(",", ":")) + "\n")
    console.print(
        _("erased {id}; receipt {receipt}").format(id=card_id, receipt=receipt.receipt_id)
    )


@click.command(
    name="replay-erasures",
    help=_("Erase again the clients a restored backup brought back (receipts as JSON lines)."),
)
@business_option
@click.argument("receipts_file", type=click.File("r", encoding="utf-8"))
@by_option
@click.pass_obj
def replay_erasures(obj: Context, business_id: str, receipts_file: TextIO, actor: str) -> None:
    receipts = []
    for number, line in enumerate(receipts_file, start=1):
        if not line.strip():
            continue
        try:
            receipts.append(receipt_from_dict(json.loads(line)))
        except (json.JSONDecodeError, DocumentError):
            raise click.BadParameter(
                _("line {line} is not a receipt").format(line=number)
            ) from None
    with obj.book() as book:
        replayed = book.business(business_id).erasure.replay(
            receipts, by=actor, via="clientcard replay-erasures"
        )
    console.print(
        _("{erased} of {total} erased again").format(erased=len(replayed), total=len(receipts))
    )


@click.command(help=_("Show what the retention rules make due now; with --run, carry it out."))
@business_option
@click.option("--run", "really", is_flag=True, help=_("Carry out what is due (default: report)."))
@click.option("--yes", is_flag=True, help=_("With --run: do not ask first."))
@by_option
@click.pass_obj
def retention(obj: Context, business_id: str, really: bool, yes: bool, actor: str) -> None:
    with obj.book() as book:
        desk = book.business(business_id)
        report = desk.retention.due()
        business = desk.details()
        table = Table(_("client"), _("what"), _("rule"), _("since"), _("of"))
        for item in report.items:
            table.add_row(
                item.card_id or "",
                item.action.value,
                item.rule.value,
                business.today(item.since).isoformat(),
                ", ".join(item.targets),
            )
        console.print(table)
        console.print(_("{count} due").format(count=len(report)))
        if not really or not report.items:
            return
        if not yes:
            click.confirm(_("Carry it out?"), abort=True)
        run = desk.retention.run(report, by=actor, via="clientcard retention")
    console.print(
        _("done {done}, skipped {skipped} (no longer due)").format(
            done=len(run.done), skipped=len(run.skipped)
        )
    )


@click.command(
    name="export-subject",
    help=_("Everything about one client: JSON for portability, or a report to read (Art. 15, 20)."),
)
@business_option
@click.argument("card_id")
@click.option("--report", "as_report", is_flag=True, help=_("The readable report, not JSON."))
@click.option("--lang", type=_LANGS, help=_("Language of the report (the client's by default)."))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help=_("Write to this file (it holds the client's personal data)."),
)
@by_option
@click.pass_obj
def export_subject(
    obj: Context,
    business_id: str,
    card_id: str,
    as_report: bool,
    lang: str | None,
    output: Path | None,
    actor: str,
) -> None:
    with obj.book() as book:
        data = book.business(business_id).portability.export_subject(
            card_id, by=actor, via="clientcard export-subject"
        )
    text = (
        data.report(lang).text()
        if as_report
        else json.dumps(data.to_dict(), indent=2, ensure_ascii=False)
    )
    if output is None:
        click.echo(text)
        return
    with open_private(output, "w", encoding="utf-8") as written:
        written.write(text + "\n")
    output.chmod(0o600)  # also when the file was there before: it holds a client's data
    console.print(_("wrote {file}").format(file=output))


@click.command(
    name="import-subject", help=_("Create a client from another book's export-subject document.")
)
@business_option
@click.argument("document", type=click.File("r", encoding="utf-8"))
@click.option(
    "--same-controller",
    is_flag=True,
    help=_("The same business moving its books: carry consent and sends too."),
)
@by_option
@click.pass_obj
def import_subject(
    obj: Context, business_id: str, document: TextIO, same_controller: bool, actor: str
) -> None:
    try:
        content = json.load(document)
    except json.JSONDecodeError as error:
        raise click.BadParameter(_("not JSON (line {line})").format(line=error.lineno)) from None
    with obj.book() as book:
        imported = book.business(business_id).portability.import_subject(
            content, by=actor, same_controller=same_controller, via="clientcard import-subject"
        )
    console.print(imported.card.id)
    if imported.dropped:
        console.print(
            _("left out without health consent: {fields}").format(
                fields=", ".join(imported.dropped)
            )
        )


def _months(items: tuple[str, ...], param: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for key, value in pairs(items, param).items():
        try:
            found[key] = int(str(value))
        except ValueError:
            raise click.BadParameter(_("use whole months: KEY=MONTHS"), param_hint=param) from None
    return found


@click.command(
    name="erasure-policy", help=_("Show the business's erasure policy; any option changes it.")
)
@business_option
@click.option("--mode", type=_MODES, help=_("What an erasure does by default."))
@click.option("--legal-hold-years", type=int, help=_("Years fiscal records are kept."))
@click.option("--keep-blocks/--no-keep-blocks", default=None, help=_("Blocks survive erasure."))
@click.option("--suppress/--no-suppress", default=None, help=_("Keep do-not-contact fingerprints."))
@click.option("--inactive-months", type=int, help=_("Erase clients not seen for this long."))
@click.option("--prospect-days", type=int, help=_("Erase prospects who never booked after this."))
@click.option("--field", "fields", multiple=True, help=_("KEY=MONTHS: clear a field sooner."))
@click.option("--consent", "consents", multiple=True, help=_("PURPOSE=MONTHS: consent lapses."))
@by_option
@click.pass_obj
def erasure_policy(
    obj: Context,
    business_id: str,
    mode: str | None,
    legal_hold_years: int | None,
    keep_blocks: bool | None,
    suppress: bool | None,
    inactive_months: int | None,
    prospect_days: int | None,
    fields: tuple[str, ...],
    consents: tuple[str, ...],
    actor: str,
) -> None:
    with obj.book() as book:
        desk = book.business(business_id)
        policy = desk.erasure.policy()
        rules = policy.retention
        changes = (mode, legal_hold_years, keep_blocks, suppress, inactive_months, prospect_days)
        if any(value is not None for value in changes) or fields or consents:
            purposes = {
                Purpose(key): months for key, months in _months(consents, "--consent").items()
            }
            rules = RetentionRules(
                inactive_months=inactive_months or rules.inactive_months,
                prospect_days=prospect_days or rules.prospect_days,
                consent_months={**rules.consent_months, **purposes},
                field_months={**rules.field_months, **_months(fields, "--field")},
                inactive_mode=rules.inactive_mode,
            )
            policy = desk.erasure.set_policy(
                ErasurePolicy(
                    mode=ErasureMode(mode) if mode else policy.mode,
                    treatments=policy.treatments,
                    legal_hold_years=policy.legal_hold_years
                    if legal_hold_years is None
                    else legal_hold_years,
                    keep_blocks=policy.keep_blocks if keep_blocks is None else keep_blocks,
                    suppress_contacts=policy.suppress_contacts if suppress is None else suppress,
                    retention=rules,
                ),
                by=actor,
                via="clientcard erasure-policy",
            )
        region = desk.details().region
    console.print(_("mode: {mode}").format(mode=policy.mode.value))
    console.print(
        _("legal hold: {years} years ({region})").format(
            years=policy.hold_years(region), region=region
        )
    )
    console.print(_("keep blocks: {answer}").format(answer=yes_no(policy.keep_blocks)))
    console.print(_("suppress contacts: {answer}").format(answer=yes_no(policy.suppress_contacts)))
    console.print(_("inactive after: {months} months").format(months=rules.inactive_months or "-"))
    console.print(_("prospects after: {days} days").format(days=rules.prospect_days or "-"))
    for key, months in sorted(rules.field_months.items()):
        console.print(_("field {key}: {months} months").format(key=key, months=months))
    for purpose, months in sorted(rules.consent_months.items(), key=lambda item: item[0].value):
        console.print(
            _("consent {purpose}: {months} months").format(purpose=purpose.value, months=months)
        )


@click.group(help=_("Clients' requests to erase, see or take their data, and their deadlines."))
def requests() -> None:
    pass


@requests.command(name="add", help=_("Record a request; its deadline is a month after it arrived."))
@business_option
@click.argument("card_id")
@click.option(
    "--kind",
    type=click.Choice([k.value for k in RequestKind]),
    required=True,
    help=_("What the client asks for."),
)
@click.option("--received", type=click.DateTime(["%Y-%m-%d"]), help=_("Day it arrived (today)."))
@by_option
@click.pass_obj
def requests_add(
    obj: Context,
    business_id: str,
    card_id: str,
    kind: str,
    received: dt.datetime | None,
    actor: str,
) -> None:
    with obj.book() as book:
        request = book.business(business_id).requests.receive(
            card_id,
            RequestKind(kind),
            by=actor,
            received_on=received.date() if received else None,
            via="clientcard requests add",
        )
    console.print(
        _("{id} due by {deadline}").format(
            id=request.request_id, deadline=request.deadline.isoformat()
        )
    )


@requests.command(
    name="extend",
    help=_("Extend a request's deadline by two months (once; tell the client why)."),
)
@business_option
@click.argument("request_id")
@click.option(
    "--reason",
    type=click.Choice([r.value for r in ExtensionReason]),
    required=True,
    help=_("Why it takes longer."),
)
@by_option
@click.pass_obj
def requests_extend(
    obj: Context, business_id: str, request_id: str, reason: str, actor: str
) -> None:
    with obj.book() as book:
        request = book.business(business_id).requests.extend(
            request_id, ExtensionReason(reason), by=actor, via="clientcard"
        )
    console.print(
        _("{id} due by {deadline}").format(
            id=request.request_id, deadline=request.deadline.isoformat()
        )
    )


@requests.command(
    name="list", help=_("List the open requests, oldest first, with their deadlines.")
)
@business_option
@click.option("--overdue", is_flag=True, help=_("Only open requests past their deadline."))
@click.pass_obj
def requests_list(obj: Context, business_id: str, overdue: bool) -> None:
    with obj.book() as book:
        desk = book.business(business_id)
        found = desk.requests.overdue() if overdue else desk.requests.list(open_only=True)
        today = desk.details().today(book.clock.now())
    table = Table(_("request"), _("client"), _("kind"), _("received"), _("due"), _("late"))
    for request in found:
        table.add_row(
            request.request_id,
            request.card_id,
            request.kind.value,
            request.received_on.isoformat(),
            request.deadline.isoformat(),
            _("LATE") if request.is_overdue(today) else "",
        )
    console.print(table)
    text = _("{count} open and late") if overdue else _("{count} open")
    console.print(text.format(count=len(found)))


_HASH_DIGITS: Final = 64
_HEX: Final = frozenset(string.hexdigits.lower())


def _kept_head(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[int, str] | None:
    """Read ``SEQ:HASH``, a head the host kept (from an ``audit.appended`` event)."""
    if value is None:
        return None
    seq, _sep, digest = value.lower().partition(":")
    if not (seq.isdigit() and len(digest) == _HASH_DIGITS and set(digest) <= _HEX):
        raise click.BadParameter(_("expected SEQ:HASH, a number and a 64-digit hash"))
    return int(seq), digest


def _trail_of(entries: Sequence[AuditEntry], client: str | None) -> list[AuditEntry]:
    """The entries about ``client``: a full id, or the unique beginning or end of one."""
    if client is None:
        return list(entries)
    ids = {e.card_id for e in entries if e.card_id is not None}
    if len(client) < _FULL_ID:
        if len(client) < MIN_ID_PREFIX:
            raise click.BadParameter(
                _("give at least {count} characters of the card id").format(count=MIN_ID_PREFIX),
                param_hint="--card",
            )
        fitting = sorted(i for i in ids if i.startswith(client) or i.endswith(client))
        if len(fitting) > 1:
            more = " ..." if len(fitting) > 5 else ""
            raise click.BadParameter(
                _("{text} fits the ids of several cards: {ids}{more}").format(
                    text=client, ids=", ".join(fitting[:5]), more=more
                ),
                param_hint="--card",
            )
        client = fitting[0] if fitting else client
    return [e for e in entries if e.card_id == client]


_FULL_ID = 36


@click.command(name="audit", help=_("Show the privacy audit trail and check that it is intact."))
@business_option
# Not named card_id: the client may have been erased, so a short id is matched against
# the ids in the trail, not against the cards still in the book.
@click.option("--card", "client_id", help=_("Only entries about this client."))
@click.option(
    "--expected-head",
    callback=_kept_head,
    metavar="SEQ:HASH",
    help=_("A head kept outside the database: the trail must still reach it."),
)
@click.pass_obj
def audit(
    obj: Context, business_id: str, client_id: str | None, expected_head: tuple[int, str] | None
) -> None:
    with obj.book() as book:
        desk = book.business(business_id)
        entries = _trail_of(desk.audit.trail(), client_id)
        check = desk.audit.verify(expected_head=expected_head)
        head = desk.audit.head()
    table = Table("#", _("when"), _("what"), _("client"), _("who"), _("through"))
    for entry in entries:
        table.add_row(
            str(entry.seq),
            entry.at.isoformat(timespec="seconds"),
            entry.action.value,
            entry.card_id or "",
            entry.actor,
            entry.via,
        )
    console.print(table)
    if check.intact:
        console.print(_("chain intact: {count} entries").format(count=check.entries))
        if head is not None:
            # To keep outside the database, and pass back as --expected-head.
            console.print(_("head: {head}").format(head=f"{head[0]}:{head[1]}"))
        return
    raise click.ClickException(
        _("chain broken at entry {entry} ({problem})").format(
            entry=check.broken_at, problem=check.problem
        )
    )


COMMANDS: tuple[click.Command, ...] = (
    erase,
    replay_erasures,
    retention,
    export_subject,
    import_subject,
    erasure_policy,
    requests,
    audit,
)
"""This module's commands, for :mod:`clientcard.cli._app` to put on the group."""
