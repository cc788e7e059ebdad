"""The dispatcher's part of the store contract: queueing, claiming and updating sends."""

from __future__ import annotations

import datetime as dt
import threading

import attrs
import pytest

from clientcard.consent import Channel
from clientcard.errors import NotFoundError
from clientcard.messaging.sends import SendScope, SendStatus
from clientcard.storage.protocol import ClientStore
from clientcard.testing._contract_builders import NOW, SCOPE, new_business, new_card, queued_send

__all__ = ["SendStoreContract"]


class SendStoreContract:
    """The dispatcher's sends: recording, claiming, updating (part of the store contract).

    .. versionadded:: 0.1.0
    """

    # -- the dispatcher's sends -----------------------------------------------------------

    def test_sends_are_recorded_once_per_id_and_dedupe_key(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        first = queued_send(card, "batch-1", dedupe_key="birthday:2026")
        second = queued_send(card, "batch-1")
        assert store.add_sends([first, second]) == 2
        assert store.add_sends([first]) == 0
        assert store.add_sends([queued_send(card, "batch-2", dedupe_key="birthday:2026")]) == 0
        recorded = {s.send_id for s in store.sends(card.business_id, "batch-1")}
        assert recorded == {first.send_id, second.send_id}
        assert store.sends(card.business_id, "batch-2") == []

    def test_claiming_takes_queued_sends_oldest_first_and_only_once(
        self, store: ClientStore
    ) -> None:
        card = new_card(new_business(store))
        store.add(card)
        older = queued_send(card, "b", queued_at=NOW)
        newer = queued_send(card, "b", queued_at=NOW + dt.timedelta(seconds=1))
        store.add_sends([newer, older])
        later = NOW + dt.timedelta(minutes=1)
        claimed = store.claim_sends(now=later, stale_before=NOW, limit=1, scope=SCOPE)
        assert [(s.send_id, s.status, s.attempts, s.updated_at) for s in claimed] == [
            (older.send_id, SendStatus.SENDING, 1, later)
        ]
        rest = store.claim_sends(now=later, stale_before=NOW, limit=10, scope=SCOPE)
        assert [s.send_id for s in rest] == [newer.send_id]
        assert store.claim_sends(now=later, stale_before=NOW, limit=10, scope=SCOPE) == []

    def test_a_send_left_sending_by_a_dead_dispatcher_is_claimed_again(
        self, store: ClientStore
    ) -> None:
        card = new_card(new_business(store))
        store.add(card)
        store.add_sends([queued_send(card, "b")])
        (claimed,) = store.claim_sends(now=NOW, stale_before=NOW, limit=5, scope=SCOPE)
        much_later = NOW + dt.timedelta(hours=1)
        (again,) = store.claim_sends(now=much_later, stale_before=much_later, limit=5, scope=SCOPE)
        assert again.send_id == claimed.send_id
        assert again.attempts == 2

    def test_a_finished_send_is_never_claimed(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        store.add_sends([queued_send(card, "b")])
        (claimed,) = store.claim_sends(now=NOW, stale_before=NOW, limit=5, scope=SCOPE)
        done = attrs.evolve(claimed, status=SendStatus.SENT, provider_id="p-1")
        store.update_send(done)
        later = NOW + dt.timedelta(days=1)
        assert store.claim_sends(now=later, stale_before=later, limit=5, scope=SCOPE) == []
        assert store.sends(card.business_id, "b") == [done]

    def test_a_deferred_send_waits_for_its_time(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        morning = NOW + dt.timedelta(hours=10)
        store.add_sends([attrs.evolve(queued_send(card, "b"), not_before=morning)])
        assert store.claim_sends(now=NOW, stale_before=NOW, limit=5, scope=SCOPE) == []
        (claimed,) = store.claim_sends(now=morning, stale_before=NOW, limit=5, scope=SCOPE)
        assert claimed.not_before == morning

    def test_claims_stay_within_their_scope(self, store: ClientStore) -> None:
        mine, theirs = new_business(store), new_business(store)
        card, other = new_card(mine), new_card(theirs)
        store.add(card)
        store.add(other)
        sms = attrs.evolve(queued_send(card, "b"), channel=Channel.SMS)
        reminder = attrs.evolve(queued_send(card, "b"), template_key="reminder")
        elsewhere = queued_send(other, "b")
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
        assert store.add_sends([queued_send(card, "b", dedupe_key="appt-1")]) == 1
        assert store.add_sends([queued_send(other, "b", dedupe_key="appt-1")]) == 1

    def test_updating_an_unknown_send_is_not_found(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        with pytest.raises(NotFoundError):
            store.update_send(queued_send(card, "b"))

    def test_concurrent_claims_never_share_a_send(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        store.add_sends(
            [queued_send(card, "b", queued_at=NOW + dt.timedelta(seconds=i)) for i in range(8)]
        )
        taken: list[str] = []
        barrier = threading.Barrier(4)

        def claimer() -> None:
            barrier.wait()
            claimed = store.claim_sends(now=NOW, stale_before=NOW, limit=3, scope=SCOPE)
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
        store.add_sends([queued_send(card, "b")])
        store.delete(card.business_id, card.id, expected_version=1)
        assert store.sends(card.business_id, "b") == []
