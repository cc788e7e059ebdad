from __future__ import annotations

import datetime as dt

import pytest

from clientcard.cards.schema import FieldDefinition, FieldSchema, FieldType
from clientcard.consent import Channel, Purpose
from clientcard.errors import ValidationError
from clientcard.exchange import ColumnMapping
from clientcard.exchange.mapping import apply_mapping, consent_target, normalise_header, read_date

TODAY = dt.date(2026, 11, 23)


def targets(*headers: str, schema: FieldSchema | None = None) -> tuple[str | None, ...]:
    return ColumnMapping.suggest(headers, schema or FieldSchema.default()).targets


def read(mapping: ColumnMapping, *cells: str) -> dict[str, object]:
    row = apply_mapping(mapping, cells, FieldSchema.default(), order="dmy", today=TODAY, lang="en")
    return row.values


class TestSuggestions:
    def test_italian_salon_headers_map(self) -> None:
        assert targets("Nome", "Cognome", "Cellulare", "E-mail", "CAP", "Città", "Note") == (
            "first_name", "last_name", "phones", "email", "postcode", "city", "notes",
        )  # fmt: skip

    def test_dutch_salon_headers_map(self) -> None:
        assert targets("Voornaam", "Tussenvoegsel", "Achternaam", "Telefoon", "Woonplaats") == (
            "first_name", "name_infix", "last_name", "phones", "city",
        )  # fmt: skip

    def test_google_contacts_headers_map(self) -> None:
        assert targets(
            "Given Name", "Family Name", "E-mail 1 - Value", "Phone 1 - Value",
            "Phone 2 - Value", "Labels", "Birthday",
        ) == (
            "first_name", "last_name", "email", "phones", "phones", "tags", "birth_date",
        )  # fmt: skip

    def test_outlook_headers_map(self) -> None:
        assert targets(
            "First Name", "Last Name", "E-mail Address", "Mobile Phone", "Home Street",
            "Home Postal Code", "Home Country/Region", "Categories", "Job Title",
        ) == (
            "first_name", "last_name", "email", "phones", "street", "postcode", "country",
            "tags", "profession",
        )  # fmt: skip

    def test_the_business_labels_and_custom_fields_map(self) -> None:
        schema = FieldSchema.default().add(
            FieldDefinition(key="hair", type=FieldType.TEXT, labels={"it": "Tipo di capelli"})
        )
        assert targets("Tipo di capelli", "hair", "Gruppo clienti", schema=schema) == (
            "hair", "hair", "client_group",
        )  # fmt: skip

    def test_a_bracketed_key_wins_over_the_label(self) -> None:
        assert targets("Phone [notes]") == ("notes",)

    def test_unknown_headers_are_ignored(self) -> None:
        mapping = ColumnMapping.suggest(("Nome", "Colore preferito"), FieldSchema.default())
        assert mapping.ignored == (2,)
        assert mapping.mapped == {"first_name": [1]}

    def test_retired_fields_are_not_suggested(self) -> None:
        schema = FieldSchema.default().retire("profession")
        assert targets("Professione", schema=schema) == (None,)

    def test_consent_headers_in_the_canonical_form_map(self) -> None:
        assert targets("consent.marketing.email", "Consent profiling") == (
            "consent.marketing.email", "consent.profiling",
        )  # fmt: skip

    def test_headers_fold_accents_case_and_punctuation(self) -> None:
        assert normalise_header("  Città / Località ") == "citta localita"


class TestOverrides:
    def test_a_header_or_a_column_number_can_be_remapped_or_ignored(self) -> None:
        mapping = ColumnMapping.suggest(("Nome", "Tel", "Tel"), FieldSchema.default())
        changed = mapping.with_targets({"Nome": "last_name", 3: None})
        assert changed.targets == ("last_name", "phones", None)

    def test_an_unknown_column_is_refused(self) -> None:
        mapping = ColumnMapping.suggest(("Nome",), FieldSchema.default())
        with pytest.raises(ValidationError) as caught:
            mapping.with_targets({"Cognome": "last_name"})
        assert caught.value.codes == {"mapping.unknown_column"}

    @pytest.mark.parametrize("target", ["favourite", "consent.marketing", "consent.nope.email"])
    def test_a_target_the_schema_lacks_is_refused_by_column_number(self, target: str) -> None:
        mapping = ColumnMapping(headers=("x",), targets=(target,))
        with pytest.raises(ValidationError) as caught:
            mapping.check(FieldSchema.default())
        assert caught.value.issues[0].field == "column1"
        assert caught.value.codes == {"mapping.unknown_target"}

    def test_a_mapping_that_fills_nothing_is_refused(self) -> None:
        with pytest.raises(ValidationError) as caught:
            ColumnMapping(headers=("x",), targets=(None,)).check(FieldSchema.default())
        assert caught.value.codes == {"mapping.no_columns"}

    def test_consent_targets_name_a_purpose_and_a_channel(self) -> None:
        assert consent_target("consent.marketing.sms") == (Purpose.MARKETING, Channel.SMS)
        assert consent_target("consent.profiling") == (Purpose.PROFILING, None)
        assert consent_target("first_name") is None


