from __future__ import annotations

import datetime as dt
import pickle
from decimal import Decimal

import attrs
import pytest
from hypothesis import given

from clientcard import (
    BirthDate,
    CardStatus,
    ClientCard,
    Context,
    FieldSchema,
    Gender,
    Invoicing,
    PostalAddress,
    ValidationError,
)
from clientcard.cards import card as card_module
from clientcard.cards.serialization import card_to_dict
from clientcard.testing.strategies import cards
from tests.support import NOW, TODAY

LATER = NOW + dt.timedelta(hours=1)


def make(region: str = "IT", **values: object) -> ClientCard:
    clean = FieldSchema.default().validate(values, Context.STAFF, today=TODAY, region=region)
    return ClientCard.create(card_id="card-1", business_id="biz-1", values=clean, at=NOW)


class TestCreate:
    def test_a_new_card_starts_at_version_one(self) -> None:
        card = make(first_name="Anna")
        assert card.version == 1
        assert card.created_at == card.updated_at == NOW
        assert card.status is CardStatus.ACTIVE

    def test_a_prospect_can_be_created_from_an_email_only(self) -> None:
        clean = {"email": "anna@example.com"}
        card = ClientCard.create(
            card_id="c", business_id="b", values=clean, at=NOW, status=CardStatus.PROSPECT
        )
        assert card.status is CardStatus.PROSPECT
        assert card.email == "anna@example.com"

    def test_a_card_needs_a_name_an_email_or_a_phone(self) -> None:
        with pytest.raises(ValidationError) as caught:
            make(city="Milano")
        assert caught.value.codes == {"card.no_identity"}

    def test_address_and_invoicing_keys_fill_their_parts(self) -> None:
        card = make(
            first_name="A",
            street="Via Roma 1",
            postcode="20121",
            city="Milano",
            country="it",
            pec="a@pec.it",
            sdi_code="m5uxcr1",
        )
        assert card.address.country == "IT"
        assert card.address.postcode == "20121"
        assert card.invoicing.sdi_code == "M5UXCR1"
        assert card.value("city") == "Milano"

    def test_mobile_numbers_come_first(self) -> None:
        card = make("GB", first_name="A", phones=["020 7946 0018", "07911 123456"])
        assert card.phones == ("+447911123456", "+442079460018")
        assert card.mobile == "+447911123456"

    def test_a_card_with_only_a_landline_has_no_mobile(self) -> None:
        assert make(first_name="A", phones=["+44 20 7946 0018"]).mobile is None

    def test_naive_timestamps_are_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            ClientCard(id="c", business_id="b", created_at=dt.datetime(2026, 1, 1), updated_at=NOW)

    def test_tags_are_kept_sorted_and_unique(self) -> None:
        card = ClientCard(
            id="c",
            business_id="b",
            created_at=NOW,
            updated_at=NOW,
            first_name="A",
            tags=("vip", "colour", "vip"),
        )
        assert card.tags == ("colour", "vip")

    def test_display_name_joins_the_parts_that_are_set(self) -> None:
        assert make(first_name="Anna", last_name="Rossi").display_name == "Anna Rossi"
        assert make(last_name="Rossi").display_name == "Rossi"


