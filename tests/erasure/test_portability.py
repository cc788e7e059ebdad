from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientcard.book import ClientBook
from clientcard.cards.card import ClientCard, CustomValue, Gender
from clientcard.cards.schema import FieldDefinition, FieldType
from clientcard.clock import FixedClock
from clientcard.consent import (
    Channel,
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    Purpose,
)
from clientcard.erasure import AuditAction, RequestKind, subject_schema
from clientcard.erasure.portability import SUBJECT_SCHEMA_ID, subject_from_dict
from clientcard.errors import DocumentError, DuplicateError, ValidationError
from clientcard.messaging.sends import Send, SendStatus
from clientcard.storage import CardQuery, MemoryStore
from clientcard.storage.records import Record
from clientcard.testing import strategies
from tests.erasure.conftest import FlakyBlobs, add, block, photo, visit
from tests.support import NOW, record


def allergies() -> FieldDefinition:
    return FieldDefinition(
        key="allergies", type=FieldType.LONG_TEXT, labels={"en": "Allergies"}, sensitive=True
    )


def colour() -> FieldDefinition:
    return FieldDefinition(
        key="colour", type=FieldType.TEXT, labels={"en": "Colour", "it": "Colore"}
    )


@pytest.fixture
def anna(book: ClientBook, salon: str, blobs: FlakyBlobs) -> str:
    book.business(salon).cards.change_schema(lambda s: s.add(colour()).add(allergies()))
    card = book.business(salon).cards.add(
        {
            "first_name": "Anna",
            "last_name": "Rossi",
            "email": "anna@example.com",
            "phones": "333 1234567",
            "language": "it",
            "colour": "6.1",
            "picture": blobs.put(salon, b"a face"),
        }
    )
    record(book, salon, card.id)
    record(book, salon, card.id, purpose=Purpose.SPECIAL_CATEGORY_DATA, channel=None)
    book.business(salon).cards.edit(card.id, {"allergies": "nickel"}, expected_version=1)
    visit(book, salon, card.id, 10)
    photo(book, salon, card.id)
    return card.id


