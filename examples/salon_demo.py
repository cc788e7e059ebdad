"""A narrated session: a salon keeps its client list in an embedded SQLite file.

Run it with ``make demo``. The first half drives the ``clientcard`` command line: the
card and its schema, search, consent, history, the blacklist, then the client list the
salon brings from its old software (import), a selection sent to a mailing tool
(export), and a client who asks to be forgotten (erasure). The second half uses the
library on the same file, as a booking platform would.
"""

from __future__ import annotations

import os
import secrets
import shlex
import tempfile
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

from clientcard import Context, ValidationError, VersionConflictError
from clientcard.book import ClientBook
from clientcard.cli import main as clientcard
from clientcard.events import DomainEvent
from clientcard.storage.sqlite import SQLiteStore


def say(text: str) -> None:
    print(f"\n== {text}")


def run(db: Path, *args: str) -> str:
    """Run one ``clientcard`` command, echoing it, and return what it printed."""
    print(f"$ clientcard {shlex.join(args)}")
    buffer = StringIO()
    with redirect_stdout(buffer):
        status = clientcard(["--db", str(db), *args])
    print(buffer.getvalue(), end="")
    if status != 0:
        print(f"(exit status {status})")
    return buffer.getvalue().strip()


class PrintingSink:
    """The host's hook: here it just prints what its other systems would hear."""

    def publish(self, event: DomainEvent) -> None:
        fields = f" {list(event.fields)}" if event.fields else ""
        print(f"   -> event {event.kind.value} card={event.card_id} v{event.card_version}{fields}")


def old_software_newsletter_and_erasure(db: Path, workdir: Path) -> None:
    """Import from the old software, export for a mailing tool, erase on request."""
    say("The client list from the old software comes in: one bad row, the rest kept")
    old_list = workdir / "old-software.csv"
    # As spreadsheet programs write it: a byte-order mark, ';' between cells, CRLF.
    old_list.write_bytes(
        "\ufeffNome;Cognome;Cellulare;E-mail;Città\r\n"
        "Marta;Ferri;338 765 4321;marta.ferri@example.it;Monza\r\n"
        "Luca;Galli;02 8765 4321;luca.galli@example.it;Milano\r\n"
        "Sara;Conti;12;sara.conti@;Lecco\r\n".encode()
    )
    run(db, "import", "-b", "bella", str(old_list), "--preview")
    run(db, "import", "-b", "bella", str(old_list))

    say("A selection goes to the mailing tool: only who may receive marketing by e-mail")
    mailing = workdir / "newsletter.csv"
    run(db, "export", "-b", "bella", str(mailing), "--segment", "marketing.email")
    print(mailing.read_text(encoding="utf-8-sig").strip())

    say("Luca asks to be forgotten: the plan first, then the erasure and its receipt")
    luca = run(db, "search", "-b", "bella", "galli")
    luca_id = next(word for word in luca.split() if len(word) == 36 and word.count("-") == 4)
    run(db, "erase", "-b", "bella", luca_id, "--yes", "--lang", "en")
    run(db, "search", "-b", "bella", "galli")


def open_the_salon(db: Path) -> None:
    """The business, its client card's extra fields and its client groups."""
    say("Salone Bella opens its client list and shapes its client card")
    run(db, "init", "bella", "--name", "Salone Bella", "--region", "IT", "--language", "it")
    run(
        db,
        "schema",
        "add",
        "-b",
        "bella",
        "allergies",
        "--type",
        "long_text",
        "--label",
        "en=Allergies",
        "--label",
        "it=Allergie",
        "--booking",
        "--keep-asking",
        "--sensitive",
    )
    run(db, "schema", "set", "-b", "bella", "city", "--booking", "--required")

    run(db, "group", "define", "-b", "bella", "vip", "--label", "VIP", "--discount", "10")


