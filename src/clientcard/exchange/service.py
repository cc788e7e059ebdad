r"""The exchange service: one business's imports, exports, duplicates and merges.

Reached as ``book.business(id).exchange``. What needs no book -- reading files
(:func:`~clientcard.exchange.open_source`), mapping columns
(:class:`~clientcard.exchange.mapping.ColumnMapping`), scoring two cards
(:func:`~clientcard.exchange.duplicates.match`), planning a merge
(:func:`~clientcard.exchange.merge.plan_merge`) -- stays in the package's modules, which
also describe each operation in full: :mod:`clientcard.exchange.importing`,
:mod:`clientcard.exchange.exporting`, :mod:`clientcard.exchange.duplicates` and
:mod:`clientcard.exchange.merge`.

>>> from clientcard.book import ClientBook
>>> from clientcard.storage import MemoryStore
>>> book = ClientBook(MemoryStore())
>>> desk = book.business(book.create_business(name="Salone", region="IT").id)
>>> import io
>>> from clientcard.exchange import open_source
>>> data = io.BytesIO(b"Nome;Cognome;Cellulare\nGiulia;Rossi;333 1234567\n")
>>> with open_source(data, format="csv") as table:
...     report = desk.exchange.import_cards(table)
>>> report.imported, report.rejected
(1, ())

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any, Final, Literal, get_args

import attrs

from clientcard._core import Service, as_id
from clientcard.cards.card import ClientCard
from clientcard.cards.search import search_terms
from clientcard.erasure.audit import AuditAction
from clientcard.exchange import FileFormat, _merging, file_format, open_source
from clientcard.exchange._cells import DateOrder
from clientcard.exchange._records import RecordSource, Table
from clientcard.exchange.duplicates import POSSIBLE, DuplicateIndex, DuplicatePair
from clientcard.exchange.exporting import ExportFormat, ExportReport, Selection, write_export
from clientcard.exchange.importing import _run_import
from clientcard.exchange.mapping import ColumnMapping
from clientcard.exchange.merge import MergePlan, MergeResult, Side
from clientcard.exchange.report import ImportReport
from clientcard.storage.protocol import CardQuery

__all__ = ["ExchangeService"]

logger = logging.getLogger("clientcard.exchange")

_IMPORT_ID: Final = re.compile(r"[A-Za-z0-9._-]{1,64}", re.ASCII)


class ExchangeService(Service):
    """One business's imports, exports, duplicates and merges (``book.business(id).exchange``).

    .. versionadded:: 0.1.0
    """

    # -- importing ------------------------------------------------------------------

    def import_cards(
        self,
        source: Table | RecordSource,
        *,
        mapping: ColumnMapping | Mapping[str | int, str | None] | None = None,
        dry_run: bool = False,
        batch_size: int = 500,
        consent_wording: str | None = None,
        by: str = "import",
        on_duplicate: Literal["import", "skip"] = "import",
        date_order: DateOrder | None = None,
        lang: str | None = None,
        progress: Callable[[int], None] | None = None,
        workers: int = 0,
        import_id: str | None = None,
    ) -> ImportReport:
        """Import the rows of ``source`` (see :mod:`clientcard.exchange.importing`).

        ``source`` is a table or record source opened with
        :func:`~clientcard.exchange.open_source` (:meth:`import_file` opens a file
        itself). ``mapping`` is a whole
        :class:`~clientcard.exchange.mapping.ColumnMapping`, or overrides of the suggested
        one (header or column number to target). ``consent_wording`` names the text the
        clients agreed to, needed on rows that state a grant; ``by`` is who the consent is
        recorded by. ``date_order`` reads dates such as ``03/04/1985`` (month
        first in the United States, day first elsewhere, by default). ``progress`` is
        called with the number of rows in each batch handled.

        ``workers`` is how many worker processes prepare a table's rows (map, validate and
        build each card) while this process compares and stores them, in file order: the
        report and the cards are the same with any number. ``0``, the default, prepares
        every row here; one per CPU (``len(os.sched_getaffinity(0))``) made an import of
        50,000 rows about one and a half times as fast on two. They are started (spawned:
        the calling script must keep its top-level code under ``if __name__ ==
        "__main__":``, as :mod:`multiprocessing` asks) only for a table of more than
        :data:`~clientcard.exchange.importing.PARALLEL_FROM` rows, where starting them
        costs less than it saves. vCard and JSON files are always prepared here.

        Each card stored is given its id (and then its consent events theirs) through the
        book's ``new_id``, in file order; rows turned down or left out as duplicates are
        given none.

        ``import_id`` is the id of the run (a random UUID by default), the one the
        report carries and consent it records names as evidence (``import:ID``). A
        host that keeps reports can choose it before the run, to keep a record under
        it even when a batch fails after others were stored.

        :raises ValidationError: the mapping names unknown fields or fills none, or a
            consent column is mapped without ``consent_wording``.
        :raises ValueError: ``batch_size`` below one, ``workers`` below zero, or an
            ``import_id`` that is not 1 to 64 letters, digits, ``.``, ``_`` or ``-``.
        :raises StorageError: a batch could not be stored; the batches before it are
            stored, running the import again skips them, and the audit trail says how
            many cards they held (``outcome`` ``stopped``).
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if workers < 0:
            raise ValueError("workers must be zero or more")
        if import_id is not None and not _IMPORT_ID.fullmatch(as_id("import_id", import_id)):
            raise ValueError("import_id must be 1 to 64 letters, digits, '.', '_' or '-'")
        business = self._business.details()
        # Only the import's comparisons (likely twins and up) are indexed: few and fast.
        index = DuplicateIndex.of_cards(self._core.iter_cards(self.business_id), fuzzy=False)
        # The book's own ids: time-ordered, and what a host's id generator makes.
        run_id = import_id or self._core.new_id()
        stored = _Stored(progress)
        try:
            report = _run_import(
                self._core,
                business,
                index,
                source,
                mapping=mapping,
                dry_run=dry_run,
                batch_size=batch_size,
                consent_wording=consent_wording,
                by=by,
                on_duplicate=on_duplicate,
                date_order=date_order,
                lang=lang,
                progress=stored,
                workers=workers,
                import_id=run_id,
                groups=frozenset(group.key for group in self._business.groups.list()),
            )
        except BaseException:
            # Inside a caller's own unit of work nothing was kept: there is nothing to file.
            if stored.cards and not dry_run and not self._core.store.in_transaction():
                self._record_stopped_import(run_id, source.format, stored.cards, by)
            raise
        if not report.dry_run:
            self._business.audit.record(
                AuditAction.IMPORTED,
                by=by,
                via="exchange.import_cards",
                detail={
                    "import": report.import_id,
                    "format": report.format,
                    "rows": str(report.rows),
                    "imported": str(report.imported),
                    "rejected": str(len(report.rejected_rows)),
                },
            )
        return report

    def _record_stopped_import(self, run_id: str, source_format: str, cards: int, by: str) -> None:
        """File in the audit trail the cards an import stored before it stopped.

        The batches stored before a failure stay stored, so the trail must say where
        those cards came from. Writing it may fail too (the database that stopped the
        import may still be down): then the import's own error is what the caller gets,
        and the lost entry is logged, ids only.
        """
        try:
            self._business.audit.record(
                AuditAction.IMPORTED,
                by=by,
                via="exchange.import_cards",
                detail={
                    "import": run_id,
                    "format": source_format,
                    "imported": str(cards),
                    "outcome": "stopped",
                },
            )
        except Exception:  # the import's own error is the one to raise
            logger.warning(
                "the audit entry of a stopped import could not be written",
                extra={"business_id": self.business_id, "import_id": run_id},
                exc_info=True,
            )

    def import_file(
        self,
        path: str | os.PathLike[str],
        *,
        format: FileFormat | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
        sheet: str | None = None,
        mapping: ColumnMapping | Mapping[str | int, str | None] | None = None,
        dry_run: bool = False,
        batch_size: int = 500,
        consent_wording: str | None = None,
        by: str = "import",
        on_duplicate: Literal["import", "skip"] = "import",
        date_order: DateOrder | None = None,
        lang: str | None = None,
        progress: Callable[[int], None] | None = None,
        workers: int = 0,
        import_id: str | None = None,
    ) -> ImportReport:
        """Open the file at ``path`` and import it (see :meth:`import_cards`).

        ``format`` is told by the file's name (:func:`~clientcard.exchange.file_format`)
        unless given. ``encoding`` (detected by default), ``delimiter`` (CSV; detected by
        default) and ``sheet`` (Excel; the first by default) go to the reader
        (:func:`~clientcard.exchange.open_source`); the other options to
        :meth:`import_cards`. The file is closed when the import ends.

        :raises ValueError: a name of no known file type and no ``format``, an unknown
            ``format``, or an ``encoding`` that is unknown or no text encoding.
        :raises ValidationError: the mapping names unknown fields or fills none.
        :raises StorageError: a batch could not be stored (see :meth:`import_cards`).
        """
        chosen = format if format is not None else file_format(path)
        if chosen not in get_args(FileFormat):
            raise ValueError("format must be csv, xlsx, vcard or json")
        with open_source(
            path, format=chosen, encoding=encoding, delimiter=delimiter, sheet=sheet
        ) as source:
            return self.import_cards(
                source,
                mapping=mapping,
                dry_run=dry_run,
                batch_size=batch_size,
                consent_wording=consent_wording,
                by=by,
                on_duplicate=on_duplicate,
                date_order=date_order,
                lang=lang,
                progress=progress,
                workers=workers,
                import_id=import_id,
            )

    def preview_mapping(
        self, table: Table, overrides: Mapping[str | int, str | None] | None = None
    ) -> ColumnMapping:
        """The mapping an import of ``table`` would use: suggested, then ``overrides``.

        :raises ValidationError: ``mapping.unknown_column`` for an override matching no
            column.
        """
        mapping = ColumnMapping.suggest(table.headers, self._business.details().schema)
        return mapping.with_targets(overrides) if overrides else mapping

    # -- exporting ------------------------------------------------------------------

    def export_cards(
        self,
        destination: str | os.PathLike[str] | IO[Any],
        *,
        format: ExportFormat,
        selection: Selection | None = None,
        include_sensitive: bool = False,
        include_notes: bool = False,
        include_consent: bool = False,
        lang: str | None = None,
        by: str = "staff",
    ) -> ExportReport:
        """Write the selected cards to ``destination`` (a path or a stream).

        Streams are text for CSV (opened with ``newline=""``), vCard and JSON, binary for
        Excel; see :mod:`clientcard.exchange.exporting` for what each format holds. All
        cards are written without a ``selection``. Health data fields are written only
        with ``include_sensitive``, and free-text notes (which may hold health data
        whatever the schema says) only with ``include_notes``. ``include_consent`` adds
        each card's current consent to JSON. The audit trail records the export (``by``,
        the format, how many cards, whether sensitive fields went out), never its contents.

        :raises NotFoundError: a ``card_ids`` card is not in this business.
        :raises ValueError: an unknown format.
        """
        business = self._business.details()
        store, business_id = self._core.store, self.business_id
        report = write_export(
            destination,
            self._selected(selection or Selection(), business.region),
            business,
            format=format,
            include_sensitive=include_sensitive,
            include_notes=include_notes,
            ledger=(lambda card_id: store.consent_events(business_id, card_id))
            if include_consent
            else None,
            lang=lang,
            exported_at=self._core.clock.now(),
        )
        self._business.audit.record(
            AuditAction.EXPORTED,
            by=by,
            via="exchange.export_cards",
            detail={
                "format": report.format,
                "cards": str(report.count),
                "sensitive": "yes" if include_sensitive else "no",
            },
        )
        return report

    # -- duplicates and merging -----------------------------------------------------

    def find_duplicates(self, *, min_score: float = POSSIBLE) -> list[DuplicatePair]:
        """List the likely duplicates among the business's cards, most likely first.

        Pairs scoring at least ``min_score`` (see :mod:`clientcard.exchange.duplicates`
        for the scores and reasons).
        """
        index = DuplicateIndex.of_cards(self._core.iter_cards(self.business_id))
        found = list(index.pairs(min_score))
        return sorted(found, key=lambda pair: (-pair.score, pair.card_ids))

    def preview_merge(
        self,
        survivor_id: str,
        absorbed_id: str,
        *,
        prefer: Mapping[str, Side] | None = None,
    ) -> MergePlan:
        """The plan :meth:`merge` would follow now, for a host to show first.

        ``prefer`` names, field by field, the card whose value stays where both set it
        differently (the survivor's, by default).

        :raises NotFoundError: either card is not in this business.
        :raises ValidationError: see :func:`~clientcard.exchange.merge.plan_merge`.
        """
        survivor_id = as_id("survivor_id", survivor_id)
        absorbed_id = as_id("absorbed_id", absorbed_id)
        return _merging.preview(self._core, self._business, survivor_id, absorbed_id, prefer=prefer)

    def merge(
        self,
        survivor_id: str,
        absorbed_id: str,
        *,
        expected_versions: tuple[int, int],
        by: str = "staff",
        prefer: Mapping[str, Side] | None = None,
    ) -> MergeResult:
        """Merge ``absorbed_id`` into ``survivor_id`` (see :mod:`clientcard.exchange.merge`).

        ``expected_versions`` are the versions of both cards the caller previewed;
        ``by`` is who merged them (recorded on consent the merge records, and in the
        snapshot). The result's ``merge_id`` undoes it (:meth:`undo_merge`).

        :raises VersionConflictError: either card changed since it was read.
        :raises ValidationError: see :func:`~clientcard.exchange.merge.plan_merge`.
        :raises NotFoundError: either card is not in this business.
        """
        survivor_id = as_id("survivor_id", survivor_id)
        absorbed_id = as_id("absorbed_id", absorbed_id)
        return _merging.merge(
            self._core,
            self._business,
            survivor_id,
            absorbed_id,
            expected_versions=expected_versions,
            by=by,
            prefer=prefer,
        )

    def undo_merge(self, merge_id: str, *, by: str = "staff") -> tuple[ClientCard, ClientCard]:
        """Undo a merge from its snapshot; return the survivor and the restored card.

        ``by`` is who undid it (recorded on consent the undo restores).

        :raises NotFoundError: no such merge (never made, undone already, or purged).
        :raises VersionConflictError: the surviving card was edited since the merge.
        :raises DuplicateError: a card with the merged card's id exists again.
        """
        merge_id = as_id("merge_id", merge_id)
        return _merging.undo(self._core, self._business, merge_id, by=by)

    def purge_merge_snapshots(self, *, before: dt.datetime | None = None) -> int:
        """Delete the snapshots of merges made before ``before`` (all, without it).

        Those merges can no longer be undone. Returns how many snapshots went.
        """
        return _merging.purge_snapshots(self._core, self.business_id, before=before)

    # -- internals ------------------------------------------------------------------

    def _selected(self, selection: Selection, region: str) -> Iterator[ClientCard]:
        """The cards ``selection`` picks, a page at a time (or one by one, by id)."""
        if selection.card_ids is not None:
            for card_id in selection.card_ids:
                yield self._business.cards.get(card_id)
            return
        query = selection.query or CardQuery()
        if selection.search is not None:
            # Searched as the front desk searches: a phone in any format, part of a name.
            terms = search_terms(selection.search, region)
            if terms.is_empty():
                return
            query = attrs.evolve(query, search=terms)
        yield from self._core.iter_cards(self.business_id, query)


class _Stored:
    """The progress callback of an import, counting the cards its stored batches held."""

    def __init__(self, host: Callable[[int], None] | None) -> None:
        self.cards = 0
        self._host = host

    def __call__(self, count: int) -> None:
        self.cards += count
        if self._host is not None:
            self._host(count)
