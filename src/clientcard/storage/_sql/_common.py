"""What every statement module of the SQL stores shares: key checks and row locks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from clientcard.errors import DuplicateError, NotFoundError, VersionConflictError
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session

__all__ = [
    "among",
    "check_version",
    "insert_rows",
    "locked_version",
    "marks",
    "matchable",
    "refuse_taken",
    "select_among",
]


def matchable(value: object) -> bool:
    """Tell whether ``value`` can be looked up: no stored key or column holds U+0000.

    Validated values never hold one, PostgreSQL refuses to bind one and SQLite's GLOB
    stops at one, so a value with U+0000 matches nothing, in both databases alike.
    """
    return not (isinstance(value, str) and "\x00" in value)


def marks(values: Sequence[object]) -> str:
    """Return one ``?`` placeholder per value, comma-separated, for an ``IN (...)`` list."""
    return ", ".join("?" for _ in values)


def locked_version(session: Session, dialect: Dialect, business_id: str, card_id: str) -> int:
    """Lock a card's row for the rest of the transaction and return its stored version.

    :raises NotFoundError: no such card in ``business_id``.
    """
    if not matchable(business_id) or not matchable(card_id):
        raise NotFoundError("card", card_id)
    rows = session.fetch(dialect.lock_card, (business_id, card_id))
    if not rows:
        raise NotFoundError("card", card_id)
    return int(rows[0][0])


def check_version(ident: str, expected: int, actual: int) -> None:
    """Refuse a write made against another version than the stored one.

    :raises VersionConflictError: ``actual`` is not ``expected``.
    """
    if actual != expected:
        raise VersionConflictError(ident, expected, actual)


def insert_rows(
    session: Session,
    dialect: Dialect,
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple[object, ...]],
) -> None:
    """Insert ``rows`` in bulk, as suits the database (:attr:`Dialect.bulk_copy`).

    PostgreSQL streams them with ``COPY``, SQLite runs one prepared statement per row.
    Every id was checked before, so a failure here is unexpected and ends the unit of
    work (nothing of it is kept). This is what makes
    :meth:`~clientcard.storage.protocol.ClientStore.add_many` a bulk path.
    """
    if not rows:
        return
    if dialect.bulk_copy:
        session.copy(table, columns, rows)
        return
    holes = "(" + ", ".join("?" * len(columns)) + ")"
    # Only constant names and placeholders are spliced in.
    session.execute_many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {holes}", rows)  # noqa: S608


def select_among(
    dialect: Dialect,
    table: str,
    columns: Sequence[str],
    business_id: str,
    keys: Sequence[str],
    *,
    key: str,
    lock: bool = False,
) -> tuple[str, list[object]]:
    """The statement reading ``columns`` of ``business_id``'s rows whose ``key`` is in ``keys``.

    ``(business_id, key)`` must lead an index of ``table``. On PostgreSQL each key is one
    probe of that index, whatever the planner knows: psycopg prepares a statement run
    five times, and the generic plan of ``business_id = $1 AND key IN ($2, ...)`` on a
    table without fresh statistics (one just filled by an import, or any table where
    autovacuum is off) reads every row of the business and compares each with every key
    -- quadratic in an import, 0.3 s a batch at 30,000 cards. ``lock`` locks the rows
    read (``FOR UPDATE``, where the database has row locks).
    """
    names = ", ".join(columns)
    if dialect.name == "postgresql":
        # Only constant names are spliced in; the keys are one array parameter.
        statement = (
            f"SELECT {', '.join(f't.{name}' for name in columns)}"  # noqa: S608
            " FROM unnest(?::text[]) AS i (k) CROSS JOIN LATERAL"
            f" (SELECT {names} FROM {table} WHERE business_id = ? AND {key} = i.k"
            f" OFFSET 0{dialect.lock_rows if lock else ''}) AS t"
        )
        # Sorted: rows are locked in the order of the array, and two units locking
        # overlapping keys in different orders would deadlock. Python orders strings by
        # code point, as the key columns' collation "C" does.
        return statement, [sorted(set(keys)), business_id]
    lock_clause = dialect.lock_rows if lock else ""
    # Only constant names and placeholders are spliced in.
    statement = (
        f"SELECT {names} FROM {table}"  # noqa: S608
        f" WHERE business_id = ? AND {key} IN ({marks(keys)}){lock_clause}"
    )
    return statement, [business_id, *keys]


def among(
    dialect: Dialect, table: str, key: str, business_id: str, keys: Sequence[str]
) -> tuple[str, list[object]]:
    """The condition "``key`` is in ``keys``" on rows of ``table`` of ``business_id``.

    For an ``UPDATE`` or ``DELETE`` that already names its business: on PostgreSQL the
    keys are found by index probes (as :func:`select_among` reads them), so the
    statement costs the same in a business of any size.
    """
    if dialect.name == "postgresql":
        probes, params = select_among(dialect, table, (key,), business_id, keys, key=key)
        return f"{key} IN ({probes})", params
    return f"{key} IN ({marks(keys)})", list(keys)


def refuse_taken(
    session: Session,
    dialect: Dialect,
    table: str,
    business_id: str,
    keys: Sequence[str],
    *,
    key: str,
    kind: str,
) -> None:
    """Refuse new rows of ``business_id`` whose ``key`` a stored row already has.

    Checked before anything is written, a chunk of keys a statement, so the first key
    taken is reported by name and the unit writes nothing.

    :raises DuplicateError: naming ``kind`` and the key.
    """
    for start in range(0, len(keys), _KEYS_AT_ONCE):
        chunk = keys[start : start + _KEYS_AT_ONCE]
        taken = session.fetch(*select_among(dialect, table, (key,), business_id, chunk, key=key))
        if taken:
            raise DuplicateError(kind, str(taken[0][0]))


_KEYS_AT_ONCE: Final = 500
