from __future__ import annotations

import json
from pathlib import Path

import pytest

from clientcard.book import ClientBook
from clientcard.cards.card import CardStatus
from clientcard.cards.schema import FieldDefinition, FieldType
from clientcard.clock import FixedClock
from clientcard.consent import Channel, ConsentSource, Purpose
from clientcard.errors import ValidationError
from clientcard.locale import message
from clientcard.storage.protocol import ClientStore
from clientcard.storage.sqlite import SQLiteStore
from clientcard.testing.doubles import ListEventSink
from tests.exchange.support import imported, opened, values
from tests.support import NOW


@pytest.fixture
def book(sink: ListEventSink, book_store: ClientStore) -> ClientBook:
    """The import tests' book: in memory, then on the Citus cluster."""
    return ClientBook(book_store, clock=FixedClock(NOW), events=sink)


GOOD = "Nome;Cognome;Cellulare;E-mail\nGiulia;Bianchi;333 1234567;giulia@example.it\n"
MIXED = (
    "Nome;Cognome;Cellulare;E-mail\n"
    "Giulia;Bianchi;333 1234567;giulia@example.it\n"
    "Anna;Verdi;12;not-an-address\n"
    "Marco;Rossi;333 7654321;\n"
)


class TestReport:
    def test_good_rows_are_imported_and_bad_ones_reported_with_row_field_and_reason(
        self, book: ClientBook, salon: str
    ) -> None:
        report = imported(book, salon, MIXED)
        assert (report.rows, report.imported, report.rejected_rows) == (3, 2, (3,))
        assert [(i.row, i.field, i.column, i.code) for i in report.rejected] == [
            (3, "phones", 3, "phone.invalid"),
            (3, "email", 4, "email.invalid"),
        ]
        assert report.rejected[0].message == "Questo non è un numero di telefono valido."
        assert [v["first_name"] for v in values(book, salon)] == ["Giulia", "Marco"]

    def test_the_reports_never_hold_a_value_from_the_file(
        self, book: ClientBook, salon: str
    ) -> None:
        report = imported(book, salon, MIXED)
        for text in (report.to_json(), report.text()):
            for secret in ("Anna", "Verdi", "not-an-address", "Giulia", "Nome"):
                assert secret not in text

    def test_the_json_report_counts_every_outcome(self, book: ClientBook, salon: str) -> None:
        document = json.loads(imported(book, salon, MIXED).to_json())
        assert document["counts"] == {
            "rows": 3,
            "imported": 2,
            "already_present": 0,
            "skipped": 0,
            "rejected": 1,
            "consent_recorded": 0,
            "minors": 0,
        }
        assert document["delimiter"] == ";"
        assert document["mapping"][0] == {"column": 1, "target": "first_name"}

    def test_the_summary_speaks_the_business_language(self, book: ClientBook, salon: str) -> None:
        assert imported(book, salon, MIXED).summary() == (
            "3 righe lette: 2 importate, 0 già presenti, 1 scartate."
        )
        assert "3 rows read" in imported(book, salon, MIXED, lang="en", dry_run=True).text()

    def test_each_card_created_is_told_to_the_host(
        self, book: ClientBook, salon: str, sink: ListEventSink
    ) -> None:
        imported(book, salon, MIXED)
        created = [e for e in sink.events if e.kind.value == "card.created"]
        assert len(created) == 2
        assert created[0].fields == ("email", "first_name", "last_name", "phones")


