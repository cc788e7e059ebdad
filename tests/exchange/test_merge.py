from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from clientcard.book import ClientBook
from clientcard.cards.card import CardStatus, ClientCard
from clientcard.cards.schema import FieldDefinition, FieldType
from clientcard.clock import FixedClock
from clientcard.consent import Channel, ConsentAction, Purpose
from clientcard.errors import NotFoundError, ValidationError, VersionConflictError
from clientcard.exchange.merge import SNAPSHOT_KIND, plan_merge
from clientcard.portal import AuthenticationError, PasswordHasher, PortalSettings
from clientcard.storage import CardQuery, RecordQuery
from clientcard.storage.records import Record
from clientcard.testing.doubles import ListEventSink
from tests.support import NOW, record

EMAIL = (Purpose.MARKETING, Channel.EMAIL)


@pytest.fixture
def pair(book: ClientBook, salon: str) -> tuple[ClientCard, ClientCard]:
    cards = book.business(salon).cards
    keep = cards.add(
        {"first_name": "Giulia", "last_name": "Bianchi", "email": "giulia@example.it",
         "notes": "nickel allergy", "tags": "sposa", "city": "Milano"}
    )  # fmt: skip
    other = cards.add(
        {"first_name": "Giulia", "last_name": "Bianchi", "email": "giulia@example.it",
         "phones": "333 1234567", "tags": "colore", "city": "Monza", "notes": "likes tea"}
    )  # fmt: skip
    return keep, other


def merged(book: ClientBook, salon: str, keep: ClientCard, other: ClientCard) -> str:
    return (
        book.business(salon)
        .exchange.merge(keep.id, other.id, expected_versions=(keep.version, other.version))
        .merge_id
    )


def later(book: ClientBook, minutes: int = 1) -> None:
    clock = book.clock
    assert isinstance(clock, FixedClock)
    clock.advance(dt.timedelta(minutes=minutes))


class TestPreview:
    def test_the_preview_fills_unites_and_names_conflicts(
        self, book: ClientBook, salon: str, pair: tuple[ClientCard, ClientCard]
    ) -> None:
        keep, other = pair
        plan = book.business(salon).exchange.preview_merge(keep.id, other.id)
        assert plan.filled == ("notes", "phones", "tags")
        assert plan.conflicts == ("city",)
        assert plan.result.address.city == "Milano"
        assert plan.result.tags == ("colore", "sposa")
        assert plan.result.notes == "nickel allergy\n\nlikes tea"
        assert plan.match.reasons == ("same_email", "same_name")
        assert book.business(salon).cards.get(keep.id) == keep

    def test_the_other_cards_value_can_be_preferred(
        self, book: ClientBook, salon: str, pair: tuple[ClientCard, ClientCard]
    ) -> None:
        keep, other = pair
        plan = book.business(salon).exchange.preview_merge(
            keep.id, other.id, prefer={"city": "absorbed"}
        )
        assert plan.result.address.city == "Monza"

    def test_the_preview_summary_holds_no_values(
        self, book: ClientBook, salon: str, pair: tuple[ClientCard, ClientCard]
    ) -> None:
        summary = str(book.business(salon).exchange.preview_merge(*(c.id for c in pair)).to_dict())
        assert "Giulia" not in summary
        assert "Monza" not in summary

    def test_a_family_phone_merge_is_flagged(self, book: ClientBook, salon: str) -> None:
        mother = book.business(salon).cards.add({"first_name": "Maria", "phones": "333 1234567"})
        son = book.business(salon).cards.add({"first_name": "Luca", "phones": "333 1234567"})
        plan = book.business(salon).exchange.preview_merge(mother.id, son.id)
        assert "shared_phone_only" in plan.warnings
        assert "different_names" in plan.warnings

    @pytest.mark.parametrize(
        "code", ["merge.same_card", "merge.guardian_link", "merge.other_business"]
    )
    def test_impossible_merges_are_refused(self, code: str) -> None:
        base = ClientCard(id="a", business_id="b", created_at=NOW, updated_at=NOW, first_name="A")
        other = {
            "merge.same_card": base,
            "merge.guardian_link": ClientCard(
                id="c", business_id="b", created_at=NOW, updated_at=NOW, first_name="C",
                guardian_id="a",
            ),
            "merge.other_business": ClientCard(
                id="d", business_id="x", created_at=NOW, updated_at=NOW, first_name="D"
            ),
        }[code]  # fmt: skip
        with pytest.raises(ValidationError) as caught:
            plan_merge(base, other, [], [], at=NOW)
        assert caught.value.codes == {code}


