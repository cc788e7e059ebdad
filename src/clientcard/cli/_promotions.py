"""The ``promo``, ``group`` and ``photo`` commands: a thin shell over ClientBook.

Registered on the ``clientcard`` group at the end of :mod:`clientcard.cli._commands`.
Photos are kept as files beside the database (``<db>.photos/``) unless ``--photos``
or ``CLIENTCARD_PHOTOS`` names another directory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import BinaryIO, Protocol
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from clientcard.book import ClientBook
from clientcard.cli._i18n import _, cli_language
from clientcard.gallery import Photo, PhotoKind
from clientcard.money import Money
from clientcard.promotions import Discount, Promotion
from clientcard.storage.files import FileBlobStore
from clientcard.storage.protocol import CardQuery
from clientcard.storage.sqlite import SQLiteStore

__all__ = ["group", "photo", "promo"]

console = Console(highlight=False)


class _HasDb(Protocol):
    db: str


@contextmanager
def _book(obj: _HasDb, photos: str | None = None, *, gallery: bool = False) -> Iterator[ClientBook]:
    store = SQLiteStore(obj.db)
    blobs = FileBlobStore(photos or f"{obj.db}.photos") if gallery else None
    try:
        yield ClientBook(store, blobs=blobs)
    finally:
        store.close()


business_option = click.option(
    "--business",
    "-b",
    "business_id",
    required=True,
    envvar="CLIENTCARD_BUSINESS",
    help=_("The business id (env CLIENTCARD_BUSINESS)."),
)


def _day_start(book: ClientBook, business_id: str, day: dt.datetime | None) -> dt.datetime | None:
    """A calendar day typed at the desk, as the instant it starts where the business is."""
    if day is None:
        return None
    zone = ZoneInfo(book.business(business_id).timezone)
    return day.replace(tzinfo=zone).astimezone(dt.UTC)


def _day(value: dt.datetime | None) -> str:
    return value.date().isoformat() if value is not None else ""


def _limit(value: int | None) -> str:
    return "" if value is None else str(value)


# -- promo ---------------------------------------------------------------------------


@click.group(help=_("Define promotions, redeem promo codes, list what a client may use."))
def promo() -> None:
    pass


@promo.command(
    name="define",
    help=_("Define a promotion under CODE (case, spaces and hyphens don't matter)."),
)
@business_option
@click.argument("code")
@click.option("--name", required=True, help=_("What the promotion is called."))
@click.option("--percent", help=_("A discount of this many per cent."))
@click.option("--amount", help=_('A fixed discount, e.g. "5.00 EUR".'))
@click.option(
    "--from",
    "valid_from",
    type=click.DateTime(["%Y-%m-%d"]),
    help=_("First day (default: now)."),
)
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help=_("The day it ends (excluded)."))
@click.option("--group", "groups", multiple=True, help=_("Only for this client group (repeat)."))
@click.option("--service", "services", multiple=True, help=_("Only for this service (repeat)."))
@click.option("--per-client", type=int, help=_("How many times one client may use it."))
@click.option("--total", type=int, help=_("How many times it may be used overall."))
@click.pass_obj
def promo_define(
    obj: _HasDb,
    business_id: str,
    code: str,
    name: str,
    percent: str | None,
    amount: str | None,
    valid_from: dt.datetime | None,
    until: dt.datetime | None,
    groups: tuple[str, ...],
    services: tuple[str, ...],
    per_client: int | None,
    total: int | None,
) -> None:
    if (percent is None) == (amount is None):
        raise click.UsageError(_("give one of --percent and --amount"))
    discount = (
        Discount.percentage(percent)
        if percent is not None
        else Discount.fixed(Money.parse(amount or ""))
    )
    with _book(obj) as book:
        promotion = book.define_promotion(
            business_id,
            code=code,
            name=name,
            discount=discount,
            valid_from=_day_start(book, business_id, valid_from),
            valid_until=_day_start(book, business_id, until),
            groups=groups,
            services=services,
            limit_per_client=per_client,
            limit_total=total,
            lang=cli_language(),
        )
    console.print(
        _("defined {code}: {discount}").format(code=promotion.code, discount=promotion.discount)
    )


def _promotions_table(book: ClientBook, business_id: str, promotions: Sequence[Promotion]) -> Table:
    table = Table(
        _("code"), _("name"), _("discount"), _("from"), _("until"), _("groups"), _("services")
    )
    for column in (_("per client"), _("total"), _("used"), _("status")):
        table.add_column(column)
    for item in promotions:
        cells = (
            item.code,
            item.name,
            str(item.discount),
            _day(item.valid_from),
            _day(item.valid_until),
            ", ".join(item.groups),
            ", ".join(item.services),
            _limit(item.limit_per_client),
            _limit(item.limit_total),
            str(book.promotion_usage(business_id, item.code)),
            _("retired") if item.retired else _("on"),
        )
        table.add_row(*(Text(cell) for cell in cells))
    return table


@promo.command(name="list", help=_("List the business's promotions."))
@business_option
@click.option("--all", "include_retired", is_flag=True, help=_("Retired promotions too."))
@click.pass_obj
def promo_list(obj: _HasDb, business_id: str, include_retired: bool) -> None:
    with _book(obj) as book:
        found = book.promotions(business_id, include_retired=include_retired)
        console.print(_promotions_table(book, business_id, found))
    console.print(_("{count} promotions").format(count=len(found)))


@promo.command(name="retire", help=_("Stop a promotion; what was redeemed stays."))
@business_option
@click.argument("code")
@click.pass_obj
def promo_retire(obj: _HasDb, business_id: str, code: str) -> None:
    with _book(obj) as book:
        promotion = book.retire_promotion(business_id, code)
    console.print(_("retired {code}").format(code=promotion.code))


@promo.command(
    name="redeem", help=_("Redeem a promo CODE for a client; a refusal prints its reason.")
)
@business_option
@click.argument("card_id")
@click.argument("code")
@click.option("--service", help=_("The service the code is used on."))
@click.option("--appointment", help=_("The appointment it is used for."))
@click.option("--by", default="staff", show_default=True, help=_("Who records it."))
@click.pass_obj
def promo_redeem(
    obj: _HasDb,
    business_id: str,
    card_id: str,
    code: str,
    service: str | None,
    appointment: str | None,
    by: str,
) -> None:
    with _book(obj) as book:
        redemption = book.redeem(
            business_id,
            card_id,
            code,
            service=service,
            appointment_id=appointment,
            recorded_by=by,
        )
    console.print(
        _("redeemed {code} for {id}: {discount} off").format(
            code=redemption.code, id=card_id, discount=redemption.discount
        )
    )


@promo.command(name="active-for", help=_("List the promotions a client could redeem now."))
@business_option
@click.argument("card_id")
@click.pass_obj
def promo_active_for(obj: _HasDb, business_id: str, card_id: str) -> None:
    with _book(obj) as book:
        active = book.active_promotions(business_id, card_id)
        console.print(_promotions_table(book, business_id, active))
    console.print(_("{count} active for {id}").format(count=len(active), id=card_id))


# -- group ---------------------------------------------------------------------------


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
    obj: _HasDb,
    business_id: str,
    key: str,
    label: str,
    description: str,
    discount: str | None,
    services: tuple[str, ...],
    replace: bool,
) -> None:
    with _book(obj) as book:
        defined = book.define_group(
            business_id,
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
def group_list(obj: _HasDb, business_id: str) -> None:
    table = Table(_("key"), _("label"), _("discount"), _("services"), _("clients"))
    with _book(obj) as book:
        groups = book.groups(business_id)
        for item in groups:
            members = book.count(business_id, CardQuery(group=item.key))
            percent = f"{item.discount_percent.normalize():f}%" if item.discount_percent else ""
            cells = (item.key, item.label, percent, ", ".join(item.included_services), str(members))
            table.add_row(*(Text(cell) for cell in cells))
    console.print(table)
    console.print(_("{count} groups").format(count=len(groups)))


def _members(book: ClientBook, business_id: str, key: str) -> dict[str, int]:
    versions: dict[str, int] = {}
    cursor: str | None = None
    while True:
        page = book.list_cards(business_id, CardQuery(group=key), limit=500, cursor=cursor)
        versions.update((card.id, card.version) for card in page.items)
        if page.next_cursor is None:
            return versions
        cursor = page.next_cursor


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
    obj: _HasDb,
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
    with _book(obj) as book:
        if source is not None:
            cards = _members(book, business_id, source)
        else:
            cards = {}
            for card_id in card_ids:
                try:
                    cards[card_id] = book.get(business_id, card_id).version
                except LookupError:
                    cards[card_id] = 0
        move = book.move_clients(business_id, cards, target, lang=cli_language())
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


# -- photo ---------------------------------------------------------------------------


photos_option = click.option(
    "--photos",
    envvar="CLIENTCARD_PHOTOS",
    help=_("Directory of photo files (env CLIENTCARD_PHOTOS; default: beside the database)."),
)


@click.group(help=_("Add and list the inspiration and result photos on client cards."))
def photo() -> None:
    pass


@photo.command(
    name="add", help=_("Add the photo in FILE (JPEG, PNG, WebP or HEIC) to a client's gallery.")
)
@business_option
@photos_option
@click.argument("card_id")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--kind",
    type=click.Choice([kind.value for kind in PhotoKind]),
    default=PhotoKind.RESULT.value,
    show_default=True,
    help=_("Inspiration (before) or result (after)."),
)
@click.option("--appointment", help=_("The appointment the photo belongs to."))
@click.option("--caption", default="", help=_("A caption (kept as personal data)."))
@click.option("--by", default="staff", show_default=True, help=_("Who adds it."))
@click.pass_obj
def photo_add(
    obj: _HasDb,
    business_id: str,
    photos: str | None,
    card_id: str,
    file: BinaryIO,
    kind: str,
    appointment: str | None,
    caption: str,
    by: str,
) -> None:
    data = file.read()
    with _book(obj, photos, gallery=True) as book:
        added = book.add_photo(
            business_id,
            card_id,
            data,
            kind=PhotoKind(kind),
            appointment_id=appointment,
            caption=caption,
            added_by=by,
            lang=cli_language(),
        )
    console.print(
        _("{id} ({type}, {size} bytes)").format(
            id=added.id, type=added.content_type, size=added.size
        )
    )


def _photos_table(found: Sequence[Photo]) -> Table:
    table = Table(_("added"), _("kind"), _("type"), _("bytes"), _("appointment"), _("caption"))
    table.add_column(_("id"), no_wrap=True, min_width=36)
    for item in found:
        cells = (
            item.added_at.isoformat(timespec="minutes"),
            item.kind.value,
            item.content_type,
            str(item.size),
            item.appointment_id or "",
            item.caption,
            item.id,
        )
        table.add_row(*(Text(cell) for cell in cells))
    return table


@photo.command(
    name="list", help=_("List a client's photos (CARD_ID) or an appointment's (--appointment).")
)
@business_option
@photos_option
@click.argument("card_id", required=False)
@click.option("--appointment", help=_("The photos of one appointment instead."))
@click.pass_obj
def photo_list(
    obj: _HasDb, business_id: str, photos: str | None, card_id: str | None, appointment: str | None
) -> None:
    if (card_id is None) == (appointment is None):
        raise click.UsageError(_("give a CARD_ID or --appointment"))
    with _book(obj, photos, gallery=True) as book:
        if appointment is not None:
            found = book.appointment_photos(business_id, appointment)
        else:
            found = book.photos(business_id, card_id or "")
    console.print(_photos_table(found))
    console.print(_("{count} photos").format(count=len(found)))


@photo.command(
    name="purge", help=_("Delete the files of removed photos that could not be deleted before.")
)
@business_option
@photos_option
@click.pass_obj
def photo_purge(obj: _HasDb, business_id: str, photos: str | None) -> None:
    with _book(obj, photos, gallery=True) as book:
        purged = book.purge_deleted_blobs(business_id)
    console.print(_("purged {count}").format(count=purged))