class TestBatches:
    def test_rows_are_stored_in_batches_and_progress_is_told(
        self, book: ClientBook, salon: str
    ) -> None:
        rows = "".join(
            f"Cliente;Rossi {chr(65 + i % 26)}{chr(65 + i // 26)};333 {1000000 + i};\n"
            for i in range(7)
        )
        seen: list[int] = []
        report = imported(
            book, salon, "Nome;Cognome;Cellulare;E-mail\n" + rows, batch_size=3,
            progress=seen.append,
        )  # fmt: skip
        assert report.imported == 7
        assert seen == [3, 3, 1]
        assert book.business(salon).cards.count() == 7

    def test_a_dry_run_checks_everything_and_writes_nothing(
        self, book: ClientBook, salon: str, sink: ListEventSink
    ) -> None:
        report = imported(book, salon, MIXED, dry_run=True)
        assert (report.dry_run, report.imported, report.rejected_rows) == (True, 2, (3,))
        assert book.business(salon).cards.count() == 0
        assert sink.kinds() == ["business.created"]

    def test_the_host_may_choose_the_import_id_its_evidence_names(
        self, book: ClientBook, salon: str
    ) -> None:
        report = imported(book, salon, "Nome;Newsletter\nAnna;sì\n", import_id="onboarding-1",
                          mapping={"Newsletter": "consent.marketing.email"},
                          consent_wording="v1")  # fmt: skip
        assert report.import_id == "onboarding-1"
        (card,) = book.business(salon).cards.list()
        (grant,) = book.business(salon).consent.ledger(card.id)
        assert grant.evidence_ref == "import:onboarding-1"

    @pytest.mark.parametrize("bad", ["", "a/b", "x" * 65, "id\n"])
    def test_an_import_id_that_is_no_plain_name_is_refused(
        self, book: ClientBook, salon: str, bad: str
    ) -> None:
        with pytest.raises(ValueError, match="import_id"):
            imported(book, salon, "Nome\nAnna\n", import_id=bad)

    def test_a_batch_size_below_one_is_refused(self, book: ClientBook, salon: str) -> None:
        with pytest.raises(ValueError, match="batch_size"):
            imported(book, salon, GOOD, batch_size=0)

    @pytest.mark.postgres
    def test_a_postgres_book_takes_the_bulk_path(self) -> None:
        import uuid

        import psycopg
        from psycopg import sql

        from clientcard.storage.postgres import PostgresStore
        from tests.storage.conftest import postgres_dsn_or_skip

        dsn = postgres_dsn_or_skip()
        schema = f"cc_test_{uuid.uuid4().hex}"
        try:
            with PostgresStore(dsn, schema=schema) as store:
                book = ClientBook(store, clock=FixedClock(NOW))
                salon = book.create_business(name="S", region="IT").id
                rows = "".join(
                    f"Cliente;Rossi {chr(65 + i % 26)}{chr(65 + i // 26)};333 {1000000 + i};\n"
                    for i in range(40)
                )
                data = "Nome;Cognome;Cellulare;E-mail\n" + rows
                report = imported(book, salon, data, batch_size=15)
                assert report.imported == book.business(salon).cards.count() == 40
                assert imported(book, salon, data).already_present == 40
        finally:
            with psycopg.connect(dsn, autocommit=True) as connection:
                connection.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )

    def test_an_sqlite_book_takes_the_bulk_path(self, tmp_path: Path) -> None:
        with SQLiteStore(tmp_path / "c.db") as store:
            book = ClientBook(store, clock=FixedClock(NOW))
            salon = book.create_business(name="S", region="IT").id
            rows = "".join(
                f"Cliente;Rossi {chr(65 + i % 26)}{chr(65 + i // 26)};"
                f"333 {1000000 + i};c{i}@example.it\n"
                for i in range(30)
            )
            report = imported(book, salon, "Nome;Cognome;Cellulare;E-mail\n" + rows, batch_size=8)
            assert report.imported == book.business(salon).cards.count() == 30
            assert len(book.business(salon).cards.find_by_phone("333 1000007")) == 1


class TestIdempotence:
    def test_running_an_import_twice_creates_nothing_twice(
        self, book: ClientBook, salon: str
    ) -> None:
        imported(book, salon, MIXED)
        again = imported(book, salon, MIXED)
        assert (again.imported, again.already_present) == (0, 2)
        assert book.business(salon).cards.count() == 2
        assert {d.action for d in again.duplicates} == {"skipped"}

    def test_a_row_repeated_in_the_file_is_imported_once(
        self, book: ClientBook, salon: str
    ) -> None:
        report = imported(book, salon, GOOD + GOOD.splitlines()[1] + "\n")
        assert (report.imported, report.already_present) == (1, 1)

    def test_a_client_edited_since_is_still_recognised(self, book: ClientBook, salon: str) -> None:
        imported(book, salon, GOOD)
        (card,) = book.business(salon).cards.list()
        book.business(salon).cards.edit(card.id, {"notes": "prefers mornings"}, expected_version=1)
        assert imported(book, salon, GOOD).already_present == 1

    def test_a_child_sharing_a_parent_phone_is_imported(self, book: ClientBook, salon: str) -> None:
        report = imported(book, salon, GOOD + "Luca;Bianchi;333 1234567;\n")
        assert report.imported == 2
        assert report.duplicates == ()

    def test_a_likely_twin_is_imported_and_reported_for_review(
        self, book: ClientBook, salon: str
    ) -> None:
        imported(book, salon, GOOD)
        report = imported(book, salon, "Nome;Cognome;E-mail\nGiulia;Bianchini;giulia@example.it\n")
        (twin,) = report.duplicates
        assert (twin.action, twin.score, twin.reasons) == (
            "imported",
            0.9,
            ("same_email", "similar_name"),
        )
        assert twin.new_card_id is not None
        assert book.business(salon).cards.count() == 2

    def test_likely_twins_can_be_left_out(self, book: ClientBook, salon: str) -> None:
        imported(book, salon, GOOD)
        report = imported(
            book, salon, "Nome;Cognome;E-mail\nGiulia;Bianchini;giulia@example.it\n",
            on_duplicate="skip",
        )  # fmt: skip
        assert (report.skipped, report.duplicates[0].action) == (1, "not_imported")
        assert book.business(salon).cards.count() == 1


