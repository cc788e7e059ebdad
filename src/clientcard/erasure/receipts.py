"""Erasure receipts: what one erasure did, when, by whom and under which policy.

A receipt holds ids, counts and codes -- never the client's data -- so it can be kept
forever as the business's proof that it honoured a request, shown to a supervisory
authority, and *replayed*: a host that restores a backup taken before an erasure brings
the client back with it, and :meth:`~clientcard.erasure.service.ErasureService.replay` with the
receipts kept since erases them again. Keep receipts where your backups can't roll them
back (ship :func:`receipt_to_dict` documents to your log store, or let the command line
append them to a file).

>>> import datetime as dt
>>> from clientcard.erasure.policy import ErasureMode
>>> receipt = ErasureReceipt(
...     receipt_id="r-1", business_id="salon-1", card_id="card-1",
...     erased_at=dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC), actor="staff-7",
...     via="erasure.run", mode=ErasureMode.DELETE, reason="request",
...     records={"appointment": {"delete": 12}, "payment": {"hold": 3}})
>>> receipt_from_dict(receipt_to_dict(receipt)) == receipt
True

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from clientcard.erasure._documents import from_document, to_document
from clientcard.erasure.policy import ErasureMode
from clientcard.storage.records import Record

__all__ = [
    "RECEIPT_DOCUMENT_VERSION",
    "RECEIPT_KIND",
    "ErasureReceipt",
    "read_receipt",
    "receipt_from_dict",
    "receipt_record",
    "receipt_to_dict",
]

RECEIPT_KIND: Final = "erasure.receipt"
"""The record kind of erasure receipts (filed under no card; ``key`` is the card id)."""

RECEIPT_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` written on receipt documents."""


def _freeze_counts(values: Mapping[str, Mapping[str, int]]) -> Mapping[str, Mapping[str, int]]:
    return MappingProxyType({kind: MappingProxyType(dict(v)) for kind, v in values.items()})


@attrs.frozen
class ErasureReceipt:
    """The record of one erasure; ids, counts and codes only.

    :param reason: why it happened: ``request`` (staff, on the client's request),
        ``retention.inactive``, ``retention.prospect``, or ``replay``.
    :param records: per record kind, how many records each action treated
        (``{"appointment": {"anonymise": 12}}``).
    :param requests: the subject requests the erasure completed.
    :param legal_hold_years: the hold fiscal records were kept under.

    .. versionadded:: 0.1.0
    """

    receipt_id: str
    business_id: str
    card_id: str
    erased_at: dt.datetime
    actor: str
    via: str
    mode: ErasureMode
    reason: str
    records: Mapping[str, Mapping[str, int]] = attrs.field(
        factory=dict, converter=_freeze_counts, hash=False
    )
    consent_events: int = 0
    sends: int = 0
    blobs: int = 0
    fingerprints: int = 0
    requests: tuple[str, ...] = ()
    legal_hold_years: int = 0
    replay_of: str | None = None
    """For a replayed erasure: the receipt it replayed."""


def receipt_to_dict(receipt: ErasureReceipt) -> dict[str, Any]:
    """Return a JSON-ready dict of ``receipt``, with ``schema_version``."""
    return to_document(receipt, RECEIPT_DOCUMENT_VERSION)


def receipt_from_dict(document: object) -> ErasureReceipt:
    """Read a receipt back from :func:`receipt_to_dict`'s output.

    :raises DocumentError: the document is malformed or of another version.
    """
    return from_document("erasure_receipt", document, RECEIPT_DOCUMENT_VERSION, ErasureReceipt)


def receipt_record(receipt: ErasureReceipt) -> Record:
    """The record a receipt is kept as: under no card, found by the card id it names."""
    return Record(
        business_id=receipt.business_id,
        kind=RECEIPT_KIND,
        id=receipt.receipt_id,
        at=receipt.erased_at,
        doc=receipt_to_dict(receipt),
        key=receipt.card_id,
    )


def read_receipt(record: Record) -> ErasureReceipt:
    """Read a receipt back from its record."""
    return receipt_from_dict(dict(record.doc))
