"""What every statement module of the SQL stores shares: key checks and row locks."""

from __future__ import annotations

from collections.abc import Sequence

from clientcard.errors import NotFoundError, VersionConflictError
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session

__all__ = ["check_version", "insert_rows", "locked_version", "marks", "matchable"]


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
