from __future__ import annotations

import json
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
        out = cli.ok("import", "-b", "bella", str(clients), "--dry-run")
        assert "Dry run, nothing written" in out
        assert "row 3, column 3: $.phones: phone.invalid" in out
        assert "0 of 0" in cli.ok("list", "-b", "bella")

    def test_a_dry_run_tells_of_likely_twins_without_calling_them_imported(
        self, cli: Cli, clients: Path
    ) -> None:
        cli.ok("add", "-b", "bella", "first_name=Giula", "last_name=Bianchi", "phones=3331234567")
        out = cli.ok("import", "-b", "bella", str(clients), "--dry-run")
        assert "1 rows look like cards already there: see the report" in out
        assert "imported cards" not in out
        out = cli.ok("import", "-b", "bella", str(clients))
        assert "1 imported cards look like cards already there: see duplicates" in out

    def test_an_import_writes_a_json_report_beside_the_file(self, cli: Cli, clients: Path) -> None:
        out = cli.ok(
            "import", "-b", "bella", str(clients), "--map", "Newsletter=consent.marketing.email",
            "--consent-wording", "newsletter-v1",
        )  # fmt: skip
        assert "3 rows read: 2 imported" in out
        report = json.loads(clients.with_name("clienti.csv.report.json").read_text())
        assert report["counts"]["consent_recorded"] == 2
        assert "2 of 2" in cli.ok("list", "-b", "bella")
        again = cli.ok("import", "-b", "bella", str(clients), "--map", "5=",
                       "--report", str(clients.with_name("again.json")))  # fmt: skip
        assert "0 imported, 2 already present" in again

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


class TestExportCommand:
    def test_a_selection_exports_to_each_format(
        self, cli: Cli, clients: Path, tmp_path: Path
    ) -> None:
        cli.ok("import", "-b", "bella", str(clients))
        for name in ("out.csv", "out.xlsx", "out.vcf", "out.json"):
            out = cli.ok("export", "-b", "bella", str(tmp_path / name), "--search", "giu")
            assert "exported 1 clients" in out
        assert "Giulia" in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
        out = cli.ok("export", "-b", "bella", str(tmp_path / "all.csv"))
        assert "left out (health data" in out

    def test_segments_and_custom_fields_select(
        self, cli: Cli, clients: Path, tmp_path: Path
    ) -> None:
        cli.ok("import", "-b", "bella", str(clients), "--map", "Newsletter=consent.marketing.email",
               "--consent-wording", "v1")  # fmt: skip
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
