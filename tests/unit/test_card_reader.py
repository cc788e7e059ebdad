"""card_from_dict's field-by-field reader, held to the converter it stands in for."""

from __future__ import annotations

import copy
import json
from collections import UserDict
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from unittest import mock

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard import ClientCard, DocumentError, card_from_dict, card_to_dict
from clientcard.cards.card import (
    BirthDate,
    CardStatus,
    Gender,
    Invoicing,
    PostalAddress,
)
from clientcard.cards.serialization import _card_by_converter, _read_card
from clientcard.testing.strategies import cards
from tests.support import NOW


def stored(card: ClientCard) -> dict[str, Any]:
    """The document as a store hands it back: through JSON text."""
    document: dict[str, Any] = json.loads(json.dumps(card_to_dict(card)))
    return document


def full_card() -> ClientCard:
    return ClientCard(
        id="c1",
        business_id="b1",
        created_at=NOW,
        updated_at=NOW,
        version=3,
        status=CardStatus.PROSPECT,
        first_name="Anna",
        last_name="Rossi",
        email="anna@example.com",
        phones=("+393331234567", "+390212345678"),
        address=PostalAddress(street="Via Roma 1", postcode="20121", city="Milano", country="IT"),
        birth_date=BirthDate(month=4, day=1),
        gender=Gender.FEMALE,
        weight_kg=Decimal("62.5"),
        height_cm=Decimal(170),
        tax_code="RSSNNA80A41F205X",
        invoicing=Invoicing(pec="anna@pec.it", sdi_code="ABC1234"),
        notes="Prefers mornings",
        client_group="vip",
        tags=("colour", "regular"),
        referral_source="friend",
        education="degree",
        profession="nurse",
        picture="blob/1",
        language="it",
        custom={"since": "2020", "vip": True, "score": Decimal("1.5"), "services": ("cut",)},
        guardian_id="c0",
    )


def reported(read: Callable[[object], ClientCard], document: object) -> str:
    with pytest.raises(DocumentError) as caught:
        read(document)
    return str(caught.value)


def outcome(read: Callable[[object], ClientCard], document: object) -> object:
    """The card read, or the report of why none could be."""
    try:
        return read(copy.deepcopy(document))
    except DocumentError as error:
        return str(error)


# Each breaks a stored document the way a bad migration, a hand edit or a bug might. The
# converter refuses most; a few it reads anyway (it turns a number into text, and a
# missing part of an address into its default), and the stores must do the same. What
# it once made text of (a list, false) is refused, as the card's constructor refuses it.
COERCED: frozenset[str] = frozenset(
    {
        "id not text",
        "invoicing missing part",
        "tags not a list",
        "version as boolean",
    }
)
CORRUPTIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "schema version": lambda d: d.update(schema_version=2),
    "no schema version": lambda d: d.pop("schema_version"),
    "missing key": lambda d: d.pop("business_id"),
    "unknown key": lambda d: d.update(nickname="x"),
    "renamed key": lambda d: d.update(nickname=d.pop("notes")),
    "id not text": lambda d: d.update(id=7),
    "naive timestamp": lambda d: d.update(created_at="2026-01-01T00:00:00"),
    "no timestamp": lambda d: d.update(updated_at="yesterday"),
    "timestamp not text": lambda d: d.update(created_at=1700000000),
    "version zero": lambda d: d.update(version=0),
    "version as text": lambda d: d.update(version="two"),
    "version as boolean": lambda d: d.update(version=True),
    "unknown status": lambda d: d.update(status="archived"),
    "unknown gender": lambda d: d.update(gender="robot"),
    "impossible birth date": lambda d: d.update(birth_date="--02-30"),
    "weight not a number": lambda d: d.update(weight_kg="heavy"),
    "weight as float": lambda d: d.update(weight_kg=61.5),
    "phones not a list": lambda d: d.update(phones="+393331234567"),
    "phone not text": lambda d: d.update(phones=[393331234567]),
    "tags not a list": lambda d: d.update(tags={"vip": 1}),
    "address not an object": lambda d: d.update(address="Via Roma 1"),
    "address with unknown part": lambda d: d["address"].update(floor="2"),
    "address part not text": lambda d: d["address"].update(city=["Milano"]),
    "invoicing missing part": lambda d: d["invoicing"].pop("pec"),
    "unknown custom tag": lambda d: d.update(custom={"x": {"$money": "1"}}),
    "custom not an object": lambda d: d.update(custom=["x"]),
    "custom null": lambda d: d.update(custom=None),
    "custom an empty list": lambda d: d.update(custom=[]),
    "custom zero": lambda d: d.update(custom=0),
    "custom an empty mapping of another type": lambda d: d.update(custom=UserDict()),
    "nul in a name": lambda d: d.update(first_name="An\x00na"),
    "nul in a custom value": lambda d: d.update(custom={"note": "a\x00"}),
    "lone surrogate in notes": lambda d: d.update(notes="broken \ud800"),
    "email not text": lambda d: d.update(email=False),
    "guardian not text": lambda d: d.update(guardian_id=["c0"]),
}


