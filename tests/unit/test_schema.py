from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clientcard import (
    BirthDate,
    Choice,
    ClientCard,
    Context,
    FieldDefinition,
    FieldSchema,
    FieldType,
    SchemaError,
    ValidationError,
)
from tests.support import NOW, TODAY

ALLERGIES = FieldDefinition(
    key="allergies",
    type=FieldType.LONG_TEXT,
    labels={"en": "Allergies", "it": "Allergie", "nl": "Allergieën"},
    sensitive=True,
    collect_during_booking=True,
    keep_asking=True,
)
HAIR = FieldDefinition(
    key="hair_type",
    type=FieldType.CHOICE,
    labels={"en": "Hair type", "it": "Tipo di capelli"},
    choices=(
        Choice("straight", {"en": "Straight", "it": "Lisci"}),
        Choice("curly", {"en": "Curly", "it": "Ricci"}),
    ),
    required=True,
    collect_during_booking=True,
)


@pytest.fixture
def schema() -> FieldSchema:
    return FieldSchema.default().add(ALLERGIES).add(HAIR)


def validate(
    schema: FieldSchema,
    values: dict[str, object],
    context: Context = Context.STAFF,
    **kwargs: object,
) -> dict[str, object]:
    return schema.validate(values, context, today=TODAY, **kwargs)  # type: ignore[arg-type]


class TestDefaultSchema:
    def test_has_every_built_in_field_in_order(self) -> None:
        keys = [d.key for d in FieldSchema.default().fields]
        assert keys[:4] == ["first_name", "last_name", "email", "phones"]
        assert {"tax_code", "pec", "sdi_code", "weight_kg", "referral_source"} <= set(keys)
        assert all(d.builtin for d in FieldSchema.default().fields)

    def test_weight_and_height_are_sensitive(self) -> None:
        assert FieldSchema.default().sensitive_keys == {"weight_kg", "height_cm"}

    def test_gender_is_optional_and_never_collected_by_default(self) -> None:
        gender = FieldSchema.default().field("gender")
        assert not gender.required
        assert not gender.collect_during_booking
        assert not gender.collect_online

    def test_built_in_labels_speak_three_languages(self) -> None:
        field = FieldSchema.default().field("referral_source")
        assert field.label("it") == "Come ci hai conosciuto?"
        assert field.label("nl") == "Hoe heeft u ons leren kennen?"
        assert field.label("fr") == "How did you hear about us?"


class TestDefinitions:
    def test_keys_must_be_snake_case(self) -> None:
        with pytest.raises(SchemaError) as caught:
            FieldDefinition(key="Bad Key", type=FieldType.TEXT, labels={"en": "x"})
        assert caught.value.code == "schema.key_invalid"

    def test_a_choice_field_needs_choices(self) -> None:
        with pytest.raises(SchemaError) as caught:
            FieldDefinition(key="c", type=FieldType.CHOICE, labels={"en": "x"})
        assert caught.value.code == "schema.choices_mismatch"

    def test_choice_values_must_differ(self) -> None:
        with pytest.raises(SchemaError):
            FieldDefinition(
                key="c",
                type=FieldType.CHOICE,
                labels={"en": "x"},
                choices=(Choice("a", {"en": "A"}), Choice("a", {"en": "B"})),
            )

    def test_a_field_needs_a_label(self) -> None:
        with pytest.raises(SchemaError) as caught:
            FieldDefinition(key="c", type=FieldType.TEXT, labels={"en": "  "})
        assert caught.value.code == "schema.label_missing"

    def test_keep_asking_needs_a_place_to_ask(self) -> None:
        with pytest.raises(SchemaError) as caught:
            FieldDefinition(key="c", type=FieldType.TEXT, labels={"en": "x"}, keep_asking=True)
        assert caught.value.code == "schema.keep_asking_not_collected"

    def test_a_number_range_must_be_ordered(self) -> None:
        with pytest.raises(SchemaError):
            FieldDefinition(
                key="n",
                type=FieldType.NUMBER,
                labels={"en": "x"},
                min_value=Decimal(5),
                max_value=Decimal(1),
            )

    def test_max_length_must_be_positive(self) -> None:
        with pytest.raises(SchemaError):
            FieldDefinition(key="n", type=FieldType.TEXT, labels={"en": "x"}, max_length=0)

    def test_a_label_falls_back_to_english_then_to_any(self) -> None:
        only_italian = FieldDefinition(key="c", type=FieldType.TEXT, labels={"it": "Colore"})
        assert only_italian.label("nl") == "Colore"
        assert HAIR.label("nl") == "Hair type"
        assert HAIR.choices[1].label("it") == "Ricci"


