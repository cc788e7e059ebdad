"""The scrub's reach into a Citus cluster's workers, where the shards' files are.

Internal to :mod:`clientcard.storage._pg_scrub`. On a cluster the rows of a distributed
table live in shards on the workers, and the coordinator's table of that name is an
empty shell. ``VACUUM FULL`` of a distributed table, run on the coordinator, is sent by
Citus to every placement of every shard; pg_repack is not (it would copy the empty
shell), so a cluster's scrub uses ``VACUUM FULL``. What Citus does not send on its own
-- the wait for old transactions, the rewrite of the statistics catalogue, the
checkpoint -- goes to each worker through ``run_command_on_workers``, whose answers
(one row per worker: node, port, success, result) are read here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from psycopg import sql

__all__ = [
    "is_distributed",
    "placement_files",
    "table_size",
    "workers_holding_back",
    "workers_rewrite_statistics",
    "workers_run",
]

Fetch = Callable[[str, Sequence[object]], list[tuple[Any, ...]]]

_ON_WORKERS: Final = "SELECT nodename, nodeport, success, result FROM run_command_on_workers(?)"
_STATISTICS_FILES: Final = "SELECT pg_relation_filenode('pg_catalog.pg_statistic')"


def is_distributed(fetch: Fetch, qualified: str) -> bool:
    """Tell whether ``qualified`` is a Citus table (distributed or reference)."""
    return bool(
        fetch("SELECT 1 FROM pg_dist_partition WHERE logicalrelid = ?::regclass", [qualified])
    )


def placement_files(fetch: Fetch, qualified: str) -> dict[str, str]:
    """The file number of each placement of each shard of ``qualified`` (by ``node:port/shard``).

    A placement that could not be asked has an empty file number.
    """
    rows = fetch(
        "SELECT nodename, nodeport, shardid, success, result FROM"
        # %% is psycopg's escape: Citus gets %s, the place of each shard's name.
        " run_command_on_placements(?::regclass, 'SELECT pg_relation_filenode(''%%s'')')",
        [qualified],
    )
    return {
        f"{node}:{port}/{shard}": str(result) if success else ""
        for node, port, shard, success, result in rows
    }


def table_size(fetch: Fetch, qualified: str) -> int:
    """Bytes of every shard of ``qualified`` (first placements), indexes and TOAST included."""
    ((size,),) = fetch("SELECT citus_total_relation_size(?::regclass)", [qualified])
    return int(size)


def workers_run(fetch: Fetch, command: str) -> dict[tuple[str, int], tuple[bool, str]]:
    """Run ``command`` on every worker: each worker's (success, result), by node and port."""
    return {
        (str(node), int(port)): (bool(success), str(result))
        for node, port, success, result in fetch(_ON_WORKERS, [command])
    }


def workers_holding_back(fetch: Fetch, since: str) -> int:
    """Count the workers' transactions begun before ``since`` (a timestamp) and still open.

    Each worker numbers its transactions itself, so the coordinator's transaction id
    means nothing there; the time the scrub began does. A worker that can't be asked
    counts as one held back: the scrub is then not known to be complete.
    """
    # The command travels as text to each worker: the time is quoted as a literal.
    command = (
        sql.SQL(
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
            " AND (backend_xid IS NOT NULL OR backend_xmin IS NOT NULL)"
            " AND xact_start < {since}::timestamptz)"
            " + (SELECT count(*) FROM pg_prepared_xacts WHERE prepared < {since}::timestamptz)"
        )
        .format(since=sql.Literal(since))
        .as_string(None)
    )
    answers = workers_run(fetch, command).values()
    return sum(int(result) if success else 1 for success, result in answers)


def workers_rewrite_statistics(fetch: Fetch) -> tuple[bool, str | None]:
    """Rewrite each worker's statistics catalogue; whether every one now has new files.

    The shards were analysed on the workers, so their sampled values -- an erased
    client's among them -- are in the workers' ``pg_statistic``, not the coordinator's.
    """
    before = workers_run(fetch, _STATISTICS_FILES)
    done = workers_run(fetch, "VACUUM FULL pg_catalog.pg_statistic")
    after = workers_run(fetch, _STATISTICS_FILES)
    if not all(success for success, _result in done.values()):
        return False, "not_permitted"
    rewritten = before.keys() == after.keys() and all(
        before[node][0] and after[node][0] and before[node][1] != after[node][1] for node in before
    )
    return rewritten, None if rewritten else "failed"
