from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from tests.cli_support import Cli

CSV = (
    "Nome;Cognome;Cellulare;E-mail;Newsletter\n"
    "Giulia;Bianchi;333 1234567;giulia@example.it;sì\n"
    "Anna;Verdi;12;nope;\n"
    "Marco;Rossi;333 7654321;;no\n"
)


@pytest.fixture
def clients(tmp_path: Path) -> Path:
    path = tmp_path / "clienti.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def run(cli: Cli, status: int, *args: str) -> str:
    """Run the command, check its exit status, return what it printed."""
    got, out, err = cli(*args)
    assert got == status, out + err
    return out


def ids(cli: Cli) -> list[str]:
    out = cli.ok("duplicates", "-b", "bella", "--json")
    return [card_id for pair in json.loads(out) for card_id in pair["card_ids"]]


class TestImportCommand:
    def test_preview_shows_the_mapping_and_writes_nothing(self, cli: Cli, clients: Path) -> None:
        out = cli.ok("import", "-b", "bella", str(clients), "--preview")
        assert "first_name" in out
        assert "(ignored)" in out
        assert "0 of 0" in cli.ok("list", "-b", "bella")

    @pytest.mark.parametrize(
        ("name", "content"),
        [
            ("contacts.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Bianchi;Giulia;;;\r\nEND:VCARD\r\n"),
            ("cards.json", '[{"first_name": "Giulia"}]'),
        ],
        ids=["vcard", "json"],
    )
    def test_previewing_a_file_without_columns_writes_nothing(
        self, cli: Cli, tmp_path: Path, name: str, content: str
    ) -> None:
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        out = cli.ok("import", "-b", "bella", str(path), "--preview")
        assert "no column mapping to preview" in out
        assert "0 of 0" in cli.ok("list", "-b", "bella")
        assert not path.with_name(name + ".report.json").exists()

    def test_a_column_mapping_for_a_vcard_is_refused(self, cli: Cli, tmp_path: Path) -> None:
        path = tmp_path / "contacts.vcf"
        path.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Giulia\r\nEND:VCARD\r\n", "utf-8")
        status, _out, err = cli("import", "-b", "bella", str(path), "--map", "FN=notes")
        assert status == 2
        assert "--map is for CSV and Excel files" in err
        assert "0 of 0" in cli.ok("list", "-b", "bella")

    def test_a_dry_run_reports_and_writes_nothing(self, cli: Cli, clients: Path) -> None:
        out = run(cli, 3, "import", "-b", "bella", str(clients), "--dry-run")
        assert "Dry run, nothing written" in out
        assert "row 3, column 3, phones:" in out
        assert "(phone.invalid)" in out
        assert "0 of 0" in cli.ok("list", "-b", "bella")

    def test_a_dry_run_tells_of_likely_twins_without_calling_them_imported(
        self, cli: Cli, clients: Path
    ) -> None:
        cli.ok("add", "-b", "bella", "first_name=Giula", "last_name=Bianchi", "phones=3331234567")
        out = run(cli, 3, "import", "-b", "bella", str(clients), "--dry-run")
        assert "1 rows look like cards already there: see the report" in out
        assert "imported cards" not in out
        out = run(cli, 3, "import", "-b", "bella", str(clients))
        assert "1 imported cards look like cards already there: see duplicates" in out

    def test_every_import_keeps_a_report_of_its_own(
        self, cli: Cli, clients: Path, tmp_path: Path
    ) -> None:
        out = run(
            cli, 3, "import", "-b", "bella", str(clients), "--map",
            "Newsletter=consent.marketing.email", "--consent-wording", "newsletter-v1",
        )  # fmt: skip
        assert "3 rows read: 2 imported" in out
        first = out.split("import ")[-1].split(";")[0]
        report = json.loads(
            (cli.db.with_name(cli.db.name + ".imports") / f"{first}.json").read_text()
        )
        assert report["counts"]["consent_recorded"] == 2
        assert "2 of 2" in cli.ok("list", "-b", "bella")
        copy = tmp_path / "again.json"
        again = run(cli, 3, "import", "-b", "bella", str(clients), "--map", "5=",
                    "--report", str(copy))  # fmt: skip
        assert "0 imported, 2 already present" in again
        assert json.loads(copy.read_text())["counts"]["already_present"] == 2
        run(cli, 3, "import", "-b", "bella", str(clients), "--map", "5=", "--dry-run")
        kept = list(cli.db.with_name(cli.db.name + ".imports").glob("*.json"))
        assert len(kept) == 3

    def test_the_consent_evidence_of_an_import_points_at_a_kept_report(
        self, cli: Cli, clients: Path
    ) -> None:
        run(
            cli, 3, "import", "-b", "bella", str(clients), "--map",
            "Newsletter=consent.marketing.email", "--consent-wording", "v1",
        )  # fmt: skip
        run(cli, 3, "import", "-b", "bella", str(clients), "--dry-run")
        (card_id,) = re.findall(
            r"[0-9a-f]{8}-[0-9a-f-]{27}", cli.ok("search", "-b", "bella", "giu")
        )
        from clientcard.book import ClientBook
        from clientcard.storage.sqlite import SQLiteStore

        store = SQLiteStore(str(cli.db))
        try:
            (grant,) = ClientBook(store).business("bella").consent.ledger(card_id)
        finally:
            store.close()
        assert grant.evidence_ref is not None
        import_id = grant.evidence_ref.removeprefix("import:")
        shown = cli.ok("imports", "-b", "bella", import_id)
        assert f"import {import_id} of clienti.csv (csv)" in shown
        assert "3 rows, 2 imported, 1 rejected" in shown

    def test_imports_are_listed_newest_first_dry_runs_too(self, cli: Cli, clients: Path) -> None:
        run(cli, 3, "import", "-b", "bella", str(clients), "--dry-run")
        run(cli, 3, "import", "-b", "bella", str(clients))
        out = cli.ok("imports", "-b", "bella")
        assert "2 imports" in out
        assert out.count("clienti.csv") == 2
        assert "0 imports" in cli.ok("imports", "-b", "other")

    def test_an_import_that_stops_midway_still_keeps_a_report_under_its_id(
        self, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from clientcard.errors import StorageError
        from clientcard.storage._sql.store import SQLStore

        path = tmp_path / "many.csv"
        rows = "".join(f"Anna;Rossi;333 {n:07d}\n" for n in range(600))
        path.write_text("Nome;Cognome;Cellulare\n" + rows, encoding="utf-8")
        real = SQLStore.add_many
        calls = []

        def fail_second(self: SQLStore, *args: object, **kwargs: object) -> object:
            calls.append(1)
            if len(calls) > 1:
                raise StorageError("disk_full", "the disk is full")
            return real(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(SQLStore, "add_many", fail_second)
        status, _out, _err = cli("import", "-b", "bella", str(path), "--workers", "0")
        assert status == 1
        (kept,) = cli.db.with_name(cli.db.name + ".imports").glob("*.json")
        document = json.loads(kept.read_text())
        assert document["failed"] == "disk_full"
        assert document["import_id"] == kept.stem
        assert "1 of 500" in cli.ok("list", "-b", "bella", "--limit", "1")  # the first batch

    def test_an_existing_report_file_is_never_overwritten(
        self, cli: Cli, clients: Path, tmp_path: Path
    ) -> None:
        taken = tmp_path / "report.json"
        taken.write_text("{}")
        status, _out, err = cli("import", "-b", "bella", str(clients), "--report", str(taken))
        assert status == 2
        assert "never overwritten" in err
        assert taken.read_text() == "{}"
        assert "0 of 0" in cli.ok("list", "-b", "bella")

    def test_rejections_and_left_out_values_are_shown_with_row_and_reason_not_value(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        path = tmp_path / "google.csv"
        path.write_text(
            "Given Name,Family Name,E-mail 1 - Value,Phone 1 - Value,Country\r\n"
            "Anna,Neri,anna@example.it ::: anna.secret@example.it,333 1234567,Atlantide\r\n"
            "Bea,Neri,,12,\r\n",
            encoding="utf-8",
        )
        out = run(cli, 3, "import", "-b", "bella", str(path))
        assert "row 2, column 3, email:" in out
        assert "(import.extra_value_ignored)" in out
        assert "row 2, column 5, country:" in out
        assert "row 3, column 4, phones:" in out
        assert "anna.secret" not in out
        assert "Atlantide" not in out

    def test_a_file_whose_every_row_is_rejected_exits_with_4(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        path = tmp_path / "bad.csv"
        path.write_text("Nome;Cellulare\nAnna;12\nBea;34\n", encoding="utf-8")
        out = run(cli, 4, "import", "-b", "bella", str(path))
        assert "0 imported" in out

    def test_a_file_of_only_a_header_exits_with_4(self, cli: Cli, tmp_path: Path) -> None:
        path = tmp_path / "header.csv"
        path.write_text("Nome;Cellulare\n", encoding="utf-8")
        out = run(cli, 4, "import", "-b", "bella", str(path))
        assert "no rows to import" in out

    def test_a_clean_import_exits_with_0(self, cli: Cli, tmp_path: Path) -> None:
        path = tmp_path / "ok.csv"
        path.write_text("Nome;Cellulare\nAnna;333 1234567\n", encoding="utf-8")
        run(cli, 0, "import", "-b", "bella", str(path))

    def test_the_exit_statuses_are_in_the_help(self, cli: Cli) -> None:
        out = cli.ok("import", "--help")
        assert "Exit status: 0" in out
        assert "4 nothing imported" in out

    def test_minors_are_counted_in_the_import_and_marked_in_the_list(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        path = tmp_path / "family.csv"
        path.write_text(
            "Nome;Cellulare;Data di nascita\nLia;333 1234567;2016-05-01\n"
            "Eva;333 7654321;1980-05-01\n",
            encoding="utf-8",
        )
        out = run(cli, 0, "import", "-b", "bella", str(path))
        assert "1 of the clients are minors" in out
        listed = cli.ok("list", "-b", "bella")
        (lia,) = [line for line in listed.splitlines() if "Lia" in line]
        (eva,) = [line for line in listed.splitlines() if "Eva" in line]
        assert "minor" in lia
        assert "minor" not in eva

    def test_an_unknown_file_type_is_a_usage_error(self, cli: Cli, tmp_path: Path) -> None:
        path = tmp_path / "clients.pdf"
        path.write_bytes(b"%PDF")
        status, _, err = cli("import", "-b", "bella", str(path))
        assert status == 2
        assert "unknown file type" in err

    def test_a_mapping_to_an_unknown_field_fails_in_one_line(self, cli: Cli, clients: Path) -> None:
        status, _, err = cli("import", "-b", "bella", str(clients), "--map", "Nome=nickname")
        assert status == 1
        assert "mapping.unknown_target" in err


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x1b[2J"


def workbook_bytes() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Nome", "Cellulare"])
    sheet.append(["Anna", "333 1234567"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class TestFilesThatAreNotWhatTheySay:
    @pytest.mark.parametrize(
        ("name", "content", "says"),
        [
            ("photo.csv", PNG, "not a CSV file"),
            ("clients.csv", b"", "The file is empty"),
            ("clients.vcf", PNG, "not a vCard file"),
            ("clients.vcf", b"Nome;Cognome\r\nAnna;Neri\r\n", "not a vCard file"),
            ("clients.vcf", b"", "The file is empty"),
            ("clients.xlsx", PNG, "not an Excel workbook"),
            ("clients.xlsx", b"", "The file is empty"),
        ],
        ids=["png-as-csv", "empty-csv", "png-as-vcf", "csv-as-vcf", "empty-vcf", "png-as-xlsx",
             "empty-xlsx"],
    )  # fmt: skip
    def test_a_clear_error_and_no_raw_bytes(
        self, cli: Cli, tmp_path: Path, name: str, content: bytes, says: str
    ) -> None:
        path = tmp_path / name
        path.write_bytes(content)
        status, out, err = cli("import", "-b", "bella", str(path))
        assert status == 1
        assert says in err
        assert "\x1b" not in out + err
        assert "PNG" not in out + err
        assert "0 of 0" in cli.ok("list", "-b", "bella")

    def test_a_workbook_renamed_csv_is_called_what_it_is(self, cli: Cli, tmp_path: Path) -> None:
        path = tmp_path / "clients.csv"
        path.write_bytes(workbook_bytes())
        status, _out, err = cli("import", "-b", "bella", str(path))
        assert status == 1
        assert "not a CSV file" in err
        assert "xlsx" in err

    def test_a_sheet_that_is_not_there_is_named_in_the_error(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        path = tmp_path / "clients.xlsx"
        path.write_bytes(workbook_bytes())
        status, _out, err = cli("import", "-b", "bella", str(path), "--sheet", "Clienti")
        assert status == 1
        assert "no sheet of that name" in err
        assert "unexpected" not in err

    def test_escape_sequences_in_headers_never_reach_the_terminal(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        path = tmp_path / "clients.csv"
        path.write_text("Nome;\x1b]0;pwned\x07\x1b[2JCellulare\nAnna;333 1234567\n", "utf-8")
        status, out, err = cli("import", "-b", "bella", str(path), "--preview")
        assert status == 0
        assert "\x1b" not in out + err
        assert "\x07" not in out + err
        assert "\\x1b" in out


class TestExportCommand:
    def test_a_selection_exports_to_each_format(
        self, cli: Cli, clients: Path, tmp_path: Path
    ) -> None:
        run(cli, 3, "import", "-b", "bella", str(clients))
        for name in ("out.csv", "out.xlsx", "out.vcf", "out.json"):
            out = cli.ok("export", "-b", "bella", str(tmp_path / name), "--search", "giu")
            assert "exported 1 clients" in out
        assert "Giulia" in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
        out = cli.ok("export", "-b", "bella", str(tmp_path / "all.csv"))
        assert "left out (health data" in out

    def test_notes_leave_only_when_asked_for_and_the_statement_says_so(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        cli.ok("add", "-b", "bella", "first_name=Eva", "notes=allergia al nichel")
        out = cli.ok("export", "-b", "bella", str(tmp_path / "all.csv"))
        assert "free-text notes" in out
        assert "nichel" not in (tmp_path / "all.csv").read_text(encoding="utf-8-sig")
        out = cli.ok("export", "-b", "bella", str(tmp_path / "notes.csv"), "--include-notes")
        assert "notes included: they may hold health data" in out
        assert "nichel" in (tmp_path / "notes.csv").read_text(encoding="utf-8-sig")

    def test_segments_and_custom_fields_select(
        self, cli: Cli, clients: Path, tmp_path: Path
    ) -> None:
        run(cli, 3, "import", "-b", "bella", str(clients), "--map",
            "Newsletter=consent.marketing.email", "--consent-wording", "v1")  # fmt: skip
        out = cli.ok("export", "-b", "bella", str(tmp_path / "s.json"), "--segment",
                     "marketing.email")  # fmt: skip
        assert "exported 1 clients" in out
        status, _, _ = cli("export", "-b", "bella", str(tmp_path / "s.json"), "--segment", "x")
        assert status == 2
        status, _, _ = cli("export", "-b", "bella", str(tmp_path / "s.json"), "--field", "a=1",
                           "--field", "b=2")  # fmt: skip
        assert status == 2
        out = cli.ok("export", "-b", "bella", str(tmp_path / "s.csv"), "--field", "hair=red")
        assert "exported 0 clients" in out

    def test_an_unknown_export_type_is_a_usage_error(self, cli: Cli, tmp_path: Path) -> None:
        status, _, _ = cli("export", "-b", "bella", str(tmp_path / "x.doc"))
        assert status == 2


class TestDuplicatesAndMerge:
    @pytest.fixture
    def twins(self, cli: Cli) -> list[str]:
        for extra in ("city=Milano", "city=Monza"):
            cli.ok("add", "-b", "bella", "first_name=Giulia", "last_name=Bianchi",
                   "email=giulia@example.it", extra)  # fmt: skip
        return ids(cli)

    def test_duplicates_are_listed_with_scores(self, cli: Cli, twins: list[str]) -> None:
        out = cli.ok("duplicates", "-b", "bella")
        assert "1.00" in out
        assert "same_email, same_name" in out
        assert "1 pairs" in out

    def test_duplicates_show_whole_ids_in_a_narrow_terminal(
        self, cli: Cli, twins: list[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from clientcard.cli._context import console  # after `cli` loaded the commands

        # The console took its width from COLUMNS when first used; narrow it directly.
        monkeypatch.setattr(console, "width", 72)
        out = cli.ok("duplicates", "-b", "bella")
        assert all(card_id in out for card_id in twins)

    def test_merge_previews_then_merges_then_undoes(self, cli: Cli, twins: list[str]) -> None:
        keep, other = twins
        preview = cli.ok("merge", "-b", "bella", keep, other)
        assert "both set, kept from the first: city" in preview
        assert "preview only" in preview
        done = cli.ok("merge", "-b", "bella", keep, other, "--yes")
        merge_id = done.split("--undo ")[1].split()[0]
        assert "1 of 1" in cli.ok("list", "-b", "bella")
        assert "are back" in cli.ok("merge", "-b", "bella", "--undo", merge_id)
        assert "2 of 2" in cli.ok("list", "-b", "bella")

    def test_a_field_preferred_from_the_other_card_is_previewed_as_taken_from_it(
        self, cli: Cli, twins: list[str]
    ) -> None:
        keep, other = twins
        preview = cli.ok("merge", "-b", "bella", keep, other, "--prefer-other", "city")
        assert "both set, taken from the other card: city" in preview
        assert "kept from the first" not in preview
        theirs = "Monza" if "Monza" in cli.ok("show", "-b", "bella", other) else "Milano"
        cli.ok("merge", "-b", "bella", keep, other, "--prefer-other", "city", "--yes")
        assert theirs in cli.ok("show", "-b", "bella", keep)

    def test_purging_makes_merges_permanent(self, cli: Cli, twins: list[str]) -> None:
        cli.ok("merge", "-b", "bella", *twins, "--yes")
        assert "purged 0" in cli.ok("merge", "-b", "bella", "--purge", "--before", "2000-01-01")
        assert "purged 1" in cli.ok("merge", "-b", "bella", "--purge")

    def test_merge_needs_two_cards(self, cli: Cli) -> None:
        status, _, err = cli("merge", "-b", "bella", "only-one")
        assert status == 2
        assert "the card to keep" in err
