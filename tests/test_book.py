from __future__ import annotations

import datetime as dt

import attrs
import pytest

from clientcard import (
    CardStatus,
    Context,
    DuplicateError,
    NotFoundError,
    ValidationError,
    VersionConflictError,
)
from clientcard.book import ClientBook
from clientcard.cards.schema import FieldDefinition, FieldType
from clientcard.clock import FixedClock
from clientcard.events import DomainEvent
from clientcard.storage import CardQuery, MemoryStore
from clientcard.testing.doubles import FailingEventSink, ListEventSink
from tests.support import NOW


@pytest.fixture
def sink() -> ListEventSink:
    return ListEventSink()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def book(sink: ListEventSink, clock: FixedClock) -> ClientBook:
    return ClientBook(MemoryStore(), clock=clock, events=sink)


@pytest.fixture
def salon(book: ClientBook) -> str:
    business = book.create_business(
        name="Salone Bella", region="IT", language="it", business_id="bella"
    )
    book.business(business.id).cards.change_schema(
        lambda s: s.add(
            FieldDefinition(
                key="hair_type",
                type=FieldType.TEXT,
                labels={"en": "Hair"},
                collect_during_booking=True,
                required=True,
            )
        )
    )
    return business.id


class TestBusinesses:
    def test_a_business_starts_with_the_default_schema(self, book: ClientBook) -> None:
        business = book.create_business(name="Studio", region="nl", language="nl")
        assert business.region == "NL"
        assert "first_name" in book.get_business(business.id).schema

    def test_invalid_settings_are_reported_together(self, book: ClientBook) -> None:
        with pytest.raises(ValidationError) as caught:
            book.create_business(name=" ", region="XX", language="fr", business_id="bad id")
        assert caught.value.fields == {"id", "name", "region", "language"}

    def test_a_business_id_is_taken_once(self, book: ClientBook, salon: str) -> None:
        with pytest.raises(DuplicateError):
            book.create_business(name="Again", business_id=salon)

    def test_a_schema_change_is_stored_with_a_new_revision(
        self, book: ClientBook, salon: str, sink: ListEventSink
    ) -> None:
        assert book.get_business(salon).schema.revision == 2
        assert sink.kinds() == ["business.created", "business.schema_changed"]

    def test_a_change_of_several_steps_is_one_revision(self, book: ClientBook, salon: str) -> None:
        business = book.business(salon).cards.change_schema(
            lambda s: s.configure("city", required=True).relabel("city", {"en": "Town"})
        )
        assert business.schema.revision == 3
        assert book.get_business(salon).schema.field("city").label("en") == "Town"

    def test_a_schema_change_that_changes_nothing_is_not_stored(
        self, book: ClientBook, salon: str, sink: ListEventSink
    ) -> None:
        book.business(salon).cards.change_schema(lambda s: s)
        assert book.get_business(salon).schema.revision == 2
        assert sink.kinds().count("business.schema_changed") == 1