def main() -> None:
    os.environ.setdefault("COLUMNS", "140")  # room for the tables when output is piped
    # The fingerprint secret is the host's, kept outside the database (a secret store in
    # production); the demo makes one for its throw-away file, for the CLI and the book.
    os.environ.setdefault("CLIENTCARD_FINGERPRINT_SECRET", secrets.token_hex(32))
    workdir = Path(tempfile.mkdtemp(prefix="clientcard-demo-"))
    db = workdir / "clientcard.db"
    print(f"demo database: {db}")

    open_the_salon(db)

    say("Staff add clients at the desk, typing phones however they come")
    giulia = run(
        db,
        "add",
        "-b",
        "bella",
        "first_name=Giulia",
        "last_name=Bianchi",
        "phones=333 123 4567",
        "email=Giulia.Bianchi@Example.IT",
        "client_group=vip",
    )
    jose = run(
        db,
        "add",
        "-b",
        "bella",
        "first_name=José",
        "last_name=Núñez",
        "phones=0039 347 765 4321",
        "tags=colour",
    )
    run(db, "add", "-b", "bella", "first_name=Anna", "email=anna@", "phones=12")

    say("The front desk searches without accents and lists the book")
    run(db, "search", "-b", "bella", "jose")
    run(db, "search", "-b", "bella", "333-1234567")
    run(db, "list", "-b", "bella")

    say("An edit, and a card shown")
    run(db, "edit", "-b", "bella", giulia, "city=Milano", "birth_date=--04-01")
    run(db, "show", "-b", "bella", giulia)

    say("Giulia agrees to promotions by e-mail; who may the salon write to?")
    run(
        db,
        "consent",
        "grant",
        "-b",
        "bella",
        giulia,
        "--purpose",
        "marketing",
        "--channel",
        "email",
        "--wording",
        "newsletter-2026",
        "--by",
        "reception",
    )
    run(db, "audience", "-b", "bella", "--purpose", "marketing", "--channel", "email")
    run(db, "consent", "show", "-b", "bella", giulia, "--lang", "en")

    say("The booking system records Giulia's visits; her card shows history and figures")
    for day, service in (("2026-09-12T10:00", "Colour=60"), ("2026-10-17T10:00", "Cut=35")):
        run(
            db,
            "appointment",
            "add",
            "-b",
            "bella",
            giulia,
            "--at",
            day,
            "--service",
            service,
            "--status",
            "completed",
            "--team",
            "marta",
        )
    run(db, "payment", "-b", "bella", giulia, "--amount", "35", "--invoice", "2026/118")
    run(db, "stats", "-b", "bella", giulia)

    say("José missed three appointments: the salon blocks him, and he tries a new card")
    run(db, "blacklist", "add", "-b", "bella", jose, "--reason", "no_show")
    run(db, "blacklist", "check", "-b", "bella", "--phone", "+39 347 765 4321")

    old_software_newsletter_and_erasure(db, workdir)

    say("The booking platform uses the library on the same file")
    store = SQLiteStore(db)
    book = ClientBook(
        store,
        events=PrintingSink(),
        fingerprint_secret=bytes.fromhex(os.environ["CLIENTCARD_FINGERPRINT_SECRET"]),
    )
    try:
        book.business("bella").cards.submit_booking(
            {"first_name": "Eva", "email": "eva@"}, lang="en"
        )
    except ValidationError as error:
        print("the booking form shows every problem at once:")
        for issue in error.issues:
            print(f"   {issue.field}: {issue.message} ({issue.code})")
    eva = book.business("bella").cards.submit_booking(
        {"first_name": "Eva", "email": "eva@example.com", "city": "Monza"}
    )
    schema = book.get_business("bella").schema
    print("still to ask Eva at her next booking:", schema.pending_fields(eva, Context.BOOKING))

    say("Two receptionists edit Eva's card from the same screen")
    book.business("bella").cards.edit(
        eva.id, {"notes": "Prefers mornings"}, expected_version=eva.version
    )
    try:
        book.business("bella").cards.edit(
            eva.id, {"notes": "Prefers evenings"}, expected_version=eva.version
        )
    except VersionConflictError as error:
        print(f"second save refused, nothing overwritten: {error}")
    print("book holds", book.business("bella").cards.count(), "clients")
    store.close()


if __name__ == "__main__":
    main()
