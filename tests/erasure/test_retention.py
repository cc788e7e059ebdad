from __future__ import annotations

import datetime as dt

import pytest

from clientcard.book import ClientBook
from clientcard.cards.card import CardStatus, ClientCard
from clientcard.cards.schema import FieldDefinition, FieldType
from clientcard.clock import FixedClock
from clientcard.consent import Channel, ConsentState, Purpose
from clientcard.erasure import (
    AuditAction,
    DueAction,
    ErasureMode,
    ErasurePolicy,
    RetentionRule,
    RetentionRules,
    retention_service,
)
from clientcard.erasure.plan import HOLD_MARK
from clientcard.erasure.retention import Activity, activity_of, evaluate
from clientcard.errors import NotFoundError
from clientcard.storage.records import RecordQuery
from tests.erasure.conftest import add, days_ago, visit
from tests.support import NOW, record


def card(created_days_ago: int = 1000, status: CardStatus = CardStatus.ACTIVE) -> ClientCard:
    created = days_ago(created_days_ago)
    return ClientCard(
        id="c",
        business_id="b",
        created_at=created,
        updated_at=created,
        status=status,
        first_name="Anna",
        notes="likes tea",
    )


def due(
    subject: ClientCard,
    rules: RetentionRules,
    activity: Activity | None = None,
    state: ConsentState | None = None,
) -> list[tuple[DueAction, RetentionRule, tuple[str, ...]]]:
    items = evaluate(
        subject,
        activity or Activity(),
        state or ConsentState(),
        rules=rules,
        mode=ErasureMode.DELETE,
        now=NOW,
    )
    return [(item.action, item.rule, item.targets) for item in items]


ERASE_INACTIVE = (DueAction.ERASE, RetentionRule.INACTIVE, ())


class TestClocks:
    def test_a_client_not_seen_for_longer_than_the_rule_is_due(self) -> None:
        seen = Activity(last_visit=days_ago(800), ever_booked=True)
        assert due(card(), RetentionRules(inactive_months=24), seen) == [ERASE_INACTIVE]

    def test_a_recent_visit_keeps_the_client(self) -> None:
        seen = Activity(last_visit=days_ago(30), ever_booked=True)
        assert due(card(), RetentionRules(inactive_months=24), seen) == []

    def test_a_client_who_never_came_runs_from_the_cards_creation(self) -> None:
        assert due(card(created_days_ago=800), RetentionRules(inactive_months=24)) == [
            ERASE_INACTIVE
        ]
        assert due(card(created_days_ago=100), RetentionRules(inactive_months=24)) == []

    def test_an_upcoming_booking_keeps_the_client(self) -> None:
        coming = Activity(last_visit=days_ago(800), upcoming=True, ever_booked=True)
        assert due(card(), RetentionRules(inactive_months=24), coming) == []

    def test_a_prospect_who_never_booked_is_due_after_the_days(self) -> None:
        prospect = card(created_days_ago=40, status=CardStatus.PROSPECT)
        assert due(prospect, RetentionRules(prospect_days=30)) == [
            (DueAction.ERASE, RetentionRule.PROSPECT, ())
        ]
        assert due(prospect, RetentionRules(prospect_days=60)) == []

    def test_a_prospect_with_a_booking_is_not_a_lost_prospect(self) -> None:
        prospect = card(created_days_ago=40, status=CardStatus.PROSPECT)
        booked = Activity(ever_booked=True)
        assert due(prospect, RetentionRules(prospect_days=30), booked) == []

    def test_a_field_outlives_neither_its_months_nor_the_card(self) -> None:
        seen = Activity(last_visit=days_ago(400), ever_booked=True)
        rules = RetentionRules(inactive_months=24, field_months={"notes": 12, "city": 12})
        assert due(card(), rules, seen) == [
            (DueAction.CLEAR_FIELDS, RetentionRule.FIELD_LIFETIME, ("notes",))
        ]

    def test_old_consent_lapses_even_with_a_booking_ahead(self) -> None:
        state = ConsentState(
            choices={
                (Purpose.MARKETING, Channel.EMAIL): _choice(days_ago(800)),
                (Purpose.MARKETING, Channel.SMS): _choice(days_ago(10)),
            }
        )
        rules = RetentionRules(consent_months={Purpose.MARKETING: 24})
        assert due(card(), rules, Activity(upcoming=True), state) == [
            (DueAction.LAPSE_CONSENT, RetentionRule.CONSENT_EXPIRY, ("marketing.email",))
        ]

    def test_appointments_summarise_into_visits(self) -> None:
        activity = activity_of(
            [
                (days_ago(90), "completed"),
                (days_ago(10), "no_show"),
                (days_ago(-5), "booked"),
                (days_ago(400), "completed"),
            ],
            NOW,
        )
        assert activity == Activity(last_visit=days_ago(90), upcoming=True, ever_booked=True)


