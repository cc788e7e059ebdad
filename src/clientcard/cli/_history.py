"""``clientcard show``, ``appointment``, ``payment``, ``stats`` and ``blacklist``."""

from __future__ import annotations

import datetime as dt
import getpass
import uuid
from collections.abc import Sequence

import click
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from clientcard.blacklist import BlacklistEntry, BlockReason
from clientcard.book import ClientBook
from clientcard.cli._commands import _card_panel, _Context, business_option, cli, console
from clientcard.cli._i18n import _, cli_language
from clientcard.history import (
    Appointment,
    AppointmentStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ServiceLine,
)
from clientcard.money import Money
from clientcard.stats import ClientStatistics

_STATUSES = [status.value for status in AppointmentStatus]


def _actor() -> str:
    """Who the CLI acts as, for blacklist entries: the login name, or ``cli``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def _when(value: str, param: str) -> dt.datetime:
    """Read an ISO date or date-time; one without a zone is taken as UTC."""
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("use an ISO date or date-time"), param_hint=param) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def _money(value: Money | None) -> str:
    return "-" if value is None else str(value)


def _time(value: dt.datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _appointments_table(title: str, appointments: Sequence[Appointment]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in (_("when"), _("services"), _("status"), _("price"), _("id")):
        table.add_column(column)
    for visit in appointments:
        table.add_row(
            _time(visit.starts_at),
            Text(", ".join(line.name for line in visit.services)),
            visit.status.value,
            str(visit.spend if visit.status is AppointmentStatus.COMPLETED else visit.price),
            visit.id,
        )
    return table


def _overview_panel(book: ClientBook, business_id: str, card_id: str) -> Panel:
    overview = book.overview(business_id, card_id)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row(_("future bookings"), str(overview.future_bookings))
    for visit in overview.next_bookings:
        grid.add_row("", Text(f"{_time(visit.starts_at)} {visit.services[0].name}"))
    grid.add_row(_("average spend"), _money(overview.average_spend))
    grid.add_row(_("last appointment"), _time(overview.last_appointment))
    if overview.active_promotions:
        grid.add_row(_("promotions"), Text(", ".join(overview.active_promotions)))
    if overview.blocked:
        grid.add_row(_("blocked"), Text(_("yes: may not book"), style="bold red"))
    if overview.important_notes:
        grid.add_row(_("notes"), Text(overview.important_notes))
    return Panel(grid, title=_("overview"), expand=False)


@cli.command(help=_("Show a client card with its overview (and its history)."))
@business_option
@click.argument("card_id")
@click.option("--history", "with_history", is_flag=True, help=_("Add appointments and timeline."))
@click.pass_obj
def show(obj: _Context, business_id: str, card_id: str, with_history: bool) -> None:
    with obj.book() as book:
        business = book.business(business_id)
        card = book.get(business_id, card_id)
        console.print(_card_panel(card, business.schema, cli_language()))
        console.print(_overview_panel(book, business_id, card_id))
        if not with_history:
            return
        history = book.history(business_id, card_id)
        console.print(_appointments_table(_("upcoming"), history.upcoming))
        console.print(_appointments_table(_("past"), history.past))
        timeline = Table(title=_("timeline"), title_justify="left")
        for column in (_("when"), _("kind"), _("channel"), _("summary")):
            timeline.add_column(column)
        for entry in history.timeline:
            channel = entry.channel.value if entry.channel else "-"
            timeline.add_row(_time(entry.at), entry.kind.value, channel, Text(entry.summary or ""))
        console.print(timeline)


# -- appointments and payments -------------------------------------------------------------


@cli.group(help=_("Record appointments the booking system made (clientcard never invents one)."))
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
    obj: _Context,
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
        starts_at=_when(starts, "--at"),
        duration_minutes=minutes,
        services=tuple(_service(text, currency) for text in services),
        status=AppointmentStatus(status),
        team_member_id=team_member_id,
        technical_notes=notes,
    )
    with obj.book() as book:
        book.record_appointment(visit)
    console.print(visit.id)


@appointment.command(
    name="status", help=_("Mark an appointment completed, cancelled, missed or booked again.")
)
@business_option
@click.argument("appointment_id")
@click.argument("status", type=click.Choice(_STATUSES))
@click.pass_obj
def appointment_status(obj: _Context, business_id: str, appointment_id: str, status: str) -> None:
    with obj.book() as book:
        book.set_appointment_status(business_id, appointment_id, AppointmentStatus(status))
    console.print(f"{appointment_id}: {status}")


@cli.command(help=_("Record a payment of CARD_ID, received or pending."))
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
    obj: _Context,
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
        recorded = book.record_payment(
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
        (_("last appointment"), _time(stats.last_appointment)),
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


@cli.command(
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
def stats(obj: _Context, business_id: str, card_id: str | None, currency: str) -> None:
    with obj.book() as book:
        if card_id is not None:
            figures = book.statistics(business_id, card_id)
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
        result = book.aggregates(business_id, currency=currency)
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


# -- blacklist -----------------------------------------------------------------------------


@cli.group(help=_("Block clients from booking (and from marketing), and lift blocks."))
def blacklist() -> None:
    pass


def _entries_table(entries: Sequence[BlacklistEntry]) -> Table:
    table = Table()
    for column in (_("id"), _("reason"), _("since"), _("until"), _("where"), _("by")):
        table.add_column(column)
    for entry in entries:
        table.add_row(
            entry.id,
            entry.reason.value,
            _time(entry.at),
            _time(entry.ends_at),
            entry.location_id or _("everywhere"),
            Text(entry.lifted_by or entry.by or "-"),
        )
    return table


@blacklist.command(name="add", help=_("Block CARD_ID from booking."))
@business_option
@click.argument("card_id")
@click.option(
    "--reason",
    required=True,
    type=click.Choice([r.value for r in BlockReason]),
    help=_("Why the client is blocked."),
)
@click.option("--location", "location_id", help=_("Block at this location only."))
@click.option("--until", "until", help=_("Expiry, ISO 8601 (open-ended if absent)."))
@click.option("--note", help=_("A note for staff."))
@click.pass_obj
def blacklist_add(
    obj: _Context,
    business_id: str,
    card_id: str,
    *,
    reason: str,
    location_id: str | None,
    until: str | None,
    note: str | None,
) -> None:
    with obj.book() as book:
        entry = book.block(
            business_id,
            card_id,
            BlockReason(reason),
            by=_actor(),
            location_id=location_id,
            expires_at=None if until is None else _when(until, "--until"),
            note=note,
        )
    console.print(entry.id)


@blacklist.command(name="lift", help=_("Lift a block."))
@business_option
@click.argument("entry_id")
@click.pass_obj
def blacklist_lift(obj: _Context, business_id: str, entry_id: str) -> None:
    with obj.book() as book:
        book.lift_block(business_id, entry_id, by=_actor())
    console.print(_("lifted {id}").format(id=entry_id))


@blacklist.command(name="list", help=_("List every block ever placed on CARD_ID."))
@business_option
@click.argument("card_id")
@click.pass_obj
def blacklist_list(obj: _Context, business_id: str, card_id: str) -> None:
    with obj.book() as book:
        console.print(_entries_table(book.blocks(business_id, card_id)))


@blacklist.command(name="check", help=_("Tell whether someone may book (exit status 3 when not)."))
@business_option
@click.option("--card", "card_id", help=_("A known client's card."))
@click.option("--email", help=_("The e-mail address typed in a booking."))
@click.option("--phone", help=_("The phone number typed in a booking."))
@click.option("--location", "location_id", help=_("The location of the booking."))
@click.pass_obj
def blacklist_check(
    obj: _Context,
    business_id: str,
    *,
    card_id: str | None,
    email: str | None,
    phone: str | None,
    location_id: str | None,
) -> None:
    with obj.book() as book:
        decision = book.may_book(
            business_id, card_id=card_id, email=email, phone=phone, location_id=location_id
        )
    if decision.allowed:
        console.print(_("may book"))
        return
    # The reason is the block's code (no_show, ...), as `blacklist add --reason` takes it.
    reason = decision.reason.value if decision.reason else "blocked"
    console.print(
        _("may not book: {reason} (entry {entry})").format(reason=reason, entry=decision.entry_id)
    )
    raise click.exceptions.Exit(3)
