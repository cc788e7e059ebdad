"""Spreading a PostgreSQL schema over a Citus cluster, one business per shard group.

Which table goes where is read from the schema itself, not from a list, so a table a
later migration adds is placed by the same rules:

* **Tenant tables** -- ``businesses`` (by its ``id``) and every table with a
  ``business_id`` column -- are *distributed* by the business and *co-located*: the rows
  of one business, in every table, live on one node, so each of a business's statements
  (and each foreign key between its rows) is served there. Their primary keys and
  unique constraints must hold the business (:func:`key_problems`): a shard can only
  check uniqueness among its own rows.
* **Global tables** -- the rest, such as ``schema_migrations`` -- stay plain tables on
  the coordinator: only the coordinator reads and writes them (the migrator under its
  lock, work that spans businesses), and no statement joins them to a business's rows.
  A global table that a tenant table references by foreign key becomes a *reference
  table* instead (a copy on every node), as a shard can only check a key against a
  table on its own node.

:func:`distribute` is idempotent: tables already placed are left alone, so running it
on every open costs a few catalog reads.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

import attrs

from clientcard.errors import StorageError
from clientcard.storage._sql.sessions import Session

__all__ = ["ROOT", "SHARD_KEY", "Layout", "distribute", "has_citus", "key_problems", "read_layout"]

SHARD_KEY: Final = "business_id"
"""The column every tenant table is distributed by (``id`` in ``businesses``)."""

ROOT: Final = "businesses"
"""The table every other tenant table is co-located with."""


@attrs.frozen
class Layout:
    """What the catalog says about the tables of one schema.

    .. versionadded:: 0.1.0
    """

    tables: frozenset[str]
    """Every ordinary table of the schema."""
    tenant: frozenset[str]
    """The tables distributed by business: ``businesses`` and those with ``business_id``."""
    unique_keys: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]]
    """Per table, each unique index (primary keys and unique constraints included) as
    ``(name, columns)``; an expression's column is ``""``."""
    references: Mapping[str, frozenset[str]]
    """Per table, the tables its foreign keys reference (itself left out)."""
    placed: frozenset[str]
    """The tables Citus already knows (distributed or reference)."""

    def shard_key(self, table: str) -> str:
        """The column ``table`` is distributed by."""
        return "id" if table == ROOT else SHARD_KEY

    @property
    def reference(self) -> frozenset[str]:
        """Global tables a tenant table references: they must be on every node."""
        wanted = {target for table in self.tenant for target in self.references.get(table, ())}
        return frozenset(wanted - self.tenant)

    def tenant_order(self) -> list[str]:
        """The tenant tables, ``businesses`` first, each after the tables it references."""
        rest = _in_order(self.tenant - {ROOT}, self.references)
        return [ROOT, *rest] if ROOT in self.tenant else rest

    @property
    def local(self) -> frozenset[str]:
        """Global tables that stay on the coordinator alone."""
        return self.tables - self.tenant - self.reference


_TABLES: Final = (
    "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace"
    " WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
)
_WITH_KEY: Final = (
    "SELECT c.relname FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid"
    " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
    " WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND a.attname = ?"
    " AND a.attnum > 0 AND NOT a.attisdropped"
)
# indkey lists the columns of an index; 0 stands for an expression.
_UNIQUE: Final = (
    "SELECT t.relname, i.relname, ARRAY(SELECT coalesce(a.attname::text, '')"
    " FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k (attnum, position)"
    " LEFT JOIN pg_attribute AS a ON a.attrelid = x.indrelid AND a.attnum = k.attnum"
    " ORDER BY k.position)"
    " FROM pg_index AS x JOIN pg_class AS t ON t.oid = x.indrelid"
    " JOIN pg_class AS i ON i.oid = x.indexrelid"
    " JOIN pg_namespace AS n ON n.oid = t.relnamespace"
    " WHERE n.nspname = ? AND x.indisunique ORDER BY t.relname, i.relname"
)
_FOREIGN: Final = (
    "SELECT t.relname, r.relname FROM pg_constraint AS f"
    " JOIN pg_class AS t ON t.oid = f.conrelid JOIN pg_class AS r ON r.oid = f.confrelid"
    " JOIN pg_namespace AS n ON n.oid = t.relnamespace"
    " WHERE n.nspname = ? AND f.contype = 'f'"
)
_PLACED: Final = (
    "SELECT c.relname FROM pg_dist_partition AS p JOIN pg_class AS c ON c.oid = p.logicalrelid"
    " JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE n.nspname = ?"
)


def has_citus(session: Session) -> bool:
    """Tell whether the Citus extension is installed in the connected database."""
    return bool(session.fetch("SELECT 1 FROM pg_extension WHERE extname = 'citus'"))