class TestChangingTheSchema:
    def test_adding_a_field_bumps_the_revision(self, schema: FieldSchema) -> None:
        assert schema.revision == 3
        assert schema.fields[-1].key == "hair_type"
        assert "allergies" in schema

    def test_a_custom_field_cannot_take_a_built_in_key(self) -> None:
        clash = FieldDefinition(key="email", type=FieldType.TEXT, labels={"en": "x"})
        with pytest.raises(SchemaError) as caught:
            FieldSchema.default().add(clash)
        assert caught.value.code == "schema.key_duplicate"

    def test_only_custom_fields_can_be_added(self) -> None:
        builtin = FieldSchema.default().field("email")
        with pytest.raises(SchemaError):
            FieldSchema.default().add(builtin)

    def test_a_key_can_only_be_added_once(self, schema: FieldSchema) -> None:
        with pytest.raises(SchemaError) as caught:
            schema.add(ALLERGIES)
        assert caught.value.code == "schema.key_duplicate"

    def test_a_schema_must_keep_every_built_in_field(self) -> None:
        fields = tuple(d for d in FieldSchema.default().fields if d.key != "notes")
        with pytest.raises(SchemaError) as caught:
            FieldSchema(fields=fields)
        assert caught.value.code == "schema.builtin_missing"

    def test_a_built_in_field_keeps_its_type(self) -> None:
        fields = tuple(
            FieldDefinition(key="notes", type=FieldType.TEXT, labels={"en": "n"}, builtin=True)
            if d.key == "notes"
            else d
            for d in FieldSchema.default().fields
        )
        with pytest.raises(SchemaError) as caught:
            FieldSchema(fields=fields)
        assert caught.value.code == "schema.builtin_type"

    def test_relabelling_keeps_the_other_languages(self, schema: FieldSchema) -> None:
        relabelled = schema.relabel("allergies", {"en": "Allergies and intolerances"})
        field = relabelled.field("allergies")
        assert field.label("en") == "Allergies and intolerances"
        assert field.label("it") == "Allergie"

    def test_relabelling_a_choice(self, schema: FieldSchema) -> None:
        relabelled = schema.relabel_choice("hair_type", "curly", {"nl": "Krullend"})
        assert relabelled.field("hair_type").choices[1].label("nl") == "Krullend"
        with pytest.raises(SchemaError):
            schema.relabel_choice("hair_type", "wavy", {"en": "Wavy"})

    def test_reordering_puts_named_fields_first(self, schema: FieldSchema) -> None:
        reordered = schema.reorder(["hair_type", "allergies"])
        assert [d.key for d in reordered.fields[:3]] == ["hair_type", "allergies", "first_name"]
        assert len(reordered.fields) == len(schema.fields)

    def test_reordering_refuses_unknown_or_repeated_keys(self, schema: FieldSchema) -> None:
        with pytest.raises(SchemaError):
            schema.reorder(["nope"])
        with pytest.raises(SchemaError):
            schema.reorder(["email", "email"])

    def test_configuring_changes_only_the_given_flags(self, schema: FieldSchema) -> None:
        changed = schema.configure("city", required=True, collect_during_booking=True)
        city = changed.field("city")
        assert city.required
        assert city.collect_during_booking
        assert city.collect_online  # unchanged

    def test_retiring_keeps_stored_values_and_restoring_brings_them_back(
        self, schema: FieldSchema
    ) -> None:
        card = ClientCard.create(
            card_id="c",
            business_id="b",
            at=NOW,
            values=validate(schema, {"first_name": "A", "allergies": "nickel"}),
        )
        retired = schema.retire("allergies")
        assert "allergies" not in {d.key for d in retired.active_fields}
        assert card.value("allergies") == "nickel"
        with pytest.raises(ValidationError) as caught:
            validate(retired, {"allergies": "latex"})
        assert caught.value.codes == {"field.retired"}
        restored = retired.restore("allergies")
        assert validate(restored, {"allergies": "latex"}) == {"allergies": "latex"}

    def test_identity_fields_cannot_be_retired(self) -> None:
        with pytest.raises(SchemaError) as caught:
            FieldSchema.default().retire("email")
        assert caught.value.code == "schema.cannot_retire"

    def test_unknown_fields_are_reported(self) -> None:
        with pytest.raises(SchemaError) as caught:
            FieldSchema.default().field("nope")
        assert caught.value.code == "schema.unknown_field"


