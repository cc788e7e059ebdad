"""Exchange benchmarks: CSV import into SQLite and export beside their floors; import memory.

The import's floor is the single-core sum of the raw parts an import can't avoid:

* reading the same CSV file with the :mod:`csv` module and validating each row's phone
  (phonenumbers) and e-mail (email-validator);
* a raw bulk insert of exactly the rows clientcard wrote. During the warm-up import, every
  ``INSERT`` the store's sessions executed is captured per committed transaction (at the
  session, so however the library builds its statements), normalised to single-row
  statements and replayed with bare :mod:`sqlite3` -- ``BEGIN IMMEDIATE``, one
  ``executemany`` per run of a statement, ``COMMIT`` -- into a fresh book created as the
  import's is, on a connection given the pragmas read from the store's own connection.
  The replayed file is checked against the library's, table by table, before any timing:
  a floor that wrote less would flatter the ratio.

The ratio is then what clientcard adds in Python; the target is <= 1.0x, which the library
can only meet by using more than one core. The export's floor is reading and validating
alone. Operation and floor run in alternating pairs (``BENCH_PAIRS``, 15 by default), each
pair giving a ratio; the reported ratio is the median of them, so a noisy moment on the
machine moves one pair, not the figure.

Peak memory (target under 300 MiB): one import of the same file runs in a child process
(``python bench/exchange.py --memory CSV DIR``) while this process sums, every 20 ms, the
resident memory (``VmRSS``) of the child and all its descendants -- an import that starts
workers must count theirs too. The child's own peak (``VmHWM``) and ``ru_maxrss`` are
reported beside it; this runs first, while the parent is small, because ``ru_maxrss``
survives exec and may carry the high-water mark of the process the child was forked from.

Rows: ``BENCH_EXCHANGE_ROWS`` (100,000 by default). The import prepares rows in
``BENCH_WORKERS`` worker processes (by default as many as the CLI starts: one per CPU, four
at most).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

import email_validator
import phonenumbers

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.exchange import cpu_workers
from clientcard.exchange.csv import open_csv
from clientcard.storage.sqlite import SQLiteStore, _SQLiteSession

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
FIRST = ["Anna", "José", "Giulia", "Sanne", "Eva", "Marco", "Lotte", "Chiara", "Daan", "Sofia"]
LAST = ["Rossi", "Núñez", "Bianchi", "de Vries", "Jansen", "Ricci", "Bakker", "Conti"]
CITIES = ["Milano", "Forlì", "Roma", "Bologna", "Torino"]

Row = tuple[object, ...]
Statement = tuple[str, list[Row]]  # one single-row INSERT and the rows it inserts
Transaction = list[Statement]

# Connection pragmas that shape how fast an insert runs; read from the store at run time
# so the floor follows whatever the library sets.
PRAGMAS = (
    "busy_timeout",
    "journal_mode",
    "foreign_keys",
    "secure_delete",
    "synchronous",
    "cache_size",
    "temp_store",
    "mmap_size",
    "wal_autocheckpoint",
    "journal_size_limit",
)
SAMPLE_EVERY_S = 0.02
MEMORY_TARGET_MIB = 300


def _letters(number: int) -> str:
    # Names carry no digits; a base-26 suffix keeps every row a different client.
    text = ""
    while True:
        number, digit = divmod(number, 26)
        text = chr(97 + digit) + text
        if not number:
            return text


def write_file(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(["Nome", "Cognome", "Cellulare", "E-mail", "Città"])
        for i in range(rows):
            writer.writerow(
                [
                    FIRST[i % len(FIRST)],
                    f"{LAST[i % len(LAST)]} {_letters(i).capitalize()}",
                    f"333 {i % 10_000_000:07d}",
                    f"client{i}@example.com",
                    CITIES[i % len(CITIES)],
                ]
            )


def read_and_validate(path: Path) -> int:
    """Read the CSV and validate each row's phone and e-mail, nothing else."""
    count = 0
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream, delimiter=";")
        next(reader)
        for row in reader:
            number = phonenumbers.parse(row[2], "IT")
            phonenumbers.is_valid_number(number)
            email_validator.validate_email(row[3], check_deliverability=False)
            count += 1
    return count


# -- capturing what the store writes ------------------------------------------------------

