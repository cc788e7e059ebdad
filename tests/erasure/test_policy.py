from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.consent import Purpose
from clientcard.erasure import (
    DEFAULT_LEGAL_HOLD_YEARS,
    ErasureMode,
    ErasurePolicy,
    RecordAction,
    RetentionRules,
    policy_from_dict,
    policy_to_dict,
)
from clientcard.erasure._time import add_months
from clientcard.errors import DocumentError, ValidationError


class TestLegalHolds:
    def test_italy_keeps_fiscal_records_ten_years_and_the_netherlands_seven(self) -> None:
        policy = ErasurePolicy()
        assert (policy.hold_years("IT"), policy.hold_years("nl")) == (10, 7)

    def test_a_country_without_a_known_hold_gets_the_longest_one(self) -> None:
        assert ErasurePolicy().hold_years("FR") == DEFAULT_LEGAL_HOLD_YEARS

    def test_the_business_can_set_its_own_hold(self) -> None:
        assert ErasurePolicy(legal_hold_years=0).hold_years("IT") == 0

    def test_a_hold_beyond_thirty_years_is_refused(self) -> None:
        with pytest.raises(ValidationError) as caught:
            ErasurePolicy(legal_hold_years=31)
        assert caught.value.codes == {"erasure.period_invalid"}


class TestActions:
    def test_deleting_deletes_history_but_holds_fiscal_records(self) -> None:
        policy = ErasurePolicy(mode=ErasureMode.DELETE)
        assert policy.action("appointment") is RecordAction.DELETE
        assert policy.action("payment") is RecordAction.HOLD

    def test_anonymising_follows_each_kinds_description(self) -> None:
        policy = ErasurePolicy(mode=ErasureMode.ANONYMISE)
        assert policy.action("appointment") is RecordAction.ANONYMISE
        assert policy.action("conversation") is RecordAction.DELETE

    def test_a_kind_nobody_described_is_deleted(self) -> None:
        assert ErasurePolicy(mode=ErasureMode.ANONYMISE).action("mystery") is RecordAction.DELETE

    def test_blocks_stay_only_where_the_policy_keeps_them(self) -> None:
        assert ErasurePolicy(keep_blocks=False).action("blacklist") is RecordAction.DELETE
        assert ErasurePolicy().action("blacklist") is RecordAction.SUPPRESS

    def test_a_per_kind_choice_overrides_the_mode(self) -> None:
        policy = ErasurePolicy(
            mode=ErasureMode.ANONYMISE, treatments={"appointment": ErasureMode.DELETE}
        )
        assert policy.action("appointment") is RecordAction.DELETE

    def test_the_erasures_own_mode_overrides_the_policys(self) -> None:
        assert ErasurePolicy().action("appointment", ErasureMode.ANONYMISE) is (
            RecordAction.ANONYMISE
        )

    def test_privacy_records_are_kept(self) -> None:
        assert ErasurePolicy().action("erasure.receipt") is RecordAction.KEEP

    def test_fiscal_records_and_blocks_cannot_be_chosen(self) -> None:
        with pytest.raises(ValidationError) as caught:
            ErasurePolicy(treatments={"payment": ErasureMode.DELETE})
        assert caught.value.fields == {"treatments.payment"}
        assert caught.value.codes == {"erasure.treatment_fixed"}

    def test_a_kind_without_identity_fields_cannot_be_anonymised(self) -> None:
        with pytest.raises(ValidationError) as caught:
            ErasurePolicy(treatments={"conversation": ErasureMode.ANONYMISE})
        assert caught.value.codes == {"erasure.not_anonymisable"}


class TestRetentionRules:
    def test_every_rule_is_off_by_default(self) -> None:
        assert RetentionRules().is_empty

    @pytest.mark.parametrize("months", [0, -1, 1201])
    def test_periods_must_be_positive_and_sane(self, months: int) -> None:
        with pytest.raises(ValidationError) as caught:
            RetentionRules(
                inactive_months=months,
                prospect_days=months,
                consent_months={Purpose.MARKETING: months},
                field_months={"allergies": months},
            )
        assert caught.value.fields == {
            "inactive_months",
            "prospect_days",
            "consent_months.marketing",
            "field_months.allergies",
        }

    def test_identity_fields_have_no_lifetime_of_their_own(self) -> None:
        with pytest.raises(ValidationError) as caught:
            RetentionRules(field_months={"email": 12})
        assert caught.value.codes == {"erasure.identity_field"}

    def test_messages_are_localised_and_carry_no_values(self) -> None:
        with pytest.raises(ValidationError) as caught:
            RetentionRules(inactive_months=0)
        assert "0" not in str(caught.value).split(":", 2)[2]


_kinds = st.sampled_from(["appointment", "payment", "conversation", "document", "photo"])
_months = st.none() | st.integers(1, 1200)
_rules = st.builds(
    RetentionRules,
    inactive_months=_months,
    prospect_days=_months,
    consent_months=st.dictionaries(st.sampled_from(Purpose), st.integers(1, 1200), max_size=3),
    field_months=st.dictionaries(
        st.sampled_from(["allergies", "notes", "weight_kg", "birth_date"]),
        st.integers(1, 1200),
        max_size=3,
    ),
    inactive_mode=st.none() | st.sampled_from(ErasureMode),
)
_policies = st.builds(
    ErasurePolicy,
    mode=st.sampled_from(ErasureMode),
    treatments=st.dictionaries(st.just("appointment"), st.sampled_from(ErasureMode), max_size=1),
    legal_hold_years=st.none() | st.integers(0, 30),
    keep_blocks=st.booleans(),
    suppress_contacts=st.booleans(),
    retention=_rules,
)


class TestDocuments:
    @given(policy=_policies)
    def test_a_policy_round_trips_through_its_document(self, policy: ErasurePolicy) -> None:
        assert policy_from_dict(policy_to_dict(policy)) == policy

    @pytest.mark.parametrize(
        "document",
        [None, [], {"schema_version": 2}, {"schema_version": 1, "mode": "shred"}],
        ids=["none", "list", "version", "mode"],
    )
    def test_a_malformed_document_is_refused_by_path(self, document: object) -> None:
        with pytest.raises(DocumentError):
            policy_from_dict(document)

    def test_a_document_breaking_a_rule_is_refused(self) -> None:
        document = policy_to_dict(ErasurePolicy())
        document["treatments"] = {"payment": "delete"}
        with pytest.raises(DocumentError):
            policy_from_dict(document)


class TestMonths:
    @given(day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2400, 1, 1)))
    def test_a_month_on_is_the_same_day_or_the_months_last(self, day: dt.date) -> None:
        later = add_months(day, 1)
        assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == 1
        assert later.day == day.day or (later + dt.timedelta(days=1)).day == 1

    @given(
        day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2400, 1, 1)).filter(
            lambda day: day.day <= 28
        ),
        months=st.integers(-1200, 1200),
    )
    def test_moving_there_and_back_returns_early_days(self, day: dt.date, months: int) -> None:
        assert add_months(add_months(day, months), -months) == day

    def test_a_leap_day_a_year_on_is_the_end_of_february(self) -> None:
        assert add_months(dt.date(2028, 2, 29), 12) == dt.date(2029, 2, 28)
