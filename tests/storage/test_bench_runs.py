"""Every benchmark of ``make bench`` still runs against the library as it is now.

``make bench`` is not part of ``make test``, and a benchmark that writes rows with bulk
SQL of its own breaks silently when a migration adds a column (the name-search
benchmarks did, once migration 10 added ``cards.source``). Here ``bench/run.py`` runs
every job at a toy size in a process of its own; the figures are ``make bench``'s and
are not read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "bench"

TOY_SIZES = {
    "BENCH_AUDIENCE": "1000",
    "BENCH_VISITS": "20",
    "BENCH_CARDS": "500",
    "BENCH_STATS_CLIENTS": "500",
    "BENCH_AGGREGATE_PAIRS": "1",
    "BENCH_ERASURE_CLIENTS": "500",
    "BENCH_MOVE_CARDS": "200",
    "BENCH_PG_IMPORT_ROWS": "60",
    "BENCH_PG_IMPORT_PAIRS": "1",
    "BENCH_SEARCH_CARDS": "200",
    "BENCH_SEARCH_BUSINESSES": "3",
    "BENCH_SEARCH_TOTAL": "400",
    "BENCH_SEARCHES": "3",
    "BENCH_EXCHANGE_ROWS": "200",
    "BENCH_PAIRS": "1",
    "BENCH_SCALE_CARDS": "400",
    "BENCH_SCALE_BUSINESSES": "4",
    "BENCH_SCALE_PAIRS": "1",
    "BENCH_SCALE_IMPORT": "40",
}


@pytest.mark.postgres
def test_every_benchmark_runs_at_a_toy_size(postgres: str, tmp_path: Path) -> None:
    environment = {
        **os.environ,
        **TOY_SIZES,
        "CLIENTCARD_TEST_POSTGRES": postgres,
        "BENCH_RESULTS": str(tmp_path),
        "PYTHONWARNINGS": "ignore",
    }
    environment.pop("BENCH_ONLY", None)
    finished = subprocess.run(
        [sys.executable, str(BENCH / "run.py")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    skipped = [line for line in finished.stdout.splitlines() if "skipped" in line]
    if not os.environ.get("CLIENTCARD_TEST_CITUS"):
        skipped = [line for line in skipped if not line.startswith("scale-out")]
    assert skipped == []
    results = json.loads((tmp_path / "results.json").read_text())
    assert len(results) >= 25
    assert all("clientcard_s" in row or "peak_mib" in row for row in results)