_GROUP = r"\(\s*\?(?:\s*,\s*\?)*\s*\)"
_MULTI_ROW = re.compile(
    rf"^(?P<head>.*?\bVALUES\s*)(?P<group>{_GROUP})(?:\s*,\s*{_GROUP})*(?P<tail>.*)$",
    re.DOTALL | re.IGNORECASE,
)
_TABLE = re.compile(r"^\s*(?:INSERT|REPLACE)\b.*?\bINTO\s+\"?(\w+)", re.DOTALL | re.IGNORECASE)


def single_row(sql: str, params: Sequence[object]) -> Statement:
    """``sql`` as a one-row statement, with ``params`` split into its rows.

    A multi-row ``VALUES (?, ?), (?, ?)`` list is cut by the placeholders of one group.
    """
    match = _MULTI_ROW.match(sql)
    if match is None:
        # INSERT ... SELECT, or literals among the values: replayed as it ran.
        return sql, [tuple(params)]
    width = match["group"].count("?")
    if len(params) % width:
        raise RuntimeError(f"{len(params)} parameters don't fill rows of {width}: {sql[:80]}")
    rows = [tuple(params[at : at + width]) for at in range(0, len(params), width)]
    return match["head"] + match["group"] + match["tail"], rows


class _Open:
    """A transaction in progress on one session: its inserts so far and its savepoints."""

    def __init__(self, by_savepoint: bool) -> None:
        self.statements: Transaction = []
        self.savepoints: list[tuple[str, int]] = []
        # SQLite opens a transaction for a SAVEPOINT outside one; its RELEASE commits.
        self.by_savepoint = by_savepoint


