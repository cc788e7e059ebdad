"""``clientcard consent`` and ``audience``: what clients agreed to receive."""

from __future__ import annotations

from collections import Counter
from typing import Any

import click
from rich.text import Text

from clientcard.cli._context import Context, business_option, console, every_card
from clientcard.cli._i18n import _, cli_language
from clientcard.consent import Channel, ConsentAction, ConsentSource, Purpose
from clientcard.locale import LANGUAGES
from clientcard.storage.protocol import CardQuery

__all__ = ["COMMANDS"]


@click.group(help=_("Record and show what clients agreed to receive."))
def consent() -> None:
    pass


purpose_option = click.option(
    "--purpose",
    type=click.Choice([p.value for p in Purpose]),
    required=True,
    help=_("What the messages are for."),
)
channel_option = click.option(
    "--channel", type=click.Choice([c.value for c in Channel]), help=_("How they are sent.")
)
recorded_by_option = click.option(
    "--by", default="staff", show_default=True, help=_("Who records it.")
)


def _record(
    obj: Context,
    business_id: str,
    card_id: str,
    action: ConsentAction,
    by: str,
    **scope: Any,
) -> None:
    with obj.book() as book:
        consent = book.business(business_id).consent
        consent.record(card_id, action, source=ConsentSource.STAFF, by=by, **scope)
        # Staff read this summary about the client, in the command's language.
        report = consent.report(card_id, lang=cli_language(), staff=True)
    for line in report.standing:
        console.print(Text(line))


@consent.command(name="grant", help=_("Record that a client agreed to a purpose on a channel."))
@business_option
@click.argument("card_id")
@purpose_option
@channel_option
@click.option("--wording", required=True, help=_("Version of the text the client agreed to."))
@recorded_by_option
@click.option("--evidence", help=_("Reference to stored evidence (a signed form, ...)."))
@click.pass_obj
def consent_grant(
    obj: Context,
    business_id: str,
    card_id: str,
    purpose: str,
    channel: str | None,
    wording: str,
    by: str,
    evidence: str | None,
) -> None:
    _record(
        obj,
        business_id,
        card_id,
        ConsentAction.GRANT,
        by,
        purpose=Purpose(purpose),
        channel=Channel(channel) if channel else None,
        wording_version=wording,
        evidence_ref=evidence,
    )


@consent.command(
    name="withdraw", help=_("Record that a client withdrew consent to a purpose on a channel.")
)
@business_option
@click.argument("card_id")
@purpose_option
@channel_option
@recorded_by_option
@click.pass_obj
def consent_withdraw(
    obj: Context, business_id: str, card_id: str, purpose: str, channel: str | None, by: str
) -> None:
    _record(
        obj,
        business_id,
        card_id,
        ConsentAction.WITHDRAW,
        by,
        purpose=Purpose(purpose),
        channel=Channel(channel) if channel else None,
    )


@consent.command(
    name="object",
    help=_("Record a client's objection to all direct marketing, on every channel."),
)
@business_option
@click.argument("card_id")
@recorded_by_option
@click.pass_obj
def consent_object(obj: Context, business_id: str, card_id: str, by: str) -> None:
    _record(obj, business_id, card_id, ConsentAction.OBJECT, by)


@consent.command(
    name="show", help=_("Print a client's consent report: what stands now, and every change.")
)
@business_option
@click.argument("card_id")
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    help=_("Language of the report (the client's by default)."),
)
@click.pass_obj
def consent_show(obj: Context, business_id: str, card_id: str, lang: str | None) -> None:
    with obj.book() as book:
        report = book.business(business_id).consent.report(card_id, lang=lang)
    console.print(Text(report.text()))


@click.command(help=_("Count who may receive a purpose on a channel, and why the others may not."))
@business_option
@purpose_option
@click.option(
    "--channel", type=click.Choice([c.value for c in Channel]), required=True, help=_("How.")
)
@click.pass_obj
def audience(obj: Context, business_id: str, purpose: str, channel: str) -> None:
    wanted, by = Purpose(purpose), Channel(channel)
    with obj.book() as book:
        desk = book.business(business_id)
        # Decided now, card by card, so the count and the exclusions always agree.
        decisions = (
            desk.consent.may_contact(card.id, wanted, by)
            for card in every_card(desk.cards, CardQuery())
        )
        outcomes = Counter("" if d.allowed else d.reason for d in decisions)
    console.print(
        _("{count} may receive {purpose} by {channel}").format(
            count=outcomes.pop("", 0), purpose=wanted.value, channel=by.value
        )
    )
    # Reasons are the decisions' codes (no_consent, objected, ...), as sending records them.
    for reason, count in outcomes.most_common():
        console.print(_("  {count} excluded: {reason}").format(count=count, reason=reason))


COMMANDS: tuple[click.Command, ...] = (consent, audience)
"""This module's commands, for :mod:`clientcard.cli._app` to put on the group."""
