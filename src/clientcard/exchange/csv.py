"""CSV files: read with any delimiter and the usual encodings, written safe for spreadsheets.

Reading (:func:`open_csv`) detects the encoding (UTF-8 with or without a byte order
mark, UTF-16, Windows-1252; see :mod:`clientcard.exchange`) and the delimiter (comma,
semicolon as Italian and Dutch spreadsheets write, tab, pipe), then yields one row at a
time: a file of any size is read in bounded memory. A line longer than 1 MiB, or a field
longer than the :mod:`csv` module's limit (128 KiB), is reported as a rejected row and
reading goes on with the next line.

Writing (:func:`write_csv`) produces UTF-8 with a byte order mark (so spreadsheets
recognise it), comma-separated, every field that could start a formula neutralised with
a leading ``'`` (:func:`~clientcard.exchange.neutralise`).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Final

from clientcard.exchange._records import Row, neutralise, restore
from clientcard.exchange._source import (
    SAMPLE,
    BoundedLines,
    LineTooLongError,
    Source,
    open_text,
)

__all__ = ["CsvTable", "open_csv", "write_csv"]

DELIMITERS: Final = (",", ";", "\t", "|")


class CsvTable:
    """A CSV file opened for import: its header, encoding, delimiter and rows.

    Made by :func:`open_csv`; usable while the ``with`` block that opened it runs.

    .. versionadded:: 0.1.0
    """

    format = "csv"

    def __init__(self, text: IO[str], encoding: str, delimiter: str | None) -> None:
        self.encoding = encoding
        """The encoding the file is read in."""
        sample = text.read(SAMPLE)
        if text.seekable():
            text.seek(0)
        self.delimiter = delimiter or sniff_delimiter(sample)
        """The delimiter the file is read with."""
        self._lines = BoundedLines(_Replay(sample, text) if not text.seekable() else text)
        self._reader = csv.reader(self._lines, delimiter=self.delimiter, strict=False)
        self._next_number = 1
        header = self._next()
        self.headers: tuple[str, ...] = (
            tuple(cell.strip() for cell in header.cells) if header is not None else ()
        )
        """The header row's cells, stripped."""
        if self.headers and self.headers[0].startswith("\ufeff"):
            # A second byte order mark (a file concatenated, or saved twice).
            self.headers = (self.headers[0].removeprefix("\ufeff"), *self.headers[1:])

    def _next(self) -> Row | None:
        number = self._next_number
        self._next_number += 1
        try:
            cells = next(self._reader)
        except StopIteration:
            return None
        except LineTooLongError:
            return Row(number, (), "row.too_long")
        except csv.Error:
            return Row(number, (), "row.malformed")
        return Row(number, tuple(restore(cell) for cell in cells))

    def rows(self) -> Iterator[Row]:
        """Yield the rows after the header, numbered as a spreadsheet shows them.

        Blank lines are left out (a spreadsheet shows them as empty rows; their numbers
        are skipped too, so numbers still match the file).
        """
        while (row := self._next()) is not None:
            if row.problem is None and not any(cell.strip() for cell in row.cells):
                continue
            yield row


class _Replay:
    """A text stream that first gives back a sample already read from an unseekable one."""

    def __init__(self, sample: str, rest: IO[str]) -> None:
        self._sample = sample
        self._rest = rest

    def readline(self, limit: int = -1, /) -> str:
        if self._sample:
            cut = _line_end(self._sample, limit)
            line, self._sample = self._sample[:cut], self._sample[cut:]
            if self._sample or line.endswith(("\n", "\r")):
                return line
            return line + self._rest.readline(-1 if limit < 0 else limit - len(line))
        return self._rest.readline(limit)


def _line_end(text: str, limit: int) -> int:
    ends = [i for i in (text.find("\n"), text.find("\r")) if i >= 0]
    cut = min(ends) + 1 if ends else len(text)
    if text[cut - 1 : cut] == "\r" and text[cut : cut + 1] == "\n":
        cut += 1
    return cut if limit < 0 else min(cut, limit)


def sniff_delimiter(sample: str) -> str:
    """Pick the delimiter of a CSV sample: the candidate splitting the first lines evenly.

    Falls back to the one most frequent in the header line, then to a comma.

    .. versionadded:: 0.1.0
    """
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters="".join(DELIMITERS))
    except csv.Error:
        pass
    else:
        if dialect.delimiter in DELIMITERS:
            return dialect.delimiter
    counts = {delimiter: lines[0].count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


@contextmanager
def open_csv(
    source: Source, *, encoding: str | None = None, delimiter: str | None = None
) -> Iterator[CsvTable]:
    """Open a CSV file for import; ``encoding`` and ``delimiter`` override detection.

    .. versionadded:: 0.1.0
    """
    with open_text(source, encoding, kind="csv") as (text, chosen):
        yield CsvTable(text, chosen, delimiter)


def write_csv(destination: IO[str], headers: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """Write ``headers`` and ``rows`` as CSV to a text stream; return the rows written.

    Open the destination with ``newline=""`` and ``encoding="utf-8-sig"``, as
    :meth:`~clientcard.exchange.service.ExchangeService.export_cards` does. Every cell
    is neutralised.

    .. versionadded:: 0.1.0
    """
    writer = csv.writer(destination, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in headers])
    count = 0
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
        count += 1
    return count
