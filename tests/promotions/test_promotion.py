"""The pure promotion: its rules, its discount and its stored document."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.cards.serialization import _from_document, _to_document
from clientcard.errors import ValidationError
from clientcard.locale import LANGUAGES
from clientcard.money import Money, MoneyError
from clientcard.promotions.model import (
    ClientLimitReachedError,
    Discount,
    NotEligibleError,
    Promotion,
    PromotionExhaustedError,
    PromotionUnavailableError,
    Redemption,
    RedemptionRefusedError,
    UnknownPromotionError,
    refusal_error,
)
from tests.support import NOW

START = NOW


def promotion(**changes: object) -> Promotion:
    values: dict[str, object] = {
        "code": "summer",
        "name": "Summer",
        "discount": Discount.percentage(10),
        "valid_from": START,
        "valid_until": START + dt.timedelta(days=30),
        "created_at": START,
    }
    values.update(changes)
    return Promotion.create(**values)  # type: ignore[arg-type]


def refusal(p: Promotion, **changes: object) -> str | None:
    context: dict[str, object] = {
        "at": START,
        "group": None,
        "service": None,
        "used_total": 0,
        "used_by_client": 0,
    }
    context.update(changes)
    return p.refusal(**context)  # type: ignore[arg-type]


class TestDiscount:
    def test_a_percentage_comes_off_the_price_rounded_to_cents(self) -> None:
        assert Discount.percentage("15").apply(Money.of("19.99", "EUR")) == Money.of("16.99", "EUR")

    def test_a_fixed_amount_never_takes_the_price_below_zero(self) -> None:
        discount = Discount.fixed(Money.of("10", "EUR"))
        assert discount.off(Money.of("4", "EUR")) == Money.of("4", "EUR")
        assert discount.apply(Money.of("4", "EUR")).is_zero
        assert discount.off(Money.of("0", "EUR")).is_zero

    def test_a_fixed_amount_in_another_currency_is_refused(self) -> None:
        with pytest.raises(MoneyError):
            Discount.fixed(Money.of("10", "EUR")).apply(Money.of("40", "GBP"))

    @pytest.mark.parametrize("percent", ["0", "-5", "100.01", "NaN", "abc", 1.5])
    def test_a_percentage_is_above_0_and_at_most_100(self, percent: object) -> None:
        with pytest.raises(ValidationError) as caught:
            Discount.percentage(percent)  # type: ignore[arg-type]
        assert caught.value.codes == {"promotion.discount_invalid"}

    def test_a_discount_is_a_percentage_or_an_amount_never_both_or_none(self) -> None:
        with pytest.raises(ValidationError):
            Discount()
        with pytest.raises(ValidationError):
            Discount(percent=Decimal(5), amount=Money.of("1", "EUR"))
        with pytest.raises(ValidationError):
            Discount.fixed(Money.of("0", "EUR"))

    def test_a_discount_reads_as_people_write_it(self) -> None:
        assert str(Discount.percentage("12.50")) == "12.5%"
        assert str(Discount.fixed(Money.of("5", "EUR"))) == "5.00 EUR"

    @given(
        st.decimals(min_value="0.01", max_value=100, places=2),
        st.decimals(min_value=0, max_value=10_000, places=2),
    )
    def test_a_discounted_price_is_between_zero_and_the_price(
        self, percent: Decimal, amount: Decimal
    ) -> None:
        price = Money(amount, "EUR")
        after = Discount(percent=percent).apply(price)
        assert Money.zero("EUR") <= after <= price


class TestDefinition:
    def test_create_normalises_the_code_and_cleans_the_texts(self) -> None:
        made = promotion(code=" spring-26 ", name="  Spring   offer ", groups=["vip", "vip"])
        assert made.code == "SPRING26"
        assert made.name == "Spring offer"
        assert made.groups == ("vip",)

    def test_every_broken_rule_is_reported_at_once_in_the_language_asked(self) -> None:
        with pytest.raises(ValidationError) as caught:
            promotion(
                code="x",
                name="",
                valid_until=START - dt.timedelta(days=1),
                limit_per_client=0,
                limit_total=True,
                services=[""],
                lang="it",
            )
        assert caught.value.fields == {
            "code",
            "name",
            "valid_until",
            "limit_per_client",
            "limit_total",
            "services",
        }
        assert "Un codice promozionale" in str(caught.value)

    def test_a_naive_time_is_refused(self) -> None:
        with pytest.raises(ValidationError) as caught:
            promotion(valid_from=dt.datetime(2026, 1, 1))
        assert caught.value.codes == {"promotion.window_invalid"}

    def test_the_constructor_refuses_a_code_that_is_not_normalised(self) -> None:
        made = promotion()
        with pytest.raises(ValidationError):
            Promotion(
                code="summer",
                name=made.name,
                discount=made.discount,
                valid_from=START,
                created_at=START,
            )


class TestRefusals:
    def test_a_promotion_within_its_window_and_limits_is_redeemable(self) -> None:
        assert refusal(promotion()) is None

    def test_the_window_starts_inclusive_and_ends_exclusive(self) -> None:
        p = promotion()
        assert refusal(p, at=START - dt.timedelta(seconds=1)) == "promotion.not_yet_valid"
        end = START + dt.timedelta(days=30)
        assert refusal(p, at=end - dt.timedelta(seconds=1)) is None
        assert refusal(p, at=end) == "promotion.expired"

    def test_a_promotion_for_groups_refuses_other_groups_and_no_group(self) -> None:
        p = promotion(groups=["gold"])
        assert refusal(p, group="gold") is None
        assert refusal(p, group="silver") == "promotion.group_not_eligible"
        assert refusal(p) == "promotion.group_not_eligible"

    def test_a_promotion_for_services_needs_one_of_them_named(self) -> None:
        p = promotion(services=["colour"])
        assert refusal(p, service="colour") is None
        assert refusal(p, service="cut") == "promotion.service_not_eligible"
        assert refusal(p) == "promotion.service_not_eligible"
        assert p.is_active_for(at=START, group=None, used_total=0, used_by_client=0)

    def test_limits_refuse_at_the_limit(self) -> None:
        p = promotion(limit_total=5, limit_per_client=2)
        assert refusal(p, used_total=4, used_by_client=1) is None
        assert refusal(p, used_total=5) == "promotion.exhausted"
        assert refusal(p, used_by_client=2) == "promotion.client_limit_reached"

    def test_a_retired_promotion_is_refused_first(self) -> None:
        p = attrs.evolve(promotion(), retired=True)
        assert refusal(p, at=START - dt.timedelta(days=9)) == "promotion.retired"

    @pytest.mark.parametrize(
        ("code", "error"),
        [
            ("promotion.unknown", UnknownPromotionError),
            ("promotion.retired", PromotionUnavailableError),
            ("promotion.not_yet_valid", PromotionUnavailableError),
            ("promotion.expired", PromotionUnavailableError),
            ("promotion.group_not_eligible", NotEligibleError),
            ("promotion.service_not_eligible", NotEligibleError),
            ("promotion.exhausted", PromotionExhaustedError),
            ("promotion.client_limit_reached", ClientLimitReachedError),
        ],
    )
    def test_each_refusal_is_a_typed_error_with_its_code_in_every_language(
        self, code: str, error: type[RedemptionRefusedError]
    ) -> None:
        raised = refusal_error(code, "SUMMER")
        assert type(raised) is error
        assert raised.code == code
        assert str(raised).startswith(f"{code}: ")
        texts = {raised.text(lang) for lang in LANGUAGES}
        assert len(texts) == len(LANGUAGES)
        assert all(code not in text for text in texts)


@st.composite
def promotions(draw: st.DrawFn) -> Promotion:
    start = draw(st.datetimes(timezones=st.just(dt.UTC)))
    fixed = draw(st.booleans())
    discount = (
        Discount.fixed(Money(draw(st.decimals(min_value="0.01", max_value=999, places=2)), "EUR"))
        if fixed
        else Discount(percent=draw(st.decimals(min_value="0.5", max_value=100, places=1)))
    )
    limits = st.none() | st.integers(min_value=1, max_value=1000)
    keys = st.lists(st.text(alphabet="abcxyz-_", min_size=1, max_size=8), max_size=3)
    return Promotion.create(
        code=draw(st.text(alphabet="ABCdef0123", min_size=3, max_size=12)),
        name=draw(st.text(alphabet="Sale promo 10% ", min_size=1, max_size=20)).strip() or "x",
        discount=discount,
        valid_from=start,
        valid_until=draw(st.none() | st.just(start + dt.timedelta(days=1))),
        created_at=start,
        groups=draw(keys),
        services=draw(keys),
        limit_per_client=draw(limits),
        limit_total=draw(limits),
    )


class TestDocuments:
    @given(promotions())
    def test_a_promotion_round_trips_through_its_document(self, p: Promotion) -> None:
        assert _from_document("promotion", _to_document(p, 1), 1, Promotion) == p

    def test_a_redemption_round_trips_through_its_document(self) -> None:
        r = Redemption(
            id="r1",
            code="SUMMER",
            card_id="c1",
            at=START,
            discount=Discount.fixed(Money.of("5", "EUR")),
            service="cut",
        )
        document = _to_document(r, 1)
        assert document["discount"]["amount"] == {"amount": "5.00", "currency": "EUR"}
        assert _from_document("redemption", document, 1, Redemption) == r
