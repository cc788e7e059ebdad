"""What every command of ``clientcard`` shares: the book, the consoles, options and errors.

The command modules import this one (and :mod:`clientcard.cli._i18n`) and nothing else of
the package; :mod:`clientcard.cli._app` imports them all and puts the commands on the
``clientcard`` group.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console

from clientcard.book import ClientBook
from clientcard.cards.card import ClientCard
from clientcard.cards.service import CardService
from clientcard.cli._i18n import _N, _, cli_language
from clientcard.errors import (
    ClientCardError,
    DuplicateError,
    ImportFileError,
    NotFoundError,
    ValidationError,
    VersionConflictError,
)
from clientcard.fingerprints import MIN_SECRET_BYTES
from clientcard.messaging import MessagingSettings
from clientcard.promotions.model import RedemptionRefusedError
from clientcard.storage.blobs import BlobStore
from clientcard.storage.protocol import CardQuery
from clientcard.storage.sqlite import SQLiteStore

DEFAULT_DB = "clientcard.db"
console = Console(highlight=False)
"""Where the commands print what they found or did."""
errors = Console(stderr=True, highlight=False, soft_wrap=True)
"""Where a failed command prints its one line."""


class Context:
    """The object every command receives (``click.pass_obj``): where the book is kept."""

    def __init__(self, db: str) -> None:
        self.db = db

    @contextmanager
    def book(
        self, *, messaging: MessagingSettings | None = None, blobs: BlobStore | None = None
    ) -> Iterator[ClientBook]:
        """The book on the SQLite file, open for the block.

        It takes its fingerprint secret from ``CLIENTCARD_FINGERPRINT_SECRET`` (hex), so
        every command recognises the same suppressed contacts; ``messaging`` lets it send,
        ``blobs`` keep photos.
        """
        secret = _fingerprint_secret(os.environ.get("CLIENTCARD_FINGERPRINT_SECRET"))
        store = SQLiteStore(self.db)
        try:
            yield ClientBook(store, fingerprint_secret=secret, messaging=messaging, blobs=blobs)
        finally:
            store.close()


def _fingerprint_secret(hex_text: str | None) -> bytes | None:
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


business_option = click.option(
    "--business",
    "-b",
    "business_id",
    required=True,
    envvar="CLIENTCARD_BUSINESS",
    help=_("The business id (env CLIENTCARD_BUSINESS)."),
)
"""The ``--business`` option every command about one business takes."""


def pairs(items: Sequence[str], param: str) -> dict[str, Any]:
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


def when(value: str, param: str) -> dt.datetime:
    """Read an ISO date or date-time; one without a zone is taken as UTC."""
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("use an ISO date or date-time"), param_hint=param) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def show_time(value: dt.datetime | None) -> str:
    """A date and time in a sentence or a cell, ``-`` for none."""
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M")


def yes_no(flag: bool) -> str:
    """A yes/no answer in a sentence or a cell."""
    return _("yes") if flag else _("no")


def every_card(cards: CardService, query: CardQuery) -> Iterator[ClientCard]:
    """Every card ``query`` selects, read a page at a time."""
    cursor: str | None = None
    while True:
        page = cards.list(query, limit=500, cursor=cursor)
        yield from page.items
        cursor = page.next_cursor
        if cursor is None:
            return


# The kinds of record a user meets most in "not found" and "already exists"; others
# are named by their code (``subject.request``).
_KINDS = {"card": _N("card"), "business": _N("business")}


def printable(text: str) -> str:
    r"""Make ``text`` safe to print on a terminal.

    Control and invisible formatting characters (escape sequences, bidirectional
    overrides) are shown as ``\xNN`` escapes. For text that comes from a file or a
    user (headers, sheet names, file names): an escape sequence in it would otherwise
    drive the terminal.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == "\n" else _escaped(ch) for ch in text)


def _escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def describe(error: ClientCardError) -> str:
    """The error in the command's language, as far as it carries more than English text."""
    if isinstance(error, ImportFileError):
        return error.text(cli_language())
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


MIN_ID_PREFIX = 4
"""The fewest characters of a card id the commands take for the whole id (as ``git`` does)."""

_CARD_PARAMETERS = ("card_id", "card_ids")
"""The names under which commands take card ids."""

_FULL_ID_LENGTH = 36


def card_ref(cards: CardService, text: str) -> str:
    """The id of the one card of the business whose id is ``text``, begins or ends with it.

    A full id is taken as it is (the command then says if no such card exists); a
    shorter text must be at least :data:`MIN_ID_PREFIX` characters. Time-ordered ids
    begin with the moment the card was made, so cards made together (an import) share
    their first characters, while the last ones are random: the end tells them apart.
    A text that fits several cards is refused with their ids, to pick from.
    """
    if len(text) >= _FULL_ID_LENGTH:
        return text
    if len(text) < MIN_ID_PREFIX:
        raise click.BadParameter(
            _("give at least {count} characters of the card id").format(count=MIN_ID_PREFIX),
            param_hint="CARD_ID",
        )
    found: dict[str, None] = {}
    for query in (CardQuery(id_prefix=text), CardQuery(id_suffix=text)):
        found.update((card.id, None) for card in cards.list(query, limit=6).items)
    if not found:
        raise NotFoundError("card", text)
    if len(found) > 1:
        ids = sorted(found)
        more = " ..." if len(ids) > 5 else ""
        raise click.BadParameter(
            _("{text} fits the ids of several cards: {ids}{more}").format(
                text=text, ids=", ".join(ids[:5]), more=more
            ),
            param_hint="CARD_ID",
        )
    return next(iter(found))


def resolving_card_ids(command: click.Command) -> None:
    """Let ``command`` (and its subcommands) take a unique beginning of a card id.

    The command's ``card_id``/``card_ids`` values are replaced by the full ids before it
    runs, so every command that names a card accepts a short id, including ones added
    later, without each resolving them itself.
    """
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            resolving_card_ids(sub)
    callback = command.callback
    names = [name for p in command.params if (name := p.name) in _CARD_PARAMETERS]
    if callback is None or not names:
        return
    command.callback = _resolving(callback, names)


def _resolving(callback: Callable[..., Any], names: list[str]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(**params: Any) -> Any:
        short = [
            name
            for name in names
            if any(len(value) < _FULL_ID_LENGTH for value in _as_tuple(params.get(name)))
        ]
        if short:
            obj = click.get_current_context().find_object(Context)
            if obj is None:  # pragma: no cover - the group always sets it
                raise click.UsageError("no database given")
            with obj.book() as book:
                cards = book.business(params["business_id"]).cards
                for name in short:
                    value = params[name]
                    if isinstance(value, tuple):
                        # A command taking several cards reports the unknown ones itself.
                        params[name] = tuple(_card_ref_or_text(cards, item) for item in value)
                    else:
                        params[name] = card_ref(cards, value)
        return callback(**params)

    return run


def _card_ref_or_text(cards: CardService, text: str) -> str:
    try:
        return card_ref(cards, text)
    except NotFoundError:
        return text


def _as_tuple(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, tuple):
        return value
    return (str(value),)