class TestValidation:
    def test_each_schema_validates_by_its_own_flags(self) -> None:
        # What a schema requires and collects is worked out once per schema; a changed
        # copy must not answer with its original's.
        plain = FieldSchema.default()
        form = {"first_name": "Anna", "city": "Milano"}
        assert plain.validate({"first_name": "Anna"}, Context.BOOKING, today=TODAY)
        with pytest.raises(ValidationError, match=r"field\.not_collected"):
            plain.validate(form, Context.BOOKING, today=TODAY)
        collected = plain.configure("city", collect_during_booking=True, required=True)
        assert collected.validate(form, Context.BOOKING, today=TODAY)["city"] == "Milano"
        with pytest.raises(ValidationError, match=r"field\.required"):
            collected.validate({"first_name": "Anna"}, Context.BOOKING, today=TODAY)
        assert plain.validate({"first_name": "Anna"}, Context.BOOKING, today=TODAY)
        retired = collected.retire("city")
        with pytest.raises(ValidationError, match=r"field\.retired"):
            retired.validate(form, Context.BOOKING, today=TODAY)
        assert retired.validate({"first_name": "Anna"}, Context.BOOKING, today=TODAY)

    def test_returns_normalised_values(self, schema: FieldSchema) -> None:
        clean = validate(
            schema,
            {
                "first_name": "  anna ",
                "email": "Anna@Example.COM",
                "phones": "333 1234567",
                "birth_date": "--04-01",
                "weight_kg": "62,5",
                "tags": "vip, colour,vip",
                "hair_type": "curly",
                "country": "it",
                "postcode": "20121",
            },
        )
        assert clean == {
            "first_name": "anna",
            "email": "Anna@example.com",
            "phones": ("+393331234567",),
            "birth_date": BirthDate(month=4, day=1),
            "weight_kg": Decimal("62.5"),
            "tags": ("colour", "vip"),
            "hair_type": "curly",
            "country": "IT",
            "postcode": "20121",
        }

    def test_reports_every_problem_at_once(self, schema: FieldSchema) -> None:
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"email": "nope", "phones": "12", "weight_kg": "900", "x": 1})
        assert {(i.field, i.code) for i in caught.value.issues} == {
            ("email", "email.invalid"),
            ("phones", "phone.invalid"),
            ("weight_kg", "number.out_of_range"),
            ("x", "field.unknown"),
        }

    def test_messages_speak_the_chosen_language(self, schema: FieldSchema) -> None:
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"email": "nope"}, lang="it")
        assert caught.value.issues[0].message == "Questo non è un indirizzo e-mail valido."

    def test_errors_print_as_paths_and_codes(self, schema: FieldSchema) -> None:
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"email": "secret-value"})
        assert str(caught.value) == "$.email: email.invalid: This is not a valid e-mail address."
        assert "secret" not in str(caught.value)

    def test_empty_values_clear_fields(self, schema: FieldSchema) -> None:
        assert validate(schema, {"email": "", "tags": [], "city": None}) == {
            "email": None,
            "tags": None,
            "city": None,
        }

    def test_a_birth_date_cannot_be_in_the_future(self, schema: FieldSchema) -> None:
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"birth_date": (TODAY + dt.timedelta(days=1)).isoformat()})
        assert caught.value.codes == {"date.in_future"}

    def test_a_birth_date_before_1900_is_refused(self, schema: FieldSchema) -> None:
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"birth_date": "1850-01-01"})
        assert caught.value.codes == {"date.too_old"}

    @pytest.mark.parametrize("given", [dt.date(1990, 4, 1), "1990-04-01", BirthDate(4, 1, 1990)])
    def test_a_birth_date_may_be_given_several_ways(
        self, schema: FieldSchema, given: object
    ) -> None:
        assert validate(schema, {"birth_date": given}) == {"birth_date": BirthDate(4, 1, 1990)}

    @pytest.mark.parametrize(("field", "value"), [("height_cm", "20"), ("weight_kg", "0")])
    def test_weight_and_height_stay_within_human_ranges(
        self, schema: FieldSchema, field: str, value: str
    ) -> None:
        with pytest.raises(ValidationError) as caught:
            validate(schema, {field: value})
        assert caught.value.codes == {"number.out_of_range"}

    @pytest.mark.parametrize("junk", ["abc", "NaN", "inf", "1e999999", True, [1]])
    def test_numbers_refuse_junk(self, schema: FieldSchema, junk: object) -> None:
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"weight_kg": junk})
        assert caught.value.codes == {"number.invalid"}

    def test_whole_numbers_lose_their_trailing_zeros(self, schema: FieldSchema) -> None:
        assert validate(schema, {"height_cm": "170.0"}) == {"height_cm": Decimal(170)}

    def test_the_tax_code_and_invoicing_fields_are_checked(self, schema: FieldSchema) -> None:
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"tax_code": "RSSMRA85T10A562X", "sdi_code": "12", "pec": "x"})
        assert caught.value.codes == {"tax_code.invalid", "sdi_code.invalid", "email.invalid"}

    def test_a_postcode_is_checked_against_the_submitted_country(self, schema: FieldSchema) -> None:
        assert validate(schema, {"country": "NL", "postcode": "1012ab"})["postcode"] == "1012 AB"
        with pytest.raises(ValidationError):
            validate(schema, {"country": "NL", "postcode": "20121"})

    def test_a_postcode_is_checked_against_the_card_country(self, schema: FieldSchema) -> None:
        card = ClientCard.create(
            card_id="c",
            business_id="b",
            at=NOW,
            values=validate(schema, {"first_name": "A", "country": "NL"}),
        )
        assert validate(schema, {"postcode": "1012ab"}, current=card) == {"postcode": "1012 AB"}

    def test_choices_must_be_among_the_allowed(self, schema: FieldSchema) -> None:
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"hair_type": "wavy", "gender": "robot"})
        assert caught.value.codes == {"choice.invalid"}

    def test_too_many_phones_are_refused(self, schema: FieldSchema) -> None:
        numbers = [f"333 123 456{i}" for i in range(6)]
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"phones": numbers})
        assert caught.value.codes == {"phone.too_many"}

    def test_a_non_mapping_is_a_validation_error(self, schema: FieldSchema) -> None:
        with pytest.raises(ValidationError) as caught:
            validate(schema, ["first_name"])  # type: ignore[arg-type]
        assert caught.value.fields == {"$"}


