"""The units-of-work part of the store contract, and the outbox they write events to."""

from __future__ import annotations

import threading

import attrs
import pytest

from clientcard.errors import DuplicateError, NotFoundError
from clientcard.storage.protocol import ClientStore
from clientcard.testing._contract_builders import Boom, domain_event, new_business, new_card

__all__ = ["TransactionContract"]


class TransactionContract:
    """Transactions and the outbox (part of the store contract).

    .. versionadded:: 0.1.0
    """

    # -- transactions ---------------------------------------------------------------

    def test_a_transaction_commits_its_writes_together(self, store: ClientStore) -> None:
        business_id = new_business(store)
        card = new_card(business_id)
        with store.transaction():
            store.add(card)
            store.append_events([domain_event(business_id, card.id)])
        assert store.get(business_id, card.id) == card
        assert len(store.pending_events()) == 1

    def test_a_failed_transaction_leaves_nothing_behind(self, store: ClientStore) -> None:
        business_id = new_business(store)
        kept = new_card(business_id)
        store.add(kept)
        fresh = new_card(business_id)
        with pytest.raises(Boom), store.transaction():
            store.add(fresh)
            store.update(attrs.evolve(kept, version=2, last_name="Changed"), expected_version=1)
            store.set_permissions(business_id, kept.id, frozenset({("marketing", "sms")}))
            store.append_events([domain_event(business_id, fresh.id)])
            raise Boom
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
        with pytest.raises(Boom), store.transaction():
            with store.transaction():
                store.add(inner_card)
            raise Boom
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
        with pytest.raises(Boom), store.transaction():
            store.add(new_card(business_id))
            raise Boom
        card = new_card(business_id)
        store.add(card)
        assert store.get(business_id, card.id) == card

    # -- outbox -----------------------------------------------------------------------

    def test_the_outbox_keeps_order_and_forgets_delivered_events(self, store: ClientStore) -> None:
        business_id = new_business(store)
        events = [domain_event(business_id) for _ in range(5)]
        store.append_events(events[:3])
        store.append_events(events[3:])
        assert store.pending_events() == events
        assert store.pending_events(limit=2) == events[:2]
        store.mark_delivered([events[0].event_id, events[2].event_id, "unknown"])
        assert store.pending_events() == [events[1], events[3], events[4]]
