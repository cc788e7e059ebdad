"""The ``clientcard`` group: every command on it, and a run that fails in one line.

The last module of the package to load: it imports the command modules, which import
only :mod:`clientcard.cli._context` and :mod:`clientcard.cli._i18n`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import click

from clientcard.cli import (
    _blacklist,
    _cards,
    _consent,
    _duplicates,
    _erasure,
    _exchange,
    _gallery,
    _groups,
    _history,
    _maintenance,
    _messaging,
    _promotions,
    _schema,
)
from clientcard.cli._context import (
    DEFAULT_DB,
    Context,
    describe,
    errors,
    printable,
    resolving_card_ids,
)
from clientcard.cli._i18n import _, cli_language, click_speaks
from clientcard.errors import ClientCardError

__all__ = ["cli", "run"]


@click.group(help=_("Keep a business's client cards in an embedded SQLite file."))
@click.option(
    "--db",
    default=lambda: os.environ.get("CLIENTCARD_DB", DEFAULT_DB),
    show_default=DEFAULT_DB,
    help=_("SQLite file holding the client cards (env CLIENTCARD_DB)."),
)
@click.pass_context
def cli(ctx: click.Context, db: str) -> None:
    """The ``clientcard`` command; its subcommands do the work."""
    ctx.obj = Context(db)


for _module in (
    _cards,
    _schema,
    _consent,
    _messaging,
    _history,
    _blacklist,
    _promotions,
    _groups,
    _gallery,
    _erasure,
    _exchange,
    _duplicates,
    _maintenance,
):
    for _command in _module.COMMANDS:
        resolving_card_ids(_command)
        cli.add_command(_command)


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
        message = printable(error.format_message())
        errors.print(_("error: {message}").format(message=message), markup=False)
        return error.exit_code
    except ClientCardError as error:
        message = printable(describe(error))
        errors.print(_("error: {message}").format(message=message), markup=False)
        return 1
    except ImportError as error:
        # An optional part that is not installed: the library's message is the install
        # hint (it names the extra), never client data.
        errors.print(_("error: {message}").format(message=_install_hint(error)), markup=False)
        return 1
    except Exception as error:  # noqa: BLE001 - the promise is one line, never a traceback
        # The type only: a message could quote client data.
        errors.print(_("error: unexpected {type}").format(type=type(error).__name__), markup=False)
        return 1
    # A command that ends with click.exceptions.Exit(n) reports n (a check's "no").
    return status if isinstance(status, int) else 0


# The extra that brings each optional module, for a missing one the library imported
# without a message of its own.
_EXTRAS = {
    "openpyxl": "exchange",
    "vobject": "exchange",
    "psycopg": "postgres",
    "psycopg_pool": "postgres",
}


def _install_hint(error: ImportError) -> str:
    """What to install for a missing optional module: the library's hint, or one built here."""
    message = str(error)
    if "pip install" in message:
        return message
    module = (error.name or "").partition(".")[0]
    extra = _EXTRAS.get(module)
    if extra is None:
        return _("a module this command needs is not installed ({module})").format(
            module=module or "?"
        )
    return _("this command needs the {extra} extra: pip install 'clientcard[{extra}]'").format(
        extra=extra
    )
