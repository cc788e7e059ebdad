"""``clientcard promo``: define promotions, redeem promo codes, see what a client may use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

import click
from rich.table import Table
from rich.text import Text

from clientcard.cli._context import Context, business_option, console
from clientcard.cli._i18n import _, cli_language
from clientcard.money import Money
from clientcard.promotions.model import Discount, Promotion

__all__ = ["COMMANDS"]


def _day_start(zone: ZoneInfo, day: dt.datetime | None) -> dt.datetime | None:
    """A calendar day typed at the desk, as the instant it starts in the business's zone."""
    if day is None:
        return None
    return day.replace(tzinfo=zone).astimezone(dt.UTC)


def _day(zone: ZoneInfo, value: dt.datetime | None) -> str:
    """The calendar day an instant falls on in the business's zone (as it was typed)."""
    return value.astimezone(zone).date().isoformat() if value is not None else ""


def _limit(value: int | None) -> str:
    return "" if value is None else str(value)


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
    obj: Context,
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
    with obj.book() as book:
        desk = book.business(business_id)
        zone = ZoneInfo(desk.details().time_zone)
        promotion = desk.promotions.add(
            code=code,
            name=name,
            discount=discount,
            valid_from=_day_start(zone, valid_from),
            valid_until=_day_start(zone, until),
            groups=groups,
            services=services,
            limit_per_client=per_client,
            limit_total=total,
            lang=cli_language(),
        )
    console.print(
        _("defined {code}: {discount}").format(code=promotion.code, discount=promotion.discount)
    )


def _promotions_table(
    promotions: Sequence[Promotion], used: Mapping[str, int], zone: ZoneInfo
) -> Table:
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
            _day(zone, item.valid_from),
            _day(zone, item.valid_until),
            ", ".join(item.groups),
            ", ".join(item.services),
            _limit(item.limit_per_client),
            _limit(item.limit_total),
            str(used[item.code]),
            _("retired") if item.retired else _("on"),
        )
        table.add_row(*(Text(cell) for cell in cells))
    return table


@promo.command(name="list", help=_("List the business's promotions."))
@business_option
@click.option("--all", "include_retired", is_flag=True, help=_("Retired promotions too."))
@click.pass_obj
def promo_list(obj: Context, business_id: str, include_retired: bool) -> None:
    with obj.book() as book:
        desk = book.business(business_id)
        zone = ZoneInfo(desk.details().time_zone)
        found = desk.promotions.list(include_retired=include_retired)
        used = {item.code: desk.promotions.usage(item.code) for item in found}
    console.print(_promotions_table(found, used, zone))
    console.print(_("{count} promotions").format(count=len(found)))


@promo.command(name="retire", help=_("Stop a promotion; what was redeemed stays."))
@business_option
@click.argument("code")
@click.pass_obj
def promo_retire(obj: Context, business_id: str, code: str) -> None:
    with obj.book() as book:
        promotion = book.business(business_id).promotions.retire(code)
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
    obj: Context,
    business_id: str,
    card_id: str,
    code: str,
    service: str | None,
    appointment: str | None,
    by: str,
) -> None:
    with obj.book() as book:
        redemption = book.business(business_id).promotions.redeem(
            card_id, code, service=service, appointment_id=appointment, by=by
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
def promo_active_for(obj: Context, business_id: str, card_id: str) -> None:
    with obj.book() as book:
        desk = book.business(business_id)
        zone = ZoneInfo(desk.details().time_zone)
        active = desk.promotions.active_for(card_id)
        used = {item.code: desk.promotions.usage(item.code) for item in active}
    console.print(_promotions_table(active, used, zone))
    console.print(_("{count} active for {id}").format(count=len(active), id=card_id))


COMMANDS: tuple[click.Command, ...] = (promo,)
"""This module's commands, for :mod:`clientcard.cli._app` to put on the group."""