class TestMerging:
    def test_the_other_card_goes_and_the_survivor_holds_both(
        self,
        book: ClientBook,
        salon: str,
        pair: tuple[ClientCard, ClientCard],
        sink: ListEventSink,
    ) -> None:
        keep, other = pair
        merged(book, salon, keep, other)
        with pytest.raises(NotFoundError):
            book.business(salon).cards.get(other.id)
        survivor = book.business(salon).cards.get(keep.id)
        assert (survivor.version, survivor.phones) == (2, ("+393331234567",))
        event = sink.events[-1]
        assert (event.kind.value, event.card_id, event.related_card_id) == (
            "card.merged",
            keep.id,
            other.id,
        )
        assert event.fields == ("notes", "phones", "tags")

    def test_stale_versions_are_refused(
        self, book: ClientBook, salon: str, pair: tuple[ClientCard, ClientCard]
    ) -> None:
        keep, other = pair
        with pytest.raises(VersionConflictError):
            book.business(salon).exchange.merge(
                keep.id, other.id, expected_versions=(keep.version, 9)
            )
        assert book.business(salon).cards.get(other.id) == other

    def test_both_ledgers_are_kept_and_a_standing_refusal_wins(
        self, book: ClientBook, salon: str, pair: tuple[ClientCard, ClientCard]
    ) -> None:
        keep, other = pair
        record(book, salon, keep.id, action=ConsentAction.WITHDRAW)
        later(book)
        record(book, salon, other.id)  # a newer grant on the other card
        record(book, salon, other.id, purpose=Purpose.BIRTHDAY_GREETINGS, channel=Channel.SMS)
        later(book)
        plan = book.business(salon).exchange.preview_merge(keep.id, other.id)
        assert plan.stricter == ("marketing.email",)
        merged(book, salon, keep, other)
        ledger = book.business(salon).consent.ledger(keep.id)
        assert [e.action.value for e in ledger] == ["withdraw", "grant", "grant", "withdraw"]
        assert ledger[-1].evidence_ref is not None
        assert ledger[-1].evidence_ref.startswith("merge:")
        state = book.business(salon).consent.state(keep.id)
        assert not state.is_granted(*EMAIL)
        assert state.is_granted(Purpose.BIRTHDAY_GREETINGS, Channel.SMS)

    def test_an_objection_on_either_card_stands(
        self, book: ClientBook, salon: str, pair: tuple[ClientCard, ClientCard]
    ) -> None:
        keep, other = pair
        record(book, salon, other.id, action=ConsentAction.OBJECT, purpose=None, channel=None)
        later(book)
        record(book, salon, keep.id, action=ConsentAction.OBJECT, purpose=None, channel=None)
        later(book)
        record(book, salon, keep.id, action=ConsentAction.WITHDRAW_OBJECTION, purpose=None,
               channel=None)  # fmt: skip
        assert book.business(salon).exchange.preview_merge(keep.id, other.id).stricter == (
            "objection",
        )
        merged(book, salon, keep, other)
        assert book.business(salon).consent.state(keep.id).objects_to_marketing

    def test_health_data_stays_only_with_its_consent(self, book: ClientBook, salon: str) -> None:
        book.business(salon).cards.change_schema(
            lambda s: s.add(
                FieldDefinition(key="allergies", type=FieldType.LONG_TEXT,
                                labels={"en": "Allergies"}, sensitive=True)
            ))  # fmt: skip
        keep = book.business(salon).cards.add({"first_name": "Eva", "email": "eva@example.it"})
        other = book.business(salon).cards.add({"first_name": "Eva", "email": "eva@example.it"})
        record(book, salon, other.id, purpose=Purpose.SPECIAL_CATEGORY_DATA, channel=None)
        other = (
            book.business(salon)
            .cards.edit(other.id, {"allergies": "latex"}, expected_version=1)
            .card
        )
        merged(book, salon, keep, other)
        assert book.business(salon).cards.get(keep.id).custom["allergies"] == "latex"

    def test_history_gallery_and_wards_move_to_the_survivor(
        self, book: ClientBook, salon: str, pair: tuple[ClientCard, ClientCard]
    ) -> None:
        keep, other = pair
        book.store.add_records(
            [Record(business_id=salon, kind="appointment", id="ap-1", at=NOW, doc={},
                    card_id=other.id)]
        )  # fmt: skip
        child = book.business(salon).cards.add({"first_name": "Luca"})
        book.business(salon).consent.link_guardian(child.id, other.id, expected_version=1)
        merged(book, salon, keep, other)
        assert book.store.get_record(salon, "appointment", "ap-1").card_id == keep.id
        assert book.business(salon).cards.get(child.id).guardian_id == keep.id


