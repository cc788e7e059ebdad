"""Erasure, retention and data-subject rights: the pure core and its documents.

* :mod:`~clientcard.erasure.policy` -- what erasing a client does, per business and kind;
  legal holds per country.
* :mod:`~clientcard.erasure.plan` -- the plan staff confirm before anything is erased.
* :mod:`~clientcard.erasure.receipts` -- the record of each erasure, replayable.
* :mod:`~clientcard.erasure.proof` -- the consent ledger kept as pseudonymised proof.
* :mod:`~clientcard.erasure.requests` -- data-subject requests and their deadlines.
* :mod:`~clientcard.erasure.retention` -- the clocks that make clients and data due.
* :mod:`~clientcard.erasure.audit` -- the hash-chained privacy audit trail.
* :mod:`~clientcard.erasure.portability` -- the access document, its JSON Schema and the
  report in the client's language.

Five services run them against a store, each reached through a business's handle
(``desk = book.business(id)``): ``desk.erasure`` (plans, runs, receipts),
``desk.requests``, ``desk.audit``, ``desk.retention`` and ``desk.portability``; see
``docs/erasure.md``. This package's top level imports none of them.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.erasure.audit import (
    AuditAction,
    AuditEntry,
    AuditProblem,
    ChainCheck,
    verify_chain,
    verify_records,
)
from clientcard.erasure.plan import Consequence, ErasurePlan, KindCount
from clientcard.erasure.policy import (
    DEFAULT_LEGAL_HOLD_YEARS,
    LEGAL_HOLD_YEARS,
    ErasureMode,
    ErasurePolicy,
    RecordAction,
    RetentionRules,
    policy_from_dict,
    policy_to_dict,
)
from clientcard.erasure.portability import (
    ImportedSubject,
    SubjectData,
    SubjectReport,
    subject_from_dict,
    subject_report,
    subject_schema,
    subject_to_dict,
)
from clientcard.erasure.receipts import ErasureReceipt, receipt_from_dict, receipt_to_dict
from clientcard.erasure.requests import ExtensionReason, RequestKind, SubjectRequest
from clientcard.erasure.retention import (
    DueAction,
    DueItem,
    RetentionReport,
    RetentionRule,
    RetentionRun,
)

__all__ = [
    "DEFAULT_LEGAL_HOLD_YEARS",
    "LEGAL_HOLD_YEARS",
    "AuditAction",
    "AuditEntry",
    "AuditProblem",
    "ChainCheck",
    "Consequence",
    "DueAction",
    "DueItem",
    "ErasureMode",
    "ErasurePlan",
    "ErasurePolicy",
    "ErasureReceipt",
    "ExtensionReason",
    "ImportedSubject",
    "KindCount",
    "RecordAction",
    "RequestKind",
    "RetentionReport",
    "RetentionRule",
    "RetentionRules",
    "RetentionRun",
    "SubjectData",
    "SubjectReport",
    "SubjectRequest",
    "policy_from_dict",
    "policy_to_dict",
    "receipt_from_dict",
    "receipt_to_dict",
    "subject_from_dict",
    "subject_report",
    "subject_schema",
    "subject_to_dict",
    "verify_chain",
    "verify_records",
]
