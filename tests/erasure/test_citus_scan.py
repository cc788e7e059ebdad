"""On a Citus cluster, no byte of an erased client is left in the workers' files either.

The client of ``test_scan`` is seeded on a distributed store, so their rows live in
shards on the workers. After the erasure and the book's scrub (``book.admin.scrub()``:
``VACUUM FULL`` of each table, which Citus sends to every shard, then the workers'
statistics catalogues and a checkpoint on every node), every data file of every shard
-- table, TOAST and index, on every node that holds a placement -- is read byte for byte
from the node's data directory, with the blob store's files: no marker of the erased
client may be found, and every marker of the witness is.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

if os.environ.get("CLIENTCARD_REQUIRE_POSTGRES") != "1":
    pytest.importorskip("psycopg", reason="psycopg is not installed (clientcard[postgres])")

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.errors import StorageError
from clientcard.sinks import JsonLinesEventSink
from clientcard.storage.files import FileBlobStore
from clientcard.storage.postgres import PostgresStore
from clientcard.storage.scrub import ScrubMethod
from tests.citus_support import shards_of
from tests.erasure.test_scan import blob_files, found_in, prepare, searchable
from tests.support import NOW

# The files of a relation: its table, its TOAST table and the TOAST index, its indexes.
_FILES = (
    "SELECT pg_relation_filepath(r) FROM (SELECT %s::regclass AS r UNION ALL"
    " SELECT reltoastrelid::regclass FROM pg_class WHERE oid = %s::regclass AND reltoastrelid <> 0"
    " UNION ALL SELECT indexrelid::regclass FROM pg_index WHERE indrelid IN"
    " (%s::regclass, (SELECT reltoastrelid FROM pg_class WHERE oid = %s::regclass))) AS f"
)


def node_files(dsn: str, schema: str, *, with_shards: bool = True) -> bytes:
    """Every data file of the schema's shards on every node, after a checkpoint, with each
    node's statistics catalogue (its samples of the shards' values); without ``with_shards``,
    the catalogues alone."""
    nodes: dict[tuple[str, int], list[str]] = {}
    for host, port, shard in shards_of(dsn, schema):
        nodes.setdefault((host, port), ["pg_catalog.pg_statistic"])
        if with_shards:
            nodes[(host, port)].append(shard)
    base = conninfo_to_dict(dsn)
    data: list[bytes] = []
    for (host, port), shards in sorted(nodes.items()):
        node = make_conninfo("", **{**base, "host": host, "port": str(port)})
        with psycopg.connect(node, autocommit=True) as connection:
            connection.execute("CHECKPOINT")
            row = connection.execute("SHOW data_directory").fetchone()
            assert row is not None
            root = Path(str(row[0]))
            for shard in shards:
                for (relative,) in connection.execute(_FILES, (shard,) * 4).fetchall():
                    main = root / str(relative)
                    # The main fork and its 1 GB segments; not the free space and
                    # visibility maps, which hold no row.
                    data.extend(
                        part.read_bytes()
                        for part in sorted(main.parent.glob(main.name + "*"))
                        if part.name == main.name or part.name[len(main.name) + 1 :].isdigit()
                    )
    assert data, "the scan found no shard file to read"
    return b"".join(data)


@pytest.mark.citus
def test_the_workers_files_hold_no_byte_of_an_erased_client(
    citus: str, citus_store: PostgresStore, tmp_path: Path
) -> None:
    blobs = FileBlobStore(tmp_path / "blobs")
    book = ClientBook(
        citus_store,
        clock=FixedClock(NOW),
        events=JsonLinesEventSink(tmp_path / "events.jsonl"),
        blobs=blobs,
    )
    salon = book.create_business(name="Salone", region="IT", language="it").id
    erased, _ = prepare(book, salon, blobs)
    gone, kept = searchable("x"), searchable("w")
    schema = citus_store.schema

    def written() -> bytes:
        files = [path.read_bytes() for path in blob_files(blobs)]
        return b"".join([node_files(citus, schema), *files])

    assert found_in(written(), gone) == set(gone), "the scan must see the seeded client"
    with psycopg.connect(citus, autocommit=True) as connection:
        # As autovacuum would, on every shard: the workers' statistics sample the values.
        for table in ("cards", "card_search", "records"):
            connection.execute(f"ANALYZE {schema}.{table}")
    assert found_in(node_files(citus, schema, with_shards=False), gone), "no value was sampled"

    book.business(salon).erasure.run(book.business(salon).erasure.plan(erased), by="staff-7")
    report = book.admin.scrub()
    assert report.complete
    assert report.checkpointed

    after = written()
    assert found_in(after, gone) == set()
    assert found_in(after, kept) == set(kept)


@pytest.mark.citus
def test_the_scrub_rewrites_every_placement_and_the_workers_statistics(
    citus_store: PostgresStore,
) -> None:
    book = ClientBook(citus_store, clock=FixedClock(NOW))
    salon = book.create_business(name="Salone", region="IT", language="it").id
    book.business(salon).cards.add({"first_name": "Anna", "phones": "333 1234567"})
    report = citus_store.scrub(snapshot_wait=5.0)
    assert {table.method for table in report.tables} == {ScrubMethod.VACUUM_FULL}
    assert [table.table for table in report.tables if not table.rewritten] == []
    assert "pg_catalog.pg_statistic (workers)" in {table.table for table in report.tables}
    assert report.checkpointed


@pytest.mark.citus
def test_pg_repack_is_refused_on_a_cluster_whose_shards_it_cannot_reach(
    citus_store: PostgresStore,
) -> None:
    with pytest.raises(StorageError) as refused:
        citus_store.scrub(method="pg_repack")
    assert refused.value.reason == "unavailable"


@pytest.mark.citus
def test_a_shard_whose_lock_is_held_is_reported_locked_not_waited_on(
    citus: str, citus_store: PostgresStore
) -> None:
    book = ClientBook(citus_store, clock=FixedClock(NOW))
    salon = book.create_business(name="Salone", region="IT", language="it").id
    book.business(salon).cards.add({"first_name": "Anna"})
    host, port, shard = next(
        placement
        for placement in shards_of(citus, citus_store.schema)
        if placement[2].rsplit(".", 1)[1].startswith("cards_")
    )
    worker = make_conninfo(citus, host=host, port=str(port))
    with psycopg.connect(worker) as reader:
        # A query on the worker's shard, still open: VACUUM FULL would wait for it and,
        # while waiting, queue every other query on that shard.
        reader.execute("SET citus.enable_manual_changes_to_shards TO on")
        reader.execute(f"SELECT count(*) FROM {shard}")  # noqa: S608 - a shard name the catalogue gave
        held = citus_store.scrub(["cards"], lock_timeout=0.5, snapshot_wait=0, statistics=False)
        reader.rollback()
    (cards,) = held.tables
    assert (cards.rewritten, cards.skipped) == (False, "locked")
    assert not held.complete
    (again,) = citus_store.scrub(["cards"], snapshot_wait=0, statistics=False).tables
    assert again.rewritten