def _choice(since: dt.datetime) -> object:
    from clientcard.consent.ledger import ChannelConsent

    return ChannelConsent(granted=True, since=since, event_id="e")


@pytest.fixture
def policy(book: ClientBook, salon: str) -> ErasurePolicy:
    policy = ErasurePolicy(
        mode=ErasureMode.ANONYMISE,
        retention=RetentionRules(
            inactive_months=24,
            prospect_days=30,
            consent_months={Purpose.MARKETING: 24},
            field_months={"notes": 12},
        ),
    )
    book.business(salon).erasure.set_policy(policy, by="owner")
    return policy


def aged(book: ClientBook, salon: str, clock: FixedClock, days: int, **values: object) -> str:
    """A card created ``days`` before now."""
    clock.advance(dt.timedelta(days=-days))
    card_id = book.business(salon).cards.add({"first_name": "Anna", **values}).id
    clock.advance(dt.timedelta(days=days))
    return card_id


@pytest.mark.usefixtures("policy")
class TestRunningRetention:
    def test_the_report_lists_what_is_due_before_anything_changes(
        self, book: ClientBook, salon: str, clock: FixedClock
    ) -> None:
        gone = aged(book, salon, clock, 900)
        visit(book, salon, gone, 800)
        staying = aged(book, salon, clock, 900)
        visit(book, salon, staying, 20)
        report = book.business(salon).retention.due()
        assert [(item.card_id, item.rule) for item in report.items] == [
            (gone, RetentionRule.INACTIVE)
        ]
        assert report.items[0].since == days_ago(800)
        assert book.business(salon).cards.get(gone).first_name == "Anna"

    def test_running_the_report_erases_under_the_policy(
        self, book: ClientBook, salon: str, clock: FixedClock
    ) -> None:
        gone = aged(book, salon, clock, 900)
        kept = visit(book, salon, gone, 800)
        run = book.business(salon).retention.run(book.business(salon).retention.due())
        (receipt,) = run.receipts
        assert (receipt.card_id, receipt.reason, receipt.mode) == (
            gone,
            "retention.inactive",
            ErasureMode.ANONYMISE,
        )
        assert book.store.get_record(salon, "appointment", kept.id).card_id is None
        with pytest.raises(NotFoundError):
            book.business(salon).cards.get(gone)

    def test_a_second_run_finds_nothing_to_do(
        self, book: ClientBook, salon: str, clock: FixedClock
    ) -> None:
        aged(book, salon, clock, 900)
        first = book.business(salon).retention.due()
        book.business(salon).retention.run(first)
        assert len(book.business(salon).retention.due()) == 0
        again = book.business(salon).retention.run(first)
        assert (again.done, len(again.skipped)) == ((), 1)

    def test_a_client_who_came_back_meanwhile_is_skipped(
        self, book: ClientBook, salon: str, clock: FixedClock
    ) -> None:
        card_id = aged(book, salon, clock, 900)
        report = book.business(salon).retention.due()
        visit(book, salon, card_id, 0)
        run = book.business(salon).retention.run(report)
        assert run.receipts == ()
        assert book.business(salon).cards.get(card_id).first_name == "Anna"

    def test_a_lost_prospect_is_erased(
        self, book: ClientBook, salon: str, clock: FixedClock
    ) -> None:
        clock.advance(dt.timedelta(days=-45))
        prospect = book.business(salon).cards.add_prospect({"first_name": "Lia"})
        clock.advance(dt.timedelta(days=45))
        (receipt,) = book.business(salon).retention.run().receipts
        assert (receipt.card_id, receipt.reason) == (prospect.id, "retention.prospect")

    def test_a_field_is_cleared_and_the_card_stays(
        self, book: ClientBook, salon: str, clock: FixedClock
    ) -> None:
        card_id = aged(book, salon, clock, 500, notes="colour 6.1")
        visit(book, salon, card_id, 400)
        book.business(salon).retention.run()
        assert book.business(salon).cards.get(card_id).notes == ""
        assert book.business(salon).audit.trail()[-1].detail == {"fields": "notes"}

    def test_old_consent_lapses_in_the_ledger(
        self, book: ClientBook, salon: str, clock: FixedClock
    ) -> None:
        card_id = aged(book, salon, clock, 10)
        clock.advance(dt.timedelta(days=-800))
        record(book, salon, card_id)
        clock.advance(dt.timedelta(days=800))
        book.business(salon).retention.run()
        assert (
            not book.business(salon)
            .consent.state(card_id)
            .is_granted(Purpose.MARKETING, Channel.EMAIL)
        )
        lapse = book.business(salon).consent.ledger(card_id)[-1]
        assert (lapse.recorded_by, lapse.source.value) == ("clientcard.retention", "api")
        assert book.business(salon).audit.trail()[-1].action is AuditAction.CONSENT_LAPSED

    def test_a_lapsed_health_consent_clears_the_health_fields(
        self, book: ClientBook, salon: str, clock: FixedClock
    ) -> None:
        book.business(salon).cards.change_schema(
            lambda s: s.add(
                FieldDefinition(
                    key="allergies",
                    type=FieldType.LONG_TEXT,
                    labels={"en": "Allergies"},
                    sensitive=True,
                )
            )
        )
        book.business(salon).erasure.set_policy(
            ErasurePolicy(
                retention=RetentionRules(consent_months={Purpose.SPECIAL_CATEGORY_DATA: 12})
            ),
            by="owner",
        )
        card_id = aged(book, salon, clock, 10)
        clock.advance(dt.timedelta(days=-400))
        record(book, salon, card_id, purpose=Purpose.SPECIAL_CATEGORY_DATA, channel=None)
        clock.advance(dt.timedelta(days=400))
        book.business(salon).cards.edit(card_id, {"allergies": "nickel"}, expected_version=1)
        book.business(salon).retention.run()
        assert book.business(salon).cards.get(card_id).value("allergies") is None

    def test_records_whose_hold_ended_are_deleted(self, book: ClientBook, salon: str) -> None:
        ended = add(book, salon, None, "payment", at=days_ago(4000), **{HOLD_MARK: "2026-01-01"})
        held = add(book, salon, None, "payment", at=days_ago(4000), **{HOLD_MARK: "2030-01-01"})
        living = add(book, salon, "someone", "payment", at=days_ago(4000), amount="9.00")
        report = book.business(salon).retention.due()
        assert [item.targets for item in report.items] == [(f"payment:{ended.id}",)]
        book.business(salon).retention.run(report)
        remaining = {r.id for r in book.store.find_records(salon, RecordQuery(kind="payment"))}
        assert remaining == {held.id, living.id}
        assert book.business(salon).audit.trail()[-1].action is AuditAction.HOLD_ENDED

    def test_a_run_stopped_half_way_is_finished_by_the_next(
        self, book: ClientBook, salon: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        first, second = (aged(book, salon, clock, 900) for _ in range(2))
        real = retention_service.erase_now
        calls = []

        def crash_on_second(*args: object, **kwargs: object) -> object:
            calls.append(args[2])
            if len(calls) == 2:
                raise KeyboardInterrupt
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(retention_service, "erase_now", crash_on_second)
        with pytest.raises(KeyboardInterrupt):
            book.business(salon).retention.run()
        monkeypatch.undo()
        remaining = {first, second} - {calls[0]}
        assert [item.card_id for item in book.business(salon).retention.due().items] == list(
            remaining
        )
        book.business(salon).retention.run()
        assert book.business(salon).cards.count() == 0


def test_without_rules_nothing_is_due(book: ClientBook, salon: str, clock: FixedClock) -> None:
    aged(book, salon, clock, 5000)
    assert len(book.business(salon).retention.due()) == 0
