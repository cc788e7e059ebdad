"""The erasure and access part of the store contract: a card's record kinds and sends."""

from __future__ import annotations

import datetime as dt
import uuid

from clientcard.business import Business
from clientcard.cards.card import ClientCard
from clientcard.consent import Channel, Purpose
from clientcard.messaging.sends import Send, SendStatus
from clientcard.storage.protocol import ClientStore
from clientcard.storage.records import Record

_NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


def _business(store: ClientStore) -> str:
    business = Business(
        id=str(uuid.uuid4()), name="Salon", region="IT", language="it", created_at=_NOW
    )
    store.add_business(business)
    return business.id


def _card(store: ClientStore, business_id: str) -> str:
    card = ClientCard(
        id=str(uuid.uuid4()),
        business_id=business_id,
        created_at=_NOW,
        updated_at=_NOW,
        first_name="Anna",
    )
    store.add(card)
    return card.id


def _record(business_id: str, kind: str, card_id: str | None) -> Record:
    return Record(
        business_id=business_id,
        kind=kind,
        id=str(uuid.uuid4()),
        at=_NOW,
        doc={"note": "colour 6.1"},
        card_id=card_id,
    )


def _send(business_id: str, card_id: str, batch_id: str, *, minutes: int = 0) -> Send:
    at = _NOW + dt.timedelta(minutes=minutes)
    return Send(
        send_id=str(uuid.uuid4()),
        batch_id=batch_id,
        business_id=business_id,
        card_id=card_id,
        purpose=Purpose.MARKETING,
        channel=Channel.EMAIL,
        template_key="promo",
        status=SendStatus.QUEUED,
        queued_at=at,
        updated_at=at,
    )


class ErasureStoreContract:
    """What erasure and the access export need of a store (part of the store contract).

    .. versionadded:: 0.1.0
    """

    def test_record_kinds_names_every_kind_a_card_has(self, store: ClientStore) -> None:
        business_id = _business(store)
        card_id = _card(store, business_id)
        other = _card(store, business_id)
        store.add_records(
            [
                _record(business_id, "appointment", card_id),
                _record(business_id, "appointment", card_id),
                _record(business_id, "not.described", card_id),
                _record(business_id, "payment", other),
                _record(business_id, "promotion", None),
            ]
        )
        assert store.record_kinds(business_id, card_id) == {"appointment", "not.described"}

    def test_record_kinds_never_crosses_businesses(self, store: ClientStore) -> None:
        business_id = _business(store)
        other = _business(store)
        store.add_records([_record(business_id, "appointment", "card-1")])
        assert store.record_kinds(other, "card-1") == frozenset()

    def test_a_card_without_records_has_no_kinds(self, store: ClientStore) -> None:
        business_id = _business(store)
        assert store.record_kinds(business_id, _card(store, business_id)) == frozenset()

    def test_card_sends_lists_one_cards_sends_across_batches_oldest_first(
        self, store: ClientStore
    ) -> None:
        business_id = _business(store)
        card_id = _card(store, business_id)
        other = _card(store, business_id)
        late = _send(business_id, card_id, "batch-2", minutes=5)
        early = _send(business_id, card_id, "batch-1")
        store.add_sends([late, early, _send(business_id, other, "batch-1")])
        assert store.card_sends(business_id, card_id) == [early, late]

    def test_card_sends_never_crosses_businesses(self, store: ClientStore) -> None:
        business_id = _business(store)
        card_id = _card(store, business_id)
        store.add_sends([_send(business_id, card_id, "batch-1")])
        assert store.card_sends(_business(store), card_id) == []

    def test_deleting_a_card_leaves_no_kinds_and_no_sends(self, store: ClientStore) -> None:
        business_id = _business(store)
        card_id = _card(store, business_id)
        store.add_records([_record(business_id, "appointment", card_id)])
        store.add_sends([_send(business_id, card_id, "batch-1")])
        store.delete(business_id, card_id, expected_version=1)
        assert store.record_kinds(business_id, card_id) == frozenset()
        assert store.card_sends(business_id, card_id) == []
