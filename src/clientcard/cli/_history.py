"""``clientcard show``, ``appointment``, ``payment`` and ``stats``: a client's history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

import click
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from clientcard.cards.card import ClientCard
from clientcard.cards.schema import FieldSchema
from clientcard.cli._context import Context, business_option, console, show_time, when
from clientcard.cli._i18n import _, cli_language
from clientcard.contact import phone
from clientcard.history.model import (
    Appointment,
    AppointmentStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ServiceLine,
)
from clientcard.history.statistics import ClientStatistics
from clientcard.history.views import CardOverview
from clientcard.money import Money

__all__ = ["COMMANDS"]

_STATUSES = [status.value for status in AppointmentStatus]


def _money(value: Money | None) -> str:
    return "-" if value is None else str(value)


def _appointments_table(title: str, appointments: Sequence[Appointment]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in (_("when"), _("services"), _("status"), _("price"), _("id")):
        table.add_column(column)
    for visit in appointments:
        table.add_row(
            show_time(visit.starts_at),
            Text(", ".join(line.name for line in visit.services)),
            visit.status.value,
            str(visit.spend if visit.status is AppointmentStatus.COMPLETED else visit.price),
            visit.id,
        )
    return table


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


def _overview_panel(overview: CardOverview) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row(_("future bookings"), str(overview.future_bookings))
    for visit in overview.next_bookings:
        grid.add_row("", Text(f"{show_time(visit.starts_at)} {visit.services[0].name}"))
    grid.add_row(_("average spend"), _money(overview.average_spend))
    grid.add_row(_("last appointment"), show_time(overview.last_appointment))
    if overview.active_promotions:
        grid.add_row(_("promotions"), Text(", ".join(overview.active_promotions)))
    if overview.blocked:
        grid.add_row(_("blocked"), Text(_("yes: may not book"), style="bold red"))
    if overview.important_notes:
        grid.add_row(_("notes"), Text(overview.important_notes))
    return Panel(grid, title=_("overview"), expand=False)


@click.command(help=_("Show a client card with its overview (and its history)."))
@business_option
@click.argument("card_id")
@click.option("--history", "with_history", is_flag=True, help=_("Add appointments and timeline."))
@click.pass_obj
def show(obj: Context, business_id: str, card_id: str, with_history: bool) -> None:
    with obj.book() as book:
        desk = book.business(business_id)
        card = desk.cards.get(card_id)
        schema = desk.cards.schema()
        overview = desk.history.overview(card_id)
        history = desk.history.get(card_id) if with_history else None
        minor = card.id in desk.cards.minors([card])
    console.print(_card_panel(card, schema, cli_language()))
    if minor:
        console.print(Text(_("minor: no marketing without a guardian's consent"), style="bold"))
    console.print(_overview_panel(overview))
    if history is None:
        return
    console.print(_appointments_table(_("upcoming"), history.upcoming))
    console.print(_appointments_table(_("past"), history.past))
    timeline = Table(title=_("timeline"), title_justify="left")
    for column in (_("when"), _("kind"), _("channel"), _("summary")):
        timeline.add_column(column)
    for entry in history.timeline:
        channel = entry.channel.value if entry.channel else "-"
        timeline.add_row(show_time(entry.at), entry.kind.value, channel, Text(entry.summary or ""))
    console.print(timeline)


# -- appointments and payments -------------------------------------------------------------


@click.group(help=_("Record appointments the booking system made (clientcard never invents one)."))
def appointment() -> None:
    pass


def _service(text: str, currency: str) -> ServiceLine:
    name, _sep, price = text.rpartition("=")
    if not name or not price:
        raise click.BadParameter(
            _("a service is NAME=PRICE, e.g. 'Cut=35'"), param_hint="--service"
        )
    return ServiceLine(
        service_id=name.strip().lower().replace(" ", "-"),
        name=name,
        price=Money.of(price, currency),
    )


@appointment.command(name="add", help=_("Record an appointment of CARD_ID."))
@business_option
@click.argument("card_id")
@click.option("--at", "starts", required=True, help=_("Start, ISO 8601 (UTC if no zone)."))
@click.option(
    "--service", "services", multiple=True, required=True, help=_("NAME=PRICE, repeatable.")
)
@click.option(
    "--minutes",
    default=60,
    show_default=True,
    type=click.IntRange(0, 24 * 60),
    help=_("How long it lasts."),
)
@click.option(
    "--status",
    default="booked",
    type=click.Choice(_STATUSES),
    show_default=True,
    help=_("Where it stands."),
)
@click.option("--team", "team_member_id", help=_("The team member's id."))
@click.option("--currency", default="EUR", show_default=True, help=_("Currency of the prices."))
@click.option("--notes", help=_("Technical notes (colour mix, technique)."))
@click.pass_obj
def appointment_add(
    obj: Context,
    business_id: str,
    card_id: str,
    *,
    starts: str,
    services: tuple[str, ...],
    minutes: int,
    status: str,
    team_member_id: str | None,
    currency: str,
    notes: str | None,
) -> None:
    visit = Appointment(
        id=str(uuid.uuid4()),
        business_id=business_id,
        card_id=card_id,
        starts_at=when(starts, "--at"),
        duration_minutes=minutes,
        services=tuple(_service(text, currency) for text in services),
        status=AppointmentStatus(status),
        team_member_id=team_member_id,
        technical_notes=notes,
    )
    with obj.book() as book:
        book.business(business_id).history.add_appointment(visit)
    console.print(visit.id)


@appointment.command(
    name="status", help=_("Mark an appointment completed, cancelled, missed or booked again.")
)
@business_option
@click.argument("appointment_id")
@click.argument("status", type=click.Choice(_STATUSES))
@click.pass_obj
def appointment_status(obj: Context, business_id: str, appointment_id: str, status: str) -> None:
    with obj.book() as book:
        book.business(business_id).history.set_appointment_status(
            appointment_id, AppointmentStatus(status)
        )
    console.print(f"{appointment_id}: {status}")


@click.command(help=_("Record a payment of CARD_ID, received or pending."))
@business_option
@click.argument("card_id")
@click.option("--amount", required=True, help=_("The amount, e.g. 35.50."))
@click.option("--currency", default="EUR", show_default=True, help=_("Currency of the amount."))
@click.option("--pending", is_flag=True, help=_("Still due, not received."))
@click.option(
    "--method",
    default="other",
    type=click.Choice([m.value for m in PaymentMethod]),
    help=_("How it was paid."),
)
@click.option("--invoice", "invoice_number", help=_("The invoice number, if one was issued."))
@click.pass_obj
def payment(
    obj: Context,
    business_id: str,
    card_id: str,
    *,
    amount: str,
    currency: str,
    pending: bool,
    method: str,
    invoice_number: str | None,
) -> None:
    with obj.book() as book:
        recorded = book.business(business_id).history.add_payment(
            Payment(
                id=str(uuid.uuid4()),
                business_id=business_id,
                card_id=card_id,
                amount=Money.of(amount, currency),
                at=book.clock.now(),
                status=PaymentStatus.PENDING if pending else PaymentStatus.RECEIVED,
                method=PaymentMethod(method),
                invoice_number=invoice_number,
            )
        )
    console.print(recorded.id)


# -- statistics ----------------------------------------------------------------------------


def _statistics_table(stats: ClientStatistics) -> Table:
    table = Table(title=_("statistics"), title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    rows = [
        (_("future bookings"), str(stats.future_bookings)),
        (_("completed visits"), str(stats.completed_visits)),
        (_("total spend"), _money(stats.total_spend)),
        (_("average spend"), _money(stats.average_spend)),
        (_("last appointment"), show_time(stats.last_appointment)),
        (_("mean days between visits"), str(stats.mean_interval_days or "-")),
        (_("no-show rate"), str(stats.no_show_rate if stats.no_show_rate is not None else "-")),
        (
            _("cancellation rate"),
            str(stats.cancellation_rate if stats.cancellation_rate is not None else "-"),
        ),
        (_("tenure (days)"), str(stats.tenure_days)),
        (_("favourite services"), ", ".join(f"{n} ({c})" for n, c in stats.favourite_services)),
        (_("favourite team"), ", ".join(f"{n} ({c})" for n, c in stats.favourite_team_members)),
    ]
    for label, value in rows:
        table.add_row(label, Text(value or "-"))
    return table


@click.command(
    help=_(
        "Show one client's statistics, or (without CARD_ID) the business's aggregates.\n"
        "\n"
        "Aggregates count only clients whose consent allows profiling."
    )
)
@business_option
@click.argument("card_id", required=False)
@click.option("--currency", default="EUR", show_default=True, help=_("For the aggregates."))
@click.pass_obj
def stats(obj: Context, business_id: str, card_id: str | None, currency: str) -> None:
    with obj.book() as book:
        history = book.business(business_id).history
        if card_id is not None:
            figures = history.statistics(card_id)
            console.print(_statistics_table(figures))
            trend = Table(title=_("by month"), title_justify="left")
            for column in (_("month"), _("appointments"), _("completed"), _("spend")):
                trend.add_column(column)
            for month in figures.monthly_trend:
                trend.add_row(
                    month.month, str(month.appointments), str(month.completed), _money(month.spend)
                )
            console.print(trend)
            return
        result = history.aggregates(currency=currency)
    console.print(_("clients counted (profiling consent): {count}").format(count=result.clients))
    groups = Table(title=_("spend by group"), title_justify="left")
    groups.add_column(_("group"))
    groups.add_column(_("spend"))
    for group, spend in result.spend_by_group.items():
        groups.add_row(Text(group or _("(none)")), str(spend))
    console.print(groups)
    sources = Table(title=_("how did you hear about us"), title_justify="left")
    sources.add_column(_("source"))
    sources.add_column(_("clients"))
    for source, count in result.clients_by_source.items():
        sources.add_row(Text(source or _("(not asked)")), str(count))
    console.print(sources)
    cohorts = Table(title=_("retention cohorts"), title_justify="left")
    cohorts.add_column(_("first visit"))
    cohorts.add_column(_("clients"))
    cohorts.add_column(_("came back in month +1, +2, ..."))
    for cohort in result.cohorts:
        cohorts.add_row(
            cohort.month, str(cohort.size), " ".join(str(n) for n in cohort.returned) or "-"
        )
    console.print(cohorts)


COMMANDS: tuple[click.Command, ...] = (show, appointment, payment, stats)
"""This module's commands, for :mod:`clientcard.cli._app` to put on the group."""