class TestApply:
    def test_a_change_bumps_the_version_and_names_the_changed_fields(self) -> None:
        card = make(first_name="Anna", email="anna@example.com")
        update = card.apply({"email": "anna.rossi@example.com", "first_name": "Anna"}, at=LATER)
        assert update.card.version == 2
        assert update.card.updated_at == LATER
        assert update.changed == {"email"}
        assert update.previous is card
        assert not update.is_noop

    def test_no_change_keeps_the_same_card(self) -> None:
        card = make(first_name="Anna")
        update = card.apply({"first_name": "Anna"}, at=LATER)
        assert update.is_noop
        assert update.card is card

    def test_none_clears_a_field(self) -> None:
        card = make(first_name="Anna", email="anna@example.com")
        update = card.apply({"email": None}, at=LATER)
        assert update.card.email is None
        assert update.changed == {"email"}

    def test_clearing_the_last_identity_field_is_refused(self) -> None:
        card = make(email="anna@example.com")
        with pytest.raises(ValidationError) as caught:
            card.apply({"email": None}, at=LATER)
        assert caught.value.codes == {"card.no_identity"}

    def test_the_same_phones_in_another_order_are_no_change(self) -> None:
        card = make("GB", first_name="A", phones=["07911 123456", "020 7946 0018"])
        assert card.apply({"phones": ("+442079460018", "+447911123456")}, at=LATER).is_noop

    def test_gender_given_as_text_compares_with_the_stored_enum(self) -> None:
        card = make(first_name="A", gender="female")
        assert card.gender is Gender.FEMALE
        assert card.apply({"gender": "female"}, at=LATER).is_noop

    def test_custom_values_are_set_and_cleared(self) -> None:
        card = make(first_name="A")
        with_value = card.apply({"allergies": "nickel"}, at=LATER).card
        assert with_value.custom == {"allergies": "nickel"}
        cleared = with_value.apply({"allergies": None}, at=LATER)
        assert cleared.card.custom == {}
        assert cleared.changed == {"allergies"}

    def test_the_custom_mapping_cannot_be_mutated(self) -> None:
        card = make(first_name="A").apply({"x": "1"}, at=LATER).card
        with pytest.raises(TypeError):
            card.custom["x"] = "2"  # type: ignore[index]

    def test_cards_are_immutable(self) -> None:
        card = make(first_name="A")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            card.first_name = "B"  # type: ignore[misc]

    def test_status_moves_with_a_version_bump(self) -> None:
        prospect = ClientCard.create(
            card_id="c",
            business_id="b",
            values={"first_name": "A"},
            at=NOW,
            status=CardStatus.PROSPECT,
        )
        update = prospect.with_status(CardStatus.ACTIVE, at=LATER)
        assert update.card.status is CardStatus.ACTIVE
        assert update.card.version == 2
        assert update.changed == {"status"}
        assert update.card.with_status(CardStatus.ACTIVE, at=LATER).is_noop


class TestValues:
    def test_values_lists_only_set_fields(self) -> None:
        card = make(first_name="Anna", weight_kg="60")
        assert card.values() == {"first_name": "Anna", "weight_kg": Decimal(60)}

    def test_unknown_keys_read_as_unset(self) -> None:
        assert make(first_name="A").value("no_such_field") is None


class TestRepr:
    def test_repr_names_fields_but_never_their_values(self) -> None:
        card = make(
            first_name="Giulietta",
            email="giulietta@example.com",
            phones=["333 123 4567"],
            birth_date="1990-04-01",
            street="Via Segreta 7",
        )
        text = repr(card)
        for secret in ("Giulietta", "giulietta", "3331234567", "1990", "Segreta"):
            assert secret not in text
        assert "card-1" in text
        assert "email" in text
        assert "Segreta" not in repr(card.address)
        assert "1990" not in repr(card.birth_date)
        with_pec = card.apply({"pec": "giulietta@pec.it"}, at=NOW).card
        assert "giulietta" not in repr(with_pec.invoicing)
        assert "giulietta" not in repr(with_pec)

    def test_cards_are_hashable(self) -> None:
        assert hash(make(first_name="A")) == hash(make(first_name="A"))