class TestConsent:
    CSV = (
        "Nome;E-mail;Newsletter\nGiulia;g@example.it;sì\nAnna;a@example.it;no\nEva;e@example.it;\n"
    )

    def test_consent_is_recorded_from_import_only_where_the_file_states_it(
        self, book: ClientBook, salon: str
    ) -> None:
        report = imported(
            book, salon, self.CSV, mapping={"Newsletter": "consent.marketing.email"},
            consent_wording="newsletter-2025",
        )  # fmt: skip
        assert report.consent_recorded == 2
        ledgers = {
            card.first_name: book.business(salon).consent.ledger(card.id)
            for card in book.business(salon).cards.list()
        }
        (grant,) = ledgers["Giulia"]
        assert (grant.source, grant.wording_version, grant.evidence_ref) == (
            ConsentSource.IMPORT,
            "newsletter-2025",
            f"import:{report.import_id}",
        )
        assert [e.action.value for e in ledgers["Anna"]] == ["withdraw"]
        assert ledgers["Eva"] == []

    def test_a_no_in_the_file_reads_as_no_consent_given_not_as_a_withdrawal(
        self, book: ClientBook, salon: str
    ) -> None:
        imported(
            book, salon, self.CSV, mapping={"Newsletter": "consent.marketing.email"},
            consent_wording="v1",
        )  # fmt: skip
        desk = book.business(salon)
        anna = next(card for card in desk.cards.list() if card.first_name == "Anna")
        report = desk.consent.report(anna.id, lang="en")
        assert "did not consent to" in report.text()
        assert "withdrew" not in report.text()
        # The refusal still stands against soft opt-in.
        assert not desk.consent.may_contact(anna.id, Purpose.MARKETING, Channel.EMAIL)

    def test_a_withdrawal_after_a_grant_is_still_called_one(
        self, book: ClientBook, salon: str
    ) -> None:
        imported(
            book, salon, self.CSV, mapping={"Newsletter": "consent.marketing.email"},
            consent_wording="v1",
        )  # fmt: skip
        desk = book.business(salon)
        giulia = next(card for card in desk.cards.list() if card.first_name == "Giulia")
        desk.consent.withdraw(giulia.id, Purpose.MARKETING, Channel.EMAIL, by="staff")
        assert "withdrew consent to" in desk.consent.report(giulia.id, lang="en").text()

    def test_an_imported_grant_lets_the_message_through(self, book: ClientBook, salon: str) -> None:
        imported(
            book, salon, self.CSV, mapping={"Newsletter": "consent.marketing.email"},
            consent_wording="v1",
        )  # fmt: skip
        by_name = {card.first_name: card.id for card in book.business(salon).cards.list()}
        assert book.business(salon).consent.may_contact(
            by_name["Giulia"], Purpose.MARKETING, Channel.EMAIL
        )
        assert not book.business(salon).consent.may_contact(
            by_name["Eva"], Purpose.MARKETING, Channel.EMAIL
        )
        assert book.store.permissions(salon, by_name["Giulia"]) >= {("marketing", "email")}

    def test_a_consent_column_without_the_wording_stops_before_any_row(
        self, book: ClientBook, salon: str
    ) -> None:
        with pytest.raises(ValidationError) as refused:
            imported(book, salon, self.CSV, mapping={"Newsletter": "consent.marketing.email"})
        assert [(i.field, i.code) for i in refused.value.issues] == [
            ("column3", "import.consent_wording_missing")
        ]
        assert book.business(salon).cards.count() == 0

    def test_a_grant_in_a_record_without_the_wording_is_a_rejected_record(
        self, book: ClientBook, salon: str
    ) -> None:
        data = '[{"first_name": "Anna", "consent": {"marketing.email": true}}]'
        report = imported(book, salon, data, "json")
        assert [(i.row, i.code) for i in report.rejected] == [(1, "import.consent_wording_missing")]

    def test_health_data_needs_the_rows_explicit_consent(
        self, book: ClientBook, salon: str
    ) -> None:
        book.business(salon).cards.change_schema(
            lambda s: s.add(
                FieldDefinition(
                    key="allergies", type=FieldType.LONG_TEXT, labels={"it": "Allergie"},
                    sensitive=True,
                )
            ))  # fmt: skip
        data = "Nome;Allergie;Consenso salute\nGiulia;nichel;sì\nAnna;lattice;\n"
        report = imported(
            book, salon, data, mapping={"Consenso salute": "consent.special_category_data"},
            consent_wording="health-v1",
        )  # fmt: skip
        assert [(i.row, i.field, i.code) for i in report.rejected] == [
            (3, "allergies", "consent.sensitive_without_consent")
        ]
        (card,) = book.business(salon).cards.list()
        assert card.custom["allergies"] == "nichel"
        assert (
            book.business(salon)
            .consent.state(card.id)
            .is_granted(Purpose.SPECIAL_CATEGORY_DATA, None)
        )


