"""Import, export and duplicates: CSV, Excel, vCard and JSON.

Salons arrive with their client list in a spreadsheet or another product's export, and
leave with it. This package reads those files a row at a time, maps their columns to the
business's fields, validates every row in the import context, and reports each row it
rejects (number, field, reason -- never a value); it writes a selection of cards back out
in the same formats; and it finds and merges cards that are one client.

The operations on a business's cards are the methods of its exchange service,
``book.business(id).exchange`` (:class:`~clientcard.exchange.service.ExchangeService`):
``import_file`` and ``import_cards`` (with an :class:`ImportReport`, and
:func:`cpu_workers` for their worker processes), ``preview_mapping``, ``export_cards``
(with a :class:`Selection`), ``find_duplicates``, and ``preview_merge``, ``merge``,
``undo_merge`` and ``purge_merge_snapshots``. This package holds what needs no book:

* Reading: :func:`file_format` tells a file's format by its name and
  :func:`open_source` opens it with the matching reader
  (:func:`~clientcard.exchange.csv.open_csv`,
  :func:`~clientcard.exchange.xlsx.open_xlsx`,
  :func:`~clientcard.exchange.vcard.open_vcards`,
  :func:`~clientcard.exchange.portability.open_json`).
* Mapping columns to fields: :class:`ColumnMapping`.
* Duplicates: :func:`match` scores two cards, a :class:`DuplicateIndex` finds the
  likely twins among many; merging: :func:`~clientcard.exchange.merge.plan_merge` and
  the :class:`MergePlan` it makes.

Encodings are detected, not guessed: a byte order mark names UTF-8 or UTF-16, UTF-16
without one shows itself by its zero bytes, a file whose bytes are UTF-8 is UTF-8, and
anything else is Windows-1252 (how spreadsheets on Windows save "CSV"). Pass
``encoding=`` for another.

Excel and vCard need ``pip install 'clientcard[exchange]'`` (openpyxl, vobject).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from clientcard.exchange._records import (
    FORMULA_STARTS,
    Record,
    RecordSource,
    Row,
    Table,
    neutralise,
    restore,
)
from clientcard.exchange._source import Source
from clientcard.exchange.duplicates import DuplicateIndex, DuplicatePair, Match, match
from clientcard.exchange.exporting import ExportFormat, ExportReport, Selection
from clientcard.exchange.importing import cpu_workers
from clientcard.exchange.mapping import ColumnMapping
from clientcard.exchange.merge import MergePlan, MergeResult, plan_merge
from clientcard.exchange.report import ImportIssue, ImportReport, PossibleDuplicate

__all__ = [
    "FORMULA_STARTS",
    "ColumnMapping",
    "DuplicateIndex",
    "DuplicatePair",
    "ExportFormat",
    "ExportReport",
    "FileFormat",
    "ImportIssue",
    "ImportReport",
    "Match",
    "MergePlan",
    "MergeResult",
    "PossibleDuplicate",
    "Record",
    "RecordSource",
    "Row",
    "Selection",
    "Table",
    "cpu_workers",
    "file_format",
    "match",
    "neutralise",
    "open_source",
    "plan_merge",
    "restore",
]

FileFormat = Literal["csv", "xlsx", "vcard", "json"]
"""The file formats the exchange reads and writes."""

_SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".vcf": "vcard",
    ".vcard": "vcard",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
}


def file_format(path: str | os.PathLike[str]) -> FileFormat:
    """Tell a file's format by its name.

    :raises ValueError: a name ending in none of ``.csv .tsv .txt .xlsx .vcf .json .jsonl``.

    .. versionadded:: 0.1.0
    """
    found = _SUFFIXES.get(Path(path).suffix.lower())
    if found is None:
        raise ValueError("unknown file type: use .csv, .xlsx, .vcf or .json")
    return found


@contextmanager
def open_source(
    source: Source,
    *,
    format: FileFormat,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    photos: Callable[[bytes, str], str] | None = None,
) -> Iterator[Table | RecordSource]:
    """Open an import file with the reader of its format; yield a table or a record source.

    ``photos`` is the vCard reader's photo store (see
    :mod:`clientcard.exchange.vcard`).

    :raises ValueError: an ``encoding`` that is unknown or no text encoding.
    :raises XlsxError: an Excel file that is no workbook, or has no such ``sheet``.

    .. versionadded:: 0.1.0
    """
    if format == "csv":
        from clientcard.exchange.csv import open_csv  # noqa: PLC0415

        with open_csv(source, encoding=encoding, delimiter=delimiter) as table:
            yield table
    elif format == "xlsx":
        from clientcard.exchange.xlsx import open_xlsx  # noqa: PLC0415

        with open_xlsx(source, sheet=sheet) as sheet_table:
            yield sheet_table
    elif format == "vcard":
        from clientcard.exchange.vcard import open_vcards  # noqa: PLC0415

        with open_vcards(source, encoding=encoding, photos=photos) as cards:
            yield cards
    else:
        from clientcard.exchange.portability import open_json  # noqa: PLC0415

        with open_json(source, encoding=encoding) as documents:
            yield documents