class Capture:
    """The INSERTs the store's sessions ran, per committed transaction, in commit order.

    Sessions are told apart so a library writing from several threads still yields whole
    transactions; what a rollback undid is dropped, since it never reached the file.
    """

    def __init__(self) -> None:
        self.transactions: list[Transaction] = []
        self._open: dict[int, _Open] = {}
        self._lock = threading.Lock()

    def ran(self, session: object, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Note a statement ``session`` executed without error; ``rows``: its parameter sets."""
        words = sql.split()
        if not words:
            return
        word = words[0].upper()
        key = id(session)
        with self._lock:
            unit = self._open.get(key)
            if word == "BEGIN":
                self._open[key] = _Open(by_savepoint=False)
            elif word in ("COMMIT", "END"):
                self._commit(key)
            elif word == "ROLLBACK":
                self._roll_back(key, words)
            elif word == "SAVEPOINT":
                if unit is None:
                    unit = self._open[key] = _Open(by_savepoint=True)
                unit.savepoints.append((words[-1], len(unit.statements)))
            elif word == "RELEASE" and unit is not None:
                names = [name for name, _ in unit.savepoints]
                if words[-1] in names:
                    del unit.savepoints[len(names) - 1 - names[::-1].index(words[-1]) :]
                if unit.by_savepoint and not unit.savepoints:
                    self._commit(key)
            elif word in ("INSERT", "REPLACE"):
                statements = [single_row(sql, params) for params in rows]
                if unit is None:
                    # Outside a transaction it committed on its own.
                    self.transactions.append(_merged(statements))
                else:
                    unit.statements += statements

    def _commit(self, key: int) -> None:
        unit = self._open.pop(key, None)
        if unit is not None and unit.statements:
            self.transactions.append(_merged(unit.statements))

    def _roll_back(self, key: int, words: list[str]) -> None:
        unit = self._open.get(key)
        if unit is None:
            return
        if len(words) > 1 and words[1].upper() == "TO":
            for name, mark in reversed(unit.savepoints):
                if name == words[-1]:
                    del unit.statements[mark:]
                    return
        del self._open[key]

    def tables(self) -> set[str]:
        """The tables the captured statements insert into."""
        return {
            match[1]
            for transaction in self.transactions
            for sql, _ in transaction
            if (match := _TABLE.match(sql)) is not None
        }

    def row_count(self) -> int:
        return sum(len(rows) for transaction in self.transactions for _, rows in transaction)


def _merged(statements: Transaction) -> Transaction:
    # Consecutive runs of one statement become one executemany; order is kept, so rows
    # referencing others still come after them.
    merged: Transaction = []
    for sql, rows in statements:
        if merged and merged[-1][0] == sql:
            merged[-1][1].extend(rows)
        else:
            merged.append((sql, list(rows)))
    return merged


@contextmanager
def capturing(capture: Capture) -> Iterator[None]:
    """Record into ``capture`` what every SQLite session executes, until the block ends."""
    execute, execute_many = _SQLiteSession.execute, _SQLiteSession.execute_many

    def recorded_execute(self: _SQLiteSession, sql: str, params: Sequence[object] = ()) -> int:
        count = execute(self, sql, params)
        capture.ran(self, sql, [params])
        return count

    def recorded_many(self: _SQLiteSession, sql: str, rows: Sequence[Sequence[object]]) -> None:
        rows = list(rows)  # an iterator would be spent by the time it is recorded
        execute_many(self, sql, rows)
        capture.ran(self, sql, rows)

    _SQLiteSession.execute = recorded_execute  # type: ignore[method-assign]
    _SQLiteSession.execute_many = recorded_many  # type: ignore[method-assign]
    try:
        yield
    finally:
        _SQLiteSession.execute = execute  # type: ignore[method-assign]
        _SQLiteSession.execute_many = execute_many  # type: ignore[method-assign]


# -- the library's side -------------------------------------------------------------------


def _book(path: Path) -> tuple[SQLiteStore, ClientBook, str]:
    store = SQLiteStore(path)
    book = ClientBook(store, clock=FixedClock(NOW))
    business = book.create_business(name="Bench", region="IT", language="it", business_id="bench")
    return store, book, business.id


WORKERS = int(os.environ.get("BENCH_WORKERS", str(cpu_workers())))


def _remove(path: Path) -> None:
    for leftover in path.parent.glob(f"{path.name}*"):
        leftover.unlink()


def import_once(
    source: Path, directory: Path, keep: bool = False, capture: Capture | None = None
) -> float:
    """Import ``source`` into a new book; seconds the import took (not creating the book)."""
    target = directory / "import.db"
    _remove(target)
    store, book, salon = _book(target)
    exchange = book.business(salon).exchange
    # Started only now: the migrations and the business row are not the import's work.
    recording = capturing(capture) if capture is not None else nullcontext()
    with recording:
        start = time.perf_counter()
        with open_csv(source) as table:
            report = exchange.import_cards(table, batch_size=1000, workers=WORKERS)
        took = time.perf_counter() - start
    store.close()
    if report.imported != report.rows:
        raise RuntimeError(f"bench rows rejected: {report.summary()}")
    if keep:
        target.rename(directory / "full.db")
    return took


def export_once(directory: Path) -> float:
    store = SQLiteStore(directory / "full.db")
    exchange = ClientBook(store, clock=FixedClock(NOW)).business("bench").exchange
    start = time.perf_counter()
    exchange.export_cards(directory / "export.csv", format="csv")
    took = time.perf_counter() - start
    store.close()
    return took


# -- the floor's raw insert ---------------------------------------------------------------


def fresh_book(path: Path) -> dict[str, object]:
    """Create an empty book at ``path`` as the import's is; the store connection's pragmas."""
    _remove(path)
    store, _, _ = _book(path)
    try:
        connection = store._connection()  # the pragmas live per connection
        return {name: connection.execute(f"PRAGMA {name}").fetchone()[0] for name in PRAGMAS}
    finally:
        store.close()


def raw_connection(path: Path, pragmas: dict[str, object]) -> sqlite3.Connection:
    """A bare connection set up as the store's: autocommit, the same pragma values."""
    connection = sqlite3.connect(path, isolation_level=None)
    for name, value in pragmas.items():
        connection.execute(f"PRAGMA {name} = {value}")
    for name, value in pragmas.items():
        (actual,) = connection.execute(f"PRAGMA {name}").fetchone()
        if actual != value:
            connection.close()
            raise RuntimeError(f"PRAGMA {name}: the floor got {actual!r}, the store has {value!r}")
    return connection


def raw_insert(connection: sqlite3.Connection, transactions: list[Transaction]) -> None:
    for transaction in transactions:
        connection.execute("BEGIN IMMEDIATE")
        for sql, rows in transaction:
            connection.executemany(sql, rows)
        connection.execute("COMMIT")


def check_same_rows(library: Path, floor: Path, tables: set[str]) -> dict[str, int]:
    """Raise unless the floor's file holds the rows of the library's; rows per table."""
    connection = sqlite3.connect(floor)
    try:
        connection.execute("ATTACH DATABASE ? AS library", (str(library),))
        listing = "SELECT name FROM {}.sqlite_master WHERE type = 'table'"
        names = {row[0] for row in connection.execute(listing.format("main"))}
        if names != {row[0] for row in connection.execute(listing.format("library"))}:
            raise RuntimeError("the floor's database has other tables than clientcard's")
        counts: dict[str, int] = {}
        # sqlite_stat1 is left out: closing the store may refresh the planner's statistics.
        for name in sorted(names - {"sqlite_stat1", "sqlite_stat4"}):
            (ours,) = connection.execute(f'SELECT count(*) FROM main."{name}"').fetchone()
            (theirs,) = connection.execute(f'SELECT count(*) FROM library."{name}"').fetchone()
            if ours != theirs:
                raise RuntimeError(f"{name}: the floor wrote {ours} rows, clientcard {theirs}")
            counts[name] = ours
        for name in sorted(tables):
            for one, other in (("main", "library"), ("library", "main")):
                (differ,) = connection.execute(
                    f'SELECT count(*) FROM (SELECT * FROM {one}."{name}"'
                    f' EXCEPT SELECT * FROM {other}."{name}")'
                ).fetchone()
                if differ:
                    raise RuntimeError(f"{name}: {differ} rows of {one} are not in {other}")
        return counts
    finally:
        connection.close()


# -- peak memory --------------------------------------------------------------------------


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass  # gone between listing and reading
    return 0  # a zombie has no resident memory


def _children_by_file(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with suppress(OSError):  # the task ended meanwhile
            children += [int(child) for child in task.read_text().split()]
    return children


def _parents() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; the fields follow the last ')'.
        parent = int(text[text.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(stat.parent.name))
    return children


# Kernels built without CONFIG_PROC_CHILDREN lack the children files: scan every parent id.
_CHILDREN_FILES = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists()


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    parents = None if _CHILDREN_FILES else _parents()
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        if parents is None:
            pending += _children_by_file(current)
        else:
            pending += parents.get(current, [])
    return tree


def memory_child(source: Path, directory: Path) -> None:
    """The child's part: one import, then its own figures as JSON on stdout."""
    took = import_once(source, directory)
    figures: dict[str, float] = {"import_s": took}
    # Linux reports ru_maxrss in KiB. It outlives exec, so it may be the high-water mark
    # of the parent's memory the child was forked from; VmHWM is this program's own.
    figures["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    figures["children_maxrss_kib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open("/proc/self/status", encoding="ascii", errors="replace") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                figures["hwm_kib"] = int(line.split()[1])
    print(json.dumps(figures))


def peak_memory(source: Path, directory: Path, rows: int) -> dict[str, Any]:
    """Import ``source`` in a child process, sampling its tree's resident memory."""
    work = directory / "memory"
    work.mkdir(exist_ok=True)
    output = work / "child.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--memory", str(source), str(work)]
    peak_kib, samples, most_processes = 0, 0, 0
    # A file, not a pipe: a pipe nobody reads while sampling could fill and stall the child.
    with output.open("w") as stdout:
        child = subprocess.Popen(command, stdout=stdout)
        while child.poll() is None:
            tree = process_tree(child.pid)
            peak_kib = max(peak_kib, sum(_rss_kib(pid) for pid in tree))
            most_processes = max(most_processes, len(tree))
            samples += 1
            time.sleep(SAMPLE_EVERY_S)
    if child.returncode:
        raise RuntimeError(f"the memory child failed with exit status {child.returncode}")
    figures = json.loads(output.read_text().strip().splitlines()[-1])
    peak_mib = peak_kib / 1024
    child_mib = figures["maxrss_kib"] / 1024
    hwm_mib = figures.get("hwm_kib", 0) / 1024
    return {
        "benchmark": f"peak memory, CSV import of {rows} rows into SQLite",
        "peak_mib": round(peak_mib, 1),
        "child_maxrss_mib": round(child_mib, 1),
        "child_hwm_mib": round(hwm_mib, 1),
        "children_maxrss_mib": round(figures["children_maxrss_kib"] / 1024, 1),
        "import_s": round(figures["import_s"], 3),
        "processes": most_processes,
        "samples": samples,
        "floor": (
            "none (absolute target): VmRSS of the importing child and its descendants,"
            f" summed every {SAMPLE_EVERY_S * 1000:.0f} ms; the child's own peak"
            f" {hwm_mib:.1f} MiB (VmHWM), ru_maxrss {child_mib:.1f} MiB"
        ),
        "rate": f"{rows / figures['import_s']:,.0f} rows/s" if figures["import_s"] else "",
        "target": MEMORY_TARGET_MIB,
        "target_text": f"< {MEMORY_TARGET_MIB} MiB",
        "met": peak_mib < MEMORY_TARGET_MIB,
    }


# -- timing -------------------------------------------------------------------------------


def timed(job: Callable[[], object]) -> float:
    start = time.perf_counter()
    job()
    return time.perf_counter() - start


def pairs(
    operation: Callable[[], float], floor: Callable[[], float], count: int
) -> tuple[list[float], list[float]]:
    ours, floors = [], []
    for number in range(count):
        # Alternate which runs first, so neither always gets the warmer caches.
        if number % 2:
            floors.append(floor())
            ours.append(operation())
        else:
            ours.append(operation())
            floors.append(floor())
    return ours, floors


def result(
    name: str,
    ours: list[float],
    floors: list[float],
    rows: int,
    floor_is: str,
    *,
    target: float | None = None,
) -> dict[str, Any]:
    ratios = [o / f for o, f in zip(ours, floors, strict=True)]
    median = statistics.median(ours)
    ratio = statistics.median(ratios)
    return {
        "benchmark": name,
        "clientcard_s": round(median, 3),
        "floor_s": round(statistics.median(floors), 3),
        "floor": floor_is,
        "ratio": round(ratio, 2),
        "target": target,
        "met": None if target is None else ratio <= target,
        "rate": f"{rows / median:,.0f} rows/s",
        "pairs": len(ratios),
        "ratio_range": [round(min(ratios), 2), round(max(ratios), 2)],
    }


class ImportFloor:
    """Read and validate, then the raw insert of the captured rows: one core, one sum."""

    def __init__(self, source: Path, target: Path, transactions: list[Transaction]) -> None:
        self.source = source
        self.target = target
        self.transactions = transactions
        self.parse_validate: list[float] = []
        self.insert: list[float] = []

    def __call__(self) -> float:
        pragmas = fresh_book(self.target)  # untimed, as the import's own book is
        parse_validate = timed(lambda: read_and_validate(self.source))
        # Connecting is untimed too: the import's store already had its connection open.
        connection = raw_connection(self.target, pragmas)
        try:
            insert = timed(lambda: raw_insert(connection, self.transactions))
        finally:
            connection.close()
        self.parse_validate.append(parse_validate)
        self.insert.append(insert)
        return parse_validate + insert


def suite() -> list[dict[str, Any]]:
    rows = int(os.environ.get("BENCH_EXCHANGE_ROWS", "100000"))
    count = max(int(os.environ.get("BENCH_PAIRS", "15")), 1)
    directory = Path(tempfile.mkdtemp(prefix="cc-exchange-"))
    try:
        source = directory / "clients.csv"
        write_file(source, rows)
        # First, while this process is small: a child's ru_maxrss starts from the
        # high-water mark of the process it was forked from.
        memory = peak_memory(source, directory, rows)
        capture = Capture()
        # Warm-up, the rows the floor replays, and the book the export reads.
        import_once(source, directory, keep=True, capture=capture)
        floor = ImportFloor(source, directory / "floor.db", capture.transactions)
        floor()  # the floor's warm-up, and the file checked against the library's
        written = check_same_rows(directory / "full.db", floor.target, capture.tables())
        floor.parse_validate.clear()
        floor.insert.clear()

        ours, floors = pairs(lambda: import_once(source, directory), floor, count)
        imported = result(
            f"CSV import into SQLite, {rows} rows",
            ours,
            floors,
            rows,
            "csv module reading the file + phonenumbers and email-validator per row + bare"
            " sqlite3 inserting the same captured rows (same transactions and pragmas), one core",
            target=1.5,
        )
        imported["floor_parse_validate_s"] = round(statistics.median(floor.parse_validate), 3)
        imported["floor_insert_s"] = round(statistics.median(floor.insert), 3)
        imported["floor_insert_rows"] = capture.row_count()
        imported["floor_insert_transactions"] = len(capture.transactions)
        imported["workers"] = WORKERS
        imported["rows_per_table"] = {name: n for name, n in written.items() if n}

        export_floor = lambda: timed(lambda: read_and_validate(source))  # noqa: E731
        ours, floors = pairs(lambda: export_once(directory), export_floor, count)
        exported = result(
            f"CSV export from SQLite, {rows} cards",
            ours,
            floors,
            rows,
            "csv module reading the file + phonenumbers and email-validator per row (no insert)",
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return [imported, exported, memory]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--memory":
        memory_child(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        print(json.dumps(suite(), indent=2))
