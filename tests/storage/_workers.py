"""Child processes for the multi-process storage tests.

Run from the repository root as ``python -m tests.storage._workers COMMAND ARGS...``:

* ``race TARGET SCHEMA BUSINESS CARD NAME`` reads the card, prints ``ready``, waits for
  a line on stdin, then updates the card from the version it read and prints ``won``
  or ``conflict``. TARGET is a SQLite path or a ``postgresql://`` DSN.
* ``write-until-killed PATH BUSINESS`` prints ``ready``, then commits numbered
  transactions on the SQLite file until it is killed. Transaction *n* adds card
  ``card-n``, appends event ``event-n`` for it and moves the counter card from version
  *n* to *n + 1*, all in one ``store.transaction()``.
"""

from __future__ import annotations

import sys

import attrs

from clientcard.cards.card import ClientCard
from clientcard.errors import VersionConflictError
from clientcard.events import DomainEvent, EventKind
from clientcard.storage._sql import SQLStore
from clientcard.storage.sqlite import SQLiteStore
from tests.support import NOW

COUNTER = "counter"


def numbered(number: int) -> str:
    """The id of the card transaction ``number`` adds."""
    return f"card-{number:06d}"


def say(line: str) -> None:
    sys.stdout.write(f"{line}\n")
    sys.stdout.flush()


def open_store(target: str, schema: str) -> SQLStore:
    if target.startswith("postgresql:"):
        from clientcard.storage.postgres import PostgresStore

        return PostgresStore(target, schema=schema, max_size=1)
    return SQLiteStore(target)


def race(target: str, schema: str, business_id: str, card_id: str, name: str) -> None:
    with open_store(target, schema) as store:
        card = store.get(business_id, card_id)
        say("ready")
        sys.stdin.readline()
        try:
            store.update(
                attrs.evolve(card, version=card.version + 1, last_name=name),
                expected_version=card.version,
            )
        except VersionConflictError:
            say("conflict")
        else:
            say("won")


def write_until_killed(path: str, business_id: str) -> None:
    with SQLiteStore(path) as store:
        say("ready")
        while True:
            with store.transaction():
                counter = store.get(business_id, COUNTER)
                number = counter.version
                card_id = numbered(number)
                store.add(
                    ClientCard(
                        id=card_id,
                        business_id=business_id,
                        created_at=NOW,
                        updated_at=NOW,
                        first_name="Writer",
                        # Several pages per card, so a kill often lands mid-write.
                        notes="written before the kill " * 500,
                    )
                )
                store.append_events(
                    [
                        DomainEvent(
                            event_id=f"event-{number:06d}",
                            kind=EventKind.CARD_CREATED,
                            business_id=business_id,
                            occurred_at=NOW,
                            card_id=card_id,
                            card_version=1,
                        )
                    ]
                )
                store.update(
                    attrs.evolve(counter, version=number + 1, notes=str(number)),
                    expected_version=number,
                )


def contend(dsn: str, schema: str, business_id: str, rounds: str, *card_ids: str) -> None:
    from clientcard import ClientBook
    from clientcard.errors import ClientCardError
    from clientcard.storage.postgres import PostgresStore

    with PostgresStore(dsn, schema=schema, max_size=2) as store:
        desk = ClientBook(store, fingerprint_secret=b"contention test secret, 32 bytes").business(
            business_id
        )
        say("ready")
        sys.stdin.readline()
        done, failures = 0, []
        for number in range(int(rounds)):
            try:
                desk.audit.record("viewed", by="contender", via="contention-test")
                done += 1
            except ClientCardError as error:
                failures.append(f"audit:{type(error).__name__}:{getattr(error, 'reason', '')}")
            if number < len(card_ids):
                try:
                    desk.erasure.run(desk.erasure.plan(card_ids[number]), by="contender")
                    done += 1
                except ClientCardError as error:
                    failures.append(f"erase:{type(error).__name__}:{getattr(error, 'reason', '')}")
        say(f"done {done} {len(failures)}")
        for failure in failures:
            say(f"failed {failure}")


def main(argv: list[str]) -> None:
    command, *args = argv
    if command == "race":
        race(*args)
    elif command == "contend":
        contend(*args)
    elif command == "write-until-killed":
        write_until_killed(*args)
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