class TestUndo:
    def test_undo_puts_both_cards_back_as_they_were(
        self,
        book: ClientBook,
        salon: str,
        pair: tuple[ClientCard, ClientCard],
        sink: ListEventSink,
    ) -> None:
        keep, other = pair
        book.store.add_records(
            [Record(business_id=salon, kind="appointment", id="ap-1", at=NOW, doc={},
                    card_id=other.id)]
        )  # fmt: skip
        child = book.business(salon).cards.add({"first_name": "Luca"})
        book.business(salon).consent.link_guardian(child.id, other.id, expected_version=1)
        record(book, salon, other.id)
        merge_id = merged(book, salon, keep, other)
        survivor, restored = book.business(salon).exchange.undo_merge(merge_id)
        assert survivor.values() == keep.values()
        assert survivor.version == 3
        assert (
            book.business(salon).cards.get(other.id)
            == restored
            == book.business(salon).cards.get(other.id)
        )
        assert restored.values() == other.values()
        assert book.business(salon).consent.state(other.id).is_granted(*EMAIL)
        assert not book.business(salon).consent.state(keep.id).is_granted(*EMAIL)
        assert book.store.get_record(salon, "appointment", "ap-1").card_id == other.id
        assert book.business(salon).cards.get(child.id).guardian_id == other.id
        assert sink.events[-1].kind.value == "card.merge_undone"
        assert sink.events[-1].related_card_id == other.id

    def test_the_survivors_ledger_only_grows(
        self, book: ClientBook, salon: str, pair: tuple[ClientCard, ClientCard]
    ) -> None:
        keep, other = pair
        record(book, salon, other.id)
        merge_id = merged(book, salon, keep, other)
        length = len(book.business(salon).consent.ledger(keep.id))
        later(book)
        book.business(salon).exchange.undo_merge(merge_id)
        ledger = book.business(salon).consent.ledger(keep.id)
        assert len(ledger) == length + 1
        assert ledger[-1].action is ConsentAction.WITHDRAW
        assert ledger[-1].evidence_ref == f"merge-undone:{merge_id}"

    def test_consent_given_after_the_merge_stays(
        self, book: ClientBook, salon: str, pair: tuple[ClientCard, ClientCard]
    ) -> None:
        keep, other = pair
        record(book, salon, other.id)
        merge_id = merged(book, salon, keep, other)
        later(book)
        record(book, salon, keep.id, action=ConsentAction.WITHDRAW)
        later(book)
        record(book, salon, keep.id, wording_version="v2")
        book.business(salon).exchange.undo_merge(merge_id)
        assert book.business(salon).consent.state(keep.id).is_granted(*EMAIL)

    def test_a_survivor_edited_since_the_merge_cannot_be_undone(
        self, book: ClientBook, salon: str, pair: tuple[ClientCard, ClientCard]
    ) -> None:
        keep, other = pair
        merge_id = merged(book, salon, keep, other)
        book.business(salon).cards.edit(keep.id, {"city": "Roma"}, expected_version=2)
        with pytest.raises(VersionConflictError):
            book.business(salon).exchange.undo_merge(merge_id)

    def test_a_merge_is_undone_once(
        self, book: ClientBook, salon: str, pair: tuple[ClientCard, ClientCard]
    ) -> None:
        merge_id = merged(book, salon, *pair)
        book.business(salon).exchange.undo_merge(merge_id)
        with pytest.raises(NotFoundError):
            book.business(salon).exchange.undo_merge(merge_id)

    def test_purged_merges_are_permanent(
        self, book: ClientBook, salon: str, pair: tuple[ClientCard, ClientCard]
    ) -> None:
        merge_id = merged(book, salon, *pair)
        assert book.business(salon).exchange.purge_merge_snapshots(before=NOW) == 0
        assert book.business(salon).exchange.purge_merge_snapshots() == 1
        assert book.business(salon).exchange.purge_merge_snapshots() == 0
        with pytest.raises(NotFoundError):
            book.business(salon).exchange.undo_merge(merge_id)

    def test_the_snapshot_goes_with_the_survivor(
        self, book: ClientBook, salon: str, pair: tuple[ClientCard, ClientCard]
    ) -> None:
        keep, other = pair
        merged(book, salon, keep, other)
        query = RecordQuery(kind=SNAPSHOT_KIND, card_id=keep.id)
        assert len(book.store.find_records(salon, query)) == 1
        book.business(salon).cards.remove(keep.id, expected_version=2)
        assert len(book.store.find_records(salon, query)) == 0

    def test_a_prospect_merged_with_a_client_is_a_client(
        self, book: ClientBook, salon: str
    ) -> None:
        prospect = book.business(salon).cards.add_prospect(
            {"first_name": "Eva", "email": "eva@example.it"}
        )
        client = book.business(salon).cards.add({"first_name": "Eva", "email": "eva@example.it"})
        merged(book, salon, prospect, client)
        assert book.business(salon).cards.get(prospect.id).status is CardStatus.ACTIVE


