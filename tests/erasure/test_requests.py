from __future__ import annotations

import datetime as dt

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.erasure import AuditAction, ExtensionReason, RequestKind, SubjectRequest
from clientcard.errors import NotFoundError, ValidationError
from tests.support import TODAY


def received(day: dt.date, kind: RequestKind = RequestKind.ERASURE) -> SubjectRequest:
    return SubjectRequest.received("r", "b", "c", kind, day)


class TestDeadlines:
    def test_an_answer_is_due_one_calendar_month_after_receipt(self) -> None:
        assert received(dt.date(2026, 3, 5)).deadline == dt.date(2026, 4, 5)

    def test_a_day_the_next_month_lacks_becomes_its_last_day(self) -> None:
        assert received(dt.date(2026, 1, 31)).deadline == dt.date(2026, 2, 28)

    def test_an_extension_adds_two_further_months(self) -> None:
        request = received(dt.date(2026, 3, 5)).extended(ExtensionReason.NUMBER_OF_REQUESTS)
        assert request.deadline == dt.date(2026, 6, 5)

    def test_a_request_is_extended_once(self) -> None:
        request = received(dt.date(2026, 3, 5)).extended(ExtensionReason.COMPLEXITY)
        with pytest.raises(ValidationError) as caught:
            request.extended(ExtensionReason.COMPLEXITY)
        assert caught.value.codes == {"request.extended_already"}

    def test_a_fulfilled_request_is_closed(self) -> None:
        done = received(dt.date(2026, 3, 5)).fulfilled(
            dt.datetime(2026, 3, 9, tzinfo=dt.UTC), "export"
        )
        with pytest.raises(ValidationError) as caught:
            done.extended(ExtensionReason.COMPLEXITY)
        assert caught.value.codes == {"request.not_open"}
        assert not done.is_overdue(dt.date(2027, 1, 1))

    def test_the_deadline_day_itself_is_not_late(self) -> None:
        request = received(dt.date(2026, 3, 5))
        assert not request.is_overdue(dt.date(2026, 4, 5))
        assert request.is_overdue(dt.date(2026, 4, 6))


class TestThroughTheBook:
    def test_a_request_is_recorded_with_its_deadline_and_audited(
        self, book: ClientBook, salon: str
    ) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna"})
        request = book.business(salon).requests.receive(
            card.id, RequestKind.ACCESS, by="staff-7", received_on=TODAY
        )
        assert book.business(salon).requests.list(card_id=card.id) == [request]
        assert request.deadline == dt.date(2026, 12, 23)
        assert book.business(salon).audit.trail()[-1].action is AuditAction.REQUEST_RECEIVED

    def test_a_request_from_the_future_is_refused(self, book: ClientBook, salon: str) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna"})
        with pytest.raises(ValidationError) as caught:
            book.business(salon).requests.receive(
                card.id, RequestKind.ERASURE, by="staff-7", received_on=TODAY + dt.timedelta(days=1)
            )
        assert caught.value.fields == {"received_on"}

    def test_a_request_names_a_card_of_the_business(self, book: ClientBook, salon: str) -> None:
        with pytest.raises(NotFoundError):
            book.business(salon).requests.receive("nobody", RequestKind.ERASURE, by="staff-7")

    def test_overdue_requests_are_listed_until_answered(
        self, book: ClientBook, salon: str, clock: FixedClock
    ) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna"})
        book.business(salon).requests.receive(card.id, RequestKind.ACCESS, by="staff-7")
        book.business(salon).requests.receive(card.id, RequestKind.ERASURE, by="staff-7")
        clock.advance(dt.timedelta(days=40))
        assert {r.kind for r in book.business(salon).requests.overdue()} == set(RequestKind) - {
            RequestKind.PORTABILITY
        }
        book.business(salon).portability.export_subject(card.id, by="staff-7")
        assert [r.kind for r in book.business(salon).requests.overdue()] == [RequestKind.ERASURE]

    def test_an_extended_request_is_not_late_within_three_months(
        self, book: ClientBook, salon: str, clock: FixedClock
    ) -> None:
        card = book.business(salon).cards.add({"first_name": "Anna"})
        request = book.business(salon).requests.receive(card.id, RequestKind.ERASURE, by="s")
        extended = book.business(salon).requests.extend(
            request.request_id, ExtensionReason.COMPLEXITY, by="dpo"
        )
        clock.advance(dt.timedelta(days=80))
        assert extended.extension is ExtensionReason.COMPLEXITY
        assert book.business(salon).requests.overdue() == []
        assert book.business(salon).requests.list(open_only=True) == [extended]
        assert book.business(salon).audit.trail()[-1].detail == {
            "request": request.request_id,
            "reason": "complexity",
        }

    def test_an_unknown_request_is_not_found(self, book: ClientBook, salon: str) -> None:
        with pytest.raises(NotFoundError):
            book.business(salon).requests.extend("nope", ExtensionReason.COMPLEXITY, by="dpo")
