"""What the format readers hand to an import: rows of cells, or records of field values."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final, Protocol

import attrs

__all__ = ["FORMULA_STARTS", "Record", "RecordSource", "Row", "Table", "neutralise", "restore"]

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula (OWASP's CSV injection list)."""


def neutralise(text: str) -> str:
    """Return ``text`` so no spreadsheet runs it as a formula: a leading ``'`` if needed.

    A spreadsheet shows the apostrophe as "this is text" and hides it;
    :func:`restore` takes it off again when the file comes back.

    >>> neutralise("=SUM(A1:A9)")
    "'=SUM(A1:A9)"
    >>> neutralise("Anna")
    'Anna'

    .. versionadded:: 0.1.0
    """
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def restore(text: str) -> str:
    """Undo :func:`neutralise`: drop a ``'`` that stands before a formula character.

    .. versionadded:: 0.1.0
    """
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


@attrs.frozen
class Row:
    """One row of a table as read: its number as a spreadsheet shows it, and its cells.

    ``problem`` is a machine code when the row could not be read whole
    (``row.too_long``, ``row.malformed``); its cells are then empty.

    .. versionadded:: 0.1.0
    """

    number: int
    cells: tuple[str, ...] = attrs.field(repr=False)
    problem: str | None = None


class Table(Protocol):
    """**Protocol:** a file of rows under one header row (CSV, a spreadsheet's sheet).

    .. versionadded:: 0.1.0
    """

    @property
    def format(self) -> str:
        """``csv`` or ``xlsx``."""
        ...

    @property
    def headers(self) -> tuple[str, ...]:
        """The header row's cells, as written."""
        ...

    def rows(self) -> Iterator[Row]:
        """Yield the rows below the header, one at a time, never the whole file at once."""
        ...


@attrs.frozen
class Record:
    """One entry of a file that names its fields itself (a vCard, a JSON card).

    ``values`` are keyed by field key, as a form would send them; ``consent`` maps
    ``purpose.channel`` (or ``purpose``) to what the file states, granted or refused.
    ``problem`` is a machine code when the entry could not be read at all;
    ``warnings`` are codes of things left out (``import.extra_value_ignored`` for a
    second e-mail address, ...), each with the field it concerns.

    .. versionadded:: 0.1.0
    """

    number: int
    values: Mapping[str, object] = attrs.field(factory=dict, repr=False)
    consent: Mapping[str, bool] = attrs.field(factory=dict)
    problem: str | None = None
    warnings: tuple[tuple[str, str], ...] = ()
    status: str | None = None


class RecordSource(Protocol):
    """**Protocol:** a file of self-describing entries (vCards, JSON cards).

    .. versionadded:: 0.1.0
    """

    @property
    def format(self) -> str:
        """``vcard`` or ``json``."""
        ...

    def records(self) -> Iterator[Record]:
        """Yield the entries one at a time, never the whole file at once."""
        ...