class TestCells:
    def test_several_phone_columns_and_separators_collect_every_number(self) -> None:
        mapping = ColumnMapping(headers=("a", "b"), targets=("phones", "phones"))
        assert read(mapping, "333 1234567; 02 1234567", "333 1234567") == {
            "phones": ["333 1234567", "02 1234567"]
        }

    def test_a_second_email_is_left_out_with_a_warning(self) -> None:
        mapping = ColumnMapping(headers=("a", "b"), targets=("email", "email"))
        row = apply_mapping(
            mapping, ("a@x.it", "b@x.it"), FieldSchema.default(), order="dmy", today=TODAY,
            lang="en",
        )  # fmt: skip
        assert row.values == {"email": "a@x.it"}
        assert row.warnings == (("email", "import.extra_value_ignored"),)

    def test_dutch_infix_goes_before_the_last_name(self) -> None:
        mapping = ColumnMapping(
            headers=("v", "t", "a"), targets=("first_name", "name_infix", "last_name")
        )
        assert read(mapping, "Sanne", "van der", "Berg") == {
            "first_name": "Sanne",
            "last_name": "van der Berg",
        }

    def test_a_full_name_is_split_when_no_name_column_is_filled(self) -> None:
        mapping = ColumnMapping(headers=("n",), targets=("full_name",))
        assert read(mapping, "Anna Maria Rossi") == {
            "first_name": "Anna",
            "last_name": "Maria Rossi",
        }

    def test_house_numbers_join_the_street(self) -> None:
        mapping = ColumnMapping(headers=("s", "n"), targets=("street", "house_number"))
        assert read(mapping, "Kerkstraat", "12a") == {"street": "Kerkstraat 12a"}

    def test_choices_read_their_labels_and_gender_letters(self) -> None:
        mapping = ColumnMapping(headers=("g", "l"), targets=("gender", "language"))
        assert read(mapping, "Donna", "Italiano") == {"gender": "female", "language": "it"}
        assert read(mapping, "V", "nl") == {"gender": "female", "language": "nl"}

    def test_country_names_become_codes(self) -> None:
        mapping = ColumnMapping(headers=("c",), targets=("country",))
        assert read(mapping, "Paesi Bassi") == {"country": "NL"}

    def test_google_system_labels_are_not_tags(self) -> None:
        mapping = ColumnMapping(headers=("l",), targets=("tags",))
        assert read(mapping, "* myContacts ::: VIP ::: Sposa") == {"tags": ["VIP", "Sposa"]}

    def test_a_consent_cell_must_say_yes_or_no(self) -> None:
        mapping = ColumnMapping(headers=("c",), targets=("consent.marketing.email",))
        for cell, stated in (("sì", True), ("Nee", False), ("X", True)):
            row = apply_mapping(
                mapping, (cell,), FieldSchema.default(), order="dmy", today=TODAY, lang="en"
            )
            assert row.consent == {"marketing.email": stated}
        row = apply_mapping(
            mapping, ("maybe",), FieldSchema.default(), order="dmy", today=TODAY, lang="en"
        )
        assert [issue.code for issue in row.issues] == ["consent.invalid"]

    @pytest.mark.parametrize(
        ("cell", "stated"),
        [("VERO", True), ("FALSO", False), ("WAAR", True), ("ONWAAR", False)],
    )
    def test_a_checkbox_saved_by_an_italian_or_dutch_excel_is_a_yes_or_no(
        self, cell: str, stated: bool
    ) -> None:
        mapping = ColumnMapping(headers=("c",), targets=("consent.marketing.email",))
        row = apply_mapping(
            mapping, (cell,), FieldSchema.default(), order="dmy", today=TODAY, lang="it"
        )
        assert row.consent == {"marketing.email": stated}
        assert row.issues == ()


class TestDates:
    @pytest.mark.parametrize(
        ("text", "order", "iso"),
        [
            ("1985-12-10", "dmy", "1985-12-10"),
            ("1985-12-10T00:00:00Z", "dmy", "1985-12-10"),
            ("19851210", "dmy", "1985-12-10"),
            ("--1210", "dmy", "--12-10"),
            ("10/12/1985", "dmy", "1985-12-10"),
            ("12/10/1985", "mdy", "1985-12-10"),
            ("10.12.85", "dmy", "1985-12-10"),
            ("10-12-20", "dmy", "2020-12-10"),
            ("10/12", "dmy", "--12-10"),
            ("1985/12/10", "mdy", "1985-12-10"),
            ("0/0/00", "mdy", ""),
            ("yesterday", "dmy", "yesterday"),
            ("1985/12", "dmy", "1985/12"),
        ],
    )
    def test_dates_as_spreadsheets_write_them_become_iso(
        self, text: str, order: str, iso: str
    ) -> None:
        assert read_date(text, order, TODAY) == iso  # type: ignore[arg-type]
