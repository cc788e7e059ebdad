"""Promotions through ClientBook: define, redeem, list what is active for a client."""

from __future__ import annotations

import logging

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.errors import DuplicateError, NotFoundError, ValidationError
from clientcard.money import Money
from clientcard.promotions.model import (
    ClientLimitReachedError,
    Discount,
    NotEligibleError,
    PromotionExhaustedError,
    PromotionUnavailableError,
    RedemptionRefusedError,
    UnknownPromotionError,
)
from clientcard.testing.doubles import ListEventSink
from tests.promotions.conftest import SALON, days
from tests.support import NOW


def define(book: ClientBook, code: str = "SUMMER", **options: object) -> None:
    options.setdefault("name", "Summer")
    options.setdefault("discount", Discount.percentage(10))
    book.business(SALON).promotions.add(code=code, **options)  # type: ignore[arg-type]


def client(book: ClientBook, name: str = "Giulia") -> str:
    return book.business(SALON).cards.add({"first_name": name, "last_name": "Verdi"}).id


class TestDefining:
    def test_a_defined_promotion_can_be_read_back_by_its_code_in_any_case(
        self, book: ClientBook
    ) -> None:
        define(book, "summer-24", valid_until=NOW + days(30), limit_total=100)
        promotion = book.business(SALON).promotions.get("Summer 24")
        assert promotion.code == "SUMMER24"
        assert promotion.valid_from == NOW
        assert book.business(SALON).promotions.usage("summer24") == 0

    def test_a_code_can_be_defined_once(self, book: ClientBook) -> None:
        define(book, "summer")
        with pytest.raises(DuplicateError):
            define(book, "SUMMER")

    def test_eligible_groups_must_be_defined(self, book: ClientBook) -> None:
        with pytest.raises(ValidationError) as caught:
            define(book, groups=["gold"])
        assert caught.value.codes == {"promotion.group_unknown"}
        book.business(SALON).groups.add(key="gold", label="Gold")
        define(book, groups=["gold"])

    def test_errors_speak_the_business_language(self, book: ClientBook) -> None:
        book.create_business(name="Kapsalon", business_id="nl-salon", language="nl")
        with pytest.raises(ValidationError) as caught:
            book.business("nl-salon").promotions.add(
                code="x", name="Zomer", discount=Discount.percentage(5)
            )
        assert "promotiecode" in str(caught.value)

    def test_promotions_are_listed_by_code_without_retired_ones(self, book: ClientBook) -> None:
        define(book, "WINTER")
        define(book, "AUTUMN")
        book.business(SALON).promotions.retire("winter")
        assert [p.code for p in book.business(SALON).promotions.list()] == ["AUTUMN"]
        assert [p.code for p in book.business(SALON).promotions.list(include_retired=True)] == [
            "AUTUMN",
            "WINTER",
        ]

    def test_retiring_twice_changes_nothing_more(
        self, book: ClientBook, sink: ListEventSink
    ) -> None:
        define(book)
        first = book.business(SALON).promotions.retire("summer")
        assert book.business(SALON).promotions.retire("summer") == first
        assert sink.kinds().count("promotion.changed") == 2
        assert (sink.events[-1].record_id, sink.events[-1].fields) == ("SUMMER", ("retired",))

    def test_an_unknown_or_malformed_code_is_not_found(self, book: ClientBook) -> None:
        with pytest.raises(NotFoundError):
            book.business(SALON).promotions.get("NOPE")
        with pytest.raises(NotFoundError):
            book.business(SALON).promotions.retire("€")


