"""Worker processes only make an import faster: the report and the cards stay the same."""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import attrs
import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.errors import StorageError
from clientcard.exchange import ImportReport, importing
from clientcard.exchange._preparing import Preparation
from clientcard.exchange._records import Row
from clientcard.storage import MemoryStore
from clientcard.testing.doubles import ListEventSink
from tests.exchange.support import imported
from tests.support import NOW

HEADER = "Nome;Cognome;Cellulare;E-mail;Newsletter;Note\n"


def _letters(number: int) -> str:
    text = ""
    while True:
        number, digit = divmod(number, 26)
        text = chr(97 + digit) + text
        if not number:
            return text


def _client(number: int) -> str:
    return f"Anna;Rossi {_letters(number).capitalize()};333 {number:07d};c{number}@example.it"


def _row(number: int) -> str:
    """A row of every kind an import meets, by its number."""
    match number % 9:
        case 0:  # a bad phone and a bad address
            return f"Anna;Rossi {_letters(number).capitalize()};12;not-an-address;;\n"
        case 1:  # a landline and no e-mail: no SMS permission
            return f"Anna;Rossi {_letters(number).capitalize()};02 {number:08d};;;\n"
        case 2:  # a consent stated in the file
            return f"{_client(number)};sì;\n"
        case 3:  # a ragged row
            return f"Anna;Rossi {_letters(number).capitalize()};333 {number:07d}\n"
        case 4:  # a withdrawal stated in the file
            return f"{_client(number)};no;nota\n"
        case 5:  # text from a file read in the wrong encoding
            return f"{_client(number)};;CittÃ \n"
        case 6:  # a client in the file twice: the second is already present
            return f"{_client(number)};;\n{_client(number)};;\n"
        case 7:  # a likely twin: the same e-mail, the name misspelt
            twin = _letters(number - 1).capitalize()
            return f"Anna;Rosi {twin};333 {number:07d};c{number - 1}@example.it;;\n"
        case _:
            return f"{_client(number)};;\n"


SALON = "salone"
CSV = HEADER + "".join(_row(number) for number in range(importing.PARALLEL_FROM + 700))
ROWS = CSV.count("\n") - 1


def _counter() -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"id-{next(numbers):06d}"


def _import(workers: int, **options: Any) -> tuple[ImportReport, ClientBook, ListEventSink]:
    sink = ListEventSink()
    book = ClientBook(MemoryStore(), clock=FixedClock(NOW), events=sink, new_id=_counter())
    book.create_business(name="Salone", region="IT", language="it", business_id=SALON)
    report = imported(
        book,
        SALON,
        CSV,
        mapping={"Newsletter": "consent.marketing.email"},
        consent_wording="privacy-v3",
        batch_size=300,
        workers=workers,
        **options,
    )
    return report, book, sink


def _comparable(report: ImportReport) -> dict[str, object]:
    document = report.to_dict()
    document.pop("import_id")
    return document


def _stored(book: ClientBook) -> list[object]:
    cards = book.store.find(SALON, limit=ROWS).items
    return [
        (
            card,
            book.store.permissions(SALON, card.id),
            # The evidence names the import, a new one each run.
            [
                attrs.evolve(event, evidence_ref=None)
                for event in book.store.consent_events(SALON, card.id)
            ],
        )
        for card in sorted(cards, key=lambda card: card.id)
    ]


@pytest.fixture(scope="module")
def alone() -> tuple[ImportReport, ClientBook, ListEventSink]:
    return _import(workers=0)


