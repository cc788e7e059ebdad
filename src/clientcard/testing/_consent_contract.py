"""The consent ledger part of the store contract: append-only, per card, per business."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from clientcard.consent import ConsentAction
from clientcard.errors import DuplicateError, NotFoundError
from clientcard.storage.protocol import ClientStore
from clientcard.testing._contract_builders import NOW, Boom, consent_event, new_business, new_card

__all__ = ["ConsentLedgerContract"]


class ConsentLedgerContract:
    """Consent ledgers: appending and reading them (part of the store contract).

    .. versionadded:: 0.1.0
    """

    # -- consent ledger ---------------------------------------------------------------

    def test_a_consent_ledger_keeps_events_in_the_order_appended(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        first = consent_event(card, ConsentAction.GRANT, at=NOW + dt.timedelta(hours=2))
        second = consent_event(card, ConsentAction.WITHDRAW, at=NOW)
        store.append_consent([first])
        store.append_consent([second])
        assert store.consent_events(card.business_id, card.id) == [first, second]

    def test_a_consent_event_needs_its_card(self, store: ClientStore) -> None:
        business_id = new_business(store)
        with pytest.raises(NotFoundError):
            store.append_consent([consent_event(new_card(business_id), ConsentAction.GRANT)])

    def test_a_consent_event_is_appended_once(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        grant = consent_event(card, ConsentAction.GRANT)
        store.append_consent([grant])
        with pytest.raises(DuplicateError):
            store.append_consent([grant])
        assert store.consent_events(card.business_id, card.id) == [grant]

    def test_another_business_cannot_read_or_extend_a_ledger(self, store: ClientStore) -> None:
        mine, theirs = new_business(store), new_business(store)
        card = new_card(mine)
        store.add(card)
        store.append_consent([consent_event(card, ConsentAction.GRANT)])
        assert store.consent_events(theirs, card.id) == []
        foreign = attrs.evolve(consent_event(card, ConsentAction.WITHDRAW), business_id=theirs)
        with pytest.raises(NotFoundError):
            store.append_consent([foreign])
        assert len(store.consent_events(mine, card.id)) == 1

    def test_deleting_a_card_deletes_its_ledger(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        store.append_consent([consent_event(card, ConsentAction.GRANT)])
        store.delete(card.business_id, card.id, expected_version=1)
        assert store.consent_events(card.business_id, card.id) == []

    def test_consent_appended_in_a_failed_transaction_is_gone(self, store: ClientStore) -> None:
        card = new_card(new_business(store))
        store.add(card)
        with pytest.raises(Boom), store.transaction():
            store.append_consent([consent_event(card, ConsentAction.GRANT)])
            raise Boom
        assert store.consent_events(card.business_id, card.id) == []