class TestRedeeming:
    def test_a_redemption_is_recorded_with_the_terms_given(
        self, book: ClientBook, sink: ListEventSink
    ) -> None:
        define(book, discount=Discount.fixed(Money.of("5", "EUR")))
        card_id = client(book)
        redemption = book.business(SALON).promotions.redeem(
            card_id, " summer ", service="cut", appointment_id="a-1", by="s-1"
        )
        assert redemption.code == "SUMMER"
        assert redemption.discount == Discount.fixed(Money.of("5", "EUR"))
        assert book.business(SALON).promotions.list_redemptions(card_id) == [redemption]
        assert book.business(SALON).promotions.usage("SUMMER") == 1
        event = sink.events[-1]
        assert event.kind.value == "promotion.redeemed"
        assert (event.card_id, event.record_id) == (card_id, redemption.id)
        assert book.business(SALON).promotions.get_redemption(redemption.id) == redemption

    @pytest.mark.parametrize("code", ["NOPE", "x", "€€€"])
    def test_an_unknown_code_is_refused(self, book: ClientBook, code: str) -> None:
        with pytest.raises(UnknownPromotionError) as caught:
            book.business(SALON).promotions.redeem(client(book), code)
        assert caught.value.code == "promotion.unknown"
        assert isinstance(caught.value, LookupError)

    def test_an_expired_promotion_is_refused(self, book: ClientBook, clock: FixedClock) -> None:
        define(book, valid_until=NOW + days(1))
        clock.advance(days(1))
        with pytest.raises(PromotionUnavailableError) as caught:
            book.business(SALON).promotions.redeem(client(book), "summer")
        assert caught.value.code == "promotion.expired"

    def test_a_promotion_not_valid_yet_is_refused(self, book: ClientBook) -> None:
        define(book, valid_from=NOW + days(1))
        with pytest.raises(PromotionUnavailableError) as caught:
            book.business(SALON).promotions.redeem(client(book), "summer")
        assert caught.value.code == "promotion.not_yet_valid"

    def test_a_retired_promotion_is_refused(self, book: ClientBook) -> None:
        define(book)
        book.business(SALON).promotions.retire("summer")
        with pytest.raises(PromotionUnavailableError) as caught:
            book.business(SALON).promotions.redeem(client(book), "summer")
        assert caught.value.code == "promotion.retired"

    def test_an_exhausted_promotion_is_refused(self, book: ClientBook) -> None:
        define(book, limit_total=2)
        book.business(SALON).promotions.redeem(client(book, "Anna"), "summer")
        book.business(SALON).promotions.redeem(client(book, "Bea"), "summer")
        with pytest.raises(PromotionExhaustedError) as caught:
            book.business(SALON).promotions.redeem(client(book, "Carla"), "summer")
        assert caught.value.code == "promotion.exhausted"
        assert book.business(SALON).promotions.usage("summer") == 2

    def test_a_client_at_their_limit_is_refused_while_others_are_not(
        self, book: ClientBook
    ) -> None:
        define(book, limit_per_client=1)
        anna = client(book, "Anna")
        book.business(SALON).promotions.redeem(anna, "summer")
        with pytest.raises(ClientLimitReachedError) as caught:
            book.business(SALON).promotions.redeem(anna, "summer")
        assert caught.value.code == "promotion.client_limit_reached"
        book.business(SALON).promotions.redeem(client(book, "Bea"), "summer")

    def test_a_client_outside_the_eligible_groups_is_refused(self, book: ClientBook) -> None:
        book.business(SALON).groups.add(key="gold", label="Gold")
        define(book, groups=["gold"])
        card_id = client(book)
        with pytest.raises(NotEligibleError) as caught:
            book.business(SALON).promotions.redeem(card_id, "summer")
        assert caught.value.code == "promotion.group_not_eligible"
        book.business(SALON).groups.assign(card_id, "gold", expected_version=1)
        book.business(SALON).promotions.redeem(card_id, "summer")

    def test_an_ineligible_service_is_refused(self, book: ClientBook) -> None:
        define(book, services=["colour"])
        with pytest.raises(NotEligibleError) as caught:
            book.business(SALON).promotions.redeem(client(book), "summer", service="cut")
        assert caught.value.code == "promotion.service_not_eligible"

    def test_a_refusal_writes_nothing(self, book: ClientBook, sink: ListEventSink) -> None:
        define(book, limit_per_client=1)
        card_id = client(book)
        book.business(SALON).promotions.redeem(card_id, "summer")
        before = len(sink.events)
        with pytest.raises(RedemptionRefusedError):
            book.business(SALON).promotions.redeem(card_id, "summer")
        assert book.business(SALON).promotions.usage("summer") == 1
        assert len(book.business(SALON).promotions.list_redemptions(card_id)) == 1
        assert len(sink.events) == before

    def test_a_missing_card_is_not_found(self, book: ClientBook) -> None:
        define(book)
        with pytest.raises(NotFoundError):
            book.business(SALON).promotions.redeem("nobody", "summer")

    def test_refusals_name_no_client_data(
        self, book: ClientBook, caplog: pytest.LogCaptureFixture
    ) -> None:
        define(book, limit_per_client=1)
        card_id = client(book, "Giulietta")
        book.business(SALON).promotions.redeem(card_id, "summer")
        caplog.set_level(logging.DEBUG, logger="clientcard")
        with pytest.raises(ClientLimitReachedError) as caught:
            book.business(SALON).promotions.redeem(card_id, "summer")
        assert "Giulietta" not in str(caught.value)
        assert "Giulietta" not in caplog.text
        assert "Verdi" not in repr(book.business(SALON).promotions.list_redemptions(card_id))

    def test_refusals_are_localised(self, book: ClientBook, clock: FixedClock) -> None:
        define(book, valid_until=NOW + days(1))
        clock.advance(days(2))
        with pytest.raises(PromotionUnavailableError) as caught:
            book.business(SALON).promotions.redeem(client(book), "summer")
        assert caught.value.text("it") == "Questa promozione è scaduta."
        assert caught.value.text("nl") == "Deze promotie is verlopen."


