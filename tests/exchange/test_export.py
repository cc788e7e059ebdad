from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from clientcard.book import ClientBook
from clientcard.cards.schema import FieldDefinition, FieldType
from clientcard.consent import Channel, Purpose
from clientcard.exchange import Selection
from clientcard.storage import CardQuery
from tests.support import record


@pytest.fixture
def clients(book: ClientBook, salon: str) -> dict[str, str]:
    book.business(salon).cards.change_schema(
        lambda s: s.add(
            FieldDefinition(
                key="allergies", type=FieldType.LONG_TEXT, labels={"en": "Allergies",
                "it": "Allergie"}, sensitive=True,
            )
        ).add(FieldDefinition(key="loyal", type=FieldType.BOOLEAN, labels={"it": "Fedele"}))
    )  # fmt: skip
    book.business(salon).groups.add(key="vip", label="VIP")
    giulia = book.business(salon).cards.add(
        {"first_name": "Giulia", "last_name": "Bianchi", "email": "giulia@example.it",
         "phones": "333 1234567", "client_group": "vip", "tags": "sposa", "gender": "female",
         "notes": "=1+1", "loyal": "yes"})  # fmt: skip
    marco = book.business(salon).cards.add(
        {"first_name": "Marco", "last_name": "Rossi", "tags": "colore"}
    )
    record(book, salon, giulia.id, wording_version="v1")
    return {"giulia": giulia.id, "marco": marco.id}


def csv_rows(book: ClientBook, salon: str, **options: object) -> list[list[str]]:
    out = io.StringIO(newline="")
    book.business(salon).exchange.export_cards(out, format="csv", **options)  # type: ignore[arg-type]
    return list(csv.reader(io.StringIO(out.getvalue())))


class TestSelection:
    @pytest.mark.parametrize(
        ("selection", "names"),
        [
            (Selection(), ["Giulia", "Marco"]),
            (Selection(search="ross"), ["Marco"]),
            (Selection(query=CardQuery(group="vip")), ["Giulia"]),
            (Selection(query=CardQuery(tag="colore")), ["Marco"]),
            (Selection(query=CardQuery(contactable=("marketing", "email"))), ["Giulia"]),
            (Selection(search="   "), []),
        ],
        ids=["all", "search", "group", "tag", "segment", "empty-search"],
    )
    def test_a_selection_picks_the_cards(
        self,
        book: ClientBook,
        salon: str,
        clients: dict[str, str],
        selection: Selection,
        names: list[str],
    ) -> None:
        rows = csv_rows(book, salon, selection=selection)
        assert [row[0] for row in rows[1:]] == names

    def test_cards_can_be_picked_by_id(
        self, book: ClientBook, salon: str, clients: dict[str, str]
    ) -> None:
        rows = csv_rows(book, salon, selection=Selection(card_ids=(clients["marco"],)))
        assert [row[0] for row in rows[1:]] == ["Marco"]