class TestTheDocument:
    def test_it_holds_card_fields_ledger_records_sends_and_blobs(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        document = book.business(salon).portability.export_subject(anna, by="staff-7").to_dict()
        assert document["$schema"] == SUBJECT_SCHEMA_ID
        assert document["card"]["custom"] == {"colour": "6.1", "allergies": "nickel"}
        assert [field["key"] for field in document["fields"]] == ["colour", "allergies"]
        assert len(document["consent"]) == 2
        assert sorted(r["kind"] for r in document["records"]) == ["appointment", "photo"]
        card = book.business(salon).cards.get(anna)
        (shot,) = book.business(salon).gallery.list(anna)
        assert document["blobs"] == [card.picture, shot.ref]

    def test_it_validates_against_the_published_schema(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        document = book.business(salon).portability.export_subject(anna, by="staff-7").to_dict()
        jsonschema.Draft202012Validator.check_schema(subject_schema())
        jsonschema.validate(json.loads(json.dumps(document)), subject_schema())

    def test_the_schemas_lists_of_codes_are_the_librarys(self) -> None:
        defs = subject_schema()["$defs"]
        consent = defs["consent_event"]["properties"]
        assert consent["purpose"]["enum"] == [p.value for p in Purpose] + [None]
        assert consent["channel"]["enum"] == [c.value for c in Channel] + [None]
        assert consent["action"]["enum"] == [a.value for a in ConsentAction]
        assert consent["source"]["enum"] == [s.value for s in ConsentSource]
        assert defs["send"]["properties"]["purpose"]["enum"] == [p.value for p in Purpose]
        assert defs["send"]["properties"]["status"]["enum"] == [s.value for s in SendStatus]
        assert defs["card"]["properties"]["gender"]["enum"] == [g.value for g in Gender] + [None]
        assert defs["field"]["properties"]["type"]["enum"] == [t.value for t in FieldType]

    def test_secrets_and_short_lived_security_records_stay_out(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        add(book, salon, anna, "portal.account", login="anna@example.com", password_hash="$x$")
        add(book, salon, anna, "portal.link", purpose="sign_in")
        records = (
            book.business(salon).portability.export_subject(anna, by="staff-7").to_dict()["records"]
        )
        (account,) = [r for r in records if r["kind"] == "portal.account"]
        assert account["doc"] == {"login": "anna@example.com"}
        assert "portal.link" not in {r["kind"] for r in records}

    def test_an_export_is_audited_and_answers_access_requests(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        book.business(salon).requests.receive(anna, RequestKind.PORTABILITY, by="staff-7")
        book.business(salon).portability.export_subject(anna, by="staff-7")
        assert book.business(salon).requests.list(open_only=True) == []
        entry = book.business(salon).audit.trail(card_id=anna)[-1]
        assert (entry.action, entry.detail) == (AuditAction.EXPORTED, {"requests": "1"})

    def test_an_export_counts_in_a_later_erasure_plan(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        book.business(salon).portability.export_subject(anna, by="staff-7")
        assert book.business(salon).erasure.plan(anna).exports == 1

    @pytest.mark.parametrize(
        "broken",
        [
            None,
            {"schema_version": 2},
            {"schema_version": 1, "business": "x"},
            {"schema_version": 1, "business": {"id": "b", "name": "n"}, "exported_at": "never"},
        ],
        ids=["none", "version", "business", "time"],
    )
    def test_a_malformed_document_is_refused(self, broken: object) -> None:
        with pytest.raises(DocumentError):
            subject_from_dict(broken)

    def test_a_malformed_record_is_refused_by_its_index(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        document = book.business(salon).portability.export_subject(anna, by="staff-7").to_dict()
        document["records"][1] = {"kind": "photo"}
        with pytest.raises(DocumentError) as caught:
            subject_from_dict(document)
        assert caught.value.problems == ("$.records[1]: invalid record",)


class TestTheReport:
    @pytest.mark.parametrize(
        ("lang", "words"),
        [
            ("it", ["I tuoi dati presso Salone", "Colore: 6.1", "Appuntamento", "Foto"]),
            ("en", ["Your data at Salone", "Colour: 6.1", "Appointment", "Photo"]),
            ("nl", ["Uw gegevens bij Salone", "Afspraak", "Foto"]),
        ],
    )
    def test_it_reads_in_the_asked_language(
        self, book: ClientBook, salon: str, anna: str, lang: str, words: list[str]
    ) -> None:
        text = (
            book.business(salon).portability.export_subject(anna, by="staff-7").report(lang).text()
        )
        for word in words:
            assert word in text

    def test_it_speaks_the_clients_language_by_default(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        report = book.business(salon).portability.export_subject(anna, by="staff-7").report()
        assert report.lang == "it"
        assert "Telefono: +39 333 123 4567" in report.text()
        assert "Attualmente acconsenti a marketing e promozioni via e-mail" in report.text()

    def test_its_repr_shows_no_data(self, book: ClientBook, salon: str, anna: str) -> None:
        data = book.business(salon).portability.export_subject(anna, by="staff-7")
        assert "Anna" not in repr(data)
        assert "Anna" not in repr(data.report())


@pytest.fixture
def other(book: ClientBook) -> str:
    return book.create_business(name="Studio", region="NL", business_id="studio").id


class TestImporting:
    def test_a_client_moves_with_fields_and_history_but_not_consent(
        self, book: ClientBook, salon: str, anna: str, other: str
    ) -> None:
        document = book.business(salon).portability.export_subject(anna, by="staff-7").to_dict()
        imported = book.business(other).portability.import_subject(document, by="staff-9")
        card = imported.card
        assert (card.business_id, card.first_name, card.custom["colour"]) == (other, "Anna", "6.1")
        assert (imported.records, imported.consent_events, imported.sends) == (2, 0, 0)
        assert book.business(other).consent.ledger(card.id) == []
        assert "colour" in book.get_business(other).schema

    def test_health_data_comes_only_with_the_consent_to_keep_it(
        self, book: ClientBook, salon: str, anna: str, other: str
    ) -> None:
        document = book.business(salon).portability.export_subject(anna, by="staff-7").to_dict()
        without = book.business(other).portability.import_subject(document, by="staff-9")
        assert without.dropped == ("allergies",)
        assert without.card.value("allergies") is None
        third = book.create_business(name="Branch", region="IT").id
        carried = book.business(third).portability.import_subject(
            document, by="staff-9", same_controller=True
        )
        assert (carried.dropped, carried.consent_events) == ((), 2)
        assert carried.card.value("allergies") == "nickel"

    def test_a_field_of_another_type_under_the_same_key_is_refused(
        self, book: ClientBook, salon: str, anna: str, other: str
    ) -> None:
        book.business(other).cards.change_schema(
            lambda s: s.add(
                FieldDefinition(key="colour", type=FieldType.BOOLEAN, labels={"en": "Colour?"})
            )
        )
        document = book.business(salon).portability.export_subject(anna, by="staff-7").to_dict()
        with pytest.raises(ValidationError) as caught:
            book.business(other).portability.import_subject(document, by="staff-9")
        assert caught.value.fields == {"custom.colour"}
        assert book.business(other).cards.count() == 0

    def test_importing_the_same_document_twice_is_refused(
        self, book: ClientBook, salon: str, anna: str, other: str
    ) -> None:
        document = book.business(salon).portability.export_subject(anna, by="staff-7").to_dict()
        book.business(other).portability.import_subject(document, by="staff-9")
        with pytest.raises(DuplicateError):
            book.business(other).portability.import_subject(document, by="staff-9")
        assert book.business(other).cards.count() == 1

    def test_blocks_stay_with_the_business_that_decided_them(
        self, book: ClientBook, salon: str, anna: str, other: str
    ) -> None:
        block(book, salon, anna)
        document = book.business(salon).portability.export_subject(anna, by="staff-7").to_dict()
        assert "blacklist" in {r["kind"] for r in document["records"]}
        elsewhere = book.business(other).portability.import_subject(document, by="staff-9")
        assert book.business(other).blacklist.may_book(card_id=elsewhere.card.id).allowed
        third = book.create_business(name="Branch", region="IT").id
        moved = book.business(third).portability.import_subject(
            document, by="staff-9", same_controller=True
        )
        assert not book.business(third).blacklist.may_book(card_id=moved.card.id).allowed

    def test_a_block_moved_with_the_client_keeps_them_out_of_the_marketing_audience(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        block(book, salon, anna)
        document = book.business(salon).portability.export_subject(anna, by="staff-7").to_dict()
        branch = book.business(book.create_business(name="Branch", region="IT").id)
        moved = branch.portability.import_subject(document, by="staff-9", same_controller=True)
        decision = branch.consent.may_contact(moved.card.id, "marketing", "email")
        assert decision.reason == "blacklisted"
        assert branch.cards.count(CardQuery(contactable=("marketing", "email"))) == 0

    def test_an_imported_client_with_consent_joins_the_marketing_audience(
        self, book: ClientBook, salon: str, anna: str
    ) -> None:
        document = book.business(salon).portability.export_subject(anna, by="staff-7").to_dict()
        branch = book.business(book.create_business(name="Branch", region="IT").id)
        moved = branch.portability.import_subject(document, by="staff-9", same_controller=True)
        assert branch.consent.may_contact(moved.card.id, "marketing", "email").allowed
        audience = CardQuery(contactable=("marketing", "email"))
        assert [card.id for card in branch.cards.list(audience)] == [moved.card.id]

    def test_pictures_and_photos_are_copied_into_the_receiving_business(
        self, book: ClientBook, salon: str, anna: str, other: str, blobs: FlakyBlobs
    ) -> None:
        document = book.business(salon).portability.export_subject(anna, by="staff-7").to_dict()
        imported = book.business(other).portability.import_subject(document, by="staff-9")
        assert (imported.blobs, imported.missing_blobs) == (2, ())
        (shot,) = book.business(other).gallery.list(imported.card.id)
        assert book.business(other).gallery.data(shot.id) == book.business(salon).gallery.data(
            book.business(salon).gallery.list(anna)[0].id
        )
        assert blobs.get(other, str(imported.card.picture)) == b"a face"

    def test_bytes_this_book_does_not_hold_are_named(
        self, book: ClientBook, salon: str, anna: str, other: str, blobs: FlakyBlobs
    ) -> None:
        document = book.business(salon).portability.export_subject(anna, by="staff-7").to_dict()
        document["business"]["id"] = "elsewhere"
        imported = book.business(other).portability.import_subject(document, by="staff-9")
        assert imported.blobs == 0
        assert set(imported.missing_blobs) == set(document["blobs"])

    def test_a_custom_value_without_its_definition_is_refused(
        self, book: ClientBook, salon: str, anna: str, other: str
    ) -> None:
        document = book.business(salon).portability.export_subject(anna, by="staff-7").to_dict()
        document["fields"] = []
        with pytest.raises(DocumentError):
            book.business(other).portability.import_subject(document, by="staff-9")


# -- the round trip ---------------------------------------------------------------------

_SHAPES: dict[FieldType, st.SearchStrategy[CustomValue]] = {
    FieldType.TEXT: st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20),
    FieldType.BOOLEAN: st.booleans(),
    FieldType.NUMBER: st.decimals(places=2, min_value=-1000, max_value=1000),
    FieldType.DATE: st.dates(),
    FieldType.PARTIAL_DATE: strategies.birth_dates(),
    FieldType.TAGS: st.lists(
        st.text(strategies._LETTERS, min_size=1, max_size=8), max_size=3, unique=True
    ).map(lambda tags: tuple(sorted(tags))),
}
_text = st.characters(codec="utf-8", exclude_characters="\x00")
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(_text, max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(_text, max_size=5), inner),
    max_leaves=6,
)
_docs = st.dictionaries(st.text(_text, min_size=1, max_size=8), _json, max_size=4)


@st.composite
def subjects(
    draw: st.DrawFn,
) -> tuple[ClientCard, list[FieldDefinition], list[Record], list[ConsentEvent], list[Send]]:
    card = draw(strategies.cards("source"))
    types = draw(
        st.dictionaries(
            st.from_regex(r"x_[a-z]{1,8}", fullmatch=True),
            st.sampled_from(list(_SHAPES)),
            max_size=3,
        )
    )
    fields = [
        FieldDefinition(key=key, type=kind, labels={"en": key}) for key, kind in types.items()
    ]
    custom = {key: draw(_SHAPES[kind]) for key, kind in types.items()}
    card = attrs.evolve(card, custom=custom, guardian_id=None)
    records = [
        Record(
            business_id="source",
            kind=draw(
                st.sampled_from(["appointment", "payment", "conversation", "photo", "x.note"])
            ),
            id=f"r-{index}",
            at=draw(strategies.timestamps()),
            doc=draw(_docs),
            card_id=card.id,
            key=draw(st.none() | st.text(strategies._LETTERS, max_size=5)),
        )
        for index in range(draw(st.integers(0, 4)))
    ]
    ledger = [
        ConsentEvent(
            event_id=f"e-{index}",
            business_id="source",
            card_id=card.id,
            action=ConsentAction.GRANT,
            at=draw(strategies.timestamps()),
            source=draw(st.sampled_from(ConsentSource)),
            recorded_by="staff-1",
            purpose=Purpose.MARKETING,
            channel=draw(st.sampled_from(Channel)),
            wording_version=draw(st.text(strategies._LETTERS, min_size=1, max_size=5)),
        )
        for index in range(draw(st.integers(0, 3)))
    ]
    # The source kept health data (weight, height) on the client's explicit consent.
    ledger.append(
        ConsentEvent(
            event_id="e-health",
            business_id="source",
            card_id=card.id,
            action=ConsentAction.GRANT,
            at=NOW,
            source=ConsentSource.STAFF,
            recorded_by="staff-1",
            purpose=Purpose.SPECIAL_CATEGORY_DATA,
            wording_version="health-v1",
        )
    )
    sends = [
        Send(
            send_id=f"s-{index}",
            batch_id="batch",
            business_id="source",
            card_id=card.id,
            purpose=Purpose.MARKETING,
            channel=Channel.EMAIL,
            template_key="promo",
            status=draw(st.sampled_from([SendStatus.SENT, SendStatus.SKIPPED, SendStatus.FAILED])),
            queued_at=NOW,
            updated_at=NOW + dt.timedelta(seconds=index),
            attempts=draw(st.integers(0, 5)),
            reason=draw(st.none() | st.just("no_consent")),
        )
        for index in range(draw(st.integers(0, 2)))
    ]
    return card, fields, records, ledger, sends


def normalised(document: dict[str, Any]) -> dict[str, Any]:
    """What must survive a move: everything but the ids and instants of the old book."""
    card = {
        k: v
        for k, v in document["card"].items()
        if k not in {"id", "business_id", "created_at", "updated_at", "version"}
    }
    own = {"event_id", "business_id", "card_id", "send_id"}
    return {
        "card": card,
        "fields": [
            {k: f[k] for k in ("key", "type", "labels", "choices", "sensitive")}
            for f in document["fields"]
        ],
        "consent": [{k: v for k, v in e.items() if k not in own} for e in document["consent"]],
        "records": sorted(document["records"], key=lambda r: (r["kind"], r["id"])),
        "sends": sorted(
            ({k: v for k, v in s.items() if k not in own} for s in document["sends"]),
            key=lambda send: json.dumps(send, sort_keys=True),
        ),
        "blobs": len(document["blobs"]),  # copies have references of their own
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=subjects())
def test_export_then_import_loses_nothing(
    subject: tuple[ClientCard, list[FieldDefinition], list[Record], list[ConsentEvent], list[Send]],
) -> None:
    card, fields, records, ledger, sends = subject
    book = ClientBook(MemoryStore(), clock=FixedClock(NOW))
    book.create_business(name="Source", business_id="source")
    book.business("source").cards.change_schema(lambda schema: _with(schema, fields))
    book.store.add(card)
    book.store.append_consent(ledger)
    book.store.add_records(records)
    book.store.add_sends(sends)
    book.create_business(name="Target", region="NL", business_id="target")

    exported = json.loads(
        json.dumps(book.business("source").portability.export_subject(card.id, by="a").to_dict())
    )
    jsonschema.validate(exported, subject_schema())
    moved = book.business("target").portability.import_subject(
        exported, by="a", same_controller=True
    )
    again = book.business("target").portability.export_subject(moved.card.id, by="a").to_dict()

    before, after = normalised(exported), normalised(again)
    for part in before:
        assert after[part] == before[part], part
    assert moved.dropped == ()


def _with(schema: Any, fields: list[FieldDefinition]) -> Any:
    for field in fields:
        schema = schema.add(field)
    return schema
