"""Excel workbooks (.xlsx), read and written a row at a time with openpyxl.

Needs ``pip install 'clientcard[exchange]'``. Reading (:func:`open_xlsx`) takes the
first sheet (or the one named), the first row as the header, and yields each row below
it with numbers, dates and booleans turned into the text an import reads. Writing
(:func:`write_xlsx`) makes one sheet with a styled, frozen header row; every cell is
written as text, and a text that a spreadsheet would run as a formula is stored as a
plain string marked "quote prefix", so it is shown and kept as typed, never run.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any, Final

try:
    from openpyxl import Workbook, load_workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
except ImportError as missing:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "clientcard.exchange.xlsx needs openpyxl: pip install 'clientcard[exchange]'"
    ) from missing

from clientcard.errors import ImportFileError
from clientcard.exchange._cells import cell_text
from clientcard.exchange._records import FORMULA_STARTS, Row
from clientcard.exchange._source import Source, open_binary

__all__ = ["XlsxError", "XlsxTable", "open_xlsx", "write_xlsx"]

MAX_COLUMNS: Final = 500
"""Columns past this are not read: no client list has more, a hostile file might."""
_MAX_CELL: Final = 32_767
"""Excel's own limit on the characters of a cell."""


class XlsxError(ImportFileError):
    """The file is not an Excel workbook openpyxl can read, is empty, or has no such sheet.

    ``code`` is ``file.empty``, ``file.not_xlsx`` or ``file.no_sheet`` (see
    :class:`~clientcard.errors.ImportFileError`).

    .. versionadded:: 0.1.0
    """


class XlsxTable:
    """A sheet opened for import: its header and rows. Made by :func:`open_xlsx`.

    .. versionadded:: 0.1.0
    """

    format = "xlsx"
    encoding = None
    delimiter = None

    def __init__(self, rows: Iterator[tuple[object, ...]]) -> None:
        self._rows = rows
        header = next(self._rows, ())
        self.headers: tuple[str, ...] = _trimmed(tuple(cell_text(c).strip() for c in header))
        """The header row's cells, stripped, without empty cells at the end."""

    def rows(self) -> Iterator[Row]:
        """Yield the rows below the header, numbered as Excel shows them; blank rows skipped."""
        width = len(self.headers)
        for number, values in enumerate(self._safe_rows(), start=2):
            if values is None:
                yield Row(number, (), "row.malformed")
                return
            # Read-only sheets pad rows to the widest row; the padding is not data.
            cells = _trimmed(tuple(cell_text(value) for value in values[:MAX_COLUMNS]))
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) < width:
                cells += ("",) * (width - len(cells))
            yield Row(number, cells)

    def _safe_rows(self) -> Iterator[tuple[object, ...] | None]:
        """The sheet's rows; ``None`` once, and the end, if the sheet's XML breaks."""
        while True:
            try:
                values = next(self._rows)
            except StopIteration:
                return
            except Exception:  # noqa: BLE001 - a damaged sheet: rows so far stand
                yield None
                return
            yield values


def _trimmed(cells: tuple[str, ...]) -> tuple[str, ...]:
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


@contextmanager
def open_xlsx(source: Source, *, sheet: str | None = None) -> Iterator[XlsxTable]:
    """Open a workbook for import (read-only, streamed); ``sheet`` names the sheet to read.

    :raises XlsxError: not a workbook, or no such sheet.

    .. versionadded:: 0.1.0
    """
    with open_binary(source) as stream:
        if _is_empty(stream):
            raise XlsxError("file.empty")
        try:
            workbook = load_workbook(stream, read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - openpyxl raises many types for a file not its own
            raise XlsxError("file.not_xlsx") from None
        try:
            if sheet is not None and sheet not in workbook.sheetnames:
                raise XlsxError("file.no_sheet", sheets=", ".join(workbook.sheetnames))
            if not workbook.worksheets:
                raise XlsxError("file.empty")
            worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
            rows = worksheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
            table = XlsxTable(_SafeRows(iter(rows)))
            if not table.headers:
                raise XlsxError("file.empty")
            yield table
        finally:
            workbook.close()


def _is_empty(stream: IO[bytes]) -> bool:
    if not stream.seekable():
        return False
    start = stream.tell()
    empty = not stream.read(1)
    stream.seek(start)
    return empty


class _SafeRows:
    """A sheet's rows; reading the header of a damaged sheet is ``file.not_xlsx``."""

    def __init__(self, rows: Iterator[tuple[object, ...]]) -> None:
        self._rows = rows
        self._started = False

    def __iter__(self) -> _SafeRows:
        return self

    def __next__(self) -> tuple[object, ...]:
        if self._started:
            return next(self._rows)
        self._started = True
        try:
            return next(self._rows)
        except StopIteration:
            raise
        except Exception:  # noqa: BLE001 - the first row of a sheet that can't be read
            raise XlsxError("file.not_xlsx") from None


def write_xlsx(
    destination: str | IO[bytes],
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    title: str = "Clients",
) -> int:
    """Write one sheet: a bold, filled, frozen header row, then ``rows``, all as text.

    Rows are streamed (openpyxl's write-only mode): memory stays flat whatever the count.
    Returns the number of rows written.

    .. versionadded:: 0.1.0
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Clients")
    sheet.freeze_panes = "A2"
    widths = [min(max(len(header) + 2, 12), 40) for header in headers]
    for number, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="2F5597")
    header_cells = []
    for header in headers:
        cell = _text_cell(sheet, header)
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(vertical="center")
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        sheet.append([_text_cell(sheet, value) for value in row])
        count += 1
    workbook.save(destination)
    return count


def _text_cell(sheet: Any, value: str) -> Cell:
    # XML can't hold most control characters; validated cards never have them.
    text = ILLEGAL_CHARACTERS_RE.sub("", value)[:_MAX_CELL]
    cell = WriteOnlyCell(sheet, value=text)
    # openpyxl reads a leading "=" as a formula; a client's text is never one.
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell
