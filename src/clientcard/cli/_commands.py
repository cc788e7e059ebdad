"""The click commands behind ``clientcard``."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TextIO

import click
from rich.console import Console
from rich.panel import Panel
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from clientcard.book import ClientBook
from clientcard.card import CardStatus, ClientCard
from clientcard.cli._i18n import _N, _, cli_language, click_speaks
from clientcard.consent import DIRECT_MARKETING, Channel, ConsentAction, ConsentSource, Purpose
from clientcard.contact import phone
from clientcard.errors import (
    ClientCardError,
    DuplicateError,
    NotFoundError,
    ValidationError,
    VersionConflictError,
)
from clientcard.fingerprints import MIN_SECRET_BYTES
from clientcard.locale import LANGUAGES
from clientcard.messaging import MessageTemplate, SMTPNotifier, TemplateText
from clientcard.messaging.dispatcher import Dispatcher
from clientcard.promotions import RedemptionRefusedError
from clientcard.schema import Choice, FieldDefinition, FieldSchema, FieldType
from clientcard.serialization import schema_from_dict, schema_to_dict
from clientcard.storage.protocol import CardQuery
from clientcard.storage.sqlite import SQLiteStore

DEFAULT_DB = "clientcard.db"
console = Console(highlight=False)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


class _Context:
    def __init__(self, db: str) -> None:
        self.db = db

    @contextmanager
    def book(self) -> Iterator[ClientBook]:
        secret = os.environ.get("CLIENTCARD_FINGERPRINT_SECRET")
        store = SQLiteStore(self.db)
        try:
            yield ClientBook(store, fingerprint_secret=_secret(secret))
        finally:
            store.close()


def _secret(hex_text: str | None) -> bytes | None:
    """The fingerprint secret from its environment variable, as hex (None when unset)."""
    if not hex_text:
        return None
    try:
        secret = bytes.fromhex(hex_text)
    except ValueError:
        secret = b""
    if len(secret) < MIN_SECRET_BYTES:
        raise click.UsageError(
            _("CLIENTCARD_FINGERPRINT_SECRET must be {digits}+ hex digits").format(
                digits=MIN_SECRET_BYTES * 2
            )
        )
    return secret


def _pairs(items: Sequence[str], param: str) -> dict[str, Any]:
    """Read KEY=VALUE arguments of ``param``; a key given twice collects a list (two phones)."""
    values: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(_("use KEY=VALUE"), param_hint=param)
        key = key.strip()
        if key in values:
            previous = values[key]
            values[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            values[key] = value
    return values


# The kinds of record a user meets most in "not found" and "already exists"; others
# are named by their code (``subject.request``).
_KINDS = {"card": _N("card"), "business": _N("business")}


def _describe(error: ClientCardError) -> str:
    """The error in the command's language, as far as it carries more than English text."""
    if isinstance(error, ValidationError):
        return "; ".join(f"{i.field}: {i.message} ({i.code})" for i in error.issues)
    if isinstance(error, NotFoundError | DuplicateError):
        kind = _(_KINDS[error.kind]) if error.kind in _KINDS else error.kind
        text = (
            _("{kind} {id} not found")
            if isinstance(error, NotFoundError)
            else _("{kind} {id} already exists")
        )
        return text.format(kind=kind, id=repr(error.ident))
    if isinstance(error, RedemptionRefusedError):
        return f"{error.code}: {error.text(cli_language())}"
    if isinstance(error, VersionConflictError):
        return _("card {id}: expected version {expected}, the stored version is {actual}").format(
            id=repr(error.card_id), expected=error.expected, actual=error.actual
        )
    return str(error)


def _yes(flag: bool) -> str:
    """A yes/no answer in a sentence or a cell."""
    return _("yes") if flag else _("no")