class TestWorkers:
    def test_the_report_is_the_same_with_two_workers(
        self,
        alone: tuple[ImportReport, ClientBook, ListEventSink],
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        taken: list[int] = []
        first_done = importing._first_done

        def counted(pending: Any) -> Any:
            outcomes = first_done(pending)
            taken.append(len(outcomes))
            return outcomes

        monkeypatch.setattr(importing, "_first_done", counted)
        with caplog.at_level(logging.WARNING, logger="clientcard.exchange"):
            report, _book, _sink = _import(workers=2)
        # The workers prepared every row: none fell back to this process.
        assert sum(taken) == ROWS
        assert "import workers failed" not in caplog.text
        assert report.rows == ROWS
        assert {d.action for d in report.duplicates} == {"skipped", "imported"}
        assert report.rejected
        assert _comparable(report) == _comparable(alone[0])

    def test_the_cards_ids_consent_and_permissions_are_the_same_with_two_workers(
        self, alone: tuple[ImportReport, ClientBook, ListEventSink]
    ) -> None:
        _report, book, sink = _import(workers=2)
        assert _stored(book) == _stored(alone[1])
        assert sink.events == alone[2].events

    def test_a_table_of_up_to_parallel_from_rows_starts_no_worker(
        self, book: ClientBook, salon: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(importing, "ProcessPoolExecutor", _no_pool)
        small = "".join(CSV.splitlines(keepends=True)[: importing.PARALLEL_FROM + 1])
        report = imported(book, salon, small, workers=2)
        assert report.rows == importing.PARALLEL_FROM

    def test_rows_are_prepared_here_when_the_workers_break(
        self,
        alone: tuple[ImportReport, ClientBook, ListEventSink],
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        monkeypatch.setattr(importing, "ProcessPoolExecutor", _BreakingPool)
        with caplog.at_level(logging.WARNING, logger="clientcard.exchange"):
            report, book, _sink = _import(workers=2)
        assert _comparable(report) == _comparable(alone[0])
        assert _stored(book) == _stored(alone[1])
        assert "import workers failed" in caplog.text

    def test_rows_are_prepared_here_when_a_chunk_cannot_be_handed_out(
        self, alone: tuple[ImportReport, ClientBook, ListEventSink], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(importing, "ProcessPoolExecutor", _RefusingPool)
        report, book, _sink = _import(workers=2)
        assert _comparable(report) == _comparable(alone[0])
        assert _stored(book) == _stored(alone[1])

    def test_rows_are_prepared_here_when_no_pool_can_be_made(
        self, alone: tuple[ImportReport, ClientBook, ListEventSink], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Hosts without /dev/shm (AWS Lambda) or named semaphores can't make one.
        def unmakeable(*_args: object, **_kwargs: object) -> None:
            raise OSError(38, "Function not implemented")

        monkeypatch.setattr(importing, "ProcessPoolExecutor", unmakeable)
        report, book, _sink = _import(workers=2)
        assert _comparable(report) == _comparable(alone[0])
        assert _stored(book) == _stored(alone[1])

    def test_a_daemonic_process_prepares_its_rows_itself(
        self, alone: tuple[ImportReport, ClientBook, ListEventSink], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A daemonic process (a multiprocessing pool's worker, say) may have no children.
        monkeypatch.setattr(importing, "ProcessPoolExecutor", _no_pool)
        monkeypatch.setattr(
            multiprocessing, "current_process", lambda: SimpleNamespace(daemon=True)
        )
        report, _book, _sink = _import(workers=2)
        assert _comparable(report) == _comparable(alone[0])

    def test_an_error_reading_the_file_is_raised_with_workers(self) -> None:
        book = ClientBook(MemoryStore(), clock=FixedClock(NOW))
        book.create_business(name="Salone", region="IT", language="it", business_id=SALON)
        table = _FailingTable(fail_at=importing.PARALLEL_FROM + 1_000)
        with pytest.raises(OSError, match="disk"):
            book.business(SALON).exchange.import_cards(table, workers=2)

    def test_the_workers_stop_when_storing_fails(self, monkeypatch: pytest.MonkeyPatch) -> None:
        store = MemoryStore()
        book = ClientBook(store, clock=FixedClock(NOW))
        book.create_business(name="Salone", region="IT", language="it", business_id=SALON)
        stored = store.add_many
        calls: list[int] = []

        def failing(cards: Any, **kwargs: Any) -> None:
            calls.append(len(cards))
            if len(calls) == 2:
                raise StorageError("unavailable", "the database went away")
            stored(cards, **kwargs)

        monkeypatch.setattr(store, "add_many", failing)
        with pytest.raises(StorageError) as raised:
            imported(book, SALON, CSV, batch_size=300, workers=2)
        # The error (and its traceback) is still held here, and no worker is left.
        assert raised.value.reason == "unavailable"
        assert multiprocessing.active_children() == []

    def test_a_negative_number_of_workers_is_refused(self, book: ClientBook, salon: str) -> None:
        with pytest.raises(ValueError, match="workers"):
            imported(book, salon, HEADER, workers=-1)


def _no_pool(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("no worker should start")


class _FailingTable:
    """A table whose reading fails part of the way through, as a failing disk would."""

    format = "csv"
    headers = ("Nome", "Cognome", "Cellulare")

    def __init__(self, fail_at: int) -> None:
        self.fail_at = fail_at

    def rows(self) -> Iterator[Row]:
        for number in range(2, self.fail_at):
            yield Row(number, ("Anna", f"Rossi {_letters(number)}", f"333 {number:07d}"))
        raise OSError("the disk went away")


class _RefusingPool:
    """A pool that stops taking work after three chunks, as a broken pool does."""

    def __init__(self, *_args: object, **_kwargs: object) -> None:
        self.submitted = 0

    def submit(self, job: Callable[..., Any], chunk: list[Any]) -> Future[Any]:
        self.submitted += 1
        if self.submitted > 3:
            raise BrokenProcessPool("a worker died")
        future: Future[Any] = Future()
        future.set_result([_PREPARATION[0].table_row(item) for item in chunk])
        return future

    def shutdown(self, *, wait: bool, cancel_futures: bool) -> None:
        """Nothing runs."""


class _BreakingPool:
    """A pool whose workers die after preparing the first three chunks."""

    def __init__(self, *_args: object, **_kwargs: object) -> None:
        self.submitted = 0

    def submit(self, job: Callable[..., Any], chunk: list[Any]) -> Future[Any]:
        self.submitted += 1
        future: Future[Any] = Future()
        if self.submitted <= 3:
            future.set_result([_PREPARATION[0].table_row(item) for item in chunk])
        else:
            future.set_exception(BrokenProcessPool("a worker died"))
        return future

    def shutdown(self, *, wait: bool, cancel_futures: bool) -> None:
        """Nothing runs."""


_PREPARATION: list[Preparation] = []


@pytest.fixture(autouse=True)
def _keep_preparation(monkeypatch: pytest.MonkeyPatch) -> None:
    # The breaking pool prepares its first chunks itself, with the import's preparation.
    original = importing._prepared_by_workers

    def kept(preparation: Preparation, *args: Any) -> Any:
        _PREPARATION[:] = [preparation]
        return (yield from original(preparation, *args))

    monkeypatch.setattr(importing, "_prepared_by_workers", kept)


class TestIds:
    def test_a_row_already_in_the_book_is_given_no_id(self) -> None:
        drawn: list[str] = []
        counter = _counter()

        def new_id() -> str:
            drawn.append(counter())
            return drawn[-1]

        book = ClientBook(MemoryStore(), clock=FixedClock(NOW), new_id=new_id)
        book.create_business(name="Salone", region="IT", language="it", business_id=SALON)
        three = (
            "Nome;Cognome;Cellulare\nAnna;Rossi;333 1234567\n"
            "Bea;Verdi;333 7654321\nCarla;Neri;333 1112222\n"
        )
        imported(book, SALON, three)

        def drawn_by(text: str) -> int:
            before = len(drawn)
            report = imported(book, SALON, text)
            assert report.imported == 0
            return len(drawn) - before

        # The import itself draws its id and its audit entry's; its rows draw none.
        assert drawn_by(three) == drawn_by("Nome;Cognome;Cellulare\nAnna;Rossi;333 1234567\n")


class TestOrphans:
    def test_workers_exit_when_the_importing_process_is_killed(self, tmp_path: Path) -> None:
        marker = tmp_path / "workers"
        root = Path(__file__).parents[2]
        importer = subprocess.Popen(
            [sys.executable, "-m", "tests.exchange._killed_importer", str(marker)], cwd=root
        )
        try:
            deadline = time.monotonic() + 120
            while not (marker.exists() and marker.read_text()):
                assert importer.poll() is None, "the importer ended before its first batch"
                assert time.monotonic() < deadline, "no batch within two minutes"
                time.sleep(0.1)
            workers = [int(pid) for pid in marker.read_text().split()]
            assert workers
            assert all(_alive(pid) for pid in workers)
        finally:
            importer.kill()
            importer.wait()
        # Within a bound, every worker notices and exits (they hold no work of value).
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if _alive(pid)]


def _alive(pid: int) -> bool:
    """Tell whether a process runs (a zombie waiting for its reaper counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"
