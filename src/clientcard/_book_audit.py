"""Subject requests and the privacy audit trail of :class:`~clientcard.book.ClientBook`.

Mixed into the book through :class:`~clientcard._book_erasure.ErasureMixin`, which
uses both: an erasure completes erasure requests and appends to the trail.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final, TypeVar

from clientcard.erasure.audit import (
    AUDIT_HEAD_KIND,
    AUDIT_KIND,
    AuditAction,
    AuditEntry,
    ChainCheck,
    audit_record,
    chain,
    read_entry,
    verify_chain,
)
from clientcard.erasure.requests import (
    REQUEST_KIND,
    ExtensionReason,
    RequestKind,
    SubjectRequest,
    read_request,
    request_record,
)
from clientcard.errors import FieldIssue, NotFoundError, ValidationError
from clientcard.locale import message
from clientcard.storage.records import Record, RecordQuery

if TYPE_CHECKING:
    from clientcard.clock import Clock
    from clientcard.storage.protocol import ClientStore

T = TypeVar("T")

__all__ = ["AuditMixin"]

_PAGE: Final = 500


class AuditMixin:
    """Subject requests and the audit trail (see :class:`~clientcard.book.ClientBook`).

    .. versionadded:: 0.1.0
    """

    if TYPE_CHECKING:
        # What ClientBook provides; declared so the type checker can follow the mixin.
        store: ClientStore
        clock: Clock
        _new_id: Callable[[], str]

        def _write(self, work: Callable[[], T]) -> T: ...

    # -- subject requests ---------------------------------------------------------------

    def receive_request(
        self,
        business_id: str,
        card_id: str,
        kind: RequestKind,
        *,
        recorded_by: str,
        received_on: dt.date | None = None,
        via: str = "ClientBook.receive_request",
    ) -> SubjectRequest:
        """Record a client's request to erase, access or port their data.

        ``received_on`` is the day it arrived (today by default); the deadline runs from
        it. Erasing the client, or exporting their data, fulfils it.

        :raises NotFoundError: no such card in this business.
        :raises ValidationError: ``request.received_in_future``.
        """
        today = self.clock.now().date()
        day = received_on or today
        if day > today:
            code = "request.received_in_future"
            raise ValidationError([FieldIssue("received_on", code, message(code))])

        def work() -> SubjectRequest:
            self.store.get(business_id, card_id)
            request = SubjectRequest.received(
                self._new_id(), business_id, card_id, kind, day, recorded_by=recorded_by
            )
            self.store.add_records([request_record(request)])
            self._audit(
                business_id,
                AuditAction.REQUEST_RECEIVED,
                actor=recorded_by,
                via=via,
                card_id=card_id,
                detail={"request": request.request_id, "kind": kind.value},
            )
            return request

        return self._write(work)

    def extend_request(
        self,
        business_id: str,
        request_id: str,
        reason: ExtensionReason,
        *,
        actor: str,
        via: str = "ClientBook.extend_request",
    ) -> SubjectRequest:
        """Extend a request's deadline by two months, once, for ``reason``.

        Tell the client within the first month, with the reason (Art. 12(3)).

        :raises NotFoundError: no such request.
        :raises ValidationError: ``request.not_open`` or ``request.extended_already``.
        """

        def work() -> SubjectRequest:
            stored = self.store.get_record(business_id, REQUEST_KIND, request_id)
            request = read_request(stored).extended(reason)
            self._save_request(stored, request)
            self._audit(
                business_id,
                AuditAction.REQUEST_EXTENDED,
                actor=actor,
                via=via,
                card_id=request.card_id,
                detail={"request": request_id, "reason": reason.value},
            )
            return request

        return self._write(work)

    def subject_requests(
        self, business_id: str, *, card_id: str | None = None, open_only: bool = False
    ) -> list[SubjectRequest]:
        """Return the business's requests (one client's, with ``card_id``), oldest first."""
        query = RecordQuery(kind=REQUEST_KIND, key=card_id)
        found = [read_request(record) for record in self._all_records(business_id, query)]
        return [request for request in found if request.is_open or not open_only]

    def overdue_requests(
        self, business_id: str, *, today: dt.date | None = None
    ) -> list[SubjectRequest]:
        """Return the open requests past their deadline, oldest deadline first."""
        day = today or self.clock.now().date()
        late = [r for r in self.subject_requests(business_id, open_only=True) if r.is_overdue(day)]
        return sorted(late, key=lambda request: (request.deadline, request.request_id))

    # -- the audit trail ----------------------------------------------------------------

    def audit(
        self,
        business_id: str,
        action: AuditAction,
        *,
        actor: str,
        via: str,
        card_id: str | None = None,
        detail: Mapping[str, str] | None = None,
    ) -> AuditEntry:
        """Append to the business's audit trail; ids and codes only.

        The book records its own erasures, exports, imports, requests and policy
        changes; call this for the rest -- a member of staff opening a card
        (:attr:`AuditAction.VIEWED`, ``via`` naming your endpoint), a merge, a block.

        :raises ValidationError: ``audit.detail_invalid`` for a detail that is not an id
            or code.
        """
        return self._write(
            lambda: self._audit(
                business_id, action, actor=actor, via=via, card_id=card_id, detail=detail
            )
        )

    def audit_trail(self, business_id: str, *, card_id: str | None = None) -> list[AuditEntry]:
        """Return the business's audit trail (the entries naming ``card_id``), in order."""
        query = RecordQuery(kind=AUDIT_KIND, key=card_id)
        entries = [read_entry(record) for record in self._all_records(business_id, query)]
        return sorted(entries, key=lambda entry: entry.seq)

    def audit_head(self, business_id: str) -> tuple[int, str] | None:
        """Return ``(seq, hash)`` of the newest entry, to keep outside the database."""
        try:
            head = self.store.get_record(business_id, AUDIT_HEAD_KIND, business_id)
        except NotFoundError:
            return None
        return int(head.doc["seq"]), str(head.doc["hash"])

    def verify_audit_trail(self, business_id: str) -> ChainCheck:
        """Check that no entry of the trail was changed, removed or cut off the end."""
        return verify_chain(self.audit_trail(business_id), self.audit_head(business_id))

    def _audit(
        self,
        business_id: str,
        action: AuditAction,
        *,
        actor: str,
        via: str,
        card_id: str | None = None,
        detail: Mapping[str, str] | None = None,
    ) -> AuditEntry:
        """Append an entry in the current unit of work (the head record serialises writers)."""
        try:
            head: Record | None = self.store.get_record(business_id, AUDIT_HEAD_KIND, business_id)
        except NotFoundError:
            head = None
        after = None if head is None else (int(head.doc["seq"]), str(head.doc["hash"]))
        entry = chain(
            after,
            business_id=business_id,
            at=self.clock.now(),
            action=action,
            actor=actor,
            via=via,
            card_id=card_id,
            detail=detail,
        )
        doc = {"seq": entry.seq, "hash": entry.hash}
        if head is None:
            self.store.add_records(
                [
                    audit_record(entry),
                    Record(
                        business_id=business_id,
                        kind=AUDIT_HEAD_KIND,
                        id=business_id,
                        at=entry.at,
                        doc=doc,
                    ),
                ]
            )
        else:
            self.store.add_records([audit_record(entry)])
            self.store.update_record(
                head.revised(doc, at=entry.at), expected_revision=head.revision
            )
        return entry

    def _all_records(self, business_id: str, query: RecordQuery) -> list[Record]:
        found: list[Record] = []
        cursor: str | None = None
        while True:
            page = self.store.find_records(business_id, query, limit=_PAGE, cursor=cursor)
            found.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                return found

    def _card_records(self, business_id: str, card_id: str) -> list[Record]:
        """Every record filed under a card, kind by kind, each kind in time order."""
        found: list[Record] = []
        for kind in sorted(self.store.record_kinds(business_id, card_id)):
            found.extend(self._all_records(business_id, RecordQuery(kind=kind, card_id=card_id)))
        return found

    def _save_request(self, stored: Record, request: SubjectRequest) -> None:
        updated = request_record(request, revision=stored.revision + 1)
        self.store.update_record(updated, expected_revision=stored.revision)

    def _fulfil_requests(
        self, business_id: str, card_id: str, kinds: frozenset[RequestKind], outcome: str
    ) -> tuple[str, ...]:
        done = []
        query = RecordQuery(kind=REQUEST_KIND, key=card_id)
        for stored in self._all_records(business_id, query):
            request = read_request(stored)
            if request.is_open and request.kind in kinds:
                self._save_request(stored, request.fulfilled(self.clock.now(), outcome))
                done.append(request.request_id)
        return tuple(done)
