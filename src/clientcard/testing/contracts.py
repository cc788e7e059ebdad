"""The behaviour every :class:`~clientcard.storage.protocol.ClientStore` must have.

A host proves its own store by subclassing :class:`ClientStoreContract` in a test module
and giving it a ``store`` fixture that yields a fresh, empty store::

    import pytest
    from clientcard.testing.contracts import ClientStoreContract

    class TestMyStore(ClientStoreContract):
        @pytest.fixture
        def store(self):
            store = MyStore(...)
            yield store
            store.close()

pytest then runs every test below against it. clientcard's own memory, SQLite and
PostgreSQL stores run exactly this suite.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from clientcard.business import Business
from clientcard.card import CardStatus, ClientCard
from clientcard.consent import (
    Channel,
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    GuardianConsent,
    Purpose,
)
from clientcard.errors import (
    DuplicateError,
    NotFoundError,
    ValidationError,
    VersionConflictError,
)
from clientcard.events import DomainEvent, EventKind
from clientcard.messaging.sends import Send, SendScope, SendStatus
from clientcard.storage.protocol import CardQuery, ClientStore, SearchTerms
from clientcard.testing._erasure_contract import ErasureStoreContract
from clientcard.testing._record_contract import RecordStoreContract
from clientcard.testing.strategies import cards

__all__ = ["ClientStoreContract", "new_business", "new_card"]

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


class _Boom(Exception):
    """Raised inside transactions to prove they roll back."""


def _new_id() -> str:
    return str(uuid.uuid4())


def new_business(store: ClientStore, business_id: str | None = None) -> str:
    """Store a business with default settings and return its id (a fresh UUID if none)."""
    business = Business(
        id=business_id or _new_id(), name="Salon", region="IT", language="it", created_at=NOW
    )
    store.add_business(business)
    return business.id


def new_card(business_id: str, **fields: object) -> ClientCard:
    """Build (not store) a card named Anna in ``business_id``, with ``fields`` on top."""
    values: dict[str, object] = {"first_name": "Anna", **fields}
    return ClientCard(
        id=str(values.pop("id", _new_id())),
        business_id=business_id,
        created_at=NOW,
        updated_at=NOW,
        **values,  # type: ignore[arg-type]
    )


def _event(business_id: str, card_id: str | None = None) -> DomainEvent:
    return DomainEvent(
        event_id=_new_id(),
        kind=EventKind.CARD_CREATED,
        business_id=business_id,
        occurred_at=NOW,
        card_id=card_id,
        card_version=1,
    )


def _consent(card: ClientCard, action: ConsentAction, at: dt.datetime = NOW) -> ConsentEvent:
    return ConsentEvent(
        event_id=_new_id(),
        business_id=card.business_id,
        card_id=card.id,
        action=action,
        at=at,
        source=ConsentSource.STAFF,
        recorded_by="staff-1",
        purpose=Purpose.MARKETING,
        channel=Channel.EMAIL,
        wording_version="v1" if action is ConsentAction.GRANT else None,
        guardian=GuardianConsent(verified_by="in_person")
        if action is ConsentAction.GRANT
        else None,
    )


_SCOPE = SendScope(template_keys=frozenset({"promo"}), channels=frozenset(Channel))


def _send(
    card: ClientCard, batch_id: str, *, queued_at: dt.datetime = NOW, dedupe_key: str | None = None
) -> Send:
    return Send(
        send_id=_new_id(),
        batch_id=batch_id,
        business_id=card.business_id,
        card_id=card.id,
        purpose=Purpose.MARKETING,
        channel=Channel.EMAIL,
        template_key="promo",
        status=SendStatus.QUEUED,
        queued_at=queued_at,
        updated_at=queued_at,
        dedupe_key=dedupe_key,
        values={"offer": "10%"},
    )


class ClientStoreContract(RecordStoreContract, ErasureStoreContract):
    """The contract suite; subclass it with a ``store`` fixture (see the module docs).

    .. versionadded:: 0.1.0
    """

    @pytest.fixture
    def store(self) -> ClientStore:
        """Give a fresh, empty store; every subclass must override this fixture."""
        pytest.fail("a ClientStoreContract subclass must define the 'store' fixture")

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
        with pytest.raises(_Boom), store.transaction():
            store.add_many([new_card(business_id), new_card(business_id)])
            raise _Boom
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

    # -- listing and search -----------------------------------------------------------

    def test_listing_orders_by_last_then_first_name(self, store: ClientStore) -> None:
        business_id = new_business(store)
        for first, last in [("Zoe", "Bianchi"), ("Ämy", "Bianchi"), ("Carlo", "Álvarez")]:
            store.add(new_card(business_id, first_name=first, last_name=last))
        names = [card.first_name for card in store.find(business_id)]
        assert names == ["Carlo", "Ämy", "Zoe"]

    def test_pagination_visits_every_card_once(self, store: ClientStore) -> None:
        business_id = new_business(store)
        added = [new_card(business_id, first_name="Same") for _ in range(7)]
        for card in added:
            store.add(card)
        seen: list[str] = []
        page = store.find(business_id, limit=3)
        while True:
            seen.extend(card.id for card in page)
            if page.next_cursor is None:
                break
            page = store.find(business_id, limit=3, cursor=page.next_cursor)
        assert sorted(seen) == sorted(card.id for card in added)
        assert len(seen) == len(set(seen))

    def test_pagination_is_stable_while_cards_come_and_go(self, store: ClientStore) -> None:
        business_id = new_business(store)
        originals = [new_card(business_id, last_name=f"N{i:02d}") for i in range(10)]
        for card in originals:
            store.add(card)
        first = store.find(business_id, limit=4)
        store.add(new_card(business_id, last_name="N00a"))  # sorts into the page already seen
        store.delete(business_id, originals[9].id, expected_version=1)
        seen = [card.id for card in first]
        cursor = first.next_cursor
        while cursor is not None:
            page = store.find(business_id, limit=4, cursor=cursor)
            seen.extend(card.id for card in page)
            cursor = page.next_cursor
        assert seen == [card.id for card in originals[:9]]

    def test_the_last_page_has_no_cursor(self, store: ClientStore) -> None:
        business_id = new_business(store)
        store.add(new_card(business_id))
        assert store.find(business_id, limit=1).next_cursor is None
        assert store.find(business_id, limit=5).next_cursor is None

    def test_a_foreign_cursor_is_a_validation_error(self, store: ClientStore) -> None:
        with pytest.raises(ValidationError):
            store.find(new_business(store), cursor="not-a-cursor")

    def test_search_finds_part_of_a_name_without_accents_or_case(self, store: ClientStore) -> None:
        business_id = new_business(store)
        jose = new_card(business_id, first_name="José", last_name="Núñez")
        store.add(jose)
        store.add(new_card(business_id, first_name="Maria", last_name="Rossi"))
        for typed in ("jose", "JOSÉ", "nunez", "sé nú", "nunez jose"):
            found = store.find(business_id, CardQuery(search=SearchTerms(name=typed)))
            assert [card.id for card in found] == [jose.id], typed

    def test_search_finds_a_phone_by_its_digits(self, store: ClientStore) -> None:
        business_id = new_business(store)
        card = new_card(business_id, phones=("+393331234567",))
        store.add(card)
        store.add(new_card(business_id, phones=("+31687654000",)))
        for digits in ("3331234567", "1234567", "393331234567"):
            query = CardQuery(search=SearchTerms(phone_digits=digits))
            assert [c.id for c in store.find(business_id, query)] == [card.id], digits

    def test_search_finds_an_email_by_its_beginning(self, store: ClientStore) -> None:
        business_id = new_business(store)
        card = new_card(business_id, email="Anna.Rossi@example.com")
        store.add(card)
        store.add(new_card(business_id, email="bruno@example.com"))
        query = CardQuery(search=SearchTerms(email="anna.ro"))
        assert [c.id for c in store.find(business_id, query)] == [card.id]

    def test_search_terms_are_alternatives(self, store: ClientStore) -> None:
        business_id = new_business(store)
        by_name = new_card(business_id, first_name="Ugo", last_name="A")
        by_phone = new_card(business_id, first_name="Eva", last_name="B", phones=("+393331234567",))
        store.add(by_name)
        store.add(by_phone)
        terms = SearchTerms(name="ugo", phone_digits="3331234567")
        assert [c.id for c in store.find(business_id, CardQuery(search=terms))] == [
            by_name.id,
            by_phone.id,
        ]

    def test_an_empty_search_matches_nothing(self, store: ClientStore) -> None:
        business_id = new_business(store)
        store.add(new_card(business_id))
        assert store.count(business_id, CardQuery(search=SearchTerms())) == 0

    def test_search_treats_wildcards_literally(self, store: ClientStore) -> None:
        business_id = new_business(store)
        store.add(new_card(business_id, first_name="Anna"))
        assert store.count(business_id, CardQuery(search=SearchTerms(name="%"))) == 0
        assert store.count(business_id, CardQuery(search=SearchTerms(name="_nna"))) == 0

    def test_exact_email_lookup_ignores_case(self, store: ClientStore) -> None:
        business_id = new_business(store)
        card = new_card(business_id, email="Anna@example.com")
        store.add(card)
        store.add(new_card(business_id, email="anna@example.org"))
        found = store.find(business_id, CardQuery(email="anna@example.com"))
        assert [c.id for c in found] == [card.id]

    def test_phone_lookup_matches_any_of_the_numbers(self, store: ClientStore) -> None:
        business_id = new_business(store)
        card = new_card(business_id, phones=("+393331234567", "+390212345678"))
        store.add(card)
        found = store.find(business_id, CardQuery(phone="+390212345678"))
        assert [c.id for c in found] == [card.id]
        assert store.count(business_id, CardQuery(phone="+3902123456")) == 0

    def test_filters_by_group_tag_and_status(self, store: ClientStore) -> None:
        business_id = new_business(store)
        vip = new_card(business_id, client_group="vip", tags=("colour", "bride"))
        prospect = new_card(business_id, status=CardStatus.PROSPECT, tags=("colour",))
        store.add(vip)
        store.add(prospect)
        assert [c.id for c in store.find(business_id, CardQuery(group="vip"))] == [vip.id]
        assert store.count(business_id, CardQuery(tag="colour")) == 2
        assert store.count(business_id, CardQuery(tag="bride")) == 1
        assert store.count(business_id, CardQuery(tag="brid")) == 0
        query = CardQuery(status=CardStatus.PROSPECT, tag="colour")
        assert [c.id for c in store.find(business_id, query)] == [prospect.id]

    def test_filters_by_custom_field_value(self, store: ClientStore) -> None:
        business_id = new_business(store)
        curly = new_card(business_id, custom={"hair": "curly", "patch_test": True})
        straight = new_card(business_id, custom={"hair": "straight", "patch_test": False})
        store.add(curly)
        store.add(straight)
        store.add(new_card(business_id))
        by_hair = CardQuery(custom_field="hair", custom_value="curly")
        assert [c.id for c in store.find(business_id, by_hair)] == [curly.id]
        tested = CardQuery(custom_field="patch_test", custom_value=False)
        assert [c.id for c in store.find(business_id, tested)] == [straight.id]
        assert store.count(business_id, CardQuery(custom_field="hair", custom_value=True)) == 0

    def test_a_custom_filter_needs_field_and_value(self) -> None:
        with pytest.raises(ValidationError):
            CardQuery(custom_field="hair")

    def test_filters_by_who_may_be_contacted(self, store: ClientStore) -> None:
        business_id = new_business(store)
        yes, no = new_card(business_id), new_card(business_id)
        store.add(yes)
        store.add(no)
        store.set_permissions(business_id, yes.id, frozenset({("marketing", "email")}))
        store.set_permissions(business_id, no.id, frozenset({("reminders", "email")}))
        query = CardQuery(contactable=("marketing", "email"))
        assert [c.id for c in store.find(business_id, query)] == [yes.id]
        assert store.permissions(business_id, yes.id) == {("marketing", "email")}
        store.set_permissions(business_id, yes.id, frozenset())
        assert store.count(business_id, query) == 0

    def test_filters_by_guardian(self, store: ClientStore) -> None:
        business_id = new_business(store)
        mum = new_card(business_id)
        child = new_card(business_id, guardian_id=mum.id)
        store.add(mum)
        store.add(child)
        found = store.find(business_id, CardQuery(guardian_id=mum.id))
        assert [c.id for c in found] == [child.id]
        assert store.count(business_id, CardQuery(guardian_id=child.id)) == 0

    def test_count_agrees_with_find(self, store: ClientStore) -> None:
        business_id = new_business(store)
        for i in range(5):
            store.add(new_card(business_id, client_group="a" if i % 2 else "b"))
        for query in (None, CardQuery(group="a"), CardQuery(group="b"), CardQuery(group="c")):
            assert store.count(business_id, query) == len(store.find(business_id, query, limit=100))

    # -- transactions ---------------------------------------------------------------

    def test_a_transaction_commits_its_writes_together(self, store: ClientStore) -> None:
        business_id = new_business(store)
        card = new_card(business_id)
        with store.transaction():
            store.add(card)
            store.append_events([_event(business_id, card.id)])
        assert store.get(business_id, card.id) == card
        assert len(store.pending_events()) == 1

    def test_a_failed_transaction_leaves_nothing_behind(self, store: ClientStore) -> None:
        business_id = new_business(store)
        kept = new_card(business_id)
        store.add(kept)
        fresh = new_card(business_id)
        with pytest.raises(_Boom), store.transaction():
            store.add(fresh)
            store.update(attrs.evolve(kept, version=2, last_name="Changed"), expected_version=1)
            store.set_permissions(business_id, kept.id, frozenset({("marketing", "sms")}))
            store.append_events([_event(business_id, fresh.id)])
            raise _Boom
        with pytest.raises(NotFoundError):
            store.get(business_id, fresh.id)
        assert store.get(business_id, kept.id) == kept
        assert store.permissions(business_id, kept.id) == frozenset()
        assert store.pending_events() == []

    def test_a_library_error_inside_a_transaction_rolls_it_back(self, store: ClientStore) -> None:
        business_id = new_business(store)
        card = new_card(business_id)
        with pytest.raises(DuplicateError), store.transaction():
            store.add(card)
            store.add(card)
        assert store.count(business_id) == 0

    def test_nested_transactions_join_the_outer_one(self, store: ClientStore) -> None:
        business_id = new_business(store)
        inner_card = new_card(business_id)
        with pytest.raises(_Boom), store.transaction():
            with store.transaction():
                store.add(inner_card)
            raise _Boom
        assert store.count(business_id) == 0

    def test_a_store_tells_whether_the_caller_is_in_a_transaction(self, store: ClientStore) -> None:
        seen_elsewhere: list[bool] = []
        assert not store.in_transaction()
        with store.transaction():
            assert store.in_transaction()
            with store.transaction():
                assert store.in_transaction()
            assert store.in_transaction()
            other = threading.Thread(target=lambda: seen_elsewhere.append(store.in_transaction()))
            other.start()
            other.join(timeout=30)
        assert not store.in_transaction()
        assert seen_elsewhere == [False]

    def test_the_store_works_after_a_rollback(self, store: ClientStore) -> None:
        business_id = new_business(store)
        with pytest.raises(_Boom), store.transaction():
            store.add(new_card(business_id))
            raise _Boom
        card = new_card(business_id)
        store.add(card)
        assert store.get(business_id, card.id) == card

    # -- consent ledger ---------------------------------------------------------------

    def test_a_consent_ledger_keeps_events_in_the_order_appended(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        first = _consent(card, ConsentAction.GRANT, at=NOW + dt.timedelta(hours=2))
        second = _consent(card, ConsentAction.WITHDRAW, at=NOW)
        store.append_consent([first])
        store.append_consent([second])
        assert store.consent_events(card.business_id, card.id) == [first, second]

    def test_a_consent_event_needs_its_card(self, store: ClientStore) -> None:
        business_id = new_business(store)
        with pytest.raises(NotFoundError):
            store.append_consent([_consent(new_card(business_id), ConsentAction.GRANT)])

    def test_a_consent_event_is_appended_once(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        grant = _consent(card, ConsentAction.GRANT)
        store.append_consent([grant])
        with pytest.raises(DuplicateError):
            store.append_consent([grant])
        assert store.consent_events(card.business_id, card.id) == [grant]

    def test_another_business_cannot_read_or_extend_a_ledger(self, store: ClientStore) -> None:
        mine, theirs = new_business(store), new_business(store)
        card = new_card(mine)
        store.add(card)
        store.append_consent([_consent(card, ConsentAction.GRANT)])
        assert store.consent_events(theirs, card.id) == []
        foreign = attrs.evolve(_consent(card, ConsentAction.WITHDRAW), business_id=theirs)
        with pytest.raises(NotFoundError):
            store.append_consent([foreign])
        assert len(store.consent_events(mine, card.id)) == 1

    def test_deleting_a_card_deletes_its_ledger(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        store.append_consent([_consent(card, ConsentAction.GRANT)])
        store.delete(card.business_id, card.id, expected_version=1)
        assert store.consent_events(card.business_id, card.id) == []

    def test_consent_appended_in_a_failed_transaction_is_gone(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        with pytest.raises(_Boom), store.transaction():
            store.append_consent([_consent(card, ConsentAction.GRANT)])
            raise _Boom
        assert store.consent_events(card.business_id, card.id) == []

    # -- the dispatcher's sends -----------------------------------------------------------

    def test_sends_are_recorded_once_per_id_and_dedupe_key(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        first = _send(card, "batch-1", dedupe_key="birthday:2026")
        second = _send(card, "batch-1")
        assert store.add_sends([first, second]) == 2
        assert store.add_sends([first]) == 0
        assert store.add_sends([_send(card, "batch-2", dedupe_key="birthday:2026")]) == 0
        recorded = {s.send_id for s in store.sends(card.business_id, "batch-1")}
        assert recorded == {first.send_id, second.send_id}
        assert store.sends(card.business_id, "batch-2") == []

    def test_claiming_takes_queued_sends_oldest_first_and_only_once(
        self, store: ClientStore
    ) -> None:
        card = new_card(new_business(store))
        store.add(card)
        older = _send(card, "b", queued_at=NOW)
        newer = _send(card, "b", queued_at=NOW + dt.timedelta(seconds=1))
        store.add_sends([newer, older])
        later = NOW + dt.timedelta(minutes=1)
        claimed = store.claim_sends(now=later, stale_before=NOW, limit=1, scope=_SCOPE)
        assert [(s.send_id, s.status, s.attempts, s.updated_at) for s in claimed] == [
            (older.send_id, SendStatus.SENDING, 1, later)
        ]
        rest = store.claim_sends(now=later, stale_before=NOW, limit=10, scope=_SCOPE)
        assert [s.send_id for s in rest] == [newer.send_id]
        assert store.claim_sends(now=later, stale_before=NOW, limit=10, scope=_SCOPE) == []

    def test_a_send_left_sending_by_a_dead_dispatcher_is_claimed_again(
        self, store: ClientStore
    ) -> None:
        card = new_card(new_business(store))
        store.add(card)
        store.add_sends([_send(card, "b")])
        (claimed,) = store.claim_sends(now=NOW, stale_before=NOW, limit=5, scope=_SCOPE)
        much_later = NOW + dt.timedelta(hours=1)
        (again,) = store.claim_sends(now=much_later, stale_before=much_later, limit=5, scope=_SCOPE)
        assert again.send_id == claimed.send_id
        assert again.attempts == 2

    def test_a_finished_send_is_never_claimed(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        store.add_sends([_send(card, "b")])
        (claimed,) = store.claim_sends(now=NOW, stale_before=NOW, limit=5, scope=_SCOPE)
        done = attrs.evolve(claimed, status=SendStatus.SENT, provider_id="p-1")
        store.update_send(done)
        later = NOW + dt.timedelta(days=1)
        assert store.claim_sends(now=later, stale_before=later, limit=5, scope=_SCOPE) == []
        assert store.sends(card.business_id, "b") == [done]

    def test_a_deferred_send_waits_for_its_time(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        morning = NOW + dt.timedelta(hours=10)
        store.add_sends([attrs.evolve(_send(card, "b"), not_before=morning)])
        assert store.claim_sends(now=NOW, stale_before=NOW, limit=5, scope=_SCOPE) == []
        (claimed,) = store.claim_sends(now=morning, stale_before=NOW, limit=5, scope=_SCOPE)
        assert claimed.not_before == morning

    def test_claims_stay_within_their_scope(self, store: ClientStore) -> None:
        mine, theirs = new_business(store), new_business(store)
        card, other = new_card(mine), new_card(theirs)
        store.add(card)
        store.add(other)
        sms = attrs.evolve(_send(card, "b"), channel=Channel.SMS)
        reminder = attrs.evolve(_send(card, "b"), template_key="reminder")
        elsewhere = _send(other, "b")
        store.add_sends([sms, reminder, elsewhere])
        scope = SendScope(
            template_keys=frozenset({"promo"}), channels=frozenset({Channel.SMS}), business_id=mine
        )
        claimed = store.claim_sends(now=NOW, stale_before=NOW, limit=10, scope=scope)
        assert [s.send_id for s in claimed] == [sms.send_id]

    def test_dedupe_keys_are_per_business(self, store: ClientStore) -> None:
        mine, theirs = new_business(store), new_business(store)
        card, other = new_card(mine), new_card(theirs)
        store.add(card)
        store.add(other)
        assert store.add_sends([_send(card, "b", dedupe_key="appt-1")]) == 1
        assert store.add_sends([_send(other, "b", dedupe_key="appt-1")]) == 1

    def test_updating_an_unknown_send_is_not_found(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        with pytest.raises(NotFoundError):
            store.update_send(_send(card, "b"))

    def test_concurrent_claims_never_share_a_send(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        store.add_sends(
            [_send(card, "b", queued_at=NOW + dt.timedelta(seconds=i)) for i in range(8)]
        )
        taken: list[str] = []
        barrier = threading.Barrier(4)

        def claimer() -> None:
            barrier.wait()
            claimed = store.claim_sends(now=NOW, stale_before=NOW, limit=3, scope=_SCOPE)
            taken.extend(send.send_id for send in claimed)

        threads = [threading.Thread(target=claimer) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(taken) == len(set(taken)) == 8

    def test_deleting_a_card_deletes_its_sends(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        store.add_sends([_send(card, "b")])
        store.delete(card.business_id, card.id, expected_version=1)
        assert store.sends(card.business_id, "b") == []

    # -- outbox -----------------------------------------------------------------------

    def test_the_outbox_keeps_order_and_forgets_delivered_events(self, store: ClientStore) -> None:
        business_id = new_business(store)
        events = [_event(business_id) for _ in range(5)]
        store.append_events(events[:3])
        store.append_events(events[3:])
        assert store.pending_events() == events
        assert store.pending_events(limit=2) == events[:2]
        store.mark_delivered([events[0].event_id, events[2].event_id, "unknown"])
        assert store.pending_events() == [events[1], events[3], events[4]]