class TestCustomFieldTypes:
    @pytest.mark.parametrize(
        ("field_type", "raw", "clean"),
        [
            (FieldType.BOOLEAN, "sì", True),
            (FieldType.BOOLEAN, "nee", False),
            (FieldType.BOOLEAN, "VERO", True),  # Italian Excel's TRUE, saved as CSV
            (FieldType.BOOLEAN, "FALSO", False),
            (FieldType.BOOLEAN, "ONWAAR", False),  # Dutch Excel's FALSE
            (FieldType.BOOLEAN, False, False),
            (FieldType.DATE, "2027-01-15", dt.date(2027, 1, 15)),
            (FieldType.DATE, dt.date(2020, 1, 1), dt.date(2020, 1, 1)),
            (FieldType.PHONE, "+31 6 12345678", "+31612345678"),
            (FieldType.TEXT, " a  b ", "a b"),
            (FieldType.REFERENCE, "blob/1", "blob/1"),
            (FieldType.NUMBER, 3, Decimal(3)),
            (FieldType.COUNTRY, "be", "BE"),
        ],
    )
    def test_values_are_normalised_by_type(
        self, field_type: FieldType, raw: object, clean: object
    ) -> None:
        schema = FieldSchema.default().add(
            FieldDefinition(key="extra", type=field_type, labels={"en": "Extra"})
        )
        assert validate(schema, {"extra": raw}) == {"extra": clean}

    @pytest.mark.parametrize(
        ("field_type", "raw", "code"),
        [
            (FieldType.BOOLEAN, "maybe", "boolean.invalid"),
            (FieldType.DATE, "15/01/2027", "date.invalid"),
            (FieldType.DATE, dt.datetime(2020, 1, 1, tzinfo=dt.UTC), "date.invalid"),
            (FieldType.DATE, 20200101, "date.invalid"),
            (FieldType.TEXT, "x" * 201, "text.too_long"),
            (FieldType.TEXT, 5, "type.invalid"),
            (FieldType.TAGS, ["x" * 41], "tag.invalid"),
            (FieldType.TAGS, 7, "type.invalid"),
            (FieldType.TAGS, [str(i) for i in range(51)], "tag.invalid"),
            (FieldType.TAGS, list(range(201)), "text.too_long"),
        ],
    )
    def test_values_of_the_wrong_shape_are_refused(
        self, field_type: FieldType, raw: object, code: str
    ) -> None:
        schema = FieldSchema.default().add(
            FieldDefinition(key="extra", type=field_type, labels={"en": "Extra"})
        )
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"extra": raw})
        assert caught.value.codes == {code}

    def test_multi_choice_keeps_the_schema_order_without_repeats(self) -> None:
        schema = FieldSchema.default().add(
            FieldDefinition(
                key="services",
                type=FieldType.MULTI_CHOICE,
                labels={"en": "Services"},
                choices=(Choice("cut", {"en": "Cut"}), Choice("colour", {"en": "Colour"})),
            )
        )
        assert validate(schema, {"services": ["colour", "cut", "colour"]}) == {
            "services": ("cut", "colour"),
        }

    def test_a_custom_text_limit_applies(self) -> None:
        schema = FieldSchema.default().add(
            FieldDefinition(
                key="code",
                type=FieldType.TEXT,
                labels={"en": "Code"},
                max_length=3,
            )
        )
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"code": "abcd"})
        assert caught.value.issues[0].message == "Use at most 3 characters."