class TestCreating:
    def test_staff_add_a_client_with_normalised_details(self, book: ClientBook, salon: str) -> None:
        card = book.business(salon).cards.add({"first_name": " Giulia ", "phones": "333 123 4567"})
        assert card.first_name == "Giulia"
        assert card.phones == ("+393331234567",)
        assert book.business(salon).cards.get(card.id) == card

    def test_validation_messages_speak_the_business_language(
        self, book: ClientBook, salon: str
    ) -> None:
        with pytest.raises(ValidationError) as caught:
            book.business(salon).cards.add({"email": "nope"})
        assert caught.value.issues[0].message == "Questo non è un indirizzo e-mail valido."

    def test_a_booking_form_enforces_its_required_fields(
        self, book: ClientBook, salon: str
    ) -> None:
        with pytest.raises(ValidationError) as caught:
            book.business(salon).cards.submit_booking({"first_name": "Giulia"}, lang="en")
        assert caught.value.codes == {"field.required"}

    def test_a_booking_form_refuses_fields_it_does_not_collect(
        self, book: ClientBook, salon: str
    ) -> None:
        with pytest.raises(ValidationError) as caught:
            book.business(salon).cards.submit_booking(
                {"first_name": "G", "hair_type": "x", "notes": "n"}
            )
        assert caught.value.codes == {"field.not_collected"}

    def test_a_prospect_is_recorded_with_booking_fields_and_nothing_required(
        self, book: ClientBook, salon: str
    ) -> None:
        card = book.business(salon).cards.add_prospect({"email": "curious@example.com"})
        assert card.status is CardStatus.PROSPECT

    def test_a_prospect_who_books_becomes_active(
        self, book: ClientBook, salon: str, sink: ListEventSink
    ) -> None:
        prospect = book.business(salon).cards.add_prospect({"email": "curious@example.com"})
        card = book.business(salon).cards.submit_booking(
            {"first_name": "Eva", "hair_type": "curly"}, card_id=prospect.id
        )
        assert card.status is CardStatus.ACTIVE
        assert card.version == 2
        assert sink.events[-1].fields == ("first_name", "hair_type", "status")

    def test_a_returning_client_need_not_resend_required_fields(
        self, book: ClientBook, salon: str
    ) -> None:
        card = book.business(salon).cards.submit_booking(
            {"first_name": "Eva", "hair_type": "curly"}
        )
        again = book.business(salon).cards.submit_booking({"last_name": "Verdi"}, card_id=card.id)
        assert again.last_name == "Verdi"


class TestEditing:
    def test_an_edit_bumps_the_version_and_reports_the_fields(
        self, book: ClientBook, salon: str, sink: ListEventSink, clock: FixedClock
    ) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna"})
        clock.advance(dt.timedelta(minutes=5))
        update = book.business(salon).cards.edit(
            card.id, {"email": "anna@example.com"}, expected_version=1
        )
        assert update.card.version == 2
        assert update.card.updated_at == NOW + dt.timedelta(minutes=5)
        event = sink.events[-1]
        assert event.kind.value == "card.details_changed"
        assert (event.card_id, event.card_version, event.fields) == (card.id, 2, ("email",))

    def test_an_edit_from_a_stale_read_conflicts(self, book: ClientBook, salon: str) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna"})
        book.business(salon).cards.edit(card.id, {"last_name": "Rossi"}, expected_version=1)
        with pytest.raises(VersionConflictError):
            book.business(salon).cards.edit(card.id, {"last_name": "Bianchi"}, expected_version=1)
        assert book.business(salon).cards.get(card.id).last_name == "Rossi"

    def test_an_edit_that_changes_nothing_writes_nothing(
        self, book: ClientBook, salon: str, sink: ListEventSink
    ) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna"})
        update = book.business(salon).cards.edit(
            card.id, {"first_name": "Anna"}, expected_version=1
        )
        assert update.is_noop
        assert sink.kinds()[-1] == "card.created"

    def test_a_status_change_has_its_own_event(
        self, book: ClientBook, salon: str, sink: ListEventSink
    ) -> None:
        card = book.business(salon).cards.add_prospect({"first_name": "Eva"})
        book.business(salon).cards.set_status(card.id, CardStatus.ACTIVE, expected_version=1)
        assert sink.kinds()[-1] == "card.status_changed"

    def test_a_deleted_card_is_gone_and_announced(
        self, book: ClientBook, salon: str, sink: ListEventSink
    ) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna"})
        book.business(salon).cards.remove(card.id, expected_version=1)
        with pytest.raises(NotFoundError):
            book.business(salon).cards.get(card.id)
        assert sink.kinds()[-1] == "card.deleted"

    def test_another_business_cannot_edit_a_card(self, book: ClientBook, salon: str) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna"})
        other = book.create_business(name="Other")
        with pytest.raises(NotFoundError):
            book.business(other.id).cards.edit(card.id, {"last_name": "X"}, expected_version=1)


