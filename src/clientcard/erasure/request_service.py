"""Data-subject requests of one business, as a service (``desk.requests``).

A request (to erase, access or port one's data) is received, may be extended once, and
is fulfilled by the act it asks for: erasing the client (``desk.erasure.run``) or
exporting their data (``desk.portability.export_subject``). The requests and their
deadlines are pure (:mod:`clientcard.erasure.requests`).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import builtins
import datetime as dt

from clientcard._core import Service, as_enum, as_id, as_optional_id, audit_queue
from clientcard.erasure._records import all_records, append_audit, save_request
from clientcard.erasure.audit import AuditAction
from clientcard.erasure.requests import (
    REQUEST_KIND,
    ExtensionReason,
    RequestKind,
    SubjectRequest,
    read_request,
    request_record,
)
from clientcard.errors import FieldIssue, ValidationError
from clientcard.locale import message
from clientcard.storage.records import RecordQuery

__all__ = ["RequestService"]


class RequestService(Service):
    """Clients' requests to erase, access or port their data, and their deadlines.

    Reached as ``book.business(id).requests``.

    .. versionadded:: 0.1.0
    """

    def receive(
        self,
        card_id: str,
        kind: RequestKind | str,
        *,
        by: str,
        received_on: dt.date | None = None,
        via: str = "requests.receive",
    ) -> SubjectRequest:
        """Record a client's request to erase, access or port their data.

        ``received_on`` is the day it arrived (today by default); the deadline runs from
        it. Erasing the client, or exporting their data, fulfils it. The audit trail
        records it, naming ``by`` and ``via``.

        :raises NotFoundError: no such card in this business.
        :raises ValidationError: ``request.received_in_future``.
        :raises ValueError: ``kind`` is not a :class:`RequestKind` value.
        """
        card = as_id("card_id", card_id)
        chosen = as_enum(RequestKind, "kind", kind)
        core = self._core
        business_id = self.business_id
        today = self._business.details().today(core.clock.now())
        day = received_on or today
        if day > today:
            code = "request.received_in_future"
            raise ValidationError([FieldIssue("received_on", code, message(code))])

        def work() -> SubjectRequest:
            core.store.get(business_id, card)
            request = SubjectRequest.received(
                core.new_id(), business_id, card, chosen, day, recorded_by=by
            )
            core.store.add_records([request_record(request)])
            append_audit(
                core,
                business_id,
                AuditAction.REQUEST_RECEIVED,
                by=by,
                via=via,
                card_id=card,
                detail={"request": request.request_id, "kind": chosen.value},
            )
            return request

        return core.write(work, queue=audit_queue(business_id))

    def extend(
        self,
        request_id: str,
        reason: ExtensionReason | str,
        *,
        by: str,
        via: str = "requests.extend",
    ) -> SubjectRequest:
        """Extend a request's deadline by two months, once, for ``reason``.

        Tell the client within the first month, with the reason (Art. 12(3)).

        :raises NotFoundError: no such request.
        :raises ValidationError: ``request.not_open`` or ``request.extended_already``.
        :raises ValueError: ``reason`` is not an :class:`ExtensionReason` value.
        """
        request_id = as_id("request_id", request_id)
        chosen = as_enum(ExtensionReason, "reason", reason)
        core = self._core
        business_id = self.business_id

        def work() -> SubjectRequest:
            stored = core.store.get_record(business_id, REQUEST_KIND, request_id)
            request = read_request(stored).extended(chosen)
            save_request(core, stored, request)
            append_audit(
                core,
                business_id,
                AuditAction.REQUEST_EXTENDED,
                by=by,
                via=via,
                card_id=request.card_id,
                detail={"request": request_id, "reason": chosen.value},
            )
            return request

        return core.write(work, queue=audit_queue(business_id))

    def list(self, *, card_id: str | None = None, open_only: bool = False) -> list[SubjectRequest]:
        """Return the business's requests (one client's, with ``card_id``), oldest first.

        ``open_only`` leaves out those fulfilled already.
        """
        query = RecordQuery(kind=REQUEST_KIND, key=as_optional_id("card_id", card_id))
        found = [
            read_request(record) for record in all_records(self._core, self.business_id, query)
        ]
        return [request for request in found if request.is_open or not open_only]

    def overdue(self, *, today: dt.date | None = None) -> builtins.list[SubjectRequest]:
        """Return the open requests past their deadline (at ``today``), oldest deadline first."""
        day = today or self._business.details().today(self._core.clock.now())
        late = [request for request in self.list(open_only=True) if request.is_overdue(day)]
        return sorted(late, key=lambda request: (request.deadline, request.request_id))
