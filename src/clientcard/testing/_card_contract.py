"""The businesses and cards part of the store contract: storing, reading, versions."""

from __future__ import annotations

import threading

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from clientcard.business import Business
from clientcard.cards.card import ClientCard
from clientcard.errors import DuplicateError, NotFoundError, ValidationError, VersionConflictError
from clientcard.storage.protocol import CardQuery, ClientStore, SearchTerms
from clientcard.testing._contract_builders import NOW, Boom, new_business, new_card
from clientcard.testing.strategies import cards

__all__ = ["CardStoreContract"]


class CardStoreContract:
    """Businesses and cards: adding, reading, updating, deleting (part of the store contract).

    .. versionadded:: 0.1.0
    """

    # -- businesses -----------------------------------------------------------------

    def test_a_business_round_trips(self, store: ClientStore) -> None:
        business_id = new_business(store)
        business = store.get_business(business_id)
        assert business.id == business_id
        assert business.region == "IT"
        assert business.schema.revision == 1

    def test_a_business_id_is_unique(self, store: ClientStore) -> None:
        business_id = new_business(store)
        with pytest.raises(DuplicateError):
            new_business(store, business_id)

    def test_a_missing_business_is_not_found(self, store: ClientStore) -> None:
        with pytest.raises(NotFoundError):
            store.get_business("nope")

    def test_a_business_update_checks_the_schema_revision(self, store: ClientStore) -> None:
        business = store.get_business(new_business(store))
        changed = business.with_schema(business.schema.configure("city", required=True))
        store.update_business(changed, expected_revision=1)
        assert store.get_business(business.id).schema.field("city").required
        with pytest.raises(VersionConflictError):
            store.update_business(changed, expected_revision=1)

    def test_updating_a_missing_business_is_not_found(self, store: ClientStore) -> None:
        business = Business(id="ghost", name="G", region="IT", language="en", created_at=NOW)
        with pytest.raises(NotFoundError):
            store.update_business(business, expected_revision=1)

    # -- cards ------------------------------------------------------------------------

    def test_a_card_needs_an_existing_business(self, store: ClientStore) -> None:
        with pytest.raises(NotFoundError):
            store.add(new_card("no-such-business"))

    # differing_executors: every store's subclass runs this one inherited method, which
    # is how the kit is meant to be used; each example makes its own business anyway.
    @settings(
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
        max_examples=25,
    )
    @given(card=cards())
    def test_every_field_round_trips(self, store: ClientStore, card: ClientCard) -> None:
        # A fresh business per example: hypothesis may replay the same ids.
        card = attrs.evolve(card, business_id=new_business(store))
        store.add(card)
        assert store.get(card.business_id, card.id) == card

    def test_adding_the_same_card_twice_is_a_duplicate(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        with pytest.raises(DuplicateError):
            store.add(card)

    def test_add_many_stores_every_card_with_its_phones_and_tags(self, store: ClientStore) -> None:
        business_id = new_business(store)
        cards = [
            new_card(
                business_id,
                last_name=f"N{i}",
                phones=(f"+39333123456{i}",),
                tags=("colour",) if i % 2 else (),
            )
            for i in range(7)
        ]
        store.add_many(cards)
        assert [store.get(business_id, card.id) for card in cards] == cards
        assert store.count(business_id, CardQuery(tag="colour")) == 3
        assert [c.id for c in store.find(business_id, CardQuery(phone="+393331234564"))] == [
            cards[4].id
        ]

    def test_add_many_records_the_permissions_given(self, store: ClientStore) -> None:
        business_id = new_business(store)
        first, second = new_card(business_id), new_card(business_id, last_name="B")
        pairs = frozenset({("marketing", "email"), ("appointment_reminders", "sms")})
        store.add_many([first, second], permissions={first.id: pairs})
        assert store.permissions(business_id, first.id) == pairs
        assert store.permissions(business_id, second.id) == frozenset()
        query = CardQuery(contactable=("marketing", "email"))
        assert [card.id for card in store.find(business_id, query)] == [first.id]

    def test_add_many_of_nothing_writes_nothing(self, store: ClientStore) -> None:
        business_id = new_business(store)
        store.add_many([])
        assert store.count(business_id) == 0

    def test_add_many_with_a_taken_id_writes_none_of_the_cards(self, store: ClientStore) -> None:
        business_id = new_business(store)
        taken = new_card(business_id)
        store.add(taken)
        fresh = new_card(business_id, last_name="Fresh")
        with pytest.raises(DuplicateError) as caught:
            store.add_many([fresh, taken])
        assert caught.value.ident == taken.id
        assert store.count(business_id) == 1

    def test_add_many_with_an_id_given_twice_is_a_duplicate(self, store: ClientStore) -> None:
        business_id = new_business(store)
        card = new_card(business_id)
        with pytest.raises(DuplicateError):
            store.add_many([card, card])
        assert store.count(business_id) == 0

    def test_add_many_needs_an_existing_business(self, store: ClientStore) -> None:
        with pytest.raises(NotFoundError):
            store.add_many([new_card("no-such-business")])

    def test_add_many_takes_one_business_at_a_time(self, store: ClientStore) -> None:
        first, second = new_business(store), new_business(store)
        with pytest.raises(ValidationError) as caught:
            store.add_many([new_card(first), new_card(second)])
        assert caught.value.codes == {"card.mixed_businesses"}
        assert store.count(first) == store.count(second) == 0

    def test_add_many_inside_a_failed_transaction_leaves_nothing(self, store: ClientStore) -> None:
        business_id = new_business(store)
        with pytest.raises(Boom), store.transaction():
            store.add_many([new_card(business_id), new_card(business_id)])
            raise Boom
        assert store.count(business_id) == 0

    def test_a_missing_card_is_not_found(self, store: ClientStore) -> None:
        with pytest.raises(NotFoundError):
            store.get(new_business(store), "nope")

    def test_another_business_cannot_see_or_touch_a_card(self, store: ClientStore) -> None:
        mine, theirs = new_business(store), new_business(store)
        card = new_card(
            mine,
            email="anna@example.com",
            client_group="vip",
            phones=("+393331234567",),
            tags=("colour",),
            custom={"hair": "curly"},
        )
        store.add(card)
        with pytest.raises(NotFoundError):
            store.get(theirs, card.id)
        with pytest.raises(NotFoundError):
            store.update(attrs.evolve(card, business_id=theirs, version=2), expected_version=1)
        with pytest.raises(NotFoundError):
            store.delete(theirs, card.id, expected_version=1)
        with pytest.raises(NotFoundError):
            store.set_permissions(theirs, card.id, frozenset({("marketing", "email")}))
        store.set_permissions(mine, card.id, frozenset({("marketing", "email")}))
        assert store.permissions(theirs, card.id) == frozenset()
        assert store.find(theirs).items == ()
        for query in (
            CardQuery(group="vip"),
            CardQuery(email="anna@example.com"),
            CardQuery(phone="+393331234567"),
            CardQuery(tag="colour"),
            CardQuery(contactable=("marketing", "email")),
            CardQuery(custom_field="hair", custom_value="curly"),
            CardQuery(search=SearchTerms(name="anna", phone_digits="333", email="anna")),
        ):
            assert store.count(theirs, query) == 0, query
            assert store.find(theirs, query).items == (), query
            assert store.count(mine, query) == 1, query
        terms = SearchTerms(name="anna", phone_digits="333", email="anna")
        assert store.search(theirs, terms) == []
        assert [found.id for found in store.search(mine, terms)] == [card.id]
        assert store.get(mine, card.id) == card

    def test_the_same_card_id_may_live_in_two_businesses(self, store: ClientStore) -> None:
        first, second = new_business(store), new_business(store)
        store.add(new_card(first, id="shared", first_name="Uno"))
        store.add(new_card(second, id="shared", first_name="Due"))
        assert store.get(first, "shared").first_name == "Uno"
        assert store.get(second, "shared").first_name == "Due"

    def test_an_update_at_the_current_version_replaces_the_card(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        changed = attrs.evolve(card, version=2, email="new@example.com")
        store.update(changed, expected_version=1)
        assert store.get(card.business_id, card.id) == changed

    def test_a_stale_update_conflicts_and_writes_nothing(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        store.update(attrs.evolve(card, version=2, last_name="First"), expected_version=1)
        with pytest.raises(VersionConflictError) as caught:
            store.update(attrs.evolve(card, version=2, last_name="Second"), expected_version=1)
        assert (caught.value.expected, caught.value.actual) == (1, 2)
        assert store.get(card.business_id, card.id).last_name == "First"

    def test_updating_a_missing_card_is_not_found(self, store: ClientStore) -> None:
        with pytest.raises(NotFoundError):
            store.update(attrs.evolve(new_card(new_business(store)), version=2), expected_version=1)

    @pytest.mark.parametrize("version", [1, 3, 7])
    def test_an_update_must_move_exactly_one_version_on(
        self, store: ClientStore, version: int
    ) -> None:
        card = new_card(new_business(store))
        store.add(card)
        with pytest.raises(ValidationError) as caught:
            store.update(attrs.evolve(card, version=version, last_name="X"), expected_version=1)
        assert caught.value.codes == {"card.version_not_next"}
        assert store.get(card.business_id, card.id) == card

    def test_a_stale_delete_conflicts_and_keeps_the_card(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        store.update(attrs.evolve(card, version=2), expected_version=1)
        with pytest.raises(VersionConflictError):
            store.delete(card.business_id, card.id, expected_version=1)
        assert store.get(card.business_id, card.id).version == 2

    def test_deleting_removes_the_card_and_its_permissions(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        store.set_permissions(card.business_id, card.id, frozenset({("marketing", "sms")}))
        store.delete(card.business_id, card.id, expected_version=1)
        with pytest.raises(NotFoundError):
            store.get(card.business_id, card.id)
        assert store.permissions(card.business_id, card.id) == frozenset()
        assert store.count(card.business_id) == 0

    def test_concurrent_updates_of_one_version_let_exactly_one_win(
        self, store: ClientStore
    ) -> None:
        card = new_card(new_business(store))
        store.add(card)
        outcomes: list[str] = []
        barrier = threading.Barrier(4)

        def writer(name: str) -> None:
            barrier.wait()
            try:
                store.update(attrs.evolve(card, version=2, last_name=name), expected_version=1)
                outcomes.append("won")
            except VersionConflictError:
                outcomes.append("conflict")

        threads = [threading.Thread(target=writer, args=(f"W{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes) == ["conflict", "conflict", "conflict", "won"]
        assert store.get(card.business_id, card.id).version == 2
