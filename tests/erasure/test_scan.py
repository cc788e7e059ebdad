"""After an erasure, no byte of the client is left anywhere the library writes.

A client is seeded with a unique marker in every field of their card, in every kind of
record kept beside it, in their consent evidence, their sends and their blobs; they are
exported, then erased under the policy that keeps the most (anonymise, keep blocks,
suppress contacts). Then every file the library wrote -- the SQLite database and its
``-wal`` and ``-shm`` files, the event file, the blob store -- is read byte for byte,
and on PostgreSQL every row of every table as text, and no marker may be found. The search
index's own table is read too (before the erasure it holds the client's name words, phone
forms and e-mail address; after it, none). A second
client seeded the same way stays, and is found, so the scan is known to see what it
looks for.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from clientcard.blacklist.model import BlockReason
from clientcard.book import ClientBook
from clientcard.cards.schema import FieldDefinition, FieldType
from clientcard.clock import FixedClock
from clientcard.consent import Channel, ConsentAction, ConsentSource, Purpose
from clientcard.erasure import ErasureMode, ErasurePolicy, RequestKind
from clientcard.gallery.model import PhotoKind
from clientcard.history.model import (
    Appointment,
    AppointmentStatus,
    ConversationDirection,
    ConversationEntry,
    Payment,
    ServiceLine,
    SharedDocument,
)
from clientcard.messaging.sends import Send, SendStatus
from clientcard.money import Money
from clientcard.portal import LinkPurpose
from clientcard.sinks import JsonLinesEventSink
from clientcard.storage.files import FileBlobStore
from clientcard.storage.sqlite import SQLiteStore
from tests.erasure.conftest import PNG
from tests.support import NOW


def markers(tag: str) -> dict[str, str]:
    """Field values unique to one client (``tag`` makes them unique between clients)."""
    return {
        "first_name": f"Zorbla{tag}ine",
        "last_name": f"Quimber{tag}ova",
        "email": f"zorbmail{tag}@quimbexmail.com",
        "phones": "+39 333 9731 46" + {"x": "2", "w": "8"}[tag],
        "street": f"Via Plumbix{tag}ona 17",
        "city": f"Grumble{tag}ton",
        "tax_code": {"x": "ZRBQMB85T10H501F", "w": "WTNQMB85T10H501A"}[tag],
        "pec": f"zorbpec{tag}@pecquimbex.it",
        "notes": f"Notezorbli{tag}quax",
        # No client_group: a card names only a group the business defined, whose key is
        # the business's own word, kept in its group definitions after any erasure.
        "tags": f"tagzorbli{tag}x",
        "referral_source": f"refzorbli{tag}x",
        "education": f"eduzorbli{tag}x",
        "profession": f"profzorbli{tag}x",
        "birth_date": {"x": "1911-11-11", "w": "1912-12-12"}[tag],
        "colour": f"colourzorbli{tag}x",
    }


def record_markers(tag: str) -> dict[str, str]:
    return {
        "allergies": f"allergyzorbli{tag}x",
        "appointment": f"apptnotezorbli{tag}x",
        "technical": f"technotezorbli{tag}x",
        "payer": f"payerzorbli{tag}x",
        "conversation": f"convzorbli{tag}x",
        "document": f"doczorbli{tag}x",
        "caption": f"photozorbli{tag}x",
        "picture": f"picturebyteszorbli{tag}x",
        "photo": f"photobyteszorbli{tag}x",
        "block": f"blocknotezorbli{tag}x",
        "evidence": f"evidencezorbli{tag}x",
        "send": f"sendvaluezorbli{tag}x",
    }


def searchable(tag: str) -> list[str]:
    """What the scan looks for, lower-cased: every marker and each stored form of it."""
    found = [*markers(tag).values(), *record_markers(tag).values()]
    phone = markers(tag)["phones"].replace(" ", "")
    # The search index keeps a number with and without its country code.
    found.extend((phone, phone.lstrip("+"), phone.removeprefix("+39")))
    found.remove(markers(tag)["phones"])
    return [marker.lower() for marker in found]


def seed(book: ClientBook, salon: str, blobs: FileBlobStore, tag: str) -> str:
    values = markers(tag)
    more = record_markers(tag)
    picture = blobs.put(salon, more["picture"].encode())
    card = book.business(salon).cards.add(
        {**values, "country": "IT", "language": "it", "picture": picture}
    )
    book.business(salon).consent.record(
        card.id,
        ConsentAction.GRANT,
        purpose=Purpose.MARKETING,
        channel=Channel.EMAIL,
        wording_version="newsletter-v2",
        evidence_ref=more["evidence"],
        source=ConsentSource.BOOKING_FORM,
        by="client",
    )
    book.business(salon).consent.record(
        card.id,
        ConsentAction.GRANT,
        purpose=Purpose.SPECIAL_CATEGORY_DATA,
        wording_version="health-v1",
        source=ConsentSource.BOOKING_FORM,
        by="client",
    )
    book.business(salon).cards.edit(
        card.id, {"allergies": more["allergies"], "weight_kg": "61.93"}, expected_version=1
    )
    earlier = NOW - dt.timedelta(days=3)
    visit = book.business(salon).history.add_appointment(
        Appointment(
            id=str(uuid.uuid4()),
            business_id=salon,
            card_id=card.id,
            starts_at=earlier,
            duration_minutes=90,
            services=(
                ServiceLine(service_id="balayage", name="Balayage", price=Money.of("80", "EUR")),
            ),
            status=AppointmentStatus.COMPLETED,
            notes=more["appointment"],
            technical_notes=more["technical"],
        )
    )
    book.business(salon).history.add_payment(
        Payment(
            id=str(uuid.uuid4()),
            business_id=salon,
            card_id=card.id,
            amount=Money.of("80", "EUR"),
            at=earlier,
            appointment_id=visit.id,
            invoice_number=f"INV-{tag}-001",
            notes=more["payer"],
        )
    )
    book.business(salon).history.add_document(
        SharedDocument(
            id=str(uuid.uuid4()),
            business_id=salon,
            card_id=card.id,
            title=more["document"],
            ref=f"docs/{more['document']}.pdf",
            shared_at=earlier,
        )
    )
    book.business(salon).history.add_conversation(
        ConversationEntry(
            id=str(uuid.uuid4()),
            business_id=salon,
            card_id=card.id,
            at=earlier,
            direction=ConversationDirection.INCOMING,
            summary=more["conversation"],
        )
    )
    book.business(salon).gallery.add(
        card.id,
        PNG + more["photo"].encode(),
        kind=PhotoKind.RESULT,
        caption=more["caption"],
        appointment_id=visit.id,
    )
    book.business(salon).blacklist.add(
        card.id, BlockReason.NO_SHOW, by="staff-7", note=more["block"]
    )
    portal = book.business(salon).portal
    portal.create_account(card.id)  # its login is the client's e-mail address
    portal.issue_link(card.id, LinkPurpose.SIGN_IN)
    book.store.add_sends(
        [
            Send(
                send_id=str(uuid.uuid4()),
                batch_id="batch-1",
                business_id=salon,
                card_id=card.id,
                purpose=Purpose.MARKETING,
                channel=Channel.EMAIL,
                template_key="promo",
                status=SendStatus.SENT,
                queued_at=NOW,
                updated_at=NOW,
                values={"first_name": values["first_name"], "offer": more["send"]},
            )
        ]
    )
    return card.id


def prepare(book: ClientBook, salon: str, blobs: FileBlobStore) -> tuple[str, str]:
    """Seed the client to erase and a witness; export the first; return both ids."""
    book.business(salon).cards.change_schema(
        lambda schema: schema.add(
            FieldDefinition(key="colour", type=FieldType.TEXT, labels={"en": "Colour"})
        ).add(
            FieldDefinition(
                key="allergies",
                type=FieldType.LONG_TEXT,
                labels={"en": "Allergies"},
                sensitive=True,
            )
        )
    )
    book.business(salon).erasure.set_policy(
        ErasurePolicy(mode=ErasureMode.ANONYMISE, keep_blocks=True, suppress_contacts=True),
        by="owner",
    )
    erased = seed(book, salon, blobs, "x")
    witness = seed(book, salon, blobs, "w")
    book.business(salon).requests.receive(erased, RequestKind.ERASURE, by="staff-7")
    book.business(salon).portability.export_subject(erased, by="staff-7")
    return erased, witness


def found_in(data: bytes, wanted: list[str]) -> set[str]:
    text = data.lower()
    return {marker for marker in wanted if marker.encode("utf-8") in text}


def files_of(path: Path) -> bytes:
    """The database file and its write-ahead log and shared-memory index, if present."""
    parts = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return b"".join(part.read_bytes() for part in parts if part.exists())


@pytest.fixture
def book_on(tmp_path: Path) -> Iterator[tuple[ClientBook, FileBlobStore, Path]]:
    events = tmp_path / "events.jsonl"
    blobs = FileBlobStore(tmp_path / "blobs")
    with SQLiteStore(tmp_path / "cards.db") as store:
        book = ClientBook(
            store, clock=FixedClock(NOW), events=JsonLinesEventSink(events), blobs=blobs
        )
        yield book, blobs, tmp_path


def blob_files(blobs: FileBlobStore) -> list[Path]:
    return [path for path in blobs.root.rglob("*") if path.is_file()]


def indexed(tag: str) -> list[str]:
    """What the search index holds of a client: name words, phone forms, e-mail address."""
    values = markers(tag)
    phone = values["phones"].replace(" ", "")
    return [
        f"n:{values['first_name'].lower()}",
        f"n:{values['last_name'].lower()}",
        f"p:{phone.lstrip('+')}",
        f"p:{phone.removeprefix('+39')}",
        f"e:{values['email']}",
    ]


def index_rows(database: Path) -> bytes:
    """The search index's own rows, as text."""
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT token FROM card_search").fetchall()
    return "\n".join(str(row[0]) for row in rows).encode()


