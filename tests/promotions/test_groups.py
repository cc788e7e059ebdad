"""Client groups: definitions, benefits, and moving clients between them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.book import ClientBook
from clientcard.cards.serialization import _from_document, _to_document
from clientcard.clock import FixedClock
from clientcard.errors import DuplicateError, InvalidValueError, NotFoundError, ValidationError
from clientcard.groups.model import GROUP_KEY_PATTERN, ClientGroup, normalise_group_key
from clientcard.money import Money
from clientcard.testing.doubles import ListEventSink
from tests.promotions.conftest import SALON


def client(book: ClientBook, name: str = "Giulia") -> str:
    return book.business(SALON).cards.add({"first_name": name}).id


class TestDefinitions:
    def test_a_group_key_is_trimmed_and_lower_cased(self) -> None:
        assert normalise_group_key("  VIP_2 ") == "vip_2"

    @pytest.mark.parametrize("raw", ["", " ", "-vip", "v i p", "x" * 41, "café", None])
    def test_a_group_key_is_a_short_slug(self, raw: object) -> None:
        with pytest.raises(InvalidValueError):
            normalise_group_key(raw)

    def test_a_group_reports_every_broken_rule_at_once(self) -> None:
        with pytest.raises(ValidationError) as caught:
            ClientGroup.create(
                key="!", label="", discount_percent="101", included_services=[""], lang="nl"
            )
        assert caught.value.fields == {"key", "label", "discount_percent", "included_services"}
        assert "groepssleutel" in str(caught.value)

    @pytest.mark.parametrize("percent", [0, "-1", "abc", 2.5, True])
    def test_a_group_discount_is_a_percentage_above_zero(self, percent: object) -> None:
        with pytest.raises(ValidationError):
            ClientGroup.create(key="vip", label="VIP", discount_percent=percent)  # type: ignore[arg-type]

    def test_members_get_the_discount_and_the_included_services(self) -> None:
        gold = ClientGroup.create(
            key="gold", label="Gold", discount_percent="12.5", included_services=["wash"]
        )
        assert gold.discounted(Money.of("20", "EUR")) == Money.of("17.50", "EUR")
        assert gold.includes("wash")
        assert not gold.includes("colour")
        plain = ClientGroup.create(key="plain", label="Plain")
        assert plain.discounted(Money.of("20", "EUR")) == Money.of("20", "EUR")

    @given(
        st.from_regex(GROUP_KEY_PATTERN, fullmatch=True),
        st.none() | st.decimals(min_value="0.01", max_value=100, places=2),
        st.lists(st.text(alphabet="abc xyz", min_size=1, max_size=10).map(str.strip), max_size=3),
    )
    def test_a_group_round_trips_through_its_document(
        self, key: str, percent: Decimal | None, services: list[str]
    ) -> None:
        group = ClientGroup(
            key=key,
            label="Label",
            discount_percent=percent,
            included_services=tuple(s for s in services if s),
        )
        assert _from_document("client_group", _to_document(group, 1), 1, ClientGroup) == group

    def test_the_book_keeps_definitions_sorted_by_key(
        self, book: ClientBook, sink: ListEventSink
    ) -> None:
        book.business(SALON).groups.add(key="Silver", label="Silver")
        book.business(SALON).groups.add(key="gold", label="Gold", discount_percent=10)
        assert [g.key for g in book.business(SALON).groups.list()] == ["gold", "silver"]
        assert book.business(SALON).groups.get("GOLD").discount_percent == Decimal(10)
        assert sink.events[-1].kind.value == "group.changed"
        assert sink.events[-1].record_id == "gold"

    def test_a_key_is_defined_once_unless_replaced(self, book: ClientBook) -> None:
        book.business(SALON).groups.add(key="gold", label="Gold")
        with pytest.raises(DuplicateError):
            book.business(SALON).groups.add(key="gold", label="Gold again")
        book.business(SALON).groups.add(key="gold", label="Gold+", replace=True)
        assert book.business(SALON).groups.get("gold").label == "Gold+"
        with pytest.raises(NotFoundError):
            book.business(SALON).groups.add(key="bronze", label="Bronze", replace=True)

    def test_an_undefined_or_malformed_key_is_not_found(self, book: ClientBook) -> None:
        with pytest.raises(NotFoundError):
            book.business(SALON).groups.get("gold")
        with pytest.raises(NotFoundError):
            book.business(SALON).groups.get("not a key!")


class TestMembership:
    def test_setting_a_defined_group_changes_the_card(
        self, book: ClientBook, sink: ListEventSink
    ) -> None:
        book.business(SALON).groups.add(key="gold", label="Gold", discount_percent=10)
        card_id = client(book)
        update = book.business(SALON).groups.assign(card_id, "Gold", expected_version=1)
        assert update.card.client_group == "gold"
        assert book.business(SALON).groups.group_of(card_id) == book.business(SALON).groups.get(
            "gold"
        )
        assert sink.events[-1].fields == ("client_group",)

    def test_an_undefined_group_is_refused(self, book: ClientBook) -> None:
        card_id = client(book)
        with pytest.raises(ValidationError) as caught:
            book.business(SALON).groups.assign(card_id, "gold", expected_version=1)
        assert caught.value.codes == {"group.unknown"}
        assert book.business(SALON).cards.get(card_id).client_group is None

    def test_leaving_every_group(self, book: ClientBook) -> None:
        book.business(SALON).groups.add(key="gold", label="Gold")
        card_id = client(book)
        book.business(SALON).groups.assign(card_id, "gold", expected_version=1)
        book.business(SALON).groups.assign(card_id, None, expected_version=2)
        assert book.business(SALON).groups.group_of(card_id) is None

    def test_a_card_can_not_name_a_group_nobody_defined(self, book: ClientBook) -> None:
        with pytest.raises(ValidationError) as caught:
            book.business(SALON).cards.add({"first_name": "Eva", "client_group": "legacy"})
        assert caught.value.fields == {"client_group"}
        assert caught.value.codes == {"group.unknown"}

    def test_a_group_value_kept_from_before_has_no_benefits(self, book: ClientBook) -> None:
        """A card stored before groups were checked keeps its value, which gives nothing."""
        card = book.business(SALON).cards.add({"first_name": "Eva"})
        legacy = card.apply({"client_group": "legacy"}, at=card.created_at).card
        book.store.update(legacy, expected_version=1)
        assert book.business(SALON).groups.group_of(card.id) is None
        edited = book.business(SALON).cards.edit(card.id, {"notes": "ok"}, expected_version=2)
        assert edited.card.client_group == "legacy"


class TestBulkMoves:
    def test_clients_move_in_one_unit_with_every_card_accounted_for(
        self, book: ClientBook, sink: ListEventSink
    ) -> None:
        book.business(SALON).groups.add(key="gold", label="Gold")
        book.business(SALON).groups.add(key="silver", label="Silver")
        anna, bea, carla = client(book, "Anna"), client(book, "Bea"), client(book, "Carla")
        book.business(SALON).groups.assign(carla, "gold", expected_version=1)
        book.business(SALON).cards.edit(bea, {"notes": "changed meanwhile"}, expected_version=1)
        before = len(sink.events)
        move = book.business(SALON).groups.move({anna: 1, bea: 1, carla: 2, "ghost": 1}, "gold")
        assert move.group == "gold"
        assert move.moved == (anna,)
        assert move.conflicts == (bea,)
        assert move.unchanged == (carla,)
        assert move.missing == ("ghost",)
        assert [e.card_id for e in sink.events[before:]] == [anna]
        assert book.business(SALON).cards.get(bea).client_group is None

    def test_moving_to_an_undefined_group_moves_nobody(self, book: ClientBook) -> None:
        anna = client(book, "Anna")
        with pytest.raises(ValidationError):
            book.business(SALON).groups.move({anna: 1}, "platinum")
        assert book.business(SALON).cards.get(anna).version == 1

    def test_a_moved_card_is_what_apply_makes_and_its_event_names_the_group(
        self, book: ClientBook, sink: ListEventSink, clock: FixedClock
    ) -> None:
        desk = book.business(SALON)
        desk.groups.add(key="gold", label="Gold")
        anna = client(book, "Anna")
        card = desk.cards.get(anna)
        before = len(sink.events)
        desk.groups.move({anna: 1}, "gold")
        assert desk.cards.get(anna) == card.apply({"client_group": "gold"}, at=clock.now()).card
        (event,) = sink.events[before:]
        assert (event.card_id, event.card_version, event.fields) == (anna, 2, ("client_group",))

    def test_a_sensitive_group_moves_only_clients_with_explicit_consent(
        self, book: ClientBook
    ) -> None:
        desk = book.business(SALON)
        desk.cards.change_schema(lambda schema: schema.configure("client_group", sensitive=True))
        desk.groups.add(key="gold", label="Gold")
        anna = client(book, "Anna")
        with pytest.raises(ValidationError) as caught:
            desk.groups.move({anna: 1}, "gold")
        assert caught.value.codes == {"consent.sensitive_without_consent"}
        assert desk.cards.get(anna).client_group is None
        desk.consent.grant(anna, "special_category_data", wording_version="v1", by="staff")
        assert desk.groups.move({anna: 1}, "gold").moved == (anna,)
        assert desk.cards.get(anna).client_group == "gold"

    def test_moving_out_of_every_group(self, book: ClientBook) -> None:
        book.business(SALON).groups.add(key="gold", label="Gold")
        anna = client(book, "Anna")
        book.business(SALON).groups.assign(anna, "gold", expected_version=1)
        move = book.business(SALON).groups.move({anna: 2}, None)
        assert move.moved == (anna,)
        assert book.business(SALON).cards.get(anna).client_group is None
