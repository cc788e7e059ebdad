"""What an import did, row by row: for people, and as JSON for programs.

Every rejected row is listed with its number, the field and the reason (a machine code
and a message in the business's language); values from the file never appear, so a
report can be logged or mailed without leaking client data. Columns are named by number,
since in a file without a header row the "header" is a client's data.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from clientcard.locale import message

__all__ = ["ImportIssue", "ImportReport", "PossibleDuplicate"]


@attrs.frozen
class ImportIssue:
    """One problem with one row: its number, the field, a code and a message.

    ``column`` is the 1-based column number when the field came from one column.

    .. versionadded:: 0.1.0
    """

    row: int
    field: str
    code: str
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: $.{self.field}: {self.code}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return attrs.asdict(self)


@attrs.frozen
class PossibleDuplicate:
    """A row that looks like a card already in the book (or earlier in the file).

    ``action`` says what the import did: ``skipped`` (the same client: the import can be
    run again without duplicating), ``imported`` (a likely twin, kept for review with
    ``clientcard duplicates``) or ``not_imported`` (skipped on request).

    .. versionadded:: 0.1.0
    """

    row: int
    card_id: str
    score: float
    reasons: tuple[str, ...]
    action: str
    new_card_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = attrs.asdict(self)
        data["reasons"] = list(self.reasons)
        return data


@attrs.frozen
class ImportReport:
    """The outcome of an import (or of a dry run, which writes nothing).

    .. versionadded:: 0.1.0
    """

    import_id: str
    format: str
    dry_run: bool
    rows: int = 0
    """Rows (or vCards, JSON entries) read, blank rows left out."""
    imported: int = 0
    """Cards created (in a dry run: that would be created)."""
    already_present: int = 0
    """Rows skipped as clients the book already has."""
    skipped: int = 0
    """Rows skipped as likely duplicates, on request."""
    consent_recorded: int = 0
    minors: int = 0
    """Cards imported (in a dry run: that would be) of clients under the business's age
    of digital consent on the day of the import: no marketing reaches them without a
    guardian's consent (see :attr:`~clientcard.cards.card.ClientCard.is_minor`)."""
    rejected: tuple[ImportIssue, ...] = ()
    warnings: tuple[ImportIssue, ...] = ()
    duplicates: tuple[PossibleDuplicate, ...] = ()
    encoding: str | None = None
    delimiter: str | None = None
    mapping: tuple[dict[str, object], ...] = ()
    lang: str = "en"

    @property
    def rejected_rows(self) -> tuple[int, ...]:
        """The numbers of the rejected rows, in order, each once."""
        return tuple(dict.fromkeys(issue.row for issue in self.rejected))

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (the machine-readable report)."""
        return {
            "import_id": self.import_id,
            "format": self.format,
            "dry_run": self.dry_run,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "mapping": [
                # Headers can be client data in a file without a header row.
                {"column": entry["column"], "target": entry["target"]}
                for entry in self.mapping
            ],
            "counts": {
                "rows": self.rows,
                "imported": self.imported,
                "already_present": self.already_present,
                "skipped": self.skipped,
                "rejected": len(self.rejected_rows),
                "consent_recorded": self.consent_recorded,
                "minors": self.minors,
            },
            "rejected": [issue.to_dict() for issue in self.rejected],
            "warnings": [issue.to_dict() for issue in self.warnings],
            "duplicates": [duplicate.to_dict() for duplicate in self.duplicates],
        }

    def to_json(self) -> str:
        """The machine-readable report as JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def summary(self) -> str:
        """One line for people, in the report's language."""
        return message(
            "import.summary_dry_run" if self.dry_run else "import.summary",
            self.lang,
            rows=self.rows,
            imported=self.imported,
            present=self.already_present,
            rejected=len(self.rejected_rows),
        )

    def text(self) -> str:
        """The human report: the summary, minors, then each rejected row and warning."""
        lines = [self.summary()]
        if self.minors:
            lines.append(message("import.minors", self.lang, count=self.minors))
        lines += [f"  {issue}" for issue in self.rejected]
        lines += [f"  ({issue})" for issue in self.warnings]
        return "\n".join(lines)
