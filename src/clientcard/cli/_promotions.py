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
    help="The business id (env CLIENTCARD_BUSINESS).",
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


@click.group()
def promo() -> None:
    """Define promotions, redeem promo codes, list what a client may use."""


@promo.command(name="define")
@business_option
@click.argument("code")
@click.option("--name", required=True, help="What the promotion is called.")
@click.option("--percent", help="A discount of this many per cent.")
@click.option("--amount", help='A fixed discount, e.g. "5.00 EUR".')
@click.option(
    "--from", "valid_from", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: now)."
)
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="The day it ends (excluded).")
@click.option("--group", "groups", multiple=True, help="Only for this client group (repeat).")
@click.option("--service", "services", multiple=True, help="Only for this service (repeat).")
@click.option("--per-client", type=int, help="How many times one client may use it.")
@click.option("--total", type=int, help="How many times it may be used overall.")
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
    """Define a promotion under CODE (case, spaces and hyphens don't matter)."""
    if (percent is None) == (amount is None):
        raise click.UsageError("give one of --percent and --amount")
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
        )
    console.print(f"defined {promotion.code}: {promotion.discount}")


def _promotions_table(book: ClientBook, business_id: str, promotions: Sequence[Promotion]) -> Table:
    table = Table("code", "name", "discount", "from", "until", "groups", "services")
    for column in ("per client", "total", "used", "status"):
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
            "retired" if item.retired else "on",
        )
        table.add_row(*(Text(cell) for cell in cells))
    return table


@promo.command(name="list")
@business_option
@click.option("--all", "include_retired", is_flag=True, help="Retired promotions too.")
@click.pass_obj
def promo_list(obj: _HasDb, business_id: str, include_retired: bool) -> None:
    """List the business's promotions."""
    with _book(obj) as book:
        found = book.promotions(business_id, include_retired=include_retired)
        console.print(_promotions_table(book, business_id, found))
    console.print(f"{len(found)} promotions")


@promo.command(name="retire")
@business_option
@click.argument("code")
@click.pass_obj
def promo_retire(obj: _HasDb, business_id: str, code: str) -> None:
    """Stop a promotion; what was redeemed stays."""
    with _book(obj) as book:
        promotion = book.retire_promotion(business_id, code)
    console.print(f"retired {promotion.code}")


@promo.command(name="redeem")
@business_option
@click.argument("card_id")
@click.argument("code")
@click.option("--service", help="The service the code is used on.")
@click.option("--appointment", help="The appointment it is used for.")
@click.option("--by", default="staff", show_default=True, help="Who records it.")
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
    """Redeem a promo CODE for a client; a refusal prints its reason."""
    with _book(obj) as book:
        redemption = book.redeem(
            business_id,
            card_id,
            code,
            service=service,
            appointment_id=appointment,
            recorded_by=by,
        )
    console.print(f"redeemed {redemption.code} for {card_id}: {redemption.discount} off")


@promo.command(name="active-for")
@business_option
@click.argument("card_id")
@click.pass_obj
def promo_active_for(obj: _HasDb, business_id: str, card_id: str) -> None:
    """List the promotions a client could redeem now."""
    with _book(obj) as book:
        active = book.active_promotions(business_id, card_id)
        console.print(_promotions_table(book, business_id, active))
    console.print(f"{len(active)} active for {card_id}")


# -- group ---------------------------------------------------------------------------


@click.group()
def group() -> None:
    """Define client groups and move clients between them."""


@group.command(name="define")
@business_option
@click.argument("key")
@click.option("--label", required=True, help="The name staff see.")
@click.option("--description", default="", help="What the group is for.")
@click.option("--discount", help="Members' discount, in per cent.")
@click.option("--service", "services", multiple=True, help="A service members get (repeat).")
@click.option("--replace", is_flag=True, help="Redefine an existing group.")
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
    """Define a client group under KEY."""
    with _book(obj) as book:
        defined = book.define_group(
            business_id,
            key=key,
            label=label,
            description=description,
            discount_percent=discount,
            included_services=services,
            replace=replace,
        )
    console.print(f"defined group {defined.key}")