class TestEvents:
    def test_events_hold_ids_and_field_names_only(
        self, book: ClientBook, salon: str, sink: ListEventSink
    ) -> None:
        book.business(salon).cards.add({"first_name": "Segreta", "email": "segreta@example.com"})
        text = repr(sink.events[-1])
        assert "Segreta" not in text
        assert "segreta" not in text
        assert sink.events[-1].fields == ("email", "first_name")

    def test_a_failed_sink_keeps_events_until_delivered(self, clock: FixedClock) -> None:
        sink = FailingEventSink()
        book = ClientBook(MemoryStore(), clock=clock, events=sink)
        business = book.create_business(name="Salon")
        book.business(business.id).cards.add({"first_name": "Anna"})
        assert sink.events == []
        sink.broken = False
        assert book.admin.deliver_pending() == 2
        assert [e.kind.value for e in sink.events] == ["business.created", "card.created"]
        assert book.admin.deliver_pending() == 0

    def test_delivered_events_leave_the_outbox_a_hundred_at_a_time(
        self, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        store = MemoryStore()
        sink = FailingEventSink()
        book = ClientBook(store, clock=clock, events=sink)
        desk = book.business(book.create_business(name="Salon").id)
        for number in range(249):
            desk.cards.add({"first_name": f"Cliente {number}"})
        removals: list[int] = []
        real = store.mark_delivered
        monkeypatch.setattr(
            store, "mark_delivered", lambda ids: (removals.append(len(ids)), real(ids))
        )
        sink.broken = False
        assert book.admin.deliver_pending(limit=500) == 250
        assert removals == [100, 100, 50]
        assert store.pending_events() == []

    def test_events_the_sink_took_before_it_failed_are_not_offered_again(
        self, clock: FixedClock
    ) -> None:
        store = MemoryStore()
        sink = FailingEventSink()
        book = ClientBook(store, clock=clock, events=sink)
        desk = book.business(book.create_business(name="Salon").id)
        for number in range(160):
            desk.cards.add({"first_name": f"Cliente {number}"})
        sink.broken = False
        publish = sink.publish

        def down_after_150(event: DomainEvent) -> None:
            if len(sink.events) == 150:
                raise ConnectionError("sink down")
            publish(event)

        sink.publish = down_after_150  # type: ignore[method-assign]
        assert book.admin.deliver_pending(limit=500) == 150
        waiting = {event.event_id for event in store.pending_events(500)}
        assert len(waiting) == 11
        assert waiting.isdisjoint(event.event_id for event in sink.events)

    def test_without_a_sink_nothing_is_recorded(self, clock: FixedClock) -> None:
        store = MemoryStore()
        book = ClientBook(store, clock=clock)
        business = book.create_business(name="Salon")
        book.business(business.id).cards.add({"first_name": "Anna"})
        assert store.pending_events() == []
        assert book.admin.deliver_pending() == 0

    def test_an_invalid_change_emits_no_event(
        self, book: ClientBook, salon: str, sink: ListEventSink
    ) -> None:
        before = len(sink.events)
        with pytest.raises(ValidationError):
            book.business(salon).cards.add({"email": "bad"})
        assert len(sink.events) == before

    def test_events_of_a_unit_of_work_go_out_only_after_it_commits(
        self, book: ClientBook, salon: str, sink: ListEventSink
    ) -> None:
        before = len(sink.events)
        with book.transaction():
            card = book.business(salon).cards.add({"first_name": "Eva"})
            book.business(salon).cards.edit(card.id, {"city": "Monza"}, expected_version=1)
            assert len(sink.events) == before
        assert sink.kinds()[before:] == ["card.created", "card.details_changed"]

    def test_a_unit_of_work_that_fails_writes_nothing_and_sends_nothing(
        self, book: ClientBook, salon: str, sink: ListEventSink
    ) -> None:
        before = len(sink.events)
        with pytest.raises(ValidationError), book.transaction():  # noqa: PT012
            book.business(salon).cards.add({"first_name": "Eva"})
            book.business(salon).cards.add({"email": "bad"})
        assert book.business(salon).cards.count() == 0
        assert len(sink.events) == before
        assert book.admin.deliver_pending() == 0

    def test_a_host_transaction_around_the_book_defers_events_too(
        self, book: ClientBook, salon: str, sink: ListEventSink
    ) -> None:
        before = len(sink.events)
        with pytest.raises(RuntimeError), book.store.transaction():  # noqa: PT012
            book.business(salon).cards.add({"first_name": "Eva"})
            raise RuntimeError
        assert len(sink.events) == before


class TestReading:
    @pytest.fixture
    def people(self, book: ClientBook, salon: str) -> dict[str, str]:
        book.business(salon).groups.add(key="vip", label="VIP")
        return {
            "jose": book.business(salon)
            .cards.add({"first_name": "José", "last_name": "Núñez", "phones": "333 123 4567"})
            .id,
            "anna": book.business(salon)
            .cards.add(
                {
                    "first_name": "Anna",
                    "last_name": "Rossi",
                    "email": "Anna.Rossi@example.com",
                    "client_group": "vip",
                }
            )
            .id,
        }

    @pytest.mark.parametrize(
        ("typed", "who"),
        [
            ("jose", "jose"),
            ("NÚÑEZ", "jose"),
            ("333 123 4567", "jose"),
            ("+39 333-123-4567", "jose"),
            ("333 12", "jose"),
            ("anna.ro", "anna"),
            ("ANNA.ROSSI@EXAMPLE.COM", "anna"),
            ("rossi anna", "anna"),
        ],
    )
    def test_search_finds_what_the_front_desk_types(
        self, book: ClientBook, salon: str, people: dict[str, str], typed: str, who: str
    ) -> None:
        assert [card.id for card in book.business(salon).cards.search(typed)] == [people[who]]

    def test_an_empty_search_finds_nothing(
        self, book: ClientBook, salon: str, people: dict[str, str]
    ) -> None:
        assert book.business(salon).cards.search("   ") == []

    def test_lookups_by_email_and_phone_normalise_what_is_typed(
        self, book: ClientBook, salon: str, people: dict[str, str]
    ) -> None:
        assert [
            c.id for c in book.business(salon).cards.find_by_email("ANNA.ROSSI@example.com")
        ] == [people["anna"]]
        assert [c.id for c in book.business(salon).cards.find_by_phone("0039 333 1234567")] == [
            people["jose"]
        ]

    def test_a_malformed_lookup_is_a_validation_error(self, book: ClientBook, salon: str) -> None:
        with pytest.raises(ValidationError) as caught:
            book.business(salon).cards.find_by_phone("12")
        assert caught.value.issues[0].field == "phone"

    def test_a_lookup_of_a_number_no_numbering_plan_has_is_a_validation_error(
        self, book: ClientBook, salon: str
    ) -> None:
        # It reads as a number, so it is looked up; finding nothing, it is checked.
        with pytest.raises(ValidationError) as caught:
            book.business(salon).cards.find_by_phone("+39 123 45")
        assert caught.value.issues[0].code == "phone.invalid"

    def test_a_lookup_of_a_real_number_nobody_has_finds_nothing(
        self, book: ClientBook, salon: str
    ) -> None:
        assert book.business(salon).cards.find_by_phone("+39 347 000 0000") == []

    def test_a_stored_number_is_found_even_after_its_plan_dropped_it(
        self, book: ClientBook, salon: str
    ) -> None:
        # A card written by a host (or before a numbering plan changed) keeps a number
        # the plan no longer has: looking it up finds the card rather than refusing.
        card = book.business(salon).cards.add({"first_name": "Ada"})
        stored = attrs.evolve(card, phones=("+39123456",), version=card.version + 1)
        book.store.update(stored, expected_version=card.version)
        assert [c.id for c in book.business(salon).cards.find_by_phone("+39 123456")] == [card.id]

    def test_listing_pages_through_cards_by_name(
        self, book: ClientBook, salon: str, people: dict[str, str]
    ) -> None:
        first = book.business(salon).cards.list(limit=1)
        assert [c.id for c in first] == [people["jose"]]
        second = book.business(salon).cards.list(limit=1, cursor=first.next_cursor)
        assert [c.id for c in second] == [people["anna"]]
        assert book.business(salon).cards.count() == 2
        assert book.business(salon).cards.count(CardQuery(group="vip")) == 1

    def test_a_page_size_out_of_range_is_refused(self, book: ClientBook, salon: str) -> None:
        with pytest.raises(ValidationError):
            book.business(salon).cards.list(limit=0)


def test_the_context_of_an_import_accepts_every_field(book: ClientBook, salon: str) -> None:
    card = book.business(salon).cards.add({"first_name": "A", "notes": "n"}, context=Context.IMPORT)
    assert card.notes == "n"