class TestBirthDate:
    def test_day_and_month_are_enough(self) -> None:
        birthday = BirthDate.parse("--12-10")
        assert birthday.year is None
        assert birthday.as_date() is None
        assert birthday.age_on(TODAY) is None
        assert birthday.iso() == "--12-10"

    def test_a_full_date_knows_the_age(self) -> None:
        birthday = BirthDate.parse("1990-11-24")
        assert birthday.age_on(TODAY) == 35
        assert birthday.age_on(dt.date(2026, 11, 24)) == 36

    def test_29_february_is_celebrated_on_28_february_in_other_years(self) -> None:
        leapling = BirthDate.parse("--02-29")
        assert leapling.is_birthday(dt.date(2027, 2, 28))
        assert leapling.is_birthday(dt.date(2028, 2, 29))
        assert not leapling.is_birthday(dt.date(2028, 2, 28))

    @pytest.mark.parametrize("bad", ["--13-01", "--02-30", "2023-02-29", "12/10", "1990-1-1"])
    def test_impossible_dates_are_refused(self, bad: str) -> None:
        with pytest.raises(ValueError):  # noqa: PT011 - both parse and attrs raise ValueError
            BirthDate.parse(bad)


class TestRobustness:
    def test_repr_of_a_card_with_a_number_of_no_plan_does_not_raise(self) -> None:
        card = ClientCard(
            id="c", business_id="b", created_at=NOW, updated_at=NOW, phones=("+12345",)
        )
        assert "phones" in repr(card)
        assert card.mobile is None

    def test_phones_that_are_no_tuple_are_refused(self) -> None:
        with pytest.raises(TypeError, match="phones"):
            ClientCard(
                id="c",
                business_id="b",
                created_at=NOW,
                updated_at=NOW,
                phones="+393331234567",  # type: ignore[arg-type]
            )

    def test_a_version_that_is_no_integer_is_refused(self) -> None:
        with pytest.raises(TypeError, match="version"):
            ClientCard(
                id="c",
                business_id="b",
                created_at=NOW,
                updated_at=NOW,
                version="2",  # type: ignore[arg-type]
            )

    def test_a_phone_not_in_e164_is_refused(self) -> None:
        with pytest.raises(ValueError, match=r"E\.164"):
            ClientCard(id="c", business_id="b", created_at=NOW, updated_at=NOW, phones=("12345",))

    def test_no_field_may_hold_a_lone_surrogate(self) -> None:
        with pytest.raises(ValueError, match="not valid Unicode"):
            ClientCard(
                id="c",
                business_id="b",
                created_at=NOW,
                updated_at=NOW,
                first_name="A",
                notes="broken \ud800 text",
            )

    @pytest.mark.parametrize(
        "fields",
        [
            {"first_name": "A\x00"},
            {"tags": ("ok", "b\x00d")},
            {"custom": {"k": "v\x00"}},
            {"custom": {"k\x00": "v"}},
            {"id": "c\x00"},
        ],
        ids=["name", "tag", "custom value", "custom key", "id"],
    )
    def test_no_field_may_hold_a_nul_character(self, fields: dict[str, object]) -> None:
        values: dict[str, object] = {
            "id": "c",
            "business_id": "b",
            "created_at": NOW,
            "updated_at": NOW,
            **fields,
        }
        with pytest.raises(ValueError, match="U\\+0000"):
            ClientCard(**values)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("fields", "named"),
        [
            ({"last_name": "R\x00"}, "last_name"),
            ({"email": "a\x00@example.com"}, "email"),
            ({"phones": ("+393331234567", "+39\x00")}, "phones"),
            ({"tax_code": "X\x00"}, "tax_code"),
            ({"notes": "n\x00"}, "notes"),
            ({"client_group": "g\x00"}, "client_group"),
            ({"referral_source": "r\x00"}, "referral_source"),
            ({"education": "e\x00"}, "education"),
            ({"profession": "p\x00"}, "profession"),
            ({"picture": "p\x00"}, "picture"),
            ({"language": "i\x00"}, "language"),
            ({"address": PostalAddress(city="C\x00")}, "city"),
            ({"address": PostalAddress(street="\ud800")}, "street"),
            ({"invoicing": Invoicing(pec="p\x00@pec.it")}, "pec"),
            ({"invoicing": Invoicing(sdi_code="\udfff")}, "sdi_code"),
            ({"custom": {"services": ("cut", "c\x00")}}, "services"),
            ({"business_id": "b\x00"}, "business_id"),
            # Built by hand, a field typed otherwise may hold text: it is checked too.
            ({"gender": "f\x00"}, "gender"),
            ({"birth_date": "\ud800"}, "birth_date"),
            ({"weight_kg": "6\x00"}, "weight_kg"),
        ],
    )
    def test_the_refusal_names_the_field_at_fault(
        self, fields: dict[str, object], named: str
    ) -> None:
        values: dict[str, object] = {
            "id": "c",
            "business_id": "b",
            "created_at": NOW,
            "updated_at": NOW,
            "first_name": "A",
            **fields,
        }
        with pytest.raises(ValueError, match=f"^{named} "):
            ClientCard(**values)  # type: ignore[arg-type]

    def test_values_of_other_types_are_not_read_as_text(self) -> None:
        # A custom list of numbers is no text the card keeps; the card is built as before.
        card = ClientCard(
            id="c",
            business_id="b",
            created_at=NOW,
            updated_at=NOW,
            first_name="A",
            custom={"sizes": (1, 2), "vip": False, "score": Decimal(1)},  # type: ignore[dict-item]
        )
        assert card.custom["sizes"] == (1, 2)

    def test_a_card_built_by_hand_with_none_for_its_phones_is_refused(self) -> None:
        with pytest.raises(TypeError, match="phones"):
            ClientCard(
                id="c",
                business_id="b",
                created_at=NOW,
                updated_at=NOW,
                first_name="A",
                phones=None,  # type: ignore[arg-type]
            )

    def test_a_custom_key_shadowing_a_builtin_one_is_read_as_before(self) -> None:
        # Only the built-in value is read under its key; the shadowed custom value is not
        # among the texts the card is checked for (it can't be reached by key).
        card = ClientCard(
            id="c",
            business_id="b",
            created_at=NOW,
            updated_at=NOW,
            first_name="A",
            custom={"first_name": "x\x00"},
        )
        assert card.value("first_name") == "A"


