"""``clientcard send``: one marketing message to a selection of clients."""

from __future__ import annotations

import os
from collections import Counter

import click
from rich.progress import Progress

from clientcard.cli._context import Context, business_option, console, every_card
from clientcard.cli._i18n import _
from clientcard.consent import DIRECT_MARKETING, Channel, Purpose
from clientcard.messaging import MessageTemplate, MessagingSettings, SMTPNotifier, TemplateText
from clientcard.storage.protocol import CardQuery

__all__ = ["COMMANDS"]

# The key of the one template a run sends: the book claims only sends of it.
_TEMPLATE = "cli"


@click.command(
    help=_(
        "Send one message to a selection of clients; only those who may receive it get it.\n"
        "\n"
        "Without --send it is a dry run that counts who would receive it and why the others "
        "would not. The SMTP password comes from CLIENTCARD_SMTP_PASSWORD and the "
        "link-signing secret (hex, 32+ bytes) from CLIENTCARD_TOKEN_SECRET."
    )
)
@business_option
@click.option(
    "--purpose",
    type=click.Choice(sorted(p.value for p in DIRECT_MARKETING)),
    required=True,
    help=_("A marketing purpose: service messages belong to the host's booking flow."),
)
@click.option(
    "--channel",
    type=click.Choice(["email"]),
    default="email",
    show_default=True,
    help=_("How it is sent."),
)
@click.option("--subject", required=True, help=_("The subject; $first_name and friends work."))
@click.option("--body", required=True, help=_("The text; marketing needs $unsubscribe_url."))
@click.option("--group", help=_("Only this client group."))
@click.option("--tag", help=_("Only clients with this tag."))
@click.option("--send", "really", is_flag=True, help=_("Send for real (default: a dry run)."))
@click.option(
    "--smtp-host",
    envvar="CLIENTCARD_SMTP_HOST",
    help=_("The SMTP server (env CLIENTCARD_SMTP_HOST)."),
)
@click.option(
    "--smtp-port",
    envvar="CLIENTCARD_SMTP_PORT",
    type=int,
    default=587,
    help=_("Its port (env CLIENTCARD_SMTP_PORT)."),
)
@click.option(
    "--smtp-security",
    type=click.Choice(["starttls", "ssl", "none"]),
    default="starttls",
    show_default=True,
    help=_("How the connection is secured."),
)
@click.option(
    "--smtp-user", envvar="CLIENTCARD_SMTP_USER", help=_("The login (env CLIENTCARD_SMTP_USER).")
)
@click.option(
    "--sender", envvar="CLIENTCARD_SENDER", help=_("From address (env CLIENTCARD_SENDER).")
)
@click.option(
    "--unsubscribe-url",
    envvar="CLIENTCARD_UNSUBSCRIBE_URL",
    help=_("Link for unsubscribing, with {token} (env CLIENTCARD_UNSUBSCRIBE_URL)."),
)
@click.pass_obj
def send(
    obj: Context,
    business_id: str,
    purpose: str,
    channel: str,
    subject: str,
    body: str,
    group: str | None,
    tag: str | None,
    really: bool,
    smtp_host: str | None,
    smtp_port: int,
    smtp_security: str,
    smtp_user: str | None,
    sender: str | None,
    unsubscribe_url: str | None,
) -> None:
    wanted, by = Purpose(purpose), Channel(channel)
    # First the message and who it is for: a dry run stops there, before any setting is read.
    with obj.book() as book:
        desk = book.business(business_id)
        template = MessageTemplate(
            key=_TEMPLATE,
            purpose=wanted,
            texts={desk.details().language: TemplateText(subject=subject, body=body)},
        )
        chosen = [card.id for card in every_card(desk.cards, CardQuery(group=group, tag=tag))]
        if not really:
            decisions = (desk.consent.may_contact(card_id, wanted, by) for card_id in chosen)
            outcomes = Counter("" if d.allowed else d.reason for d in decisions)
            console.print(_("dry run: {count} would receive it").format(count=outcomes.pop("", 0)))
            for reason, count in outcomes.most_common():
                console.print(_("  {count} skipped: {reason}").format(count=count, reason=reason))
            return
    secret_hex = os.environ.get("CLIENTCARD_TOKEN_SECRET", "")
    try:
        secret = bytes.fromhex(secret_hex)
    except ValueError:
        secret = b""
    if len(secret) < 32 or not (smtp_host and sender and unsubscribe_url):
        raise click.UsageError(
            _(
                "--send needs --smtp-host, --sender, --unsubscribe-url and "
                "CLIENTCARD_TOKEN_SECRET (64+ hex digits)"
            )
        )
    notifier = SMTPNotifier(
        smtp_host,
        smtp_port,
        sender=sender,
        username=smtp_user,
        password=os.environ.get("CLIENTCARD_SMTP_PASSWORD"),
        security=smtp_security,  # type: ignore[arg-type]
    )
    settings = MessagingSettings(
        {by: notifier}, [template], token_secret=secret, unsubscribe_url=unsubscribe_url
    )
    # A book that can send, on the same file with the same fingerprint key (so suppressed
    # contacts are recognised); it claims only this run's template.
    with obj.book(messaging=settings) as book:
        messages = book.business(business_id).messaging
        batch = messages.queue(_TEMPLATE, by, chosen)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(_("sending"), total=len(chosen))
            while handled := messages.flush(limit=20):
                progress.advance(task, handled)
        report = messages.report(batch)
    console.print(_("sent {sent} of {total}").format(sent=report.sent, total=report.total))
    for line, counts in (
        (_("  {count} skipped: {reason}"), report.skipped),
        (_("  {count} failed: {reason}"), report.failed),
    ):
        for reason, count in sorted(counts.items(), key=lambda item: -item[1]):
            console.print(line.format(count=count, reason=reason))


COMMANDS: tuple[click.Command, ...] = (send,)
"""This module's commands, for :mod:`clientcard.cli._app` to put on the group."""
