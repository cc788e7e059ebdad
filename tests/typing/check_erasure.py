"""Type-checked, never run: a host erasing, retaining and exporting as it would."""

from __future__ import annotations

import datetime as dt
import json

from clientcard import ErasureMode, ErasurePlan, ErasurePolicy, ErasureReceipt, RetentionRules
from clientcard.book import ClientBook
from clientcard.consent import Purpose
from clientcard.erasure import (
    AuditAction,
    RequestKind,
    RetentionReport,
    receipt_from_dict,
    receipt_to_dict,
    subject_schema,
)
from clientcard.events import DomainEvent, EventKind


class ReceiptShipper:
    """An event sink that keeps receipts where backups can't roll them back."""

    def __init__(self, book: ClientBook) -> None:
        self.book = book
        self.lines: list[str] = []

    def publish(self, event: DomainEvent) -> None:
        if event.kind is EventKind.CARD_ERASED and event.card_id is not None:
            for receipt in self.book.erasure_receipts(event.business_id, card_id=event.card_id):
                self.lines.append(json.dumps(receipt_to_dict(receipt)))


def configure(book: ClientBook, salon: str) -> None:
    rules = RetentionRules(inactive_months=24, consent_months={Purpose.MARKETING: 24})
    policy = ErasurePolicy(mode=ErasureMode.ANONYMISE, keep_blocks=True, retention=rules)
    book.set_erasure_policy(salon, policy, actor="owner")


def show_plan(book: ClientBook, salon: str, card_id: str, staff: str) -> list[str]:
    book.receive_request(salon, card_id, RequestKind.ERASURE, recorded_by=staff)
    plan: ErasurePlan = book.plan_erasure(salon, card_id, suppress=True)
    return plan.lines("it")


def forget(book: ClientBook, plan: ErasurePlan, staff: str) -> ErasureReceipt:
    return book.erase(plan, actor=staff, via="DELETE /clients/{id}")


def nightly(book: ClientBook, salon: str, now: dt.datetime) -> int:
    report: RetentionReport = book.due_erasures(salon, now)
    return len(book.run_retention(salon, report).done)


def access(book: ClientBook, salon: str, card_id: str, staff: str) -> tuple[str, str]:
    book.audit(salon, AuditAction.VIEWED, actor=staff, via="GET /clients/{id}", card_id=card_id)
    data = book.export_subject(salon, card_id, actor=staff)
    assert subject_schema()["$id"]
    return json.dumps(data.to_dict()), data.report().text()


def after_restore(book: ClientBook, salon: str, lines: list[str]) -> int:
    receipts = [receipt_from_dict(json.loads(line)) for line in lines]
    return len(book.replay_erasures(salon, receipts, actor="ops"))