class TestSpreadsheets:
    def test_headers_are_the_business_labels_in_its_language(
        self, book: ClientBook, salon: str, clients: dict[str, str]
    ) -> None:
        header = csv_rows(book, salon)[0]
        assert header[:4] == ["Nome", "Cognome", "E-mail", "Telefono"]
        assert "Fedele" in header
        assert csv_rows(book, salon, lang="nl")[0][:2] == ["Voornaam", "Achternaam"]

    def test_values_are_written_as_people_read_them(
        self, book: ClientBook, salon: str, clients: dict[str, str]
    ) -> None:
        rows = csv_rows(book, salon, include_notes=True)
        giulia = dict(zip(rows[0], rows[1], strict=True))
        assert giulia["Telefono"] == "'+39 333 123 4567"
        assert giulia["Sesso"] == "Donna"
        assert giulia["Fedele"] == "sì"
        assert giulia["Note"] == "'=1+1"

    def test_notes_are_left_out_unless_asked_for_as_they_may_hold_health_data(
        self, book: ClientBook, salon: str, clients: dict[str, str]
    ) -> None:
        book.business(salon).cards.add({"first_name": "Eva", "notes": "allergia al nichel"})
        for format in ("csv", "vcard", "json"):
            out = io.StringIO(newline="")
            report = book.business(salon).exchange.export_cards(out, format=format)  # type: ignore[arg-type]
            assert "nichel" not in out.getvalue()
            assert report.notes_left_out == ("notes",)
        rows = csv_rows(book, salon, include_notes=True)
        assert any("allergia al nichel" in row for row in rows)

    def test_sensitive_fields_are_left_out_unless_asked_for(
        self, book: ClientBook, salon: str, clients: dict[str, str]
    ) -> None:
        out = io.StringIO(newline="")
        report = book.business(salon).exchange.export_cards(out, format="csv")
        assert set(report.left_out) == {"weight_kg", "height_cm", "allergies"}
        assert "Allergie" not in out.getvalue()
        assert "Allergie" in csv_rows(book, salon, include_sensitive=True)[0]

    def test_labels_two_fields_share_name_their_keys(self, book: ClientBook, salon: str) -> None:
        book.business(salon).cards.change_schema(lambda s: s.relabel("profession", {"it": "Note"}))
        book.business(salon).cards.add({"first_name": "Eva"})
        header = csv_rows(book, salon, include_notes=True)[0]
        assert "Note [notes]" in header
        assert "Note [profession]" in header

    def test_excel_has_one_sheet_named_after_the_business(
        self, book: ClientBook, salon: str, clients: dict[str, str], tmp_path: Path
    ) -> None:
        path = tmp_path / "clienti.xlsx"
        report = book.business(salon).exchange.export_cards(path, format="xlsx")
        workbook = load_workbook(path)
        assert workbook.sheetnames == ["Salone Bella"]
        sheet = workbook.active
        assert sheet is not None
        assert report.count == 2
        assert sheet["A1"].value == "Nome"
        assert sheet.max_row == 3


class TestOtherFormats:
    def test_json_keeps_exact_values_and_can_carry_consent(
        self, book: ClientBook, salon: str, clients: dict[str, str]
    ) -> None:
        out = io.StringIO()
        book.business(salon).exchange.export_cards(out, format="json", include_consent=True)
        cards = json.loads(out.getvalue())["cards"]
        assert cards[0]["phones"] == ["+393331234567"]
        assert cards[0]["gender"] == "female"
        assert cards[0]["loyal"] is True
        assert cards[0]["consent"] == {"marketing.email": True}
        assert "consent" not in cards[1]

    def test_vcard_is_version_4(
        self, book: ClientBook, salon: str, clients: dict[str, str]
    ) -> None:
        out = io.StringIO(newline="")
        assert book.business(salon).exchange.export_cards(out, format="vcard").count == 2
        text = out.getvalue()
        assert text.count("BEGIN:VCARD\r\nVERSION:4.0\r\n") == 2
        assert "TEL;VALUE=uri:tel:+393331234567" in text
        assert "X-CLIENTCARD-LOYAL:sì" in text

    def test_an_unknown_format_is_refused(self, book: ClientBook, salon: str) -> None:
        with pytest.raises(ValueError, match="format"):
            book.business(salon).exchange.export_cards(io.StringIO(), format="pdf")  # type: ignore[arg-type]

    def test_withdrawn_consent_is_exported_as_false(
        self, book: ClientBook, salon: str, clients: dict[str, str]
    ) -> None:
        from clientcard.consent import ConsentAction

        record(book, salon, clients["marco"], purpose=Purpose.MARKETING, channel=Channel.SMS,
               action=ConsentAction.WITHDRAW)  # fmt: skip
        out = io.StringIO()
        book.business(salon).exchange.export_cards(out, format="json", include_consent=True)
        cards = json.loads(out.getvalue())["cards"]
        assert cards[1]["consent"] == {"marketing.sms": False}