class TestContexts:
    def test_booking_accepts_only_fields_collected_during_booking(
        self, schema: FieldSchema
    ) -> None:
        with pytest.raises(ValidationError) as caught:
            validate(
                schema, {"first_name": "A", "hair_type": "curly", "tax_code": "x"}, Context.BOOKING
            )
        assert [(i.field, i.code) for i in caught.value.issues] == [
            ("tax_code", "field.not_collected"),
        ]

    def test_a_context_given_by_its_value_is_that_context(self, schema: FieldSchema) -> None:
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"first_name": "A"}, "booking")  # type: ignore[arg-type]
        assert caught.value.fields == {"hair_type"}

    def test_an_unknown_context_is_a_value_error(self, schema: FieldSchema) -> None:
        with pytest.raises(ValueError, match="front_desk"):
            validate(schema, {"first_name": "A"}, "front_desk")  # type: ignore[arg-type]

    def test_booking_enforces_required_fields(self, schema: FieldSchema) -> None:
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"first_name": "A"}, Context.BOOKING)
        assert caught.value.codes == {"field.required"}
        assert caught.value.fields == {"hair_type"}

    def test_an_empty_required_value_is_missing(self, schema: FieldSchema) -> None:
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"hair_type": ""}, Context.BOOKING)
        assert caught.value.issues_for("hair_type")[0].code == "field.required"

    def test_required_is_not_reported_twice_for_an_invalid_value(self, schema: FieldSchema) -> None:
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"hair_type": "wavy"}, Context.BOOKING)
        assert [i.code for i in caught.value.issues] == ["choice.invalid"]

    def test_staff_and_import_do_not_enforce_required(self, schema: FieldSchema) -> None:
        assert validate(schema, {"first_name": "A"}, Context.STAFF) == {"first_name": "A"}
        assert validate(schema, {"first_name": "A"}, Context.IMPORT) == {"first_name": "A"}

    def test_a_field_already_filled_on_the_card_need_not_be_sent_again(
        self, schema: FieldSchema
    ) -> None:
        card = ClientCard.create(
            card_id="c",
            business_id="b",
            at=NOW,
            values=validate(schema, {"first_name": "A", "hair_type": "curly"}),
        )
        assert validate(schema, {"first_name": "B"}, Context.BOOKING, current=card) == {
            "first_name": "B"
        }

    def test_the_portal_collects_fields_marked_online(self) -> None:
        schema = FieldSchema.default().configure("profession", collect_online=True, required=True)
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"gender": "female"}, Context.PORTAL)
        assert {(i.field, i.code) for i in caught.value.issues} == {
            ("gender", "field.not_collected"),
            ("profession", "field.required"),
        }

    def test_pending_fields_lists_what_to_keep_asking(self, schema: FieldSchema) -> None:
        card = ClientCard.create(
            card_id="c", business_id="b", at=NOW, values=validate(schema, {"first_name": "A"})
        )
        assert schema.pending_fields(card, Context.BOOKING) == ("allergies", "hair_type")
        filled = card.apply({"allergies": "none"}, at=NOW).card
        assert schema.pending_fields(filled, Context.BOOKING) == ("hair_type",)
        assert schema.pending_fields(None, Context.STAFF) == ()


