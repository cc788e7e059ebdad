from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard import (
    BirthDate,
    ClientCard,
    DocumentError,
    FieldSchema,
    card_from_dict,
    card_to_dict,
    schema_from_dict,
    schema_to_dict,
)
from clientcard.cards.serialization import converter
from clientcard.testing.strategies import cards
from tests.support import NOW


def sample_card() -> ClientCard:
    return ClientCard(
        id="c1",
        business_id="b1",
        created_at=NOW,
        updated_at=NOW,
        first_name="Anna",
        birth_date=BirthDate(month=4, day=1),
        weight_kg=Decimal("62.5"),
        custom={
            "since": dt.date(2020, 1, 2),
            "score": Decimal("1.25"),
            "vip": True,
            "services": ("cut", "colour"),
            "anniversary": BirthDate(5, 6),
            "note": "x",
        },
    )


class TestCards:
    @given(cards())
    def test_documents_are_what_the_converter_makes(self, card: ClientCard) -> None:
        made = card_to_dict(card)
        expected = {"schema_version": 1, **converter.unstructure(card)}
        assert made == expected
        assert list(made) == list(expected)
        assert json.dumps(made) == json.dumps(expected)

    def test_documents_are_what_the_converter_makes_of_a_full_card(self) -> None:
        card = sample_card()
        assert card_to_dict(card) == {"schema_version": 1, **converter.unstructure(card)}

    def test_documents_are_plain_types_only(self) -> None:
        # A tuple where the converter writes a list would still dump the same JSON, but
        # not compare equal to a document read back.
        document = card_to_dict(sample_card())
        assert isinstance(document["phones"], list)
        assert isinstance(document["tags"], list)
        assert isinstance(document["custom"]["services"], list)

    def test_documents_carry_a_schema_version(self) -> None:
        assert card_to_dict(sample_card())["schema_version"] == 1

    def test_documents_are_plain_json(self) -> None:
        document = card_to_dict(sample_card())
        assert json.loads(json.dumps(document)) == json.loads(json.dumps(document))
        assert document["birth_date"] == "--04-01"
        assert document["weight_kg"] == "62.5"
        assert document["created_at"] == "2026-11-23T09:30:00+00:00"

    def test_custom_values_keep_their_types(self) -> None:
        custom = card_to_dict(sample_card())["custom"]
        assert custom == {
            "since": {"$date": "2020-01-02"},
            "score": {"$decimal": "1.25"},
            "vip": True,
            "services": ["cut", "colour"],
            "anniversary": {"$birth_date": "--05-06"},
            "note": "x",
        }
        assert card_from_dict(card_to_dict(sample_card())) == sample_card()

    @given(cards())
    def test_any_valid_card_round_trips_unchanged(self, card: ClientCard) -> None:
        document = json.loads(json.dumps(card_to_dict(card)))
        assert card_from_dict(document) == card

    @pytest.mark.parametrize(
        ("change", "problem"),
        [
            ({"schema_version": 2}, "$.schema_version: expected 1"),
            ({"nickname": "x"}, "unknown keys ['nickname'] @ $"),
            ({"version": "two"}, "invalid value (ValueError) @ $.version"),
            ({"created_at": "2026-01-01T00:00:00"}, "invalid value (ValueError) @ $.created_at"),
            ({"custom": {"x": {"$money": "1"}}}, "invalid value (ValueError) @ $.custom"),
            ({"birth_date": "1990-13-01"}, "invalid value (ValueError) @ $.birth_date"),
        ],
    )
    def test_malformed_documents_name_the_path(self, change: dict[str, Any], problem: str) -> None:
        document = {**card_to_dict(sample_card()), **change}
        with pytest.raises(DocumentError) as caught:
            card_from_dict(document)
        assert problem in str(caught.value)

    def test_a_missing_key_is_named(self) -> None:
        document = card_to_dict(sample_card())
        del document["business_id"]
        with pytest.raises(DocumentError, match=r"required field missing @ \$.business_id"):
            card_from_dict(document)

    def test_errors_never_repeat_the_value(self) -> None:
        document = {**card_to_dict(sample_card()), "created_at": "secret-value"}
        with pytest.raises(DocumentError) as caught:
            card_from_dict(document)
        assert "secret" not in str(caught.value)

    def test_a_non_object_is_refused(self) -> None:
        with pytest.raises(DocumentError):
            card_from_dict([1, 2])

    @given(st.datetimes(timezones=st.just(dt.UTC)))
    def test_a_utc_time_is_written_as_isoformat_writes_it(self, at: dt.datetime) -> None:
        card = attrs.evolve(sample_card(), created_at=at, updated_at=at)
        document = card_to_dict(card)
        assert document["created_at"] == document["updated_at"] == at.isoformat()

    @given(st.datetimes(timezones=st.timezones()))
    def test_a_time_in_any_zone_is_written_as_isoformat_writes_it(self, at: dt.datetime) -> None:
        card = attrs.evolve(sample_card(), created_at=at)
        assert card_to_dict(card)["created_at"] == at.isoformat()

    def test_the_card_checks_surface_as_document_errors(self) -> None:
        document = {**card_to_dict(sample_card()), "version": 0}
        with pytest.raises(DocumentError):
            card_from_dict(document)


class TestSchemas:
    def test_the_default_schema_round_trips(self) -> None:
        schema = FieldSchema.default().configure("city", required=True)
        document = json.loads(json.dumps(schema_to_dict(schema)))
        assert document["schema_version"] == 1
        assert document["revision"] == 2
        assert schema_from_dict(document) == schema

    def test_a_schema_document_with_a_bad_field_is_refused(self) -> None:
        document = schema_to_dict(FieldSchema.default())
        document["fields"][0]["type"] = "hologram"
        with pytest.raises(DocumentError, match=r"\$.fields\[0\].type"):
            schema_from_dict(document)

    def test_a_schema_document_breaking_schema_rules_is_refused(self) -> None:
        document = schema_to_dict(FieldSchema.default())
        document["fields"] = document["fields"][1:]
        with pytest.raises(DocumentError):
            schema_from_dict(document)