def _round_trip(card: ClientCard) -> ClientCard:
    back: ClientCard = pickle.loads(pickle.dumps(card))  # noqa: S301 - bytes made here
    return back


class TestPickling:
    @given(cards())
    def test_a_card_pickles_and_comes_back_equal(self, card: ClientCard) -> None:
        back = _round_trip(card)
        assert back == card
        assert card_to_dict(back) == card_to_dict(card)

    def test_a_card_stamped_outside_utc_keeps_its_zone(self) -> None:
        rome = dt.timezone(dt.timedelta(hours=1))
        card = ClientCard(id="c", business_id="b", created_at=NOW.astimezone(rome), updated_at=NOW)
        back = _round_trip(card)
        assert back.created_at.tzinfo == rome
        assert back.updated_at.tzinfo is dt.UTC

    def test_a_pickled_card_keeps_its_custom_values_read_only(self) -> None:
        card = attrs.evolve(
            ClientCard.create(card_id="c", business_id="b", values={"first_name": "Eva"}, at=NOW),
            custom={"colour": "red"},
        )
        back = _round_trip(card)
        with pytest.raises(TypeError):
            back.custom["colour"] = "blue"  # type: ignore[index]
        assert back.custom == {"colour": "red"}


class TestValuesSweep:
    @given(cards())
    def test_values_are_every_key_read_one_by_one(self, card: ClientCard) -> None:
        keys = [*card_module._DIRECT_KEYS, *card_module._ADDRESS_KEYS]
        keys += [*card_module._INVOICING_KEYS, *card.custom]
        expected = {key: value for key in keys if (value := card.value(key)) is not None}
        assert card.values() == expected
        assert list(card.values()) == list(expected)


def test_values_leave_out_a_custom_value_a_host_set_to_none() -> None:
    card = ClientCard(
        id="c", business_id="b", created_at=NOW, updated_at=NOW, first_name="A", custom={"n": None}
    )
    assert card.values() == {"first_name": "A"}