class TestForms:
    def test_the_booking_form_lists_collected_fields_in_order(self, schema: FieldSchema) -> None:
        form = schema.form(Context.BOOKING, "it")
        assert [f.key for f in form] == [
            "first_name",
            "last_name",
            "email",
            "phones",
            "allergies",
            "hair_type",
        ]
        hair = form[-1]
        assert hair.label == "Tipo di capelli"
        assert hair.required
        assert [(o.value, o.label) for o in hair.options] == [
            ("straight", "Lisci"),
            ("curly", "Ricci"),
        ]
        assert form[4].sensitive
        assert form[4].keep_asking

    def test_retired_fields_leave_the_form(self, schema: FieldSchema) -> None:
        keys = [f.key for f in schema.retire("allergies").form(Context.STAFF)]
        assert "allergies" not in keys

    def test_json_schema_describes_the_form(self, schema: FieldSchema) -> None:
        document = schema.json_schema(Context.BOOKING, "en")
        assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert document["required"] == ["hair_type"]
        assert document["additionalProperties"] is False
        assert document["properties"]["hair_type"]["enum"] == ["straight", "curly"]
        assert document["properties"]["email"]["format"] == "email"
        assert document["properties"]["phones"]["type"] == "array"
        assert document["properties"]["first_name"]["maxLength"] == 100
        assert document["properties"]["allergies"]["x-clientcard-sensitive"] is True

    def test_json_schema_carries_number_ranges_and_multi_choices(self) -> None:
        schema = FieldSchema.default().add(
            FieldDefinition(
                key="services",
                type=FieldType.MULTI_CHOICE,
                labels={"en": "Services"},
                choices=(Choice("cut", {"en": "Cut"}),),
            )
        )
        props = schema.json_schema(Context.STAFF)["properties"]
        assert props["weight_kg"] == {
            "title": "Weight (kg)",
            "x-clientcard-type": "number",
            "type": "number",
            "minimum": 1.0,
            "maximum": 400.0,
            "x-clientcard-sensitive": True,
        }
        assert props["services"]["items"] == {"enum": ["cut"]}


class TestPhoneAndEmailOptions:
    def test_a_mobile_only_phone_field_refuses_a_landline(self) -> None:
        schema = FieldSchema.default().configure("phones", mobile_only=True)
        with pytest.raises(ValidationError) as caught:
            validate(schema, {"phones": "02 1234 5678"})
        assert caught.value.codes == {"phone.not_mobile"}
        assert validate(schema, {"phones": "333 1234567"}) == {"phones": ("+393331234567",)}

    def test_mobile_only_shows_in_forms(self) -> None:
        schema = FieldSchema.default().configure("phones", mobile_only=True)
        assert schema.form(Context.BOOKING)[3].mobile_only
        props = schema.json_schema(Context.BOOKING)["properties"]
        assert props["phones"]["x-clientcard-mobile-only"] is True

    def test_only_phone_fields_can_be_mobile_only(self) -> None:
        with pytest.raises(SchemaError) as caught:
            FieldDefinition(key="x", type=FieldType.TEXT, labels={"en": "X"}, mobile_only=True)
        assert caught.value.code == "schema.mobile_only_not_phone"

    def test_deliverability_checking_reaches_the_email_validator(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import email_validator

        asked: list[bool] = []
        real = email_validator.validate_email

        def spy(address: str, **options: bool) -> object:
            asked.append(options["check_deliverability"])
            return real(address, check_deliverability=False)

        monkeypatch.setattr(email_validator, "validate_email", spy)
        schema = FieldSchema.default()
        schema.validate(
            {"email": "a@example.com"}, Context.STAFF, today=TODAY, check_deliverability=True
        )
        schema.validate({"email": "a@example.com"}, Context.STAFF, today=TODAY)
        assert asked == [True, False]
