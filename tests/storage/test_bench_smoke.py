"""The benchmarks behind issue 17's figures still run against the store as it is now.

``make bench`` is not part of ``make test``, and a benchmark that writes rows with bulk
SQL of its own breaks silently when a migration adds a column (the search benchmarks
did, once migration 10 added ``cards.source``). These run each at a toy size; the
figures themselves are ``make bench``'s.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).parents[2] / "bench"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    """The benchmark modules (they import each other by their bare names), at toy sizes."""
    monkeypatch.syspath_prepend(str(BENCH))
    for name, value in {
        "BENCH_SEARCH_CARDS": "300",
        "BENCH_SEARCH_BUSINESSES": "4",
        "BENCH_SEARCH_TOTAL": "600",
        "BENCH_SEARCHES": "3",
        "BENCH_PG_IMPORT_PAIRS": "1",
    }.items():
        monkeypatch.setenv(name, value)
    return {name: importlib.import_module(name) for name in ("search", "bulk")}


def test_the_sqlite_search_benchmark_runs(bench: dict[str, ModuleType]) -> None:
    rows = bench["search"].sqlite_search()
    assert len(rows) == 2
    assert all(row["clientcard_s"] > 0 and row["floor_s"] > 0 for row in rows)


@pytest.mark.postgres
def test_the_postgres_search_benchmark_runs(bench: dict[str, ModuleType], postgres: str) -> None:
    rows = bench["search"].postgres_search(postgres)
    assert len(rows) == 2
    assert all(row["clientcard_s"] > 0 and row["floor_s"] > 0 for row in rows)


@pytest.mark.postgres
def test_the_postgres_import_benchmark_copies_what_the_import_wrote(
    bench: dict[str, ModuleType], postgres: str
) -> None:
    row = bench["bulk"].postgres_import(postgres, rows=40)
    # Cards, phones, search tokens and permissions: several rows for each of the 40.
    assert row["floor_copy_rows"] > 4 * 40
    assert row["clientcard_s"] > 0
    assert row["floor_s"] > 0