class TestCardFromDict:
    def test_the_full_card_sets_every_field(self) -> None:
        # A field added to ClientCard must be set here, so the next test proves the
        # reader takes it from the document rather than leaving the default.
        blank = ClientCard(id="x", business_id="y", created_at=NOW, updated_at=NOW)
        card = full_card()
        same = [
            f.name
            for f in attrs.fields(ClientCard)
            if getattr(card, f.name) == getattr(blank, f.name)
        ]
        assert same == ["created_at", "updated_at"]

    def test_a_full_card_reads_back_equal(self) -> None:
        card = full_card()
        assert card_from_dict(stored(card)) == card

    def test_an_empty_address_and_invoicing_read_back_as_the_defaults(self) -> None:
        card = ClientCard(id="c", business_id="b", created_at=NOW, updated_at=NOW, first_name="A")
        read = card_from_dict(stored(card))
        assert read == card
        assert read.address == PostalAddress()
        assert read.invoicing == Invoicing()

    def test_empty_text_in_an_address_is_kept_as_text(self) -> None:
        # "" and None differ; only an address with nothing at all set is the default.
        card = attrs.evolve(full_card(), address=PostalAddress(street=""))
        assert card_from_dict(stored(card)).address == PostalAddress(street="")

    @given(cards(), st.none() | st.uuids().map(str))
    def test_any_valid_card_reads_back_as_the_converter_reads_it(
        self, card: ClientCard, guardian: str | None
    ) -> None:
        card = attrs.evolve(card, guardian_id=guardian)
        document = stored(card)
        assert card_from_dict(document) == _card_by_converter(document) == card

    @given(cards())
    def test_a_valid_document_is_read_without_the_converter(self, card: ClientCard) -> None:
        # A field the reader missed would send every document to the converter unseen.
        with mock.patch(
            "clientcard.cards.serialization._card_by_converter",
            side_effect=AssertionError("fell back"),
        ):
            assert card_from_dict(stored(card)) == card

    @pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
    def test_a_corrupted_document_reads_as_the_converter_reads_it(self, corruption: str) -> None:
        document = stored(full_card())
        CORRUPTIONS[corruption](document)
        expected = outcome(_card_by_converter, document)
        assert outcome(card_from_dict, document) == expected
        # A typed error for all but the few the converter has always taken.
        assert isinstance(expected, str) is (corruption not in COERCED)

    def test_the_report_never_repeats_the_value(self) -> None:
        document = {**stored(full_card()), "created_at": "secret-value"}
        assert "secret" not in reported(card_from_dict, document)

    @pytest.mark.parametrize("document", [None, [1, 2], "{}", {"schema_version": 1}])
    def test_what_is_no_card_document_at_all_is_refused(self, document: object) -> None:
        assert reported(card_from_dict, document) == reported(_card_by_converter, document)

    def test_a_document_the_converter_still_reads_is_read_the_same(self) -> None:
        # Older writers, or hand-made rows, may leave out optional keys or give numbers
        # as text; the converter takes these, so the stores still do.
        document = stored(full_card())
        del document["guardian_id"]
        document["version"] = "3"
        assert card_from_dict(document) == _card_by_converter(document)
        assert card_from_dict(document).version == 3


class _Recording(dict[str, Any]):
    """A document that notes every key read from it."""

    def __init__(self, document: dict[str, Any]) -> None:
        super().__init__(document)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)


class TestReader:
    def test_the_reader_reads_every_key_a_card_document_has(self) -> None:
        # card_from_dict lets a document of as many keys as a card document through to
        # the reader, trusting it to read each of them (a missing one raises).
        document = _Recording(stored(full_card()))
        _read_card(document)
        assert document.read | {"schema_version"} == set(card_to_dict(full_card()))

    def test_unsorted_tags_in_a_document_are_sorted_as_the_constructor_sorts_them(self) -> None:
        document = stored(full_card())
        document["tags"] = ["regular", "colour", "regular"]
        assert card_from_dict(document).tags == ("colour", "regular")

    def test_custom_values_read_back_read_only(self) -> None:
        read = card_from_dict(stored(full_card()))
        with pytest.raises(TypeError):
            read.custom["since"] = "2021"  # type: ignore[index]
