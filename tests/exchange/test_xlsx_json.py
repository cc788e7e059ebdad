from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator

import pytest
from openpyxl import Workbook, load_workbook

from clientcard.book import ClientBook
from clientcard.exchange.portability import JsonSource, open_json, write_json
from clientcard.exchange.xlsx import XlsxError, XlsxTable, open_xlsx, write_xlsx
from tests.exchange.support import imported, values
from tests.support import NOW


def workbook(*rows: tuple[object, ...], title: str = "Clienti") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class TestExcelReading:
    def test_cells_of_every_type_read_as_import_text(self) -> None:
        data = workbook(
            ("Nome", "Nato il", "Peso", "Cliente fedele", None),
            ("Giulia", dt.datetime(1985, 12, 10), 62.5, True, None),
            (None, None, None, None, None),
            ("Anna", "10/12/1985", 70, False),
        )
        with open_xlsx(io.BytesIO(data)) as table:
            assert isinstance(table, XlsxTable)
            assert table.headers == ("Nome", "Nato il", "Peso", "Cliente fedele")
            rows = [(row.number, row.cells[:4]) for row in table.rows()]
        assert rows == [
            (2, ("Giulia", "1985-12-10", "62.5", "yes")),
            (4, ("Anna", "10/12/1985", "70", "no")),
        ]

    def test_a_sheet_that_breaks_half_way_keeps_the_rows_before(self) -> None:
        def rows() -> Iterator[tuple[object, ...]]:
            yield ("Nome",)
            yield ("Eva",)
            raise ValueError("damaged XML")

        table = XlsxTable(rows())
        assert [(row.cells, row.problem) for row in table.rows()] == [
            (("Eva",), None),
            ((), "row.malformed"),
        ]

    def test_a_named_sheet_is_read(self) -> None:
        data = workbook(("Nome",), ("Eva",), title="Elenco")
        with open_xlsx(io.BytesIO(data), sheet="Elenco") as table:
            assert [row.cells for row in table.rows()] == [("Eva",)]
        with pytest.raises(XlsxError), open_xlsx(io.BytesIO(data), sheet="Nope"):
            pass

    def test_a_file_that_is_not_a_workbook_is_refused(self) -> None:
        with pytest.raises(XlsxError), open_xlsx(io.BytesIO(b"Nome;Cognome\n")):
            pass

    def test_a_workbook_imports(self, book: ClientBook, salon: str) -> None:
        data = workbook(
            ("Nome", "Cellulare", "Data di nascita"), ("Giulia", 3331234567, dt.date(1985, 12, 10))
        )
        report = imported(book, salon, data, "xlsx")
        assert report.imported == 1
        (card,) = values(book, salon)
        assert card["phones"] == ("+393331234567",)


class TestExcelWriting:
    def test_the_header_is_styled_and_frozen_and_formulas_are_text(self) -> None:
        out = io.BytesIO()
        write_xlsx(out, ["Nome", "Note"], [["Giulia", '=HYPERLINK("x")'], ["@cmd", "\x07bell"]])
        sheet = load_workbook(io.BytesIO(out.getvalue())).active
        assert sheet is not None
        assert sheet.freeze_panes == "A2"
        header = sheet["A1"]
        assert header.font.b
        assert header.fill.fgColor.rgb.endswith("2F5597")
        formula = sheet["B2"]
        assert formula.data_type == "s"
        assert formula.value == '=HYPERLINK("x")'
        assert formula.quotePrefix
        assert sheet["A3"].quotePrefix
        assert sheet["B3"].value == "bell"


class TestJson:
    def records(self, text: str) -> list[tuple[int, dict[str, object], str | None]]:
        with open_json(io.BytesIO(text.encode())) as source:
            assert isinstance(source, JsonSource)
            return [(r.number, dict(r.values), r.problem) for r in source.records()]

    def test_the_written_document_reads_back_card_by_card(self) -> None:
        out = io.StringIO()
        write_json(out, "bella", [{"first_name": "Eva"}, {"first_name": "Anna"}], exported_at=NOW)
        document = json.loads(out.getvalue())
        assert document["format"] == "clientcard.cards"
        assert self.records(out.getvalue()) == [
            (1, {"first_name": "Eva"}, None),
            (2, {"first_name": "Anna"}, None),
        ]

    def test_a_bare_array_and_json_lines_are_read_too(self) -> None:
        assert len(self.records('[{"first_name": "Eva"}, {"first_name": "Anna"}]')) == 2
        assert len(self.records('{"first_name": "Eva"}\n{"first_name": "Anna"}\n')) == 2

    def test_a_document_larger_than_one_record_is_walked_to_its_cards(self) -> None:
        cards = [{"first_name": "Eva", "notes": "x" * 1000}] * 5000
        text = json.dumps({"format": "clientcard.cards", "version": 1, "cards": cards})
        found = self.records(text)
        assert len(found) == 5000
        assert found[-1] == (5000, cards[0], None)

    @pytest.mark.parametrize(
        "text",
        ['"just text"', '[{"first_name": "Eva"}, 42]', '[{"first_name": ', '{"a": 1}\n{broken'],
    )
    def test_broken_json_is_reported_never_raised(self, text: str) -> None:
        problems = [problem for _, _, problem in self.records(text)]
        assert "json.malformed" in problems

    def test_consent_must_be_booleans(self) -> None:
        assert (
            self.records('[{"first_name": "Eva", "consent": {"marketing.email": "yes"}}]')[0][2]
            == "consent.invalid"
        )
        assert self.records('[{"first_name": "Eva", "consent": ["x"]}]')[0][2] == "consent.invalid"
