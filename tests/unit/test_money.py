"""Money: exact amounts in one ISO 4217 currency."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.cards.serialization import converter
from clientcard.errors import ClientCardError
from clientcard.money import CURRENCIES, Money, MoneyError, minor_units

AMOUNTS = st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False)
CURRENCY = st.sampled_from(sorted(CURRENCIES))


def money(currency: str = "EUR") -> st.SearchStrategy[Money]:
    return AMOUNTS.map(lambda amount: Money(amount, currency))


class TestConstruction:
    def test_an_amount_is_quantised_to_the_currencys_minor_units(self) -> None:
        """EUR keeps cents, JPY none, KWD three places."""
        assert Money.of("12.5", "EUR").amount == Decimal("12.50")
        assert Money.of("1000.4", "JPY").amount == Decimal("1000")
        assert Money.of("1", "KWD").amount == Decimal("1.000")

    def test_halves_round_up(self) -> None:
        assert Money.of("0.125", "EUR").amount == Decimal("0.13")
        assert Money.of("-0.125", "EUR").amount == Decimal("-0.13")

    def test_the_currency_is_read_in_any_case(self) -> None:
        assert Money.of("1", " eur ").currency == "EUR"

    @pytest.mark.parametrize("currency", ["EURO", "XXX", "eur", "", "XAU"])
    def test_an_unknown_currency_is_refused(self, currency: str) -> None:
        with pytest.raises(MoneyError) as caught:
            Money(Decimal(1), currency)
        assert caught.value.code == "money.currency_invalid"

    @pytest.mark.parametrize("amount", [1.5, True, "abc", "NaN", "Infinity", None, [1]])
    def test_floats_and_junk_are_not_amounts(self, amount: object) -> None:
        with pytest.raises(MoneyError) as caught:
            Money.of(amount, "EUR")  # type: ignore[arg-type]
        assert caught.value.code == "money.amount_invalid"

    def test_money_errors_belong_to_the_hierarchy_and_hide_the_value(self) -> None:
        with pytest.raises(MoneyError) as caught:
            Money.of("12,50 secret", "EUR")
        assert isinstance(caught.value, ClientCardError)
        assert isinstance(caught.value, ValueError)
        assert "secret" not in str(caught.value)

    def test_minor_units_are_looked_up_by_code(self) -> None:
        assert (minor_units("EUR"), minor_units("JPY"), minor_units("BHD")) == (2, 0, 3)
        with pytest.raises(MoneyError):
            minor_units("ABC")


class TestArithmetic:
    def test_amounts_of_one_currency_add_subtract_and_multiply(self) -> None:
        a, b = Money.of("10.00", "EUR"), Money.of("2.50", "EUR")
        assert a + b == Money.of("12.50", "EUR")
        assert a - b == Money.of("7.50", "EUR")
        assert b * 3 == 3 * b == Money.of("7.50", "EUR")
        assert -b == Money.of("-2.50", "EUR")

    def test_currencies_never_mix(self) -> None:
        eur, gbp = Money.of("1", "EUR"), Money.of("1", "GBP")
        for operation in (
            lambda: eur + gbp,
            lambda: eur - gbp,
            lambda: eur < gbp,
            lambda: eur <= gbp,
            lambda: eur > gbp,
            lambda: eur >= gbp,
            lambda: eur + 1,  # type: ignore[operator]
        ):
            with pytest.raises(MoneyError) as caught:
                operation()
            assert caught.value.code == "money.currency_mismatch"
        assert eur != gbp

    def test_multiplying_by_anything_but_an_int_is_a_type_error(self) -> None:
        with pytest.raises(TypeError):
            Money.of("1", "EUR") * 1.5  # type: ignore[operator]  # refused at run time too
        with pytest.raises(TypeError):
            Money.of("1", "EUR") * True  # bool is an int to the type checker

    def test_amounts_compare_within_a_currency(self) -> None:
        small, large = Money.of("1", "EUR"), Money.of("2", "EUR")
        assert small < large
        assert small <= large
        assert large > small
        assert large >= small
        assert sorted([large, small]) == [small, large]

    def test_a_total_of_nothing_is_zero(self) -> None:
        assert Money.total([], "CHF") == Money.zero("CHF")
        assert Money.zero("CHF").is_zero

    def test_a_total_refuses_another_currency(self) -> None:
        with pytest.raises(MoneyError):
            Money.total([Money.of("1", "USD")], "EUR")

    def test_str_and_parse_round_trip(self) -> None:
        assert str(Money.of("12.5", "EUR")) == "12.50 EUR"
        assert Money.parse("12.50 EUR") == Money.parse("eur 12.5") == Money.of("12.50", "EUR")

    @pytest.mark.parametrize("text", ["12.50", "EUR", "1 2 EUR", "x EUR"])
    def test_parse_refuses_what_is_not_an_amount_and_a_currency(self, text: str) -> None:
        with pytest.raises(MoneyError):
            Money.parse(text)


class TestProperties:
    @given(AMOUNTS, CURRENCY)
    def test_the_amount_always_has_the_currencys_places(self, amount: Decimal, cur: str) -> None:
        assert Money(amount, cur).amount.as_tuple().exponent == -CURRENCIES[cur]

    @given(money(), money(), money())
    def test_addition_is_associative_and_commutative(self, a: Money, b: Money, c: Money) -> None:
        assert (a + b) + c == a + (b + c)
        assert a + b == b + a

    @given(money(), money())
    def test_subtraction_undoes_addition(self, a: Money, b: Money) -> None:
        assert a + b - b == a

    @given(st.lists(money(), max_size=10))
    def test_a_total_is_the_sum_of_its_parts(self, items: list[Money]) -> None:
        expected = sum((item.amount for item in items), Decimal(0))
        assert Money.total(items, "EUR").amount == expected

    @given(money(), st.integers(min_value=-100, max_value=100))
    def test_multiplying_is_repeated_addition(self, a: Money, n: int) -> None:
        assert a * n == Money.total([a] * abs(n), "EUR") * (1 if n >= 0 else -1)

    @given(AMOUNTS, CURRENCY)
    def test_documents_round_trip_with_the_amount_as_a_string(
        self, amount: Decimal, cur: str
    ) -> None:
        value = Money(amount, cur)
        document = converter.unstructure(value)
        assert isinstance(document["amount"], str)
        assert converter.structure(document, Money) == value

    @given(AMOUNTS, CURRENCY)
    def test_str_round_trips_through_parse(self, amount: Decimal, cur: str) -> None:
        value = Money(amount, cur)
        assert Money.parse(str(value)) == value