def _show_value(key: str, value: object) -> str:
    if key == "phones" and isinstance(value, tuple):
        return ", ".join(phone.format_international(number) for number in value)
    if isinstance(value, tuple):
        return ", ".join(str(item) for item in value)
    if hasattr(value, "iso"):
        return str(value.iso())
    if isinstance(value, Decimal | bool):
        return str(value)
    return str(getattr(value, "value", value))


def _card_panel(card: ClientCard, schema: FieldSchema, lang: str) -> Panel:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    values = card.values()
    # Client data goes in as Text, never as markup: "[/]" in a note must print as is.
    for definition in schema.fields:
        if definition.key in values:
            label = Text(definition.label(lang))
            if definition.sensitive:
                label.append(" " + _("(sensitive)"), style="italic")
            table.add_row(label, Text(_show_value(definition.key, values[definition.key])))
    title = Text(card.display_name or card.email or card.id)
    subtitle = Text(f"{card.id} · v{card.version} · {card.status.value}")
    return Panel(table, title=title, subtitle=subtitle, expand=False)


@click.group(help=_("Keep a business's client cards in an embedded SQLite file."))
@click.option(
    "--db",
    default=lambda: os.environ.get("CLIENTCARD_DB", DEFAULT_DB),
    show_default=DEFAULT_DB,
    help=_("SQLite file holding the client cards (env CLIENTCARD_DB)."),
)
@click.pass_context
def cli(ctx: click.Context, db: str) -> None:
    ctx.obj = _Context(db)


business_option = click.option(
    "--business",
    "-b",
    "business_id",
    required=True,
    envvar="CLIENTCARD_BUSINESS",
    help=_("The business id (env CLIENTCARD_BUSINESS)."),
)


@cli.command(help=_("Create a business, with the default client card schema or the one given."))
@click.argument("business_id")
@click.option("--name", required=True, help=_("The business's name."))
@click.option("--region", default="IT", show_default=True, help=_("ISO country for phones."))
@click.option("--language", default="en", show_default=True, type=click.Choice(LANGUAGES))
@click.option(
    "--schema",
    "schema_file",
    type=click.File("r", encoding="utf-8"),
    help=_("A field schema document (as `schema export` writes); the default schema if absent."),
)
@click.pass_obj
def init(
    obj: _Context,
    business_id: str,
    name: str,
    region: str,
    language: str,
    schema_file: TextIO | None,
) -> None:
    schema = None
    if schema_file is not None:
        try:
            document = json.load(schema_file)
        except json.JSONDecodeError as error:
            raise click.BadParameter(
                _("not JSON (line {line})").format(line=error.lineno), param_hint="--schema"
            ) from None
        schema = schema_from_dict(document)
    with obj.book() as book:
        business = book.create_business(
            business_id=business_id, name=name, region=region, language=language, schema=schema
        )
    console.print(
        _("created business {id} ({region}, {language})").format(
            id=business.id, region=business.region, language=business.language
        )
    )


@cli.command(help=_("Add a client: FIELDS are KEY=VALUE (repeat phones=... for several numbers)."))
@business_option
@click.argument("fields", nargs=-1, required=True)
@click.option("--prospect", is_flag=True, help=_("Record a prospect rather than a client."))
@click.pass_obj
def add(obj: _Context, business_id: str, fields: tuple[str, ...], prospect: bool) -> None:
    values = _pairs(fields, "FIELDS")
    with obj.book() as book:
        status = CardStatus.PROSPECT if prospect else CardStatus.ACTIVE
        card = book.add_client(business_id, values, status=status, lang=cli_language())
    console.print(card.id)


@cli.command(help=_("Change fields of a card: KEY=VALUE, or KEY= to clear one."))
@business_option
@click.argument("card_id")
@click.argument("fields", nargs=-1, required=True)
@click.option("--version", "expected", type=int, help=_("Fail if the card is no longer at it."))
@click.pass_obj
def edit(
    obj: _Context, business_id: str, card_id: str, fields: tuple[str, ...], expected: int | None
) -> None:
    values = _pairs(fields, "FIELDS")
    with obj.book() as book:
        version = expected if expected is not None else book.get(business_id, card_id).version
        update = book.edit(
            business_id, card_id, values, expected_version=version, lang=cli_language()
        )
    if update.changed:
        text = _("{id} v{version}: changed {fields}")
    else:
        text = _("{id} v{version}: changed nothing")
    console.print(
        text.format(
            id=card_id, version=update.card.version, fields=", ".join(sorted(update.changed))
        )
    )


