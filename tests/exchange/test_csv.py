from __future__ import annotations

import codecs
import io

import pytest

from clientcard.exchange import neutralise, restore
from clientcard.exchange._source import MAX_LINE
from clientcard.exchange.csv import CsvTable, open_csv, sniff_delimiter, write_csv

TEXT = "Nome;Cognome;Città\r\nGiulia;Bianchi;Forlì\r\nJosé;Núñez;Sant'Agata\r\n"


def table(
    data: bytes, **options: str
) -> tuple[CsvTable, list[tuple[int, tuple[str, ...], str | None]]]:
    with open_csv(io.BytesIO(data), **options) as opened:
        rows = [(row.number, row.cells, row.problem) for row in opened.rows()]
        return opened, rows


class TestEncodings:
    @pytest.mark.parametrize(
        ("encoded", "encoding"),
        [
            (TEXT.encode("utf-8"), "utf-8"),
            (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
            (TEXT.encode("utf-16"), "utf-16"),
            (TEXT.encode("utf-16-le"), "utf-16-le"),
            (TEXT.encode("utf-16-be"), "utf-16-be"),
            (TEXT.encode("cp1252"), "cp1252"),
        ],
        ids=["utf8", "utf8-bom", "utf16-bom", "utf16le", "utf16be", "windows-1252"],
    )
    def test_each_encoding_is_detected_and_read_the_same(
        self, encoded: bytes, encoding: str
    ) -> None:
        opened, rows = table(encoded)
        assert opened.encoding == encoding
        assert opened.headers == ("Nome", "Cognome", "Città")
        assert [cells for _, cells, _ in rows] == [
            ("Giulia", "Bianchi", "Forlì"),
            ("José", "Núñez", "Sant'Agata"),
        ]

    def test_a_named_encoding_overrides_detection(self) -> None:
        opened, rows = table("a;b\r\nà;è\r\n".encode("latin-1"), encoding="ISO-8859-1")
        assert opened.encoding == "latin-1"
        assert rows[0][1] == ("à", "è")

    def test_a_few_broken_bytes_in_utf8_keep_the_file_utf8(self) -> None:
        data = "a;b\r\nGiulia;Forlì\r\nbad;".encode() + b"\xff\xfe" + "\r\nJosé;Núñez\r\n".encode()
        opened, rows = table(data)
        assert opened.encoding == "utf-8"
        assert rows[0][1] == ("Giulia", "Forlì")
        assert rows[2][1] == ("José", "Núñez")
        assert any("\udcff" in cell for cell in rows[1][1])


class TestDelimitersAndRows:
    @pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
    def test_the_delimiter_is_detected(self, delimiter: str) -> None:
        data = f"first{delimiter}last{delimiter}city\nAnna{delimiter}Rossi{delimiter}Roma\n"
        opened, rows = table(data.encode())
        assert opened.delimiter == delimiter
        assert rows[0][1] == ("Anna", "Rossi", "Roma")

    def test_a_header_only_file_picks_its_most_frequent_delimiter(self) -> None:
        assert sniff_delimiter("a;b;c") == ";"
        assert sniff_delimiter("") == ","
        assert sniff_delimiter("single") == ","

    def test_rows_are_numbered_as_a_spreadsheet_shows_them_blank_ones_skipped(self) -> None:
        _, rows = table(b"a,b\n1,2\n\n,\n3,4\n")
        assert [(number, cells) for number, cells, _ in rows] == [(2, ("1", "2")), (5, ("3", "4"))]

    def test_quoted_fields_keep_delimiters_and_line_breaks(self) -> None:
        _, rows = table(b'a,b\n"Rossi, Anna","line one\nline two"\n')
        assert rows[0][1] == ("Rossi, Anna", "line one\nline two")

    def test_an_overlong_line_is_a_rejected_row_and_reading_goes_on(self) -> None:
        data = b"a,b\n" + b"x" * (MAX_LINE + 10) + b"\nAnna,Rossi\n"
        _, rows = table(data)
        assert rows == [(2, (), "row.too_long"), (3, ("Anna", "Rossi"), None)]

    def test_a_field_past_the_csv_limit_is_a_malformed_row(self) -> None:
        data = b'a,b\nAnna,"' + b"y" * 200_000 + b'"\nEva,Rossi\n'
        _, rows = table(data)
        assert rows[0][2] == "row.malformed"
        assert rows[-1][1] == ("Eva", "Rossi")

    def test_an_unseekable_stream_is_read_too(self) -> None:
        class Pipe(io.RawIOBase):
            def __init__(self, data: bytes) -> None:
                self._data = io.BytesIO(data)

            def readable(self) -> bool:
                return True

            def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
                chunk = self._data.read(len(buffer))
                buffer[: len(chunk)] = chunk
                return len(chunk)

        with open_csv(Pipe(TEXT.encode("utf-8"))) as opened:  # type: ignore[arg-type]
            assert opened.headers == ("Nome", "Cognome", "Città")
            assert len(list(opened.rows())) == 2


class TestFormulas:
    @pytest.mark.parametrize("text", ["=1+1", "+39 333", "-2", "@SUM(A1)", "\tx", "\rx"])
    def test_formula_starts_are_neutralised_and_restored(self, text: str) -> None:
        assert neutralise(text) == "'" + text
        assert restore(neutralise(text)) == text

    def test_ordinary_text_and_apostrophes_are_left_alone(self) -> None:
        assert neutralise("D'Angelo") == "D'Angelo"
        assert restore("'quoted'") == "'quoted'"

    def test_written_csv_has_no_cell_a_spreadsheet_would_run(self) -> None:
        out = io.StringIO(newline="")
        write_csv(out, ["=name"], [["=HYPERLINK(1)"], ["@x"], ["plain"]])
        assert out.getvalue().splitlines() == ["'=name", "'=HYPERLINK(1)", "'@x", "plain"]

    def test_reading_restores_what_writing_neutralised(self) -> None:
        out = io.StringIO(newline="")
        write_csv(out, ["notes"], [["=1+1"]])
        _, rows = table(out.getvalue().encode())
        assert rows[0][1] == ("=1+1",)
