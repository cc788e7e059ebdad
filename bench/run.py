"""Benchmarks: each figure is measured beside its floor in the same run, as a ratio.

Run with ``make bench``; results go to ``bench/results/`` as markdown and JSON. Nothing
here is asserted in the test suite: speed targets are read from these reports.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import email_validator
import phonenumbers

import consent  # bench/consent.py, beside this file
import history  # bench/history.py, beside this file
import storage  # bench/storage.py, beside this file
from clientcard import Context, FieldSchema

RESULTS = Path(__file__).resolve().parent / "results"
TODAY = dt.date(2026, 11, 23)
ROWS = [
    {
        "first_name": f"Anna {chr(65 + i % 26)}",
        "last_name": "Rossi",
        "email": f"anna.{i}@example.com",
        "phones": f"333 {1000000 + i:07d}",
    }
    for i in range(2000)
]


def best_of(repeats: int, job: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def validate_with_clientcard() -> None:
    schema = FieldSchema.default()
    for row in ROWS:
        schema.validate(row, Context.IMPORT, today=TODAY)


def validate_raw() -> None:
    for row in ROWS:
        phonenumbers.is_valid_number(phonenumbers.parse(row["phones"], "IT"))
        email_validator.validate_email(row["email"], check_deliverability=False)


def main() -> None:
    ours = best_of(5, validate_with_clientcard)
    floor = best_of(5, validate_raw)
    results = [
        storage.row(
            "validate and normalise a card (2000 rows)",
            ours,
            floor,
            "phonenumbers.parse + is_valid_number + email_validator",
            per=len(ROWS),
            unit="cards/s",
        )
    ]
    results.append(consent.decisions())
    results.append(history.client_statistics())
    results.append(history.aggregates())
    results += consent.audience(consent.audience_cards())
    count = storage.cards_to_bench()
    results += storage.sqlite_suite(count)
    dsn = os.environ.get("CLIENTCARD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        results += storage.postgres_suite(count, dsn)
    except Exception as error:  # noqa: BLE001 - a missing server is reported, not fatal
        print(f"PostgreSQL benchmarks skipped: {type(error).__name__}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2))
    lines = [
        "| benchmark | clientcard (s) | floor (s) | ratio | clientcard rate | floor is |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['benchmark']} | {r['clientcard_s']} | {r['floor_s']} | {r['ratio']} "
        f"| {r['rate']} | {r['floor']} |"
        for r in results
    ]
    table = "\n".join(lines)
    (RESULTS / "results.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