def _cards_table(cards: Sequence[ClientCard]) -> Table:
    table = Table(_("name"), _("e-mail"), _("phone"), _("group"), _("status"))
    # The id is what `show` and `edit` need, so it is never shortened.
    table.add_column(_("id"), no_wrap=True, min_width=36)
    for card in cards:
        cells = (
            card.display_name,
            card.email or "",
            phone.format_international(card.phones[0]) if card.phones else "",
            card.client_group or "",
            card.status.value,
            card.id,
        )
        table.add_row(*(Text(cell) for cell in cells))
    return table


@cli.command(help=_("Find clients by part of a name, a phone in any format, or an e-mail."))
@business_option
@click.argument("text")
@click.option("--limit", default=20, show_default=True, help=_("At most this many."))
@click.pass_obj
def search(obj: _Context, business_id: str, text: str, limit: int) -> None:
    with obj.book() as book:
        found = book.search(business_id, text, limit=limit)
    console.print(_cards_table(found))
    console.print(_("{count} found").format(count=len(found)))


@cli.command(name="list", help=_("List clients by name, a page at a time."))
@business_option
@click.option("--group", help=_("Only this client group."))
@click.option("--tag", help=_("Only clients with this tag."))
@click.option("--prospects", is_flag=True, help=_("Only prospects."))
@click.option("--limit", default=50, show_default=True, help=_("Clients on a page."))
@click.option("--cursor", help=_("Continue from a previous page."))
@click.pass_obj
def list_(
    obj: _Context,
    business_id: str,
    group: str | None,
    tag: str | None,
    prospects: bool,
    limit: int,
    cursor: str | None,
) -> None:
    query = CardQuery(group=group, tag=tag, status=CardStatus.PROSPECT if prospects else None)
    with obj.book() as book:
        page = book.list_cards(business_id, query, limit=limit, cursor=cursor)
        total = book.count(business_id, query)
    console.print(_cards_table(page.items))
    console.print(_("{shown} of {total}").format(shown=len(page), total=total))
    if page.next_cursor:
        console.print(_("next page: --cursor {cursor}").format(cursor=page.next_cursor))


@cli.group(help=_("Manage the fields of a business's client card."))
def schema() -> None:
    pass


def _change_schema(
    obj: _Context, business_id: str, change: Callable[[FieldSchema], FieldSchema]
) -> int:
    """Store a schema change; return the new schema revision."""
    with obj.book() as book:
        business = book.change_schema(business_id, change)
    return business.schema.revision


@schema.command(name="show", help=_("List the fields with their type and flags."))
@business_option
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    help=_("Language of the labels (the business's by default)."),
)
@click.pass_obj
def schema_show(obj: _Context, business_id: str, lang: str | None) -> None:
    with obj.book() as book:
        business = book.business(business_id)
    language = lang or business.language
    table = Table(
        _("key"),
        _("label"),
        _("type"),
        _("required"),
        _("booking"),
        _("online"),
        _("keep asking"),
        _("sensitive"),
        _("status"),
        title=_("schema revision {revision}").format(revision=business.schema.revision),
    )
    for d in business.schema.fields:
        status = _("retired") if d.retired else (_("built-in") if d.builtin else _("custom"))
        table.add_row(
            d.key,
            Text(d.label(language)),
            d.type.value,
            *(
                _("yes") if flag else ""
                for flag in (
                    d.required,
                    d.collect_during_booking,
                    d.collect_online,
                    d.keep_asking,
                    d.sensitive,
                )
            ),
            status,
        )
    console.print(table)


