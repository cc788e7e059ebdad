"""``clientcard init``, ``add``, ``edit``, ``search`` and ``list``: businesses and their cards."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

import click
from rich.table import Table
from rich.text import Text

from clientcard.cards.card import CardStatus, ClientCard
from clientcard.cards.serialization import schema_from_dict
from clientcard.cli._context import Context, business_option, console, pairs
from clientcard.cli._i18n import _, cli_language
from clientcard.contact import phone
from clientcard.locale import LANGUAGES
from clientcard.storage.protocol import CardQuery

__all__ = ["COMMANDS"]


@click.command(help=_("Create a business, with the default client card schema or the one given."))
@click.argument("business_id")
@click.option("--name", required=True, help=_("The business's name."))
@click.option("--region", default="IT", show_default=True, help=_("ISO country for phones."))
@click.option("--language", default="en", show_default=True, type=click.Choice(LANGUAGES))
@click.option(
    "--time-zone",
    help=_("IANA time zone (Europe/Rome); the country's own if it has only one."),
)
@click.option(
    "--schema",
    "schema_file",
    type=click.File("r", encoding="utf-8"),
    help=_("A field schema document (as `schema export` writes); the default schema if absent."),
)
@click.pass_obj
def init(
    obj: Context,
    business_id: str,
    name: str,
    region: str,
    language: str,
    time_zone: str | None,
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
            business_id=business_id,
            name=name,
            region=region,
            language=language,
            schema=schema,
            time_zone=time_zone,
        )
    console.print(
        _("created business {id} ({region}, {language})").format(
            id=business.id, region=business.region, language=business.language
        )
    )


@click.group(name="business", help=_("Show or change a business's settings."))
def business_group() -> None:
    pass


@business_group.command(name="show", help=_("Show a business's name, country, language and zone."))
@business_option
@click.pass_obj
def business_show(obj: Context, business_id: str) -> None:
    with obj.book() as book:
        business = book.business(business_id).details()
    for label, value in (
        (_("id"), business.id),
        (_("name"), business.name),
        (_("country"), business.region),
        (_("language"), business.language),
        (_("time zone"), business.time_zone),
    ):
        console.print(Text(f"{label}: {value}"))


@business_group.command(
    name="set", help=_("Change a business's time zone or language (what reports speak).")
)
@business_option
@click.option("--time-zone", help=_("IANA time zone (Europe/Rome)."))
@click.option("--language", type=click.Choice(LANGUAGES), help=_("The business's language."))
@click.pass_obj
def business_set(
    obj: Context, business_id: str, time_zone: str | None, language: str | None
) -> None:
    if time_zone is None and language is None:
        raise click.UsageError(_("give --time-zone, --language or both"))
    with obj.book() as book:
        desk = book.business(business_id)
        business = desk.details()
        if time_zone is not None:
            business = desk.set_time_zone(time_zone)
        if language is not None:
            business = desk.set_language(language)
    console.print(
        _("{id}: language {language}, time zone {zone}").format(
            id=business.id, language=business.language, zone=business.time_zone
        )
    )


@click.command(
    help=_("Add a client: FIELDS are KEY=VALUE (repeat phones=... for several numbers).")
)
@business_option
@click.argument("fields", nargs=-1, required=True)
@click.option("--prospect", is_flag=True, help=_("Record a prospect rather than a client."))
@click.pass_obj
def add(obj: Context, business_id: str, fields: tuple[str, ...], prospect: bool) -> None:
    values = pairs(fields, "FIELDS")
    status = CardStatus.PROSPECT if prospect else CardStatus.ACTIVE
    with obj.book() as book:
        card = book.business(business_id).cards.add(values, status=status, lang=cli_language())
    console.print(card.id)


@click.command(help=_("Change fields of a card: KEY=VALUE, or KEY= to clear one."))
@business_option
@click.argument("card_id")
@click.argument("fields", nargs=-1, required=True)
@click.option("--version", "expected", type=int, help=_("Fail if the card is no longer at it."))
@click.pass_obj
def edit(
    obj: Context, business_id: str, card_id: str, fields: tuple[str, ...], expected: int | None
) -> None:
    values = pairs(fields, "FIELDS")
    with obj.book() as book:
        cards = book.business(business_id).cards
        version = expected if expected is not None else cards.get(card_id).version
        update = cards.edit(card_id, values, expected_version=version, lang=cli_language())
    if update.changed:
        text = _("{id} v{version}: changed {fields}")
    else:
        text = _("{id} v{version}: changed nothing")
    console.print(
        text.format(
            id=card_id, version=update.card.version, fields=", ".join(sorted(update.changed))
        )
    )


@click.command(
    help=_(
        "Delete a client's card and everything recorded about them, at once. "
        "To erase under the business's policy (receipt, suppression), use `erase`."
    )
)
@business_option
@click.argument("card_id")
@click.option("--version", "expected", type=int, help=_("Fail if the card is no longer at it."))
@click.option("--yes", is_flag=True, help=_("Delete without asking (for scripts)."))
@click.pass_obj
def delete(obj: Context, business_id: str, card_id: str, expected: int | None, yes: bool) -> None:
    with obj.book() as book:
        cards = book.business(business_id).cards
        card = cards.get(card_id)
        if not yes:
            console.print(Text(f"{card.display_name} ({card.id})"))
            click.confirm(
                _("Delete this client, with their history and consent records?"), abort=True
            )
        cards.remove(card_id, expected_version=expected if expected is not None else card.version)
    console.print(_("deleted {id}").format(id=card_id))


def _cards_table(cards: Sequence[ClientCard], minors: frozenset[str] = frozenset()) -> Table:
    table = Table(_("name"), _("e-mail"), _("phone"), _("group"), _("status"))
    # The id is what `show` and `edit` need, so it is never shortened.
    table.add_column(_("id"), no_wrap=True, min_width=36)
    minor = _("minor")
    for card in cards:
        cells = (
            card.display_name,
            card.email or "",
            phone.format_international(card.phones[0]) if card.phones else "",
            card.client_group or "",
            # A minor gets no marketing without a guardian's consent: staff should see why.
            f"{card.status.value}, {minor}" if card.id in minors else card.status.value,
            card.id,
        )
        table.add_row(*(Text(cell) for cell in cells))
    return table


@click.command(help=_("Find clients by part of a name, a phone in any format, or an e-mail."))
@business_option
@click.argument("text")
@click.option("--limit", default=20, show_default=True, help=_("At most this many."))
@click.pass_obj
def search(obj: Context, business_id: str, text: str, limit: int) -> None:
    with obj.book() as book:
        cards = book.business(business_id).cards
        found = cards.search(text, limit=limit)
        # Counting costs a second query, only needed when the page is full.
        total = len(found) if len(found) < limit else cards.count_found(text)
        minors = cards.minors(found)
    console.print(_cards_table(found, minors))
    if total > len(found):
        console.print(
            _("{shown} of {total} found; --limit shows more").format(shown=len(found), total=total)
        )
    else:
        console.print(_("{count} found").format(count=total))


@click.command(name="list", help=_("List clients by name, a page at a time."))
@business_option
@click.option("--group", help=_("Only this client group."))
@click.option("--tag", help=_("Only clients with this tag."))
@click.option("--prospects", is_flag=True, help=_("Only prospects."))
@click.option("--limit", default=50, show_default=True, help=_("Clients on a page."))
@click.option("--cursor", help=_("Continue from a previous page."))
@click.pass_obj
def list_(
    obj: Context,
    business_id: str,
    group: str | None,
    tag: str | None,
    prospects: bool,
    limit: int,
    cursor: str | None,
) -> None:
    query = CardQuery(group=group, tag=tag, status=CardStatus.PROSPECT if prospects else None)
    with obj.book() as book:
        cards = book.business(business_id).cards
        page = cards.list(query, limit=limit, cursor=cursor)
        total = cards.count(query)
        minors = cards.minors(page.items)
    console.print(_cards_table(page.items, minors))
    console.print(_("{shown} of {total}").format(shown=len(page), total=total))
    if page.next_cursor:
        console.print(_("next page: --cursor {cursor}").format(cursor=page.next_cursor))


COMMANDS: tuple[click.Command, ...] = (init, business_group, add, edit, delete, search, list_)
"""This module's commands, for :mod:`clientcard.cli._app` to put on the group."""