def erase_and_scan(book: ClientBook, blobs: FileBlobStore, root: Path) -> set[str]:
    """Seed, erase, and return the erased client's markers still found anywhere."""
    salon = book.create_business(name="Salone", region="IT", language="it").id
    erased, witness = prepare(book, salon, blobs)
    gone, kept = searchable("x"), searchable("w")
    database = root / "cards.db"
    written = b"".join([files_of(database), *(path.read_bytes() for path in blob_files(blobs))])
    assert found_in(written, gone) == set(gone), "the scan must see the seeded client"
    assert found_in(index_rows(database), indexed("x")) == set(indexed("x")), "and the index"

    book.business(salon).erasure.run(book.business(salon).erasure.plan(erased), by="staff-7")

    remaining = [path.read_bytes() for path in blob_files(blobs)]
    assert found_in(b"".join([files_of(database), *remaining]), kept) == set(kept)
    assert found_in(index_rows(database), indexed("w")) == set(indexed("w"))
    assert found_in(index_rows(database), indexed("x")) == set()
    assert book.business(salon).cards.get(witness).first_name == markers("w")["first_name"]
    assert len(remaining) == 2  # the witness's picture and photo
    everything = b"".join([files_of(database), (root / "events.jsonl").read_bytes(), *remaining])
    return found_in(everything, gone)


