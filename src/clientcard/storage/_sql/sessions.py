"""What the shared SQL code needs of a database connection."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any, Protocol

# -- sessions -----------------------------------------------------------------------------


class TxState(enum.Enum):
    """Where a connection stands with respect to transactions.

    .. versionadded:: 0.1.0
    """

    IDLE = "idle"
    """No transaction is open."""
    ACTIVE = "active"
    """A transaction is open and usable."""
    FAILED = "failed"
    """A transaction is open but an error stopped it; only a rollback helps."""
    LOST = "lost"
    """The connection is closed or broken."""


class Session(Protocol):
    """**Protocol:** one database connection as the shared code uses it.

    Statements use ``?`` placeholders; a driver with another style converts them.

    .. versionadded:: 0.1.0
    """

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        ...

    def execute_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run one statement once per parameter row."""
        ...

    def copy(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        """Insert ``rows`` into ``table``'s ``columns`` the fastest way the driver has.

        PostgreSQL streams them with ``COPY ... FROM STDIN``; a failure ends the
        transaction as a failed ``INSERT`` would. Only called with constant names.
        """
        ...

    def fetch(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run one query; return every row."""
        ...

    def state(self) -> TxState:
        """Tell whether a transaction is open on the connection, and if it is usable."""
        ...

    def discard(self) -> None:
        """Close the connection for good: its state is no longer known."""
        ...
