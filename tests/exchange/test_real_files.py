"""A salon's first day: client lists exported by phones and other programs (issue 20).

The files in ``files/`` are written byte for byte as the programs write them: CRLF line
ends, folded lines, quoted-printable soft line breaks, Windows-1252, Google's ``:::``.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from clientcard.book import ClientBook
from clientcard.cards.card import BirthDate, ClientCard
from clientcard.cards.schema import FieldSchema
from clientcard.contact import name, phone
from clientcard.errors import ImportFileError
from clientcard.exchange import ColumnMapping, ImportReport, Record
from clientcard.exchange.mapping import apply_mapping
from clientcard.exchange.vcard import open_vcards
from tests.exchange.support import imported

FILES = Path(__file__).parent / "files"


def import_file(book: ClientBook, salon: str, name: str, **options: object) -> ImportReport:
    return book.business(salon).exchange.import_file(FILES / name, **options)  # type: ignore[arg-type]


def card_named(book: ClientBook, salon: str, first_name: str) -> ClientCard:
    found = [c for c in book.business(salon).cards.list(limit=100) if c.first_name == first_name]
    assert len(found) == 1, first_name
    return found[0]


def birthday(card: ClientCard) -> BirthDate:
    assert card.birth_date is not None
    return card.birth_date


class TestIphone:
    def test_a_birthday_saved_without_a_year_keeps_day_and_month(
        self, book: ClientBook, salon: str
    ) -> None:
        report = import_file(book, salon, "iphone.vcf")
        assert report.rejected == ()
        maria = card_named(book, salon, "Maria (mamma)")
        assert birthday(maria).iso() == "--06-21"
        # Nothing else of the contact is lost with it.
        assert maria.email == "maria.esposito@example.it"
        assert maria.phones == ("+393477654321",)
        assert maria.address.city == "Napoli"

    def test_a_vcard_3_birthday_without_a_year_is_kept(self, book: ClientBook, salon: str) -> None:
        import_file(book, salon, "iphone.vcf")
        assert birthday(card_named(book, salon, "Giulia 2")).iso() == "--06-21"

    def test_the_rfc_6350_form_without_a_year_is_kept(self, book: ClientBook, salon: str) -> None:
        import_file(book, salon, "rfc6350.vcf")
        assert birthday(card_named(book, salon, "Sara")).iso() == "--06-21"

    @pytest.mark.parametrize(
        "bday",
        [
            "BDAY;X-APPLE-OMIT-YEAR=1604:1604-06-21",
            "BDAY;X-APPLE-OMIT-YEAR=1604;VALUE=date:16040621",
            "BDAY:1604-06-21",
            "BDAY:0000-06-21",
            "BDAY:--0621",
            "BDAY;VALUE=date:--06-21",
        ],
    )
    def test_every_year_less_form_reads_as_day_and_month(
        self, book: ClientBook, salon: str, bday: str
    ) -> None:
        card = f"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Neri;Ada;;;\r\n{bday}\r\nEND:VCARD\r\n"
        report = imported(book, salon, card, "vcard")
        assert report.imported == 1
        assert report.warnings == ()
        assert birthday(card_named(book, salon, "Ada")).iso() == "--06-21"

    def test_names_as_salons_write_them_are_kept_as_written(
        self, book: ClientBook, salon: str
    ) -> None:
        report = import_file(book, salon, "iphone.vcf")
        assert report.imported == 3
        names = sorted(c.first_name or "" for c in book.business(salon).cards.list(limit=10))
        assert names == ["Anna & Marco", "Giulia 2", "Maria (mamma)"]

    def test_a_name_written_so_is_found_by_search(self, book: ClientBook, salon: str) -> None:
        import_file(book, salon, "iphone.vcf")
        found = book.business(salon).cards.search("mamma")
        assert [card.first_name for card in found] == ["Maria (mamma)"]

    def test_a_vcard_name_that_cannot_be_kept_is_a_rejection_not_a_silent_drop(
        self, book: ClientBook, salon: str
    ) -> None:
        card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:<b>42</b>\r\nTEL:333 1234567\r\nEND:VCARD\r\n"
        report = imported(book, salon, card, "vcard")
        assert [(i.field, i.code) for i in report.rejected] == [("first_name", "name.invalid")]


class TestOptionalFields:
    def test_an_unknown_country_and_a_vague_birthday_are_left_out_with_warnings(
        self, book: ClientBook, salon: str
    ) -> None:
        report = import_file(book, salon, "iphone.vcf", lang="en")
        anna = card_named(book, salon, "Anna & Marco")
        assert anna.birth_date is None
        assert anna.address.country is None
        assert anna.address.city == "Paris"
        left_out = {(w.row, w.field, w.code) for w in report.warnings}
        assert left_out == {(3, "country", "country.invalid"), (3, "birth_date", "date.invalid")}

    def test_the_warning_names_the_reason_never_the_value(
        self, book: ClientBook, salon: str
    ) -> None:
        report = import_file(book, salon, "iphone.vcf", lang="en")
        text = report.text() + report.to_json()
        assert "Atlantide" not in text
        assert "circa" not in text
        assert "could not be read and was left out" in text

    def test_a_birthday_far_in_the_past_is_left_out_in_a_table_too(
        self, book: ClientBook, salon: str
    ) -> None:
        report = imported(book, salon, "Nome;Cognome;Compleanno\nAda;Neri;12/03/1800\n")
        assert report.imported == 1
        assert [(w.field, w.code) for w in report.warnings] == [("birth_date", "date.too_old")]

    def test_an_unreadable_contact_field_still_rejects_the_row(
        self, book: ClientBook, salon: str
    ) -> None:
        report = imported(book, salon, "Nome;Cognome;Email;Paese\nAda;Neri;not-an-address;Mars\n")
        assert report.imported == 0
        assert {i.field for i in report.rejected} == {"email", "country"}

    def test_a_field_the_business_requires_still_rejects_the_row(
        self, book: ClientBook, salon: str
    ) -> None:
        book.business(salon).cards.change_schema(lambda s: s.configure("birth_date", required=True))
        report = imported(book, salon, "Nome;Cognome;Compleanno\nAda;Neri;circa 1800\n")
        assert report.imported == 0
        assert [i.code for i in report.rejected] == ["date.invalid"]


class TestGoogleContacts:
    def test_several_values_of_one_label_keep_the_first_and_warn(
        self, book: ClientBook, salon: str
    ) -> None:
        report = import_file(book, salon, "google-contacts.csv")
        assert report.rejected == ()
        lucia = card_named(book, salon, "Lucia")
        assert lucia.email == "lucia.romano@example.it"
        assert lucia.phones == ("+393331234567", "+393470001111")
        assert (2, "email", "import.extra_value_ignored") in {
            (w.row, w.field, w.code) for w in report.warnings
        }
        assert "lavoro" not in report.to_json()

    def test_system_labels_are_not_tags(self, book: ClientBook, salon: str) -> None:
        import_file(book, salon, "google-contacts.csv")
        assert card_named(book, salon, "Lucia").tags == ("Clienti",)

    def test_a_year_less_birthday_and_a_trunk_prefix_are_read(
        self, book: ClientBook, salon: str
    ) -> None:
        import_file(book, salon, "google-contacts.csv")
        assert birthday(card_named(book, salon, "Elena")).iso() == "--06-21"
        assert card_named(book, salon, "Paola").phones == ("+393391234567",)


class TestOutlook:
    def test_a_quoted_printable_note_without_a_charset_of_its_own_is_read(
        self, book: ClientBook, salon: str
    ) -> None:
        report = import_file(book, salon, "outlook-2.1.vcf")
        assert report.rejected == ()
        chiara = card_named(book, salon, "Chiara")
        assert chiara.notes == (
            "Preferisce il tè verde, capelli ricci.\nColore: castano ramato n. 6"
        )
        assert chiara.address.city == "Forlì"

    def test_numbers_with_a_bracketed_trunk_prefix_are_read(
        self, book: ClientBook, salon: str
    ) -> None:
        import_file(book, salon, "outlook-2.1.vcf")
        # Italy keeps the 0 of landlines in international numbers; mobiles have none.
        assert card_named(book, salon, "Chiara").phones == ("+393391234567", "+390212345678")

    def test_commas_in_a_note_written_unescaped_are_kept(
        self, book: ClientBook, salon: str
    ) -> None:
        card = (
            "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Neri;Ada;;;\r\n"
            "NOTE:tinta, piega, taglio\r\nEND:VCARD\r\n"
        )
        imported(book, salon, card, "vcard")
        assert card_named(book, salon, "Ada").notes == "tinta, piega, taglio"


class TestProperties:
    @given(day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2000, 12, 31)))
    def test_every_apple_year_less_birthday_reads_as_its_day_and_month(self, day: dt.date) -> None:
        line = f"BDAY;X-APPLE-OMIT-YEAR=1604:1604-{day:%m-%d}"
        (record,) = vcard_records(
            f"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Neri;Ada;;;\r\n{line}\r\nEND:VCARD\r\n"
        )
        assert record.values["birth_date"] == f"--{day:%m-%d}"

    @given(number=st.integers(min_value=3_200_000_000, max_value=3_499_999_999))
    def test_a_bracketed_trunk_prefix_reads_as_the_number_without_it(self, number: int) -> None:
        written = f"+39 {number}"
        assume(phone.is_valid(written, "IT"))
        with_trunk = f"+39 (0){str(number)[:3]} {str(number)[3:]}"
        assert phone.normalize(with_trunk, "IT") == phone.normalize(written, "IT")

    @given(
        first=st.text(st.characters(categories=["L"]), min_size=1, max_size=10),
        extra=st.sampled_from([" (mamma)", " & Marco", " 2", " #2", " / lavoro", ""]),
    )
    def test_names_with_a_letter_are_kept_as_written(self, first: str, extra: str) -> None:
        written = unicodedata.normalize("NFC", first + extra)
        assume(written == " ".join(written.split()))
        assert name.normalize(written) == written

    @given(
        cells=st.lists(
            st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=8), min_size=1,
            max_size=4,
        )
    )  # fmt: skip
    def test_a_google_cell_of_several_values_keeps_the_first(self, cells: list[str]) -> None:
        schema = FieldSchema.default()
        mapping = ColumnMapping.suggest(["Organization Title"], schema)
        row = apply_mapping(
            mapping, [" ::: ".join(cells)], schema, order="dmy", today=dt.date(2026, 1, 1),
            lang="en",
        )  # fmt: skip
        assert row.values["profession"] == cells[0]
        expected = (("profession", "import.extra_value_ignored"),) if len(cells) > 1 else ()
        assert row.warnings == expected


def vcard_records(text: str) -> list[Record]:
    with open_vcards(io.BytesIO(text.encode("utf-8"))) as source:
        return list(source.records())


class TestAVcardFileNamedCsv:
    """Contacts exported from a phone, then renamed .csv: refused saying what they are."""

    @pytest.mark.parametrize("name", ["iphone.vcf", "outlook-2.1.vcf", "rfc6350.vcf"])
    def test_it_is_refused_as_a_vcard_before_any_row(
        self, book: ClientBook, salon: str, tmp_path: Path, name: str
    ) -> None:
        renamed = tmp_path / "contatti.csv"
        renamed.write_bytes((FILES / name).read_bytes())
        with pytest.raises(ImportFileError) as refused:
            book.business(salon).exchange.import_file(renamed)
        assert refused.value.code == "file.vcard_not_csv"
        assert book.business(salon).cards.count() == 0

    @pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
    def test_it_is_recognised_behind_a_byte_order_mark(
        self, book: ClientBook, salon: str, encoding: str
    ) -> None:
        data = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Anna Rossi\r\nEND:VCARD\r\n".encode(encoding)
        with pytest.raises(ImportFileError) as refused:
            imported(book, salon, data, "csv")
        assert refused.value.code == "file.vcard_not_csv"

    def test_a_csv_mentioning_vcards_in_a_later_line_is_read(
        self, book: ClientBook, salon: str
    ) -> None:
        report = imported(book, salon, "Nome;Note\nAnna;BEGIN:VCARD in the notes\n", "csv")
        assert report.imported == 1