class TestRejections:
    def test_a_ragged_row_is_rejected_whole(self, book: ClientBook, salon: str) -> None:
        data = "Nome;Cognome\nGiulia;Bianchi;extra\nAnna\nEva;Rossi;\n"
        report = imported(book, salon, data)
        assert [(i.row, i.code) for i in report.rejected] == [(2, "row.ragged"), (3, "row.ragged")]
        assert report.imported == 1

    def test_a_row_with_unreadable_bytes_is_rejected_and_the_rest_imported(
        self, book: ClientBook, salon: str
    ) -> None:
        data = "Nome;Città\nGiulia;Forlì\n".encode() + b"Anna;\xff\xfe\n" + b"Eva;Bolzano\n"
        report = imported(book, salon, data)
        assert [(i.row, i.field, i.code) for i in report.rejected] == [(3, "city", "row.encoding")]
        assert report.imported == 2

    def test_a_row_without_a_name_email_or_phone_is_rejected(
        self, book: ClientBook, salon: str
    ) -> None:
        report = imported(book, salon, "Nome;Città\n;Milano\n")
        assert report.rejected[0].code == "card.no_identity"

    def test_a_mapping_to_an_unknown_field_stops_before_any_row(
        self, book: ClientBook, salon: str
    ) -> None:
        with pytest.raises(ValidationError) as caught:
            imported(book, salon, GOOD, mapping={"Nome": "nickname"})
        assert caught.value.codes == {"mapping.unknown_target"}
        assert book.business(salon).cards.count() == 0


class TestRecords:
    def test_unknown_fields_of_a_record_are_left_out_with_a_warning(
        self, book: ClientBook, salon: str
    ) -> None:
        data = json.dumps([{"first_name": "Giulia", "hair_colour": "red", "status": "prospect"}])
        report = imported(book, salon, data, "json")
        assert report.imported == 1
        assert [(w.field, w.code) for w in report.warnings] == [("hair_colour", "field.unknown")]
        (card,) = book.business(salon).cards.list()
        assert card.status is CardStatus.PROSPECT

    def test_record_dates_are_read_like_spreadsheet_dates(
        self, book: ClientBook, salon: str
    ) -> None:
        imported(
            book, salon, json.dumps([{"first_name": "Eva", "birth_date": "10/12/1985"}]), "json"
        )
        (card,) = book.business(salon).cards.list()
        assert card.birth_date is not None
        assert card.birth_date.iso() == "1985-12-10"

    def test_records_state_consent_as_booleans(self, book: ClientBook, salon: str) -> None:
        data = json.dumps(
            [{"first_name": "Eva", "email": "e@x.it", "consent": {"marketing.sms": True}}]
        )
        with opened(data, "json") as source:
            report = book.business(salon).exchange.import_cards(source, consent_wording="v1")
        assert report.consent_recorded == 1


class TestNoIdentity:
    def test_a_row_naming_nobody_is_reported_in_the_business_language(
        self, book: ClientBook, salon: str
    ) -> None:
        report = imported(book, salon, "Nome;Città\n;Milano\n")
        assert [(i.row, i.field, i.code) for i in report.rejected] == [
            (2, "card", "card.no_identity")
        ]
        assert report.rejected[0].message == message("card.no_identity", "it")
        assert report.rejected[0].message != message("card.no_identity", "en")
