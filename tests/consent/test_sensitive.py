"""Health data (fields marked sensitive) lives on the client's explicit consent alone."""

from __future__ import annotations

import pytest

from clientcard.book import ClientBook
from clientcard.cards.schema import FieldDefinition, FieldType
from clientcard.clock import FixedClock
from clientcard.consent import ConsentAction, ConsentSource, Purpose
from clientcard.errors import ValidationError
from clientcard.storage.protocol import ClientStore
from tests.support import NOW

HEALTH = Purpose.SPECIAL_CATEGORY_DATA


@pytest.fixture
def book(book_store: ClientStore) -> ClientBook:
    return ClientBook(book_store, clock=FixedClock(NOW))


@pytest.fixture
def salon(book: ClientBook) -> str:
    salon = book.create_business(name="Salone", business_id="salone").id
    book.business(salon).cards.change_schema(
        lambda s: s.add(
            FieldDefinition(
                key="allergies",
                type=FieldType.LONG_TEXT,
                labels={"en": "Allergies"},
                sensitive=True,
            )
        )
    )
    return salon


def consent(book: ClientBook, salon: str, card_id: str, action: ConsentAction) -> None:
    book.business(salon).consent.record(
        card_id,
        action,
        source=ConsentSource.STAFF,
        by="s",
        purpose=HEALTH,
        wording_version="health-v1" if action is ConsentAction.GRANT else None,
    )


def test_a_new_card_cannot_carry_health_data(book: ClientBook, salon: str) -> None:
    with pytest.raises(ValidationError) as caught:
        book.business(salon).cards.add(
            {"first_name": "Anna", "allergies": "nickel", "weight_kg": "60"}
        )
    assert caught.value.fields == {"allergies", "weight_kg"}
    assert caught.value.codes == {"consent.sensitive_without_consent"}
    assert book.business(salon).cards.count() == 0


def test_health_data_is_kept_once_explicit_consent_is_recorded(
    book: ClientBook, salon: str
) -> None:
    card = book.business(salon).cards.add({"first_name": "Anna"})
    consent(book, salon, card.id, ConsentAction.GRANT)
    update = book.business(salon).cards.edit(card.id, {"allergies": "nickel"}, expected_version=1)
    assert update.card.value("allergies") == "nickel"


def test_clearing_health_data_needs_no_consent(book: ClientBook, salon: str) -> None:
    card = book.business(salon).cards.add({"first_name": "Anna"})
    assert book.business(salon).cards.edit(card.id, {"allergies": None}, expected_version=1).is_noop


def test_withdrawing_consent_erases_the_health_data(book: ClientBook, salon: str) -> None:
    card = book.business(salon).cards.add({"first_name": "Anna"})
    consent(book, salon, card.id, ConsentAction.GRANT)
    book.business(salon).cards.edit(
        card.id, {"allergies": "nickel", "weight_kg": "60"}, expected_version=1
    )
    consent(book, salon, card.id, ConsentAction.WITHDRAW)
    stored = book.business(salon).cards.get(card.id)
    assert stored.value("allergies") is None
    assert stored.weight_kg is None
    assert stored.version == 3
    with pytest.raises(ValidationError):
        book.business(salon).cards.edit(card.id, {"allergies": "latex"}, expected_version=3)


def test_a_saved_update_cannot_fill_health_data_without_consent(
    book: ClientBook, salon: str
) -> None:
    """``cards.save`` holds a card's own update to the same Art. 9 rule as ``edit``."""
    desk = book.business(salon)
    card = desk.cards.add({"first_name": "Anna"})
    with pytest.raises(ValidationError) as caught:
        desk.cards.save(card.apply({"allergies": "nickel"}, at=NOW))
    assert caught.value.codes == {"consent.sensitive_without_consent"}
    assert desk.cards.get(card.id).value("allergies") is None


def test_a_saved_update_fills_health_data_once_consent_stands(book: ClientBook, salon: str) -> None:
    desk = book.business(salon)
    card = desk.cards.add({"first_name": "Anna"})
    consent(book, salon, card.id, ConsentAction.GRANT)
    desk.cards.save(card.apply({"allergies": "nickel"}, at=NOW))
    assert desk.cards.get(card.id).value("allergies") == "nickel"