class TestActiveForAClient:
    def test_active_promotions_leave_out_what_the_client_could_not_redeem(
        self, book: ClientBook, clock: FixedClock
    ) -> None:
        book.business(SALON).groups.add(key="gold", label="Gold")
        define(book, "OPEN")
        define(book, "GOLDONLY", groups=["gold"])
        define(book, "LATER", valid_from=NOW + days(10))
        define(book, "ENDED", valid_until=NOW + days(1))
        define(book, "ONCE", limit_per_client=1)
        define(book, "SCARCE", limit_total=1)
        define(book, "COLOUR", services=["colour"])
        define(book, "GONE")
        book.business(SALON).promotions.retire("GONE")
        anna, bea = client(book, "Anna"), client(book, "Bea")
        book.business(SALON).promotions.redeem(anna, "ONCE")
        book.business(SALON).promotions.redeem(bea, "SCARCE")
        clock.advance(days(2))
        assert [p.code for p in book.business(SALON).promotions.active_for(anna)] == [
            "COLOUR",
            "OPEN",
        ]
        later = NOW + days(11)
        assert [p.code for p in book.business(SALON).promotions.active_for(bea, at=later)] == [
            "COLOUR",
            "LATER",
            "ONCE",
            "OPEN",
        ]

    def test_a_missing_card_is_not_found(self, book: ClientBook) -> None:
        with pytest.raises(NotFoundError):
            book.business(SALON).promotions.active_for("nobody")


class TestErasure:
    def test_deleting_the_card_keeps_the_overall_count(self, book: ClientBook) -> None:
        define(book, limit_total=1)
        card_id = client(book)
        book.business(SALON).promotions.redeem(card_id, "summer")
        book.business(SALON).cards.remove(card_id, expected_version=1)
        with pytest.raises(PromotionExhaustedError):
            book.business(SALON).promotions.redeem(client(book, "Bea"), "summer")

    def test_redemptions_are_anonymised_and_promotions_are_not_client_data(self) -> None:
        from clientcard.kinds import ErasureTreatment, kind_of

        assert kind_of("redemption").treatment is ErasureTreatment.ANONYMISE
        assert "appointment_id" in kind_of("redemption").identity_fields
        assert not kind_of("promotion").per_client
        assert not kind_of("promotion.usage").per_client
        assert not kind_of("client_group").per_client

    def test_an_anonymised_redemption_reads_back_without_identity(self, book: ClientBook) -> None:
        from clientcard.kinds import kind_of
        from clientcard.promotions.records import redemption_from

        define(book)
        card_id = client(book)
        book.business(SALON).promotions.redeem(card_id, "summer", appointment_id="a-1", by="s-1")
        (record,) = book.store.find_records(
            SALON, __import__("clientcard").storage.RecordQuery(kind="redemption")
        ).items
        stripped = {
            k: v for k, v in record.doc.items() if k not in kind_of("redemption").identity_fields
        }
        anonymous = redemption_from(record.revised(stripped, card_id=None))
        assert anonymous.card_id is None
        assert anonymous.appointment_id is None
        assert anonymous.code == "SUMMER"
