"""Benchmarks: each figure is measured beside its floor in the same run, as a ratio.

Run with ``make bench``; results go to ``bench/results/`` as markdown and JSON. Nothing
here is asserted in the test suite: speed targets are read from these reports.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import targets  # bench/targets.py, beside this file

import consent  # bench/consent.py, beside this file
import exchange  # bench/exchange.py, beside this file
import history  # bench/history.py, beside this file
import portal  # bench/portal.py, beside this file
import storage  # bench/storage.py, beside this file

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    dsn = os.environ.get("CLIENTCARD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    results = [targets.validation(), targets.json_round_trip()]
    results += targets.lookups()
    results.append(targets.audience_sqlite())
    try:
        results.append(targets.audience_postgres(dsn))
    except Exception as error:  # noqa: BLE001 - a missing server is reported, not fatal
        print(f"PostgreSQL audience skipped: {type(error).__name__}")
    results.append(consent.decisions())
    results.append(history.client_statistics())
    results.append(history.aggregates())
    results.append(history.erasure())
    results.append(portal.sign_in_timing())
    count = storage.cards_to_bench()
    results += storage.sqlite_suite(count)
    results += exchange.suite()
    try:
        results += storage.postgres_suite(count, dsn)
    except Exception as error:  # noqa: BLE001 - a missing server is reported, not fatal
        print(f"PostgreSQL benchmarks skipped: {type(error).__name__}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2))
    lines = [
        "| benchmark | clientcard (s) | floor (s) | ratio | target | met | rate | floor is |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['benchmark']} | {r['clientcard_s']} | {r['floor_s']} | {r['ratio']} "
        f"| {_target(r)} | {_met(r)} | {r['rate']} | {r['floor']} |"
        for r in results
    ]
    table = "\n".join(lines)
    (RESULTS / "results.md").write_text(table + "\n")
    print(table)


def _target(result: dict[str, object]) -> str:
    target = result.get("target")
    return "" if target is None else f"<= {target}x"


def _met(result: dict[str, object]) -> str:
    met = result.get("met")
    return "" if met is None else ("yes" if met else "no")


if __name__ == "__main__":
    main()