def _labels(items: Sequence[str]) -> dict[str, str]:
    labels = _pairs(items, "--label")
    return {lang: str(text) for lang, text in labels.items()}


@schema.command(
    name="export",
    help=_("Print the field schema as a JSON document (for `init --schema` or a host)."),
)
@business_option
@click.pass_obj
def schema_export(obj: _Context, business_id: str) -> None:
    with obj.book() as book:
        business = book.business(business_id)
    click.echo(json.dumps(schema_to_dict(business.schema), indent=2, ensure_ascii=False))


@schema.command(name="add", help=_("Add a custom field."))
@business_option
@click.argument("key")
@click.option(
    "--type",
    "type_",
    required=True,
    type=click.Choice([t.value for t in FieldType]),
    help=_("What the field holds."),
)
@click.option("--label", "labels", multiple=True, required=True, help=_("LANG=TEXT, repeatable."))
@click.option("--choice", "choices", multiple=True, help=_("VALUE=LABEL, repeatable."))
@click.option("--required", is_flag=True, help=_("A value is required."))
@click.option("--booking", is_flag=True, help=_("Collect during booking."))
@click.option("--online", is_flag=True, help=_("Collect in the client portal."))
@click.option("--keep-asking", is_flag=True, help=_("Ask at each booking while empty."))
@click.option("--sensitive", is_flag=True, help=_("Special-category (health) data."))
@click.option("--mobile-only", is_flag=True, help=_("Phone fields: numbers that take SMS only."))
@click.pass_obj
def schema_add(
    obj: _Context,
    business_id: str,
    key: str,
    type_: str,
    labels: tuple[str, ...],
    choices: tuple[str, ...],
    required: bool,
    booking: bool,
    online: bool,
    keep_asking: bool,
    sensitive: bool,
    mobile_only: bool,
) -> None:
    definition = FieldDefinition(
        key=key,
        type=FieldType(type_),
        labels=_labels(labels),
        choices=tuple(
            Choice(value, {"en": str(label)})
            for value, label in _pairs(choices, "--choice").items()
        ),
        required=required,
        collect_during_booking=booking,
        collect_online=online,
        keep_asking=keep_asking,
        sensitive=sensitive,
        mobile_only=mobile_only,
    )
    revision = _change_schema(obj, business_id, lambda s: s.add(definition))
    console.print(_("added {key}; schema revision {revision}").format(key=key, revision=revision))


@schema.command(name="set", help=_("Change a field's flags or labels."))
@business_option
@click.argument("key")
@click.option("--required/--not-required", default=None, help=_("A value is required."))
@click.option("--booking/--no-booking", default=None, help=_("Collect during booking."))
@click.option("--online/--no-online", default=None, help=_("Collect in the client portal."))
@click.option(
    "--keep-asking/--no-keep-asking", default=None, help=_("Ask at each booking while empty.")
)
@click.option(
    "--sensitive/--not-sensitive", default=None, help=_("Special-category (health) data.")
)
@click.option("--mobile-only/--any-phone", default=None, help=_("Phone fields: SMS-capable only."))
@click.option("--label", "labels", multiple=True, help=_("LANG=TEXT, repeatable."))
@click.pass_obj
def schema_set(
    obj: _Context,
    business_id: str,
    key: str,
    required: bool | None,
    booking: bool | None,
    online: bool | None,
    keep_asking: bool | None,
    sensitive: bool | None,
    mobile_only: bool | None,
    labels: tuple[str, ...],
) -> None:
    def change(current: FieldSchema) -> FieldSchema:
        changed = current.configure(
            key,
            required=required,
            collect_during_booking=booking,
            collect_online=online,
            keep_asking=keep_asking,
            sensitive=sensitive,
            mobile_only=mobile_only,
        )
        return changed.relabel(key, _labels(labels)) if labels else changed

    revision = _change_schema(obj, business_id, change)
    console.print(_("changed {key}; schema revision {revision}").format(key=key, revision=revision))


