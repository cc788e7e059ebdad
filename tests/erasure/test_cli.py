from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from clientcard.cards.card import CardStatus, ClientCard
from clientcard.erasure import subject_schema
from clientcard.storage.sqlite import SQLiteStore
from tests.support import NOW
from tests.test_cli import Cli


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("COLUMNS", "200")
    runner = Cli(tmp_path / "cards.db", capsys)
    runner.ok("init", "bella", "--name", "Salone Bella", "--region", "IT", "--language", "it")
    return runner


@pytest.fixture
def giulia(cli: Cli) -> str:
    return cli.ok("add", "-b", "bella", "first_name=Giulia", "email=giulia@example.it").strip()


class TestErase:
    def test_it_shows_the_plan_and_erases_with_yes(self, cli: Cli, giulia: str) -> None:
        out = cli.ok("erase", "-b", "bella", giulia, "--yes", "--lang", "en")
        assert "Erasure plan: delete the card and its history" in out
        assert "they are a new client" in out
        assert f"erased {giulia}" in out
        status, _, err = cli("show", "-b", "bella", giulia)
        assert (status, "not found" in err) == (1, True)

    def test_it_asks_first_and_a_no_keeps_the_client(
        self, cli: Cli, giulia: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("sys.stdin", __import__("io").StringIO("n\n"))
        status, out, err = cli("erase", "-b", "bella", giulia)
        assert "Erasure plan" in out  # the command's language, as its prompt
        assert (status, err.strip()) == (1, "aborted")
        assert "Giulia" in cli.ok("show", "-b", "bella", giulia)

    def test_receipts_go_to_a_file_and_replay_from_it(
        self, cli: Cli, giulia: str, tmp_path: Path
    ) -> None:
        receipts = tmp_path / "receipts.jsonl"
        cli.ok("erase", "-b", "bella", giulia, "--yes", "--receipts", str(receipts))
        (line,) = receipts.read_text(encoding="utf-8").splitlines()
        assert json.loads(line)["card_id"] == giulia
        assert "0 of 1 erased again" in cli.ok("replay-erasures", "-b", "bella", str(receipts))

    def test_a_file_of_junk_is_not_replayed(self, cli: Cli, tmp_path: Path) -> None:
        junk = tmp_path / "junk.jsonl"
        junk.write_text("{}\n", encoding="utf-8")
        status, _, err = cli("replay-erasures", "-b", "bella", str(junk))
        assert status == 2
        assert "line 1 is not a receipt" in err


class TestRetention:
    def test_nothing_is_due_without_rules(self, cli: Cli, giulia: str) -> None:
        assert "0 due" in cli.ok("retention", "-b", "bella", "--run")

    def test_a_policy_set_from_the_command_line_makes_prospects_due(self, cli: Cli) -> None:
        out = cli.ok("erasure-policy", "-b", "bella", "--prospect-days", "1", "--field", "notes=6")
        assert "prospects after: 1 days" in out
        assert "field notes: 6 months" in out
        assert "legal hold: 10 years (IT)" in out
        cli.ok("add", "-b", "bella", "--prospect", "first_name=Lia")
        assert "0 due" in cli.ok("retention", "-b", "bella")

    def test_run_erases_what_is_due(self, cli: Cli) -> None:
        cli.ok("erasure-policy", "-b", "bella", "--prospect-days", "30")
        with SQLiteStore(cli.db) as store:
            old = NOW - dt.timedelta(days=400)
            store.add(
                ClientCard(
                    id="lost-prospect",
                    business_id="bella",
                    created_at=old,
                    updated_at=old,
                    status=CardStatus.PROSPECT,
                    first_name="Lia",
                )
            )
        report = cli.ok("retention", "-b", "bella")
        assert "lost-prospect" in report
        assert "prospect" in report
        assert "done 1, skipped 0" in cli.ok("retention", "-b", "bella", "--run", "--yes")
        assert "0 due" in cli.ok("retention", "-b", "bella")

    def test_bad_months_are_a_usage_error(self, cli: Cli) -> None:
        status, _, err = cli("erasure-policy", "-b", "bella", "--field", "notes=soon")
        assert status == 2
        assert "KEY=MONTHS" in err


class TestExportAndImport:
    def test_the_json_validates_and_the_report_reads(self, cli: Cli, giulia: str) -> None:
        document = json.loads(cli.ok("export-subject", "-b", "bella", giulia))
        jsonschema.validate(document, subject_schema())
        report = cli.ok("export-subject", "-b", "bella", giulia, "--report", "--lang", "nl")
        assert "Uw gegevens bij Salone Bella" in report

    def test_an_export_to_a_file_is_private_and_imports_elsewhere(
        self, cli: Cli, giulia: str, tmp_path: Path
    ) -> None:
        target = tmp_path / "giulia.json"
        cli.ok("export-subject", "-b", "bella", giulia, "-o", str(target))
        assert target.stat().st_mode & 0o777 == 0o600
        cli.ok("init", "studio", "--name", "Studio", "--region", "NL")
        new_id = cli.ok("import-subject", "-b", "studio", str(target)).strip()
        assert "Giulia" in cli.ok("show", "-b", "studio", new_id)

    def test_a_file_that_is_not_json_is_a_usage_error(self, cli: Cli, tmp_path: Path) -> None:
        bad = tmp_path / "bad.json"
        bad.write_text("{", encoding="utf-8")
        status, _, err = cli("import-subject", "-b", "bella", str(bad))
        assert (status, "not JSON" in err) == (2, True)


class TestRequestsAndAudit:
    def test_a_request_is_recorded_listed_extended_and_late(self, cli: Cli, giulia: str) -> None:
        out = cli.ok(
            "requests",
            "add",
            "-b",
            "bella",
            giulia,
            "--kind",
            "erasure",
            "--received",
            "2020-01-31",
        )
        request_id, _, due = out.split()[0], out.split()[1], out.split()[-1]
        assert due == "2020-02-29"
        assert "LATE" in cli.ok("requests", "list", "-b", "bella", "--overdue")
        extended = cli.ok("requests", "extend", "-b", "bella", request_id, "--reason", "complexity")
        assert extended.split()[-1] == "2020-04-30"

    def test_the_audit_trail_lists_and_verifies(self, cli: Cli, giulia: str) -> None:
        cli.ok("export-subject", "-b", "bella", giulia)
        out = cli.ok("audit", "-b", "bella", "--card", giulia)
        assert "exported" in out
        assert "clientcard export-subject" in out
        assert "chain intact: 1 entries" in out

    def test_the_audit_trail_checks_against_a_kept_head(self, cli: Cli, giulia: str) -> None:
        cli.ok("export-subject", "-b", "bella", giulia)
        kept = cli.ok("audit", "-b", "bella").split("head:")[1].split()[0]
        cli.ok("export-subject", "-b", "bella", giulia)
        assert "chain intact: 2 entries" in cli.ok("audit", "-b", "bella", "--expected-head", kept)

    def test_a_trail_short_of_the_kept_head_fails(self, cli: Cli, giulia: str) -> None:
        cli.ok("export-subject", "-b", "bella", giulia)
        beyond = "7:" + "a" * 64
        status, _, err = cli("audit", "-b", "bella", "--expected-head", beyond)
        assert (status, "truncated" in err) == (1, True)

    def test_the_trail_of_an_erased_client_is_found_by_the_end_of_their_id(
        self, cli: Cli, giulia: str
    ) -> None:
        bruno = cli.ok("add", "-b", "bella", "first_name=Bruno").strip()
        cli.ok("erase", "-b", "bella", giulia, "--yes")
        out = cli.ok("audit", "-b", "bella", "--card", giulia[-8:])
        assert giulia in out
        assert "erased" in out
        assert bruno not in out

    def test_a_short_id_never_names_a_live_client_for_an_erased_one(
        self, cli: Cli, giulia: str
    ) -> None:
        bruno = cli.ok("add", "-b", "bella", "first_name=Bruno").strip()
        cli.ok("export-subject", "-b", "bella", bruno)
        cli.ok("erase", "-b", "bella", giulia, "--yes")
        shared = next(giulia[:n] for n in range(36, 0, -1) if bruno.startswith(giulia[:n]))
        assert len(shared) >= 4  # time-ordered ids made one after the other
        status, _, err = cli("audit", "-b", "bella", "--card", shared)
        assert status == 2
        assert giulia in err
        assert bruno in err

    def test_a_malformed_kept_head_is_refused(self, cli: Cli, giulia: str) -> None:
        status, _, err = cli("audit", "-b", "bella", "--expected-head", "7:xyz")
        assert (status != 0, "SEQ:HASH" in err) == (True, True)
