"""What every statement module of the SQL stores shares: key checks and row locks."""

from __future__ import annotations

from collections.abc import Sequence

from clientcard.errors import NotFoundError, VersionConflictError
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session

__all__ = ["check_version", "locked_version", "marks", "matchable"]


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