@schema.command(name="retire", help=_("Retire a field: it leaves forms; stored values stay."))
@business_option
@click.argument("key")
@click.pass_obj
def schema_retire(obj: _Context, business_id: str, key: str) -> None:
    revision = _change_schema(obj, business_id, lambda s: s.retire(key))
    console.print(_("retired {key}; schema revision {revision}").format(key=key, revision=revision))


@schema.command(name="restore", help=_("Bring a retired field back."))
@business_option
@click.argument("key")
@click.pass_obj
def schema_restore(obj: _Context, business_id: str, key: str) -> None:
    revision = _change_schema(obj, business_id, lambda s: s.restore(key))
    console.print(
        _("restored {key}; schema revision {revision}").format(key=key, revision=revision)
    )


@schema.command(name="order", help=_("Put the given fields first, in this order."))
@business_option
@click.argument("keys", nargs=-1, required=True)
@click.pass_obj
def schema_order(obj: _Context, business_id: str, keys: tuple[str, ...]) -> None:
    revision = _change_schema(obj, business_id, lambda s: s.reorder(keys))
    console.print(_("reordered; schema revision {revision}").format(revision=revision))


@cli.group(help=_("Record and show what clients agreed to receive."))
def consent() -> None:
    pass


purpose_option = click.option(
    "--purpose",
    type=click.Choice([p.value for p in Purpose]),
    required=True,
    help=_("What the messages are for."),
)
channel_option = click.option(
    "--channel", type=click.Choice([c.value for c in Channel]), help=_("How they are sent.")
)
recorded_by_option = click.option(
    "--by", default="staff", show_default=True, help=_("Who records it.")
)


def _record(
    obj: _Context,
    business_id: str,
    card_id: str,
    action: ConsentAction,
    by: str,
    **scope: Any,
) -> None:
    with obj.book() as book:
        book.record_consent(
            business_id, card_id, action, source=ConsentSource.STAFF, recorded_by=by, **scope
        )
        report = book.consent_report(business_id, card_id, lang=cli_language())
    for line in report.standing:
        console.print(Text(line))


@consent.command(name="grant", help=_("Record that a client agreed to a purpose on a channel."))
@business_option
@click.argument("card_id")
@purpose_option
@channel_option
@click.option("--wording", required=True, help=_("Version of the text the client agreed to."))
@recorded_by_option
@click.option("--evidence", help=_("Reference to stored evidence (a signed form, ...)."))
@click.pass_obj
def consent_grant(
    obj: _Context,
    business_id: str,
    card_id: str,
    purpose: str,
    channel: str | None,
    wording: str,
    by: str,
    evidence: str | None,
) -> None:
    _record(
        obj,
        business_id,
        card_id,
        ConsentAction.GRANT,
        by,
        purpose=Purpose(purpose),
        channel=Channel(channel) if channel else None,
        wording_version=wording,
        evidence_ref=evidence,
    )


@consent.command(
    name="withdraw", help=_("Record that a client withdrew consent to a purpose on a channel.")
)
@business_option
@click.argument("card_id")
@purpose_option
@channel_option
@recorded_by_option
@click.pass_obj
def consent_withdraw(
    obj: _Context, business_id: str, card_id: str, purpose: str, channel: str | None, by: str
) -> None:
    _record(
        obj,
        business_id,
        card_id,
        ConsentAction.WITHDRAW,
        by,
        purpose=Purpose(purpose),
        channel=Channel(channel) if channel else None,
    )


@consent.command(
    name="object",
    help=_("Record a client's objection to all direct marketing, on every channel."),
)
@business_option
@click.argument("card_id")
@recorded_by_option
@click.pass_obj
def consent_object(obj: _Context, business_id: str, card_id: str, by: str) -> None:
    _record(obj, business_id, card_id, ConsentAction.OBJECT, by)