def test_sqlite_files_events_and_blobs_hold_no_byte_of_an_erased_client(
    book_on: tuple[ClientBook, FileBlobStore, Path],
) -> None:
    assert erase_and_scan(*book_on) == set()


class TestTheScanWouldNotice:
    """Controls: take away one safeguard and the scan finds the client again."""

    def test_without_the_checkpoint_the_log_still_holds_the_client(
        self, book_on: tuple[ClientBook, FileBlobStore, Path], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # The erasure's checkpoint is the store's: make it do nothing.
        monkeypatch.setattr(book_on[0].store, "checkpoint", lambda: None)
        assert erase_and_scan(*book_on)

    def test_without_secure_delete_freed_pages_still_hold_the_client(
        self, book_on: tuple[ClientBook, FileBlobStore, Path]
    ) -> None:
        book = book_on[0]
        assert isinstance(book.store, SQLiteStore)
        book.store._connection().execute("PRAGMA secure_delete = OFF")
        assert erase_and_scan(*book_on)


@pytest.mark.postgres
def test_postgres_rows_hold_no_value_of_an_erased_client(
    postgres: str, postgres_schema: str, tmp_path: Path
) -> None:
    import psycopg
    from psycopg import sql

    from clientcard.storage.postgres import PostgresStore

    blobs = FileBlobStore(tmp_path / "blobs")
    with PostgresStore(postgres, schema=postgres_schema) as store:
        book = ClientBook(
            store, clock=FixedClock(NOW), events=JsonLinesEventSink(tmp_path / "e"), blobs=blobs
        )
        salon = book.create_business(name="Salone", region="IT", language="it").id
        erased, _ = prepare(book, salon, blobs)
        gone, kept = searchable("x"), searchable("w")

        def written() -> bytes:
            files = [path.read_bytes() for path in blob_files(blobs)]
            return b"".join([_rows(postgres, postgres_schema), *files])

        assert found_in(written(), gone) == set(gone)
        tokens = _index_rows(postgres, postgres_schema)
        assert found_in(tokens, indexed("x")) == set(indexed("x")), "the scan sees the index"

        book.business(salon).erasure.run(book.business(salon).erasure.plan(erased), by="staff-7")

        assert found_in(written(), gone) == set()
        assert found_in(written(), kept) == set(kept)
        assert found_in(_index_rows(postgres, postgres_schema), indexed("x")) == set()
        # Dead row versions stay in the files until book.admin.scrub() rewrites the
        # tables (tests/erasure/test_pg_scrub.py reads those files). Once analysed, the
        # live statistics hold none either.
        with psycopg.connect(postgres, autocommit=True) as connection:
            for table in ("records", "card_search"):
                connection.execute(
                    sql.SQL("ANALYZE {}.{}").format(
                        sql.Identifier(postgres_schema), sql.Identifier(table)
                    )
                )
            stats = connection.execute(
                "SELECT coalesce(string_agg(s::text, ' '), '') FROM pg_stats AS s"
                " WHERE schemaname = %s",
                (postgres_schema,),
            ).fetchone()
        assert stats is not None
        assert found_in(str(stats[0]).encode(), gone) == set()


def _index_rows(dsn: str, schema: str) -> bytes:
    """The search index's own rows, as text."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(dsn) as connection:
        query = sql.SQL("SELECT token FROM {}.card_search").format(sql.Identifier(schema))
        tokens = [str(row[0]) for row in connection.execute(query)]
    return "\n".join(tokens).encode("utf-8")


def _rows(dsn: str, schema: str) -> bytes:
    """Every row of every table of the schema, as text."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(dsn) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
        ]
        texts: list[str] = []
        for table in tables:
            query = sql.SQL("SELECT t::text FROM {}.{} AS t").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
            texts.extend(str(row[0]) for row in connection.execute(query))
    return "\n".join(texts).encode("utf-8")
