"""Benchmarks: each figure is measured beside its floor in the same run, as a ratio.

Run with ``make bench``; results go to ``bench/results/`` (or ``BENCH_RESULTS``) as
markdown and JSON. No figure is asserted in the test suite: speed targets are read from
these reports. The suite only runs every benchmark at a toy size
(``tests/storage/test_bench_runs.py``), so one that no longer runs fails the build.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bulk  # bench/bulk.py, beside this file
import scaleout  # bench/scaleout.py, beside this file
import search  # bench/search.py, beside this file
import targets  # bench/targets.py, beside this file

import consent  # bench/consent.py, beside this file
import exchange  # bench/exchange.py, beside this file
import history  # bench/history.py, beside this file
import portal  # bench/portal.py, beside this file
import storage  # bench/storage.py, beside this file

RESULTS = Path(os.environ.get("BENCH_RESULTS") or Path(__file__).resolve().parent / "results")
Job = Callable[[str], list[dict[str, Any]]]


def _postgres(job: Callable[[str], list[dict[str, Any]]], what: str) -> Job:
    def run(dsn: str) -> list[dict[str, Any]]:
        try:
            return job(dsn)
        except Exception as error:  # noqa: BLE001 - a missing server is reported, not fatal
            print(f"{what} skipped: {type(error).__name__}")
            return []

    return run


# In the order of the report; BENCH_ONLY=validation,phone_lookup runs just those
# ("lookups" is phone_lookup and name_search on one database, as make bench runs them).
JOBS: dict[str, Job] = {
    "validation": lambda _dsn: [targets.validation()],
    "json": lambda _dsn: [targets.json_round_trip()],
    "lookups": lambda _dsn: targets.lookups(),
    "phone_lookup": lambda _dsn: targets.lookups(names=False),
    "name_search": lambda _dsn: targets.lookups(phone=False),
    "audience_sqlite": lambda _dsn: [targets.audience_sqlite()],
    "audience_postgres": _postgres(
        lambda dsn: [targets.audience_postgres(dsn)], "PostgreSQL audience"
    ),
    "decisions": lambda _dsn: [consent.decisions()],
    "statistics": lambda _dsn: history.client_statistics(),
    "aggregates": lambda _dsn: [history.aggregates()],
    "erasure": lambda _dsn: [history.erasure()],
    "group_move": lambda _dsn: [bulk.group_move()],
    "sign_in": lambda _dsn: [portal.sign_in_timing()],
    "sqlite": lambda _dsn: storage.sqlite_suite(storage.cards_to_bench()),
    "exchange": lambda _dsn: exchange.suite(),
    "search_sqlite": lambda _dsn: search.sqlite_search(),
    "search_postgres": _postgres(search.postgres_search, "PostgreSQL search"),
    "postgres_import": _postgres(lambda dsn: [bulk.postgres_import(dsn)], "PostgreSQL import"),
    "postgres": _postgres(
        lambda dsn: storage.postgres_suite(storage.cards_to_bench(), dsn),
        "PostgreSQL benchmarks",
    ),
    # Only when CLIENTCARD_TEST_CITUS names a Citus cluster: it beside the server above.
    "scaleout": _postgres(scaleout.suite, "Scale-out benchmarks"),
}


# Halves of "lookups", run on their own only when BENCH_ONLY names them.
PARTS = frozenset({"phone_lookup", "name_search"})


def main() -> None:
    dsn = os.environ.get("CLIENTCARD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    only = [name for name in os.environ.get("BENCH_ONLY", "").split(",") if name]
    unknown = sorted(set(only) - set(JOBS))
    if unknown:
        raise SystemExit(f"BENCH_ONLY: no benchmark {unknown}; choose from {sorted(JOBS)}")
    results: list[dict[str, Any]] = []
    for name, job in JOBS.items():
        if name in only or (not only and name not in PARTS):
            results += job(dsn)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2))
    lines = [
        "| benchmark | clientcard (s) | floor (s) | ratio | target | met | rate | floor is |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['benchmark']} | {_ours(r)} | {_cell(r, 'floor_s')} | {_cell(r, 'ratio')} "
        f"| {_target(r)} | {_met(r)} | {r['rate']} | {r['floor']} |"
        for r in results
    ]
    table = "\n".join(lines)
    (RESULTS / "results.md").write_text(table + "\n")
    print(table)


def _ours(result: dict[str, object]) -> str:
    # A memory figure has no time and no floor; its unit says which column it fills.
    if "peak_mib" in result:
        return f"{result['peak_mib']} MiB"
    return _cell(result, "clientcard_s")


def _cell(result: dict[str, object], key: str) -> str:
    value = result.get(key)
    return "" if value is None else str(value)


def _target(result: dict[str, object]) -> str:
    text = result.get("target_text")
    if text is not None:
        return str(text)
    target = result.get("target")
    return "" if target is None else f"<= {target}x"


def _met(result: dict[str, object]) -> str:
    met = result.get("met")
    return "" if met is None else ("yes" if met else "no")


if __name__ == "__main__":
    main()