@consent.command(
    name="show", help=_("Print a client's consent report: what stands now, and every change.")
)
@business_option
@click.argument("card_id")
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    help=_("Language of the report (the client's by default)."),
)
@click.pass_obj
def consent_show(obj: _Context, business_id: str, card_id: str, lang: str | None) -> None:
    with obj.book() as book:
        report = book.consent_report(business_id, card_id, lang=lang)
    console.print(Text(report.text()))


@cli.command(help=_("Count who may receive a purpose on a channel, and why the others may not."))
@business_option
@purpose_option
@click.option(
    "--channel", type=click.Choice([c.value for c in Channel]), required=True, help=_("How.")
)
@click.pass_obj
def audience(obj: _Context, business_id: str, purpose: str, channel: str) -> None:
    wanted, by = Purpose(purpose), Channel(channel)
    with obj.book() as book:
        # Decided now, card by card, so the count and the exclusions always agree.
        chosen = _selection(book, business_id, CardQuery())
        decisions = (book.may_contact(business_id, card, wanted, by) for card in chosen)
        outcomes = Counter("" if d.allowed else d.reason for d in decisions)
    console.print(
        _("{count} may receive {purpose} by {channel}").format(
            count=outcomes.pop("", 0), purpose=wanted.value, channel=by.value
        )
    )
    # Reasons are the decisions' codes (no_consent, objected, ...), as the dispatcher records them.
    for reason, count in outcomes.most_common():
        console.print(_("  {count} excluded: {reason}").format(count=count, reason=reason))


def _selection(book: ClientBook, business_id: str, query: CardQuery) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        page = book.list_cards(business_id, query, limit=500, cursor=cursor)
        ids.extend(card.id for card in page)
        cursor = page.next_cursor
        if cursor is None:
            return ids


