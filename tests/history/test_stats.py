"""Per-client statistics and aggregates, as specifications and properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.errors import ValidationError
from clientcard.history.model import Appointment, AppointmentStatus
from clientcard.history.statistics import ClientFacts, aggregate, client_statistics
from clientcard.money import Money
from tests.history.helpers import visit
from tests.support import NOW

SINCE = NOW - dt.timedelta(days=365)


def stats(*visits: Appointment, **options: object):  # type: ignore[no-untyped-def]
    return client_statistics(visits, now=NOW, client_since=SINCE, **options)  # type: ignore[arg-type]


_visits = st.lists(
    st.builds(
        lambda days, status, cents, paid: visit(
            "c",
            days=days,
            status=status,
            price=str(Decimal(cents) / 100),
            price_paid=None if paid is None else str(Decimal(paid) / 100),
        ),
        days=st.integers(-800, 200),
        status=st.sampled_from(AppointmentStatus),
        cents=st.integers(0, 100_000),
        paid=st.none() | st.integers(0, 100_000),
    ),
    max_size=30,
)


class TestClientStatistics:
    def test_a_client_without_appointments_has_no_money_figures(self) -> None:
        result = stats()
        assert result.total_spend is None
        assert result.average_spend is None
        assert result.no_show_rate is None
        assert result.tenure_days == 365

    def test_future_bookings_count_booked_appointments_from_now(self) -> None:
        result = stats(
            visit("c", days=3, status=AppointmentStatus.BOOKED),
            visit("c", days=5, status=AppointmentStatus.CANCELLED_BY_CLIENT),
            visit("c", days=-3, status=AppointmentStatus.BOOKED),
        )
        assert result.future_bookings == 1

    def test_last_appointment_is_the_latest_completed_visit(self) -> None:
        latest = visit("c", days=-2)
        result = stats(
            visit("c", days=-40), latest, visit("c", days=-1, status=AppointmentStatus.NO_SHOW)
        )
        assert result.last_appointment == latest.starts_at

    def test_mean_interval_is_the_mean_gap_between_completed_visits(self) -> None:
        result = stats(visit("c", days=-30), visit("c", days=-20), visit("c", days=0.5 - 1))
        assert result.mean_interval_days == Decimal("14.8")

    def test_no_show_rate_counts_past_appointments_that_were_not_cancelled(self) -> None:
        result = stats(
            visit("c", days=-3, status=AppointmentStatus.NO_SHOW),
            visit("c", days=-2),
            visit("c", days=-1, status=AppointmentStatus.CANCELLED_BY_BUSINESS),
            visit("c", days=4, status=AppointmentStatus.BOOKED),
        )
        assert result.no_show_rate == Decimal("0.5")
        assert result.cancellation_rate == Decimal("0.25")

    def test_tenure_counts_from_the_earlier_of_card_and_first_visit(self) -> None:
        assert stats(visit("c", days=-500)).tenure_days == 500

    def test_the_trend_covers_the_last_months_ending_now(self) -> None:
        result = stats(visit("c", days=-1), visit("c", days=-40), months=3)
        assert [month.month for month in result.monthly_trend] == ["2026-09", "2026-10", "2026-11"]
        assert [month.completed for month in result.monthly_trend] == [0, 1, 1]
        assert result.monthly_trend[2].spend == Money.of("30", "EUR")

    def test_favourites_rank_by_count_then_name(self) -> None:
        result = stats(
            visit("c", days=-3, service="Colour", team_member_id="t2"),
            visit("c", days=-2, service="Cut", team_member_id="t1"),
            visit("c", days=-1, service="Colour", team_member_id="t1"),
            visit("c", days=-4, service="Blow-dry", status=AppointmentStatus.NO_SHOW),
        )
        assert result.favourite_services == (("Colour", 2), ("Cut", 1))
        assert result.favourite_team_members == (("t1", 2), ("t2", 1))

    def test_mixed_currencies_are_refused(self) -> None:
        with pytest.raises(ValidationError) as caught:
            stats(visit("c"), currency="USD")
        assert caught.value.codes == {"money.currency_mismatch"}

    @given(visits=_visits)
    def test_average_spend_is_total_spend_over_completed_visits(
        self, visits: list[Appointment]
    ) -> None:
        result = stats(*visits)
        if result.completed_visits == 0:
            assert result.average_spend is None
        else:
            assert result.total_spend is not None
            assert result.average_spend == Money.of(
                result.total_spend.amount / result.completed_visits, "EUR"
            )

    @given(visits=_visits, days=st.integers(-800, 200), by_client=st.booleans())
    def test_adding_a_cancelled_appointment_never_changes_spend(
        self, visits: list[Appointment], days: int, by_client: bool
    ) -> None:
        status = (
            AppointmentStatus.CANCELLED_BY_CLIENT
            if by_client
            else AppointmentStatus.CANCELLED_BY_BUSINESS
        )
        before = stats(*visits, currency="EUR")
        after = stats(*visits, visit("c", days=days, status=status), currency="EUR")
        assert after.total_spend == before.total_spend
        assert after.average_spend == before.average_spend

    @given(visits=_visits)
    def test_the_order_of_appointments_does_not_matter(self, visits: list[Appointment]) -> None:
        assert stats(*visits) == stats(*reversed(visits))


class TestAggregate:
    def _facts(self, card_id: str, group: str | None, *visits: Appointment) -> ClientFacts:
        return ClientFacts(
            card_id=card_id, client_group=group, referral_source="instagram", appointments=visits
        )

    def test_spend_is_totalled_per_group(self) -> None:
        result = aggregate(
            [
                self._facts("a", "vip", visit("a", days=-3)),
                self._facts("b", "vip", visit("b", days=-2, price="10")),
                self._facts("c", None, visit("c", days=-2, status=AppointmentStatus.NO_SHOW)),
            ],
            now=NOW,
            currency="EUR",
        )
        assert result.spend_by_group == {"": Money.zero("EUR"), "vip": Money.of("40", "EUR")}
        assert result.clients_by_source == {"instagram": 3}
        assert result.clients == 3

    def test_a_cohort_counts_who_came_back_each_month(self) -> None:
        september = -70  # 2026-09-14
        result = aggregate(
            [
                self._facts("a", None, visit("a", days=september), visit("a", days=september + 31)),
                self._facts("b", None, visit("b", days=september + 1)),
            ],
            now=NOW,
            currency="EUR",
        )
        (cohort,) = result.cohorts
        assert (cohort.month, cohort.size, cohort.returned) == ("2026-09", 2, (1, 0))
