"""Properties: every format round-trips, and hostile files never crash or import a bad row."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from clientcard.book import ClientBook
from clientcard.cards import FieldValue
from clientcard.cards.card import ClientCard, Gender
from clientcard.cards.schema import Context
from clientcard.clock import FixedClock
from clientcard.errors import ImportFileError, ValidationError
from clientcard.exchange import FileFormat, ImportReport
from clientcard.exchange.duplicates import SAME, match
from clientcard.storage import MemoryStore
from tests.exchange.support import imported
from tests.strategies import typed_forms
from tests.support import NOW, TODAY

FORMATS: tuple[FileFormat, ...] = ("csv", "xlsx", "vcard", "json")


def scaled(share: float) -> int:
    """A share of the profile's examples: each test builds books and files, so the fast
    profile runs a dozen or so, and ``make fuzz`` (thorough) a thousand."""
    return max(int(settings().max_examples * share), 10)


def fresh_book() -> tuple[ClientBook, str]:
    book = ClientBook(MemoryStore(), clock=FixedClock(NOW))
    return book, book.create_business(name="Salone", region="IT", language="it").id


def everything(book: ClientBook, salon: str) -> list[dict[str, FieldValue]]:
    cards = list(book.business(salon).cards.list(limit=500))
    return sorted((card.values() for card in cards), key=repr)


def exported(book: ClientBook, salon: str, format: FileFormat) -> bytes:
    if format == "xlsx":
        binary = io.BytesIO()
        book.business(salon).exchange.export_cards(binary, format=format, include_notes=True)
        return binary.getvalue()
    text = io.StringIO(newline="")
    book.business(salon).exchange.export_cards(text, format=format, include_notes=True)
    return text.getvalue().encode("utf-8")


forms = typed_forms().map(lambda form: {k: v for k, v in form.items() if k != "weight_kg"})


class TestRoundTrips:
    @pytest.mark.parametrize("format", FORMATS)
    @settings(
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        max_examples=scaled(0.3),
    )
    @given(batch=st.lists(forms, min_size=1, max_size=3))
    def test_export_then_import_gives_the_same_cards(
        self, batch: list[dict[str, object]], format: FileFormat
    ) -> None:
        source, salon = fresh_book()
        cards = [source.business(salon).cards.add(form, context=Context.IMPORT) for form in batch]
        assume(all(match(a, b).score < SAME for a, b in itertools.combinations(cards, 2)))
        target, other = fresh_book()
        report = imported(target, other, exported(source, salon, format), format)
        assert report.rejected == ()
        assert everything(target, other) == everything(source, salon)

    @settings(suppress_health_check=[HealthCheck.too_slow], max_examples=scaled(0.25))
    @given(batch=st.lists(forms, min_size=1, max_size=3), format=st.sampled_from(FORMATS))
    def test_importing_an_export_into_its_own_book_adds_nothing(
        self, batch: list[dict[str, object]], format: FileFormat
    ) -> None:
        book, salon = fresh_book()
        for form in batch:
            book.business(salon).cards.add(form, context=Context.IMPORT)
        before = book.business(salon).cards.count()
        report = imported(book, salon, exported(book, salon, format), format)
        assert report.imported == 0
        assert book.business(salon).cards.count() == before


# -- hostile files ----------------------------------------------------------------------

HEADERS = ["Nome", "Cognome", "Cellulare", "E-mail", "Note", "Data di nascita", "Etichette"]
PAYLOADS = st.sampled_from(
    [
        "=cmd|' /C calc'!A0",
        "+1+1",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        '=HYPERLINK("http://evil.example","x")',
    ]
)
CELLS = st.one_of(
    st.sampled_from(["Giulia", "Rossi", "333 1234567", "anna@example.it", "10/12/1985", "vip"]),
    PAYLOADS,
    st.text(max_size=30),
    st.text(alphabet="\";,\n\r\t'x", max_size=12),
    st.integers(10_000, 140_000).map(lambda n: "x" * n),
)
ROWS = st.lists(st.lists(CELLS, min_size=0, max_size=9), max_size=8)


@st.composite
def hostile_csv(draw: st.DrawFn) -> bytes:
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    out = io.StringIO(newline="")
    writer = csv.writer(
        out, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"]))
    )
    writer.writerow(HEADERS[: draw(st.integers(1, len(HEADERS)))])
    for row in draw(ROWS):
        writer.writerow(row)
    text = out.getvalue()
    if draw(st.booleans()):
        # Unbalanced quotes and stray delimiters: framing a writer would never produce.
        text += draw(st.text(alphabet='"\n;,x', max_size=40))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=12)) + data[cut:]
    return data


def check_nothing_bad_came_in(book: ClientBook, salon: str, report: ImportReport) -> None:
    outcomes = report.imported + report.already_present + report.skipped + len(report.rejected_rows)
    assert outcomes == report.rows
    schema = book.get_business(salon).schema
    for card in book.business(salon).cards.list(limit=500):
        values = {
            key: value.value if isinstance(value, Gender) else value
            for key, value in card.values().items()
        }
        # Every card holds exactly what validation keeps: revalidating changes nothing.
        assert schema.validate(values, Context.IMPORT, today=TODAY) == card.values()
        ClientCard.__attrs_post_init__(card)


def no_formula_cells(book: ClientBook, salon: str) -> None:
    out = io.StringIO(newline="")
    book.business(salon).exchange.export_cards(out, format="csv")
    for row in csv.reader(io.StringIO(out.getvalue())):
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


class TestHostileFiles:
    @settings(
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        max_examples=scaled(1.5),
    )
    @given(data=hostile_csv())
    def test_a_hostile_csv_never_crashes_nor_brings_in_a_bad_row(self, data: bytes) -> None:
        book, salon = fresh_book()
        try:
            report = imported(book, salon, data, "csv")
        except ImportFileError as refused:
            # Empty, or plainly binary: refused whole, with a typed error, before any row.
            assert refused.code in {"file.empty", "file.not_csv", "file.vcard_not_csv"}
            assert book.business(salon).cards.count() == 0
            return
        except ValidationError as refused:
            # A header naming no field of the card (bytes broken right in it): the file
            # is refused whole, with a typed error, before any row.
            assert refused.codes == {"mapping.no_columns"}
            assert book.business(salon).cards.count() == 0
            return
        check_nothing_bad_came_in(book, salon, report)
        no_formula_cells(book, salon)

    @settings(suppress_health_check=[HealthCheck.too_slow], max_examples=scaled(1))
    @given(
        lines=st.lists(
            st.one_of(
                st.sampled_from(
                    ["BEGIN:VCARD", "END:VCARD", "VERSION:3.0", "N:Rossi;Anna;;;", "FN:Anna",
                     "TEL:333 1234567", "EMAIL:a@example.it", "BDAY:--1310", "NOTE:=1+1",
                     "PHOTO;ENCODING=b:!!!", "item1.EMAIL;type=pref:b@x.it", " folded",
                     "N;ENCODING=QUOTED-PRINTABLE:=C3=A9;=", "ADR:;;a;b;c;d;e;f;g"]
                ),
                st.text(max_size=40),
            ),
            max_size=30,
        ),
        encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
    )  # fmt: skip
    def test_a_hostile_vcard_file_never_crashes_nor_brings_in_a_bad_card(
        self, lines: list[str], encoding: str
    ) -> None:
        book, salon = fresh_book()
        data = "\r\n".join(lines).encode(encoding, errors="replace")
        try:
            report = imported(book, salon, data, "vcard")
        except ImportFileError as refused:
            # Empty, or not beginning as a vCard file does: refused whole, before any card.
            assert refused.code in {"file.empty", "file.not_vcard"}
            assert book.business(salon).cards.count() == 0
            return
        check_nothing_bad_came_in(book, salon, report)

    @settings(suppress_health_check=[HealthCheck.too_slow], max_examples=scaled(1))
    @given(
        text=st.one_of(
            st.text(alphabet='[]{}",:\n tfnul0123456789abc', max_size=80),
            st.lists(
                st.dictionaries(
                    st.sampled_from(["first_name", "email", "phones", "notes", "consent", "x"]),
                    st.one_of(st.text(max_size=10), st.integers(), st.booleans(), st.none(),
                              st.lists(st.text(max_size=5), max_size=3)),
                ),
                max_size=5,
            ).map(json.dumps),
        )
    )  # fmt: skip
    def test_hostile_json_never_crashes_nor_brings_in_a_bad_card(self, text: str) -> None:
        book, salon = fresh_book()
        report = imported(book, salon, text, "json")
        check_nothing_bad_came_in(book, salon, report)

    @settings(suppress_health_check=[HealthCheck.too_slow], max_examples=scaled(0.75))
    @given(
        rows=st.lists(
            st.lists(
                st.one_of(
                    st.none(), st.integers(), st.floats(allow_nan=True), st.booleans(),
                    st.dates().map(lambda d: dt.datetime(d.year, d.month, d.day)),
                    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc"]),
                            max_size=20),
                    PAYLOADS.filter(lambda p: not p.startswith(("\t", "\r"))),
                ),
                max_size=8,
            ),
            max_size=6,
        )
    )  # fmt: skip
    def test_a_hostile_workbook_never_crashes_nor_brings_in_a_bad_row(
        self, rows: list[list[object]]
    ) -> None:
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(HEADERS)
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        workbook.save(out)
        book, salon = fresh_book()
        report = imported(book, salon, out.getvalue(), "xlsx")
        check_nothing_bad_came_in(book, salon, report)