@cli.command(
    help=_(
        "Send one message to a selection of clients; only those who may receive it get it.\n"
        "\n"
        "Without --send it is a dry run that counts who would receive it and why the others "
        "would not. The SMTP password comes from CLIENTCARD_SMTP_PASSWORD and the "
        "link-signing secret (hex, 32+ bytes) from CLIENTCARD_TOKEN_SECRET."
    )
)
@business_option
@click.option(
    "--purpose",
    type=click.Choice(sorted(p.value for p in DIRECT_MARKETING)),
    required=True,
    help=_("A marketing purpose: service messages belong to the host's booking flow."),
)
@click.option(
    "--channel",
    type=click.Choice(["email"]),
    default="email",
    show_default=True,
    help=_("How it is sent."),
)
@click.option("--subject", required=True, help=_("The subject; $first_name and friends work."))
@click.option("--body", required=True, help=_("The text; marketing needs $unsubscribe_url."))
@click.option("--group", help=_("Only this client group."))
@click.option("--tag", help=_("Only clients with this tag."))
@click.option("--send", "really", is_flag=True, help=_("Send for real (default: a dry run)."))
@click.option(
    "--smtp-host",
    envvar="CLIENTCARD_SMTP_HOST",
    help=_("The SMTP server (env CLIENTCARD_SMTP_HOST)."),
)
@click.option(
    "--smtp-port",
    envvar="CLIENTCARD_SMTP_PORT",
    type=int,
    default=587,
    help=_("Its port (env CLIENTCARD_SMTP_PORT)."),
)
@click.option(
    "--smtp-security",
    type=click.Choice(["starttls", "ssl", "none"]),
    default="starttls",
    show_default=True,
    help=_("How the connection is secured."),
)
@click.option(
    "--smtp-user", envvar="CLIENTCARD_SMTP_USER", help=_("The login (env CLIENTCARD_SMTP_USER).")
)
@click.option(
    "--sender", envvar="CLIENTCARD_SENDER", help=_("From address (env CLIENTCARD_SENDER).")
)
@click.option(
    "--unsubscribe-url",
    envvar="CLIENTCARD_UNSUBSCRIBE_URL",
    help=_("Link for unsubscribing, with {token} (env CLIENTCARD_UNSUBSCRIBE_URL)."),
)
@click.pass_obj
def send(
    obj: _Context,
    business_id: str,
    purpose: str,
    channel: str,
    subject: str,
    body: str,
    group: str | None,
    tag: str | None,
    really: bool,
    smtp_host: str | None,
    smtp_port: int,
    smtp_security: str,
    smtp_user: str | None,
    sender: str | None,
    unsubscribe_url: str | None,
) -> None:
    wanted, by = Purpose(purpose), Channel(channel)
    with obj.book() as book:
        business = book.business(business_id)
        template = MessageTemplate(
            key="cli",
            purpose=wanted,
            texts={business.language: TemplateText(subject=subject, body=body)},
        )
        chosen = _selection(book, business_id, CardQuery(group=group, tag=tag))
        if not really:
            decisions = (book.may_contact(business_id, card, wanted, by) for card in chosen)
            outcomes = Counter("" if d.allowed else d.reason for d in decisions)
            console.print(_("dry run: {count} would receive it").format(count=outcomes.pop("", 0)))
            for reason, count in outcomes.most_common():
                console.print(_("  {count} skipped: {reason}").format(count=count, reason=reason))
            return
        secret_hex = os.environ.get("CLIENTCARD_TOKEN_SECRET", "")
        try:
            secret = bytes.fromhex(secret_hex)
        except ValueError:
            secret = b""
        if len(secret) < 32 or not (smtp_host and sender and unsubscribe_url):
            raise click.UsageError(
                _(
                    "--send needs --smtp-host, --sender, --unsubscribe-url and "
                    "CLIENTCARD_TOKEN_SECRET (64+ hex digits)"
                )
            )
        notifier = SMTPNotifier(
            smtp_host,
            smtp_port,
            sender=sender,
            username=smtp_user,
            password=os.environ.get("CLIENTCARD_SMTP_PASSWORD"),
            security=smtp_security,  # type: ignore[arg-type]
        )
        dispatcher = Dispatcher(
            book,
            {by: notifier},
            [template],
            token_secret=secret,
            unsubscribe_url=unsubscribe_url,
        )
        batch = dispatcher.queue(business_id, "cli", by, chosen)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(_("sending"), total=len(chosen))
            while handled := dispatcher.flush(limit=20):
                progress.advance(task, handled)
        report = dispatcher.report(business_id, batch)
    console.print(_("sent {sent} of {total}").format(sent=report.sent, total=report.total))
    for line, counts in (
        (_("  {count} skipped: {reason}"), report.skipped),
        (_("  {count} failed: {reason}"), report.failed),
    ):
        for reason, count in sorted(counts.items(), key=lambda item: -item[1]):
            console.print(line.format(count=count, reason=reason))


def run(argv: Sequence[str] | None = None) -> int:
    """Run ``clientcard`` with ``argv``; errors print one line and give a non-zero status."""
    with click_speaks(cli_language()):
        return _run(argv)


def _run(argv: Sequence[str] | None) -> int:
    try:
        status = cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Abort:
        errors.print(_("aborted"))
        return 1
    except click.ClickException as error:
        errors.print(_("error: {message}").format(message=error.format_message()), markup=False)
        return error.exit_code
    except ClientCardError as error:
        errors.print(_("error: {message}").format(message=_describe(error)), markup=False)
        return 1
    except Exception as error:  # noqa: BLE001 - the promise is one line, never a traceback
        # The type only: a message could quote client data.
        errors.print(_("error: unexpected {type}").format(type=type(error).__name__), markup=False)
        return 1
    # A command that ends with click.exceptions.Exit(n) reports n (a check's "no").
    return status if isinstance(status, int) else 0


# The commands of the other modules register themselves on ``cli`` when imported;
# the promo, group and photo commands are added here.
from clientcard.cli import _erasure, _history, _promotions  # noqa: E402, F401

for _command in (_promotions.promo, _promotions.group, _promotions.photo):
    cli.add_command(_command)

from clientcard.cli._exchange import register  # noqa: E402 - the exchange commands use this module

register(cli)