def test_the_absorbed_cards_portal_account_ends_with_the_merge(
    book: ClientBook, salon: str, pair: tuple[ClientCard, ClientCard]
) -> None:
    keep, other = pair
    other = (
        book.business(salon)
        .cards.edit(other.id, {"email": "g.bianchi@example.it"}, expected_version=other.version)
        .card
    )
    # The same store and clock, with a quick password hasher: the portal's settings are the book's.
    settings = PortalSettings(hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    portal = ClientBook(book.store, clock=book.clock, portal=settings).business(salon).portal
    portal.create_account(keep.id, password="a long and quiet river")
    portal.create_account(other.id, password="another long quiet river")
    merged(book, salon, keep, other)
    accounts = book.store.find_records(salon, RecordQuery(kind="portal.account")).items
    assert [record.id for record in accounts] == [keep.id]
    with pytest.raises(AuthenticationError):
        portal.sign_in(other.email or "", "another long quiet river", source="ip")
    portal.sign_in(keep.email or "", "a long and quiet river", source="ip")


class TestTheWardsAudiences:
    """A child's service messages go to its guardian's address, so its audience follows it."""

    @pytest.fixture
    def children(
        self, book: ClientBook, salon: str, pair: tuple[ClientCard, ClientCard]
    ) -> tuple[str, str]:
        keep, other = pair
        desk = book.business(salon)
        sara = desk.cards.add({"first_name": "Sara", "birth_date": "2017-03-01"}).id
        luca = desk.cards.add({"first_name": "Luca", "birth_date": "2016-03-01"}).id
        desk.consent.link_guardian(sara, keep.id, expected_version=1)
        desk.consent.link_guardian(luca, other.id, expected_version=1)
        return sara, luca

    def test_every_ward_of_the_survivor_is_reached_at_the_merged_number(
        self,
        book: ClientBook,
        salon: str,
        pair: tuple[ClientCard, ClientCard],
        children: tuple[str, str],
    ) -> None:
        keep, other = pair
        sara, luca = children
        desk = book.business(salon)
        by_sms = CardQuery(contactable=("appointment_reminders", "sms"))
        assert {card.id for card in desk.cards.list(by_sms)} == {other.id, luca}
        merge_id = merged(book, salon, keep, other)
        # The survivor took the absorbed card's phone: its own ward and the moved one use it.
        assert {card.id for card in desk.cards.list(by_sms)} == {keep.id, sara, luca}
        desk.exchange.undo_merge(merge_id)
        assert {card.id for card in desk.cards.list(by_sms)} == {other.id, luca}

    def test_a_merge_and_its_undo_refresh_each_card_once(
        self,
        book: ClientBook,
        salon: str,
        pair: tuple[ClientCard, ClientCard],
        children: tuple[str, str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        keep, other = pair
        sara, luca = children
        refreshed: Counter[str] = Counter()
        store_permissions = book.store.set_permissions

        def counting(
            business_id: str, card_id: str, permissions: frozenset[tuple[str, str]]
        ) -> None:
            refreshed[card_id] += 1
            store_permissions(business_id, card_id, permissions)

        monkeypatch.setattr(book.store, "set_permissions", counting)
        merge_id = merged(book, salon, keep, other)
        assert refreshed == {keep.id: 1, sara: 1, luca: 1}
        refreshed.clear()
        book.business(salon).exchange.undo_merge(merge_id)
        assert refreshed == {keep.id: 1, other.id: 1, sara: 1, luca: 1}
