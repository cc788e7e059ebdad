"""``clientcard photo``: the inspiration and result photos on client cards.

Photos are kept as files beside the database (``<db>.photos/``) unless ``--photos`` or
``CLIENTCARD_PHOTOS`` names another directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

import click
from rich.table import Table
from rich.text import Text

from clientcard.cli._context import Context, business_option, console
from clientcard.cli._i18n import _, cli_language
from clientcard.gallery.model import Photo, PhotoKind
from clientcard.storage.files import FileBlobStore

__all__ = ["COMMANDS"]


def _files(obj: Context, photos: str | None) -> FileBlobStore:
    """The directory the photos' files are kept in: ``--photos``, or beside the database."""
    return FileBlobStore(photos or f"{obj.db}.photos")


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
    obj: Context,
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
    with obj.book(blobs=_files(obj, photos)) as book:
        added = book.business(business_id).gallery.add(
            card_id,
            data,
            kind=PhotoKind(kind),
            appointment_id=appointment,
            caption=caption,
            by=by,
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
    obj: Context, business_id: str, photos: str | None, card_id: str | None, appointment: str | None
) -> None:
    if (card_id is None) == (appointment is None):
        raise click.UsageError(_("give a CARD_ID or --appointment"))
    with obj.book(blobs=_files(obj, photos)) as book:
        gallery = book.business(business_id).gallery
        found = (
            gallery.list(card_id)
            if card_id is not None
            else gallery.list_for_appointment(appointment or "")
        )
    console.print(_photos_table(found))
    console.print(_("{count} photos").format(count=len(found)))


@photo.command(
    name="purge", help=_("Delete the files of removed photos that could not be deleted before.")
)
@business_option
@photos_option
@click.pass_obj
def photo_purge(obj: Context, business_id: str, photos: str | None) -> None:
    with obj.book(blobs=_files(obj, photos)) as book:
        purged = book.business(business_id).gallery.purge_deleted()
    console.print(_("purged {count}").format(count=purged))


COMMANDS: tuple[click.Command, ...] = (photo,)
"""This module's commands, for :mod:`clientcard.cli._app` to put on the group."""