@group.command(name="list")
@business_option
@click.pass_obj
def group_list(obj: _HasDb, business_id: str) -> None:
    """List the client groups with their benefits and how many clients are in each."""
    table = Table("key", "label", "discount", "services", "clients")
    with _book(obj) as book:
        groups = book.groups(business_id)
        for item in groups:
            members = book.count(business_id, CardQuery(group=item.key))
            percent = f"{item.discount_percent.normalize():f}%" if item.discount_percent else ""
            cells = (item.key, item.label, percent, ", ".join(item.included_services), str(members))
            table.add_row(*(Text(cell) for cell in cells))
    console.print(table)
    console.print(f"{len(groups)} groups")


def _members(book: ClientBook, business_id: str, key: str) -> dict[str, int]:
    versions: dict[str, int] = {}
    cursor: str | None = None
    while True:
        page = book.list_cards(business_id, CardQuery(group=key), limit=500, cursor=cursor)
        versions.update((card.id, card.version) for card in page.items)
        if page.next_cursor is None:
            return versions
        cursor = page.next_cursor


@group.command(name="move")
@business_option
@click.argument("card_ids", nargs=-1)
@click.option("--to", "target", help="The group to move into.")
@click.option("--none", "no_group", is_flag=True, help="Take the clients out of every group.")
@click.option("--from", "source", help="Move every client of this group.")
@click.pass_obj
def group_move(
    obj: _HasDb,
    business_id: str,
    card_ids: tuple[str, ...],
    target: str | None,
    no_group: bool,
    source: str | None,
) -> None:
    """Move clients (CARD_IDS, or every member of --from) into the --to group."""
    if (target is not None) == no_group:
        raise click.UsageError("give one of --to and --none")
    if bool(card_ids) == (source is not None):
        raise click.UsageError("give card ids or --from, not both")
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
        move = book.move_clients(business_id, cards, target)
    console.print(f"moved {len(move.moved)} to {move.group or 'no group'}")
    for label, ids in (
        ("already there", move.unchanged),
        ("changed meanwhile, not moved", move.conflicts),
        ("not found", move.missing),
    ):
        if ids:
            console.print(f"  {len(ids)} {label}: {', '.join(ids)}")


# -- photo ---------------------------------------------------------------------------


photos_option = click.option(
    "--photos",
    envvar="CLIENTCARD_PHOTOS",
    help="Directory of photo files (env CLIENTCARD_PHOTOS; default: beside the database).",
)


@click.group()
def photo() -> None:
    """Add and list the inspiration and result photos on client cards."""


@photo.command(name="add")
@business_option
@photos_option
@click.argument("card_id")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--kind",
    type=click.Choice([kind.value for kind in PhotoKind]),
    default=PhotoKind.RESULT.value,
    show_default=True,
)
@click.option("--appointment", help="The appointment the photo belongs to.")
@click.option("--caption", default="", help="A caption (kept as personal data).")
@click.option("--by", default="staff", show_default=True, help="Who adds it.")
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
    """Add the photo in FILE (JPEG, PNG, WebP or HEIC) to a client's gallery."""
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
        )
    console.print(f"{added.id} ({added.content_type}, {added.size} bytes)")


def _photos_table(found: Sequence[Photo]) -> Table:
    table = Table("added", "kind", "type", "bytes", "appointment", "caption")
    table.add_column("id", no_wrap=True, min_width=36)
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


@photo.command(name="list")
@business_option
@photos_option
@click.argument("card_id", required=False)
@click.option("--appointment", help="The photos of one appointment instead.")
@click.pass_obj
def photo_list(
    obj: _HasDb, business_id: str, photos: str | None, card_id: str | None, appointment: str | None
) -> None:
    """List a client's photos (CARD_ID) or an appointment's (--appointment)."""
    if (card_id is None) == (appointment is None):
        raise click.UsageError("give a CARD_ID or --appointment")
    with _book(obj, photos, gallery=True) as book:
        if appointment is not None:
            found = book.appointment_photos(business_id, appointment)
        else:
            found = book.photos(business_id, card_id or "")
    console.print(_photos_table(found))
    console.print(f"{len(found)} photos")


@photo.command(name="purge")
@business_option
@photos_option
@click.pass_obj
def photo_purge(obj: _HasDb, business_id: str, photos: str | None) -> None:
    """Delete the files of removed photos that could not be deleted before."""
    with _book(obj, photos, gallery=True) as book:
        purged = book.purge_deleted_blobs(business_id)
    console.print(f"purged {purged}")
