"""Data-subject requests: when a client asked, and by when the business must answer.

GDPR Art. 12(3): a request to erase, to access or to port one's data is answered
"without undue delay and in any event within one month of receipt", a period that "may
be extended by two further months where necessary, taking into account the complexity
and number of the requests" -- and the client must be told why within the first month.
A :class:`SubjectRequest` records the day it arrived, its deadline (one calendar month
on, the last day of a shorter month when the day is missing), at most one extension with
its reason, and when it was fulfilled; ``desk.requests.overdue()`` lists the late ones.

Requests hold ids, dates and codes only, and outlive the erasure they ask for: they are
the business's accountability record.

>>> import datetime as dt
>>> request = SubjectRequest.received(
...     "req-1", "salon-1", "card-1", RequestKind.ERASURE, dt.date(2026, 1, 31))
>>> request.deadline
datetime.date(2026, 2, 28)
>>> request.extended(ExtensionReason.COMPLEXITY).deadline
datetime.date(2026, 4, 30)
>>> request.is_overdue(dt.date(2026, 3, 1))
True

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Final

import attrs

from clientcard.erasure._documents import from_document, to_document
from clientcard.erasure._time import add_months, start_of
from clientcard.errors import FieldIssue, ValidationError
from clientcard.locale import message
from clientcard.storage.records import Record

__all__ = [
    "REQUEST_DOCUMENT_VERSION",
    "REQUEST_KIND",
    "ExtensionReason",
    "RequestKind",
    "SubjectRequest",
    "read_request",
    "request_record",
]

REQUEST_KIND: Final = "subject.request"
"""The record kind of subject requests (filed under no card; ``key`` is the card id)."""

REQUEST_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` written on request documents."""

ANSWER_MONTHS: Final = 1
EXTENSION_MONTHS: Final = 2


class RequestKind(enum.Enum):
    """What the client asked for.

    .. versionadded:: 0.1.0
    """

    ERASURE = "erasure"
    """Art. 17: forget me. Fulfilled by erasing the card."""
    ACCESS = "access"
    """Art. 15: show me my data. Fulfilled by the access export."""
    PORTABILITY = "portability"
    """Art. 20: give me my data to take elsewhere. Fulfilled by the access export."""


class ExtensionReason(enum.Enum):
    """Why a request's deadline was extended (the two reasons Art. 12(3) allows).

    .. versionadded:: 0.1.0
    """

    COMPLEXITY = "complexity"
    NUMBER_OF_REQUESTS = "number_of_requests"


def _issue(field: str, code: str) -> ValidationError:
    return ValidationError([FieldIssue(field, code, message(code))])


@attrs.frozen
class SubjectRequest:
    """One request of one client, from receipt to answer.

    .. versionadded:: 0.1.0
    """

    request_id: str
    business_id: str
    card_id: str
    kind: RequestKind
    received_on: dt.date
    recorded_by: str
    extension: ExtensionReason | None = None
    fulfilled_at: dt.datetime | None = None
    outcome: str | None = attrs.field(default=None, repr=False)
    """What answered it: ``receipt:<id>`` for an erasure, ``export`` for an access."""

    @classmethod
    def received(
        cls,
        request_id: str,
        business_id: str,
        card_id: str,
        kind: RequestKind,
        received_on: dt.date,
        *,
        recorded_by: str = "staff",
    ) -> SubjectRequest:
        """A request just received (open, not extended)."""
        return cls(
            request_id=request_id,
            business_id=business_id,
            card_id=card_id,
            kind=kind,
            received_on=received_on,
            recorded_by=recorded_by,
        )

    @property
    def deadline(self) -> dt.date:
        """The last day to answer: a month after receipt, three when extended."""
        months = ANSWER_MONTHS + (EXTENSION_MONTHS if self.extension is not None else 0)
        return add_months(self.received_on, months)

    @property
    def is_open(self) -> bool:
        """Tell whether the request still awaits its answer."""
        return self.fulfilled_at is None

    def is_overdue(self, today: dt.date) -> bool:
        """Tell whether the request is open past its deadline on ``today``."""
        return self.is_open and today > self.deadline

    def extended(self, reason: ExtensionReason) -> SubjectRequest:
        """Return the request with its deadline moved two months on, for ``reason``.

        :raises ValidationError: ``request.not_open`` or ``request.extended_already``.
        """
        if not self.is_open:
            raise _issue("request", "request.not_open")
        if self.extension is not None:
            raise _issue("extension", "request.extended_already")
        return attrs.evolve(self, extension=reason)

    def fulfilled(self, at: dt.datetime, outcome: str) -> SubjectRequest:
        """Return the request answered at ``at`` by ``outcome``.

        :raises ValidationError: ``request.not_open``.
        """
        if not self.is_open:
            raise _issue("request", "request.not_open")
        return attrs.evolve(self, fulfilled_at=at, outcome=outcome)


def request_record(request: SubjectRequest, revision: int = 1) -> Record:
    """The record a request is kept as: under no card, found by the card id it names."""
    return Record(
        business_id=request.business_id,
        kind=REQUEST_KIND,
        id=request.request_id,
        at=start_of(request.received_on),
        doc=request_to_dict(request),
        key=request.card_id,
        revision=revision,
    )


def request_to_dict(request: SubjectRequest) -> dict[str, Any]:
    """Return a JSON-ready dict of ``request``, with ``schema_version``."""
    return to_document(request, REQUEST_DOCUMENT_VERSION)


def read_request(record: Record) -> SubjectRequest:
    """Read a request back from its record."""
    return from_document(
        "subject_request", dict(record.doc), REQUEST_DOCUMENT_VERSION, SubjectRequest
    )