def read_layout(session: Session, schema: str) -> Layout:
    """Read the tables of ``schema``, their keys and references, from the catalog.

    Without Citus, no table counts as placed.
    """
    tables = frozenset(str(row[0]) for row in session.fetch(_TABLES, (schema,)))
    keyed = {str(row[0]) for row in session.fetch(_WITH_KEY, (schema, SHARD_KEY))}
    tenant = frozenset(keyed | ({ROOT} & tables))
    unique: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for table, index, columns in session.fetch(_UNIQUE, (schema,)):
        unique.setdefault(str(table), []).append((str(index), tuple(columns)))
    references: dict[str, set[str]] = {}
    for table, target in session.fetch(_FOREIGN, (schema,)):
        if table != target:
            references.setdefault(str(table), set()).add(str(target))
    placed = (
        frozenset(str(row[0]) for row in session.fetch(_PLACED, (schema,)))
        if has_citus(session)
        else frozenset()
    )
    return Layout(
        tables=tables,
        tenant=tenant,
        unique_keys={table: tuple(keys) for table, keys in unique.items()},
        references={table: frozenset(targets) for table, targets in references.items()},
        placed=placed,
    )


def key_problems(layout: Layout) -> list[str]:
    """Name every unique key of a tenant table that lacks the table's shard key.

    Each problem reads ``table: index (columns)``: names of the schema only, no values.
    """
    problems = []
    for table in sorted(layout.tenant):
        for index, columns in layout.unique_keys.get(table, ()):
            if layout.shard_key(table) not in columns:
                problems.append(f"{table}: {index} ({', '.join(c or '<expr>' for c in columns)})")
    return problems


def _in_order(tables: Iterable[str], references: Mapping[str, frozenset[str]]) -> list[str]:
    """``tables`` with every referenced table before the tables referencing it."""
    pending = sorted(tables)
    done: list[str] = []
    while pending:
        ready = [t for t in pending if not (references.get(t, frozenset()) & set(pending)) - {t}]
        # A cycle of references (none in clientcard's schema) is placed in name order.
        for table in ready or pending[:1]:
            done.append(table)
            pending.remove(table)
    return done


def distribute(session: Session, schema: str) -> tuple[str, ...]:
    """Place every table of ``schema`` on the cluster (see the module docs).

    Tables already placed are left alone; rows of a table placed now move to its shards
    and leave the coordinator. Returns the tables placed by this call.

    :raises StorageError: ``no_citus`` when the database has no Citus extension;
        ``incompatible`` when a tenant table has a unique key without its shard key.
    """
    if not has_citus(session):
        raise StorageError(
            "no_citus",
            "a distributed store needs the Citus extension in its database"
            " (CREATE EXTENSION citus), and it is not installed",
        )
    layout = read_layout(session, schema)
    problems = key_problems(layout)
    if problems:
        raise StorageError(
            "incompatible",
            "these unique keys of tenant tables lack the business, so Citus can't"
            f" distribute them: {'; '.join(problems)}",
        )
    placed: list[str] = []
    moved: list[str] = []
    for table in _in_order(layout.reference - layout.placed, layout.references):
        name = _qualified(schema, table)
        if _holds_rows(session, name):
            moved.append(name)
        session.fetch("SELECT create_reference_table(?::regclass)", (name,))
        placed.append(table)
    # businesses first: every other tenant table is co-located with it.
    for table in layout.tenant_order():
        if table in layout.placed:
            continue
        name = _qualified(schema, table)
        if _holds_rows(session, name):
            moved.append(name)
        if table == ROOT:
            session.fetch("SELECT create_distributed_table(?::regclass, 'id')", (name,))
        else:
            session.fetch(
                "SELECT create_distributed_table(?::regclass, ?, colocate_with => ?)",
                (name, SHARD_KEY, _qualified(schema, ROOT)),
            )
        placed.append(table)
    # Citus copies a table's rows to its shards and leaves them behind, unread, in the
    # coordinator's own copy; kept there, an erased client's data would linger in its
    # files. Emptied once every table is placed (a local table referencing one would
    # stop it), the tables referencing others first.
    for name in reversed(moved):
        session.fetch("SELECT truncate_local_data_after_distributing_table(?::regclass)", (name,))
    return tuple(placed)


def _qualified(schema: str, table: str) -> str:
    # Catalog names of a schema whose name the store checked; quoted for regclass.
    return '"{}"."{}"'.format(schema, table.replace('"', '""'))


def _holds_rows(session: Session, name: str) -> bool:
    # A name read from the catalog, quoted; never a value.
    return bool(session.fetch(f"SELECT 1 FROM {name} LIMIT 1"))  # noqa: S608
