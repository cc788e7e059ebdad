"""The bulk and figures part of the store contract: many cards at once, summed history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pytest

from clientcard.errors import NotFoundError, ValidationError, VersionConflictError
from clientcard.storage.bulk import GroupChange
from clientcard.storage.protocol import CardQuery, ClientStore
from clientcard.storage.records import Record
from clientcard.storage.visits import AudienceFigures, audience_figures_of, visit_figures_of
from clientcard.testing._contract_builders import NOW, new_business, new_card

__all__ = ["BulkStoreContract"]

_AUDIENCE = ("profiling", "any")


def _appointment(
    card_id: str,
    business_id: str,
    *,
    days: int,
    status: str = "completed",
    price: str = "30.00",
    paid: str | None = None,
    currency: str = "EUR",
) -> Record:
    doc: dict[str, Any] = {
        "schema_version": 1,
        "services": [
            {
                "service_id": "cut",
                "name": "Cut",
                "price": {"amount": price, "currency": currency},
                "team_member_id": "t1",
            }
        ],
        "status": status,
        "team_member_id": None,
        "price_paid": None if paid is None else {"amount": paid, "currency": currency},
    }
    return Record(
        business_id=business_id,
        kind="appointment",
        id=f"{card_id}-{days}-{status}",
        at=NOW + dt.timedelta(days=days),
        doc=doc,
        card_id=card_id,
        key=status,
    )


class BulkStoreContract:
    """Cards read and written many at a time, and appointment figures (part of the contract).

    .. versionadded:: 0.1.0
    """

    # -- many cards -------------------------------------------------------------------

    def test_get_many_returns_the_cards_found_by_id(self, store: ClientStore) -> None:
        business_id = new_business(store)
        cards = [new_card(business_id) for _ in range(3)]
        store.add_many(cards)
        found = store.get_many(business_id, [cards[2].id, "missing", cards[0].id])
        assert found == {cards[2].id: cards[2], cards[0].id: cards[0]}

    def test_get_many_never_reads_another_business(self, store: ClientStore) -> None:
        mine, theirs = new_business(store), new_business(store)
        card = new_card(mine)
        store.add(card)
        assert store.get_many(theirs, [card.id]) == {}

    def test_update_many_stores_every_card_at_its_next_version(self, store: ClientStore) -> None:
        business_id = new_business(store)
        cards = [new_card(business_id, phones=("+393331234567",)) for _ in range(3)]
        store.add_many(cards)
        changed = [
            attrs.evolve(cards[0], version=2, client_group="vip"),
            attrs.evolve(cards[1], version=2, phones=("+393339999999",), tags=("colour",)),
        ]
        store.update_many(changed, expected_versions={card.id: 1 for card in cards})
        assert store.get(business_id, cards[0].id) == changed[0]
        assert store.get(business_id, cards[1].id) == changed[1]
        assert store.get(business_id, cards[2].id) == cards[2]
        assert store.count(business_id, CardQuery(phone="+393339999999")) == 1
        assert store.count(business_id, CardQuery(tag="colour")) == 1
        assert store.count(business_id, CardQuery(group="vip")) == 1

    def test_update_many_writes_nothing_when_one_card_changed_meanwhile(
        self, store: ClientStore
    ) -> None:
        business_id = new_business(store)
        first, second = new_card(business_id), new_card(business_id)
        store.add_many([first, second])
        store.update(attrs.evolve(second, version=2), expected_version=1)
        with pytest.raises(VersionConflictError):
            store.update_many(
                [attrs.evolve(first, version=2, notes="a"), attrs.evolve(second, version=2)],
                expected_versions={first.id: 1, second.id: 1},
            )
        assert store.get(business_id, first.id) == first

    def test_update_many_refuses_a_missing_card(self, store: ClientStore) -> None:
        business_id = new_business(store)
        ghost = new_card(business_id)
        with pytest.raises(NotFoundError):
            store.update_many([attrs.evolve(ghost, version=2)], expected_versions={ghost.id: 1})

    def test_update_many_refuses_a_card_not_one_version_on(self, store: ClientStore) -> None:
        business_id = new_business(store)
        card = new_card(business_id)
        store.add(card)
        with pytest.raises(ValidationError):
            store.update_many([attrs.evolve(card, version=3)], expected_versions={card.id: 1})

    def test_set_group_moves_each_card_as_apply_would(self, store: ClientStore) -> None:
        business_id = new_business(store)
        moving = new_card(business_id, client_group="regular", tags=("colour",))
        staying = new_card(business_id, client_group="vip")
        changed = new_card(business_id)
        store.add_many([moving, staying, changed])
        store.update(attrs.evolve(changed, version=2), expected_version=1)
        at = NOW + dt.timedelta(hours=1)

        result = store.set_group(
            business_id,
            {moving.id: 1, staying.id: 1, changed.id: 1, "nobody": 1},
            "vip",
            at=at,
        )

        assert result == GroupChange(
            moved=(moving.id,),
            unchanged=(staying.id,),
            conflicts=(changed.id,),
            missing=("nobody",),
        )
        assert (
            store.get(business_id, moving.id) == moving.apply({"client_group": "vip"}, at=at).card
        )
        assert store.get(business_id, staying.id) == staying
        assert store.count(business_id, CardQuery(group="vip")) == 2

    def test_set_group_to_none_takes_cards_out_of_every_group(self, store: ClientStore) -> None:
        business_id = new_business(store)
        card = new_card(business_id, client_group="vip")
        store.add(card)
        store.set_group(business_id, {card.id: 1}, None, at=NOW)
        assert store.get(business_id, card.id).client_group is None
        assert store.get(business_id, card.id).version == 2

    # -- figures ------------------------------------------------------------------------

    def test_visit_figures_sum_a_cards_appointments_exactly(self, store: ClientStore) -> None:
        business_id = new_business(store)
        card = new_card(business_id)
        store.add(card)
        store.add_records(
            [
                _appointment(card.id, business_id, days=-40, price="10.10"),
                _appointment(card.id, business_id, days=-10, price="99.99", paid="0.20"),
                _appointment(card.id, business_id, days=-5, status="no_show"),
                _appointment(card.id, business_id, days=3, status="booked"),
                _appointment(card.id, business_id, days=4, status="cancelled_by_client"),
            ]
        )
        figures = store.visit_figures(business_id, card.id, now=NOW, months=3)
        assert figures == visit_figures_of(store, business_id, card.id, now=NOW, months=3)
        assert figures.spend == Decimal("10.30")
        assert (figures.completed, figures.future_bookings, figures.cancelled) == (2, 1, 1)
        assert (figures.past_no_shows, figures.past_kept) == (1, 3)
        assert figures.services == {"Cut": 2}
        assert figures.team_members == {"t1": 2}

    def test_audience_figures_count_only_the_cards_holding_the_permission(
        self, store: ClientStore
    ) -> None:
        business_id = new_business(store)
        member, other = new_card(business_id, client_group="vip"), new_card(business_id)
        store.add_many([member, other])
        store.set_permissions(business_id, member.id, frozenset({_AUDIENCE}))
        store.add_records(
            [
                _appointment(member.id, business_id, days=-40, price="12.50"),
                _appointment(other.id, business_id, days=-40, price="1.00", currency="USD"),
            ]
        )
        figures = store.audience_figures(business_id, audience=_AUDIENCE, now=NOW, currency="EUR")
        assert figures == audience_figures_of(
            store, business_id, audience=_AUDIENCE, now=NOW, currency="EUR"
        )
        assert figures == AudienceFigures(
            clients=1,
            clients_by_source={"": 1},
            spend_by_group={"vip": Decimal("12.50")},
            cohorts={_month(NOW - dt.timedelta(days=40)): {0: 1}},
        )

    def test_audience_figures_refuse_an_appointment_in_another_currency(
        self, store: ClientStore
    ) -> None:
        business_id = new_business(store)
        card = new_card(business_id)
        store.add(card)
        store.set_permissions(business_id, card.id, frozenset({_AUDIENCE}))
        store.add_records([_appointment(card.id, business_id, days=-1, currency="USD")])
        with pytest.raises(ValidationError):
            store.audience_figures(business_id, audience=_AUDIENCE, now=NOW, currency="EUR")


def _month(at: dt.datetime) -> int:
    """The month number the figures give ``at`` (in UTC)."""
    return at.year * 12 + at.month - 1
