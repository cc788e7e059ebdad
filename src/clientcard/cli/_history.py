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


def _when(value: str, what: str) -> dt.datetime:
    """Read an ISO date or date-time; one without a zone is taken as UTC."""
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{what} must be an ISO date or date-time") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def _money(value: Money | None) -> str:
    return "-" if value is None else str(value)


def _time(value: dt.datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _appointments_table(title: str, appointments: Sequence[Appointment]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("when", "services", "status", "price", "id"):
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
    grid.add_row("future bookings", str(overview.future_bookings))
    for visit in overview.next_bookings:
        grid.add_row("", Text(f"{_time(visit.starts_at)} {visit.services[0].name}"))
    grid.add_row("average spend", _money(overview.average_spend))
    grid.add_row("last appointment", _time(overview.last_appointment))
    if overview.active_promotions:
        grid.add_row("promotions", Text(", ".join(overview.active_promotions)))
    if overview.blocked:
        grid.add_row("blocked", Text("yes: may not book", style="bold red"))
    if overview.important_notes:
        grid.add_row("notes", Text(overview.important_notes))
    return Panel(grid, title="overview", expand=False)


@cli.command()
@business_option
@click.argument("card_id")
@click.option("--history", "with_history", is_flag=True, help="Add appointments and timeline.")
@click.pass_obj
def show(obj: _Context, business_id: str, card_id: str, with_history: bool) -> None:
    """Show a client card with its overview (and its history)."""
    with obj.book() as book:
        business = book.business(business_id)
        card = book.get(business_id, card_id)
        console.print(_card_panel(card, business.schema, business.language))
        console.print(_overview_panel(book, business_id, card_id))
        if not with_history:
            return
        history = book.history(business_id, card_id)
        console.print(_appointments_table("upcoming", history.upcoming))
        console.print(_appointments_table("past", history.past))
        timeline = Table(title="timeline", title_justify="left")
        for column in ("when", "kind", "channel", "summary"):
            timeline.add_column(column)
        for entry in history.timeline:
            channel = entry.channel.value if entry.channel else "-"
            timeline.add_row(_time(entry.at), entry.kind.value, channel, Text(entry.summary or ""))
        console.print(timeline)


# -- appointments and payments -------------------------------------------------------------


@cli.group()
def appointment() -> None:
    """Record appointments the booking system made (clientcard never invents one)."""


def _service(text: str, currency: str) -> ServiceLine:
    name, _, price = text.rpartition("=")
    if not name or not price:
        raise click.BadParameter("a service is NAME=PRICE, e.g. 'Cut=35'")
    return ServiceLine(
        service_id=name.strip().lower().replace(" ", "-"),
        name=name,
        price=Money.of(price, currency),
    )


@appointment.command(name="add")
@business_option
@click.argument("card_id")
@click.option("--at", "starts", required=True, help="Start, ISO 8601 (UTC if no zone).")
@click.option("--service", "services", multiple=True, required=True, help="NAME=PRICE.")
@click.option("--minutes", default=60, show_default=True, type=click.IntRange(0, 24 * 60))
@click.option("--status", default="booked", type=click.Choice(_STATUSES), show_default=True)
@click.option("--team", "team_member_id", help="The team member's id.")
@click.option("--currency", default="EUR", show_default=True)
@click.option("--notes", help="Technical notes (colour mix, technique).")
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
    """Record an appointment of CARD_ID."""
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


@appointment.command(name="status")
@business_option
@click.argument("appointment_id")
@click.argument("status", type=click.Choice(_STATUSES))
@click.pass_obj
def appointment_status(obj: _Context, business_id: str, appointment_id: str, status: str) -> None:
    """Mark an appointment completed, cancelled, missed or booked again."""
    with obj.book() as book:
        book.set_appointment_status(business_id, appointment_id, AppointmentStatus(status))
    console.print(f"{appointment_id}: {status}")


@cli.command()
@business_option
@click.argument("card_id")
@click.option("--amount", required=True, help="The amount, e.g. 35.50.")
@click.option("--currency", default="EUR", show_default=True)
@click.option("--pending", is_flag=True, help="Still due, not received.")
@click.option("--method", default="other", type=click.Choice([m.value for m in PaymentMethod]))
@click.option("--invoice", "invoice_number", help="The invoice number, if one was issued.")
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
    """Record a payment of CARD_ID, received or pending."""
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
    table = Table(title="statistics", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("future bookings", str(stats.future_bookings)),
        ("completed visits", str(stats.completed_visits)),
        ("total spend", _money(stats.total_spend)),
        ("average spend", _money(stats.average_spend)),
        ("last appointment", _time(stats.last_appointment)),
        ("mean days between visits", str(stats.mean_interval_days or "-")),
        ("no-show rate", str(stats.no_show_rate if stats.no_show_rate is not None else "-")),
        (
            "cancellation rate",
            str(stats.cancellation_rate if stats.cancellation_rate is not None else "-"),
        ),
        ("tenure (days)", str(stats.tenure_days)),
        ("favourite services", ", ".join(f"{n} ({c})" for n, c in stats.favourite_services)),
        ("favourite team", ", ".join(f"{n} ({c})" for n, c in stats.favourite_team_members)),
    ]
    for label, value in rows:
        table.add_row(label, Text(value or "-"))
    return table


@cli.command()
@business_option
@click.argument("card_id", required=False)
@click.option("--currency", default="EUR", show_default=True, help="For the aggregates.")
@click.pass_obj
def stats(obj: _Context, business_id: str, card_id: str | None, currency: str) -> None:
    """Show one client's statistics, or (without CARD_ID) the business's aggregates.

    Aggregates count only clients whose consent allows profiling.
    """
    with obj.book() as book:
        if card_id is not None:
            figures = book.statistics(business_id, card_id)
            console.print(_statistics_table(figures))
            trend = Table(title="by month", title_justify="left")
            for column in ("month", "appointments", "completed", "spend"):
                trend.add_column(column)
            for month in figures.monthly_trend:
                trend.add_row(
                    month.month, str(month.appointments), str(month.completed), _money(month.spend)
                )
            console.print(trend)
            return
        result = book.aggregates(business_id, currency=currency)
    console.print(f"clients counted (profiling consent): {result.clients}")
    groups = Table(title="spend by group", title_justify="left")
    groups.add_column("group")
    groups.add_column("spend")
    for group, spend in result.spend_by_group.items():
        groups.add_row(Text(group or "(none)"), str(spend))
    console.print(groups)
    sources = Table(title="how did you hear about us", title_justify="left")
    sources.add_column("source")
    sources.add_column("clients")
    for source, count in result.clients_by_source.items():
        sources.add_row(Text(source or "(not asked)"), str(count))
    console.print(sources)
    cohorts = Table(title="retention cohorts", title_justify="left")
    cohorts.add_column("first visit")
    cohorts.add_column("clients")
    cohorts.add_column("came back in month +1, +2, ...")
    for cohort in result.cohorts:
        cohorts.add_row(
            cohort.month, str(cohort.size), " ".join(str(n) for n in cohort.returned) or "-"
        )
    console.print(cohorts)


# -- blacklist -----------------------------------------------------------------------------


@cli.group()
def blacklist() -> None:
    """Block clients from booking (and from marketing), and lift blocks."""


def _entries_table(entries: Sequence[BlacklistEntry]) -> Table:
    table = Table()
    for column in ("id", "reason", "since", "until", "where", "by"):
        table.add_column(column)
    for entry in entries:
        table.add_row(
            entry.id,
            entry.reason.value,
            _time(entry.at),
            _time(entry.ends_at),
            entry.location_id or "everywhere",
            Text(entry.lifted_by or entry.by or "-"),
        )
    return table


@blacklist.command(name="add")
@business_option
@click.argument("card_id")
@click.option("--reason", required=True, type=click.Choice([r.value for r in BlockReason]))
@click.option("--location", "location_id", help="Block at this location only.")
@click.option("--until", "until", help="Expiry, ISO 8601 (open-ended if absent).")
@click.option("--note", help="A note for staff.")
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
    """Block CARD_ID from booking."""
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


@blacklist.command(name="lift")
@business_option
@click.argument("entry_id")
@click.pass_obj
def blacklist_lift(obj: _Context, business_id: str, entry_id: str) -> None:
    """Lift a block."""
    with obj.book() as book:
        book.lift_block(business_id, entry_id, by=_actor())
    console.print(f"lifted {entry_id}")


@blacklist.command(name="list")
@business_option
@click.argument("card_id")
@click.pass_obj
def blacklist_list(obj: _Context, business_id: str, card_id: str) -> None:
    """List every block ever placed on CARD_ID."""
    with obj.book() as book:
        console.print(_entries_table(book.blocks(business_id, card_id)))


@blacklist.command(name="check")
@business_option
@click.option("--card", "card_id", help="A known client's card.")
@click.option("--email", help="The e-mail address typed in a booking.")
@click.option("--phone", help="The phone number typed in a booking.")
@click.option("--location", "location_id")
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
    """Tell whether someone may book (exit status 3 when not)."""
    with obj.book() as book:
        decision = book.may_book(
            business_id, card_id=card_id, email=email, phone=phone, location_id=location_id
        )
    if decision.allowed:
        console.print("may book")
        return
    reason = decision.reason.value if decision.reason else "blocked"
    console.print(f"may not book: {reason} (entry {decision.entry_id})")
    raise click.exceptions.Exit(3)
