"""Exchange benchmarks: CSV import into SQLite and export, beside reading and validating.

The floor of both is the raw cost of the work an import can't avoid: reading the same
CSV file with the :mod:`csv` module and validating each row's contacts with
phonenumbers and email-validator. Operation and floor run in alternating pairs (at least
15, ``BENCH_PAIRS``), each pair giving a ratio; the reported ratio is the median of them,
so a noisy moment on the machine moves one pair, not the figure.

Rows: ``BENCH_EXCHANGE_ROWS`` (100,000 by default).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import email_validator
import phonenumbers

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.exchange import export_cards, import_cards
from clientcard.exchange.csv import open_csv
from clientcard.storage.sqlite import SQLiteStore

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
FIRST = ["Anna", "José", "Giulia", "Sanne", "Eva", "Marco", "Lotte", "Chiara", "Daan", "Sofia"]
LAST = ["Rossi", "Núñez", "Bianchi", "de Vries", "Jansen", "Ricci", "Bakker", "Conti"]
CITIES = ["Milano", "Forlì", "Roma", "Bologna", "Torino"]


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
    """The floor: read the CSV and validate each row's phone and e-mail, nothing else."""
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


def _book(path: Path) -> tuple[SQLiteStore, ClientBook, str]:
    store = SQLiteStore(path)
    book = ClientBook(store, clock=FixedClock(NOW))
    business = book.create_business(name="Bench", region="IT", language="it", business_id="bench")
    return store, book, business.id


def import_once(source: Path, directory: Path, keep: bool = False) -> float:
    target = directory / "import.db"
    for leftover in directory.glob("import.db*"):
        leftover.unlink()
    store, book, salon = _book(target)
    start = time.perf_counter()
    with open_csv(source) as table:
        report = import_cards(book, salon, table, batch_size=1000)
    took = time.perf_counter() - start
    store.close()
    if report.imported != report.rows:
        raise RuntimeError(f"bench rows rejected: {report.summary()}")
    if keep:
        target.rename(directory / "full.db")
    return took


def export_once(directory: Path) -> float:
    store = SQLiteStore(directory / "full.db")
    book = ClientBook(store, clock=FixedClock(NOW))
    start = time.perf_counter()
    export_cards(book, "bench", directory / "export.csv", format="csv")
    took = time.perf_counter() - start
    store.close()
    return took


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


def result(name: str, ours: list[float], floors: list[float], rows: int) -> dict[str, Any]:
    ratios = [o / f for o, f in zip(ours, floors, strict=True)]
    median = statistics.median(ours)
    return {
        "benchmark": name,
        "clientcard_s": round(median, 3),
        "floor_s": round(statistics.median(floors), 3),
        "floor": "csv module reading the file + phonenumbers and email-validator per row",
        "ratio": round(statistics.median(ratios), 2),
        "rate": f"{rows / median:,.0f} rows/s",
        "pairs": len(ratios),
        "ratio_range": [round(min(ratios), 2), round(max(ratios), 2)],
    }


def suite() -> list[dict[str, Any]]:
    rows = int(os.environ.get("BENCH_EXCHANGE_ROWS", "100000"))
    count = max(int(os.environ.get("BENCH_PAIRS", "15")), 1)
    directory = Path(tempfile.mkdtemp(prefix="cc-exchange-"))
    try:
        source = directory / "clients.csv"
        write_file(source, rows)
        import_once(source, directory, keep=True)  # warm-up, and the book the export reads
        floor = lambda: timed(lambda: read_and_validate(source))  # noqa: E731
        ours, floors = pairs(lambda: import_once(source, directory), floor, count)
        imported = result(f"CSV import into SQLite, {rows} rows", ours, floors, rows)
        ours, floors = pairs(lambda: export_once(directory), floor, count)
        exported = result(f"CSV export from SQLite, {rows} cards", ours, floors, rows)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return [imported, exported]


if __name__ == "__main__":
    import json

    print(json.dumps(suite(), indent=2))
