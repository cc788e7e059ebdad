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
            for receipt in self.book.business(event.business_id).erasure.receipts(
                card_id=event.card_id
            ):
                self.lines.append(json.dumps(receipt_to_dict(receipt)))


def configure(book: ClientBook, salon: str) -> None:
    rules = RetentionRules(inactive_months=24, consent_months={Purpose.MARKETING: 24})
    policy = ErasurePolicy(mode=ErasureMode.ANONYMISE, keep_blocks=True, retention=rules)
    book.business(salon).erasure.set_policy(policy, by="owner")


def show_plan(book: ClientBook, salon: str, card_id: str, staff: str) -> list[str]:
    book.business(salon).requests.receive(card_id, RequestKind.ERASURE, by=staff)
    plan: ErasurePlan = book.business(salon).erasure.plan(card_id, suppress=True)
    return plan.lines("it")


def forget(book: ClientBook, plan: ErasurePlan, staff: str) -> ErasureReceipt:
    return book.business(plan.business_id).erasure.run(plan, by=staff, via="DELETE /clients/{id}")


def nightly(book: ClientBook, salon: str, now: dt.datetime) -> int:
    report: RetentionReport = book.business(salon).retention.due(now)
    return len(book.business(salon).retention.run(report).done)


def access(book: ClientBook, salon: str, card_id: str, staff: str) -> tuple[str, str]:
    book.business(salon).audit.record(
        AuditAction.VIEWED, by=staff, via="GET /clients/{id}", card_id=card_id
    )
    data = book.business(salon).portability.export_subject(card_id, by=staff)
    assert subject_schema()["$id"]
    return json.dumps(data.to_dict()), data.report().text()


def after_restore(book: ClientBook, salon: str, lines: list[str]) -> int:
    receipts = [receipt_from_dict(json.loads(line)) for line in lines]
    return len(book.business(salon).erasure.replay(receipts, by="ops"))
