"""The scrub's reach into a Citus cluster's workers, where the shards' files are.

Internal to :mod:`clientcard.storage._pg_scrub`. On a cluster the rows of a distributed
table live in shards on the workers, and the coordinator's table of that name is an
empty shell. ``VACUUM FULL`` of a distributed table, run on the coordinator, is sent by
Citus to every placement of every shard; pg_repack is not (it would copy the empty
shell), so a cluster's scrub uses ``VACUUM FULL``.

The coordinator's ``lock_timeout`` does not travel with the command, and a placement
waiting for its lock would queue every other query on that shard. So each ``VACUUM``
goes out with ``SKIP_LOCKED`` (a placement whose lock is not free at once is left as it
is) and the placements left are asked again, one by one on their workers
(``master_run_on_worker``), until every one has new files or the lock timeout has
passed: then the table is reported ``locked``.

What Citus does not send on its own -- the wait for old transactions, the rewrite of
the statistics catalogue, the checkpoint -- goes to each worker through
``run_command_on_workers``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Final, NamedTuple

from psycopg import sql

__all__ = [
    "is_distributed",
    "rewrite_table",
    "table_size",
    "workers_holding_back",
    "workers_rewrite_statistics",
    "workers_run",
]

Fetch = Callable[[str, Sequence[object]], list[tuple[Any, ...]]]
Execute = Callable[[str, Sequence[object]], int]

_ON_WORKERS: Final = "SELECT nodename, nodeport, success, result FROM run_command_on_workers(?)"
_ON_NODES: Final = (
    "SELECT node_name, node_port, success, result"
    " FROM master_run_on_worker(?::text[], ?::int[], ?::text[], false)"
)
_STATISTICS: Final = "pg_catalog.pg_statistic"
_POLL: Final = 0.1


class _Placement(NamedTuple):
    node: str
    port: int
    shard_id: int
    shard: str
    """The shard's table, qualified as its worker names it."""


def is_distributed(fetch: Fetch, qualified: str) -> bool:
    """Tell whether ``qualified`` is a Citus table (distributed or reference)."""
    return bool(
        fetch("SELECT 1 FROM pg_dist_partition WHERE logicalrelid = ?::regclass", [qualified])
    )


def table_size(fetch: Fetch, qualified: str) -> int:
    """Bytes of every shard of ``qualified`` (first placements), indexes and TOAST included."""
    ((size,),) = fetch("SELECT citus_total_relation_size(?::regclass)", [qualified])
    return int(size)


def rewrite_table(
    fetch: Fetch, execute: Execute, qualified: str, *, analyse: bool, lock_timeout: float
) -> str | None:
    """Rewrite every placement of ``qualified``; ``None``, or why some were not rewritten.

    ``locked`` when a placement's lock was not free within ``lock_timeout`` seconds,
    ``failed`` when a worker could not run the command.
    """
    options = "FULL, ANALYZE, SKIP_LOCKED" if analyse else "FULL, SKIP_LOCKED"
    before = _placement_files(fetch, qualified)
    execute(f"VACUUM ({options}) {qualified}", ())
    deadline = time.monotonic() + lock_timeout
    failed = False
    while True:
        after = _placement_files(fetch, qualified)
        left = [p for p, old in before.items() if not old or after.get(p) in {None, "", old}]
        if not left:
            return None
        if time.monotonic() >= deadline:
            return "failed" if failed else "locked"
        time.sleep(_POLL)
        answers = _on_nodes(
            fetch, [(p.node, p.port, f"VACUUM ({options}) {p.shard}") for p in left]
        )
        failed = not all(success for success, _result in answers)


def _placement_files(fetch: Fetch, qualified: str) -> dict[_Placement, str]:
    """The file number of each placement of each shard (empty where it can't be read)."""
    names = {
        (str(node), int(port), int(shard)): str(name)
        for node, port, shard, name in fetch(
            "SELECT p.nodename, p.nodeport, p.shardid, shard_name(s.logicalrelid, p.shardid)"
            " FROM pg_dist_shard_placement AS p JOIN pg_dist_shard AS s USING (shardid)"
            " WHERE s.logicalrelid = ?::regclass",
            [qualified],
        )
    }
    files = {
        (str(node), int(port), int(shard)): str(result) if success else ""
        for node, port, shard, success, result in fetch(
            "SELECT nodename, nodeport, shardid, success, result FROM"
            # %% is psycopg's escape: Citus gets %s, the place of each shard's name.
            " run_command_on_placements(?::regclass, 'SELECT pg_relation_filenode(''%%s'')')",
            [qualified],
        )
    }
    return {_Placement(*key, name): files.get(key, "") for key, name in names.items()}


def _on_nodes(fetch: Fetch, commands: list[tuple[str, int, str]]) -> list[tuple[bool, str]]:
    """Run each command on its node, outside a transaction: (success, result) each."""
    rows = fetch(
        _ON_NODES,
        [
            [node for node, _p, _c in commands],
            [port for _n, port, _c in commands],
            [c for *_x, c in commands],
        ],
    )
    return [(bool(success), str(result)) for _node, _port, success, result in rows]


def workers_run(fetch: Fetch, command: str) -> dict[tuple[str, int], tuple[bool, str]]:
    """Run ``command`` on every worker: each worker's (success, result), by node and port."""
    return {
        (str(node), int(port)): (bool(success), str(result))
        for node, port, success, result in fetch(_ON_WORKERS, [command])
    }


def workers_holding_back(fetch: Fetch, since: str) -> int:
    """Count the workers' transactions begun before ``since`` (a timestamp) and still open.

    As on one server: a transaction of any database holding a transaction id, or one of
    this database holding a snapshot. Each worker numbers its transactions itself, so
    the coordinator's transaction id means nothing there; the time the scrub began
    does, which assumes the nodes' clocks agree (as a cluster's must, within the
    moment a scrub waits for). A worker that can't be asked counts as one held back:
    the scrub is then not known to be complete.
    """
    # The command travels as text to each worker: the time is quoted as a literal.
    command = (
        sql.SQL(
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
            " AND xact_start < {since}::timestamptz AND (backend_xid IS NOT NULL"
            " OR (datname = current_database() AND backend_xmin IS NOT NULL)))"
            " + (SELECT count(*) FROM pg_prepared_xacts WHERE prepared < {since}::timestamptz)"
        )
        .format(since=sql.Literal(since))
        .as_string(None)
    )
    answers = workers_run(fetch, command).values()
    return sum(int(result) if success else 1 for success, result in answers)


def workers_rewrite_statistics(fetch: Fetch, lock_timeout: float) -> str | None:
    """Rewrite each worker's statistics catalogue; ``None``, or why one was not rewritten.

    The shards were analysed on the workers, so their sampled values -- an erased
    client's among them -- are in the workers' ``pg_statistic``, not the coordinator's.
    """
    files = f"SELECT pg_relation_filenode('{_STATISTICS}')"
    command = f"VACUUM (FULL, SKIP_LOCKED) {_STATISTICS}"
    before = workers_run(fetch, files)
    left = list(before)
    deadline = time.monotonic() + lock_timeout
    failed = False
    while True:
        answers = _on_nodes(fetch, [(node, port, command) for node, port in left])
        failed = failed or not all(success for success, _result in answers)
        after = workers_run(fetch, files)
        left = [
            node
            for node, (ok, old) in before.items()
            if not ok or not after.get(node, (False, ""))[0] or after[node][1] == old
        ]
        if not left:
            return None
        if time.monotonic() >= deadline:
            return "failed" if failed else "locked"
        time.sleep(_POLL)
