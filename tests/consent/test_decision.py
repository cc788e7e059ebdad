from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.cards.card import BirthDate, CardStatus, ClientCard
from clientcard.consent import (
    DEFAULT_BASES,
    Channel,
    ConsentAction,
    ConsentPolicy,
    GuardianConsent,
    LawfulBasis,
    Purpose,
    may_contact,
    may_profile,
    replay,
)
from clientcard.errors import ValidationError
from tests.consent.test_ledger import MESSAGE_PURPOSES, event, ledgers
from tests.support import NOW, TODAY

POLICY = ConsentPolicy(country="IT")
OFFERED = event(
    ConsentAction.OFFER_OPT_OUT,
    Purpose.REBOOK_INVITATIONS,
    Channel.EMAIL,
    wording_version="notice-v1",
)
SOFT = ConsentPolicy(
    country="IT", bases={Purpose.REBOOK_INVITATIONS: LawfulBasis.LEGITIMATE_INTEREST}
)


def client(**fields: object) -> ClientCard:
    values: dict[str, object] = {
        "first_name": "Anna",
        "email": "anna@example.com",
        "phones": ("+393331234567",),
        **fields,
    }
    return ClientCard(id="card-1", business_id="biz", created_at=NOW, updated_at=NOW, **values)  # type: ignore[arg-type]


def decide(
    card: ClientCard,
    purpose: Purpose,
    channel: Channel,
    *events: object,
    policy: ConsentPolicy = POLICY,
    blacklisted: bool = False,
) -> tuple[bool, str]:
    decision = may_contact(
        card,
        purpose,
        channel,
        state=replay(events),  # type: ignore[arg-type]
        policy=policy,
        today=TODAY,
        blacklisted=blacklisted,
    )
    return decision.allowed, decision.reason


class TestDefaults:
    def test_service_messages_rest_on_the_contract(self) -> None:
        assert DEFAULT_BASES[Purpose.APPOINTMENT_REMINDERS] is LawfulBasis.CONTRACT
        assert decide(client(), Purpose.APPOINTMENT_REMINDERS, Channel.SMS) == (True, "contract")

    def test_nothing_promotional_is_allowed_without_a_grant(self) -> None:
        for purpose in (
            Purpose.MARKETING,
            Purpose.REVIEW_INVITATIONS,
            Purpose.BIRTHDAY_GREETINGS,
            Purpose.WELCOME,
            Purpose.REBOOK_INVITATIONS,
        ):
            assert decide(client(), purpose, Channel.EMAIL) == (False, "no_consent"), purpose

    def test_a_promotion_can_never_rest_on_the_contract(self) -> None:
        with pytest.raises(ValidationError) as caught:
            ConsentPolicy(bases={Purpose.MARKETING: LawfulBasis.CONTRACT})
        assert caught.value.codes == {"consent.basis_not_allowed"}

    def test_only_direct_marketing_may_use_legitimate_interest(self) -> None:
        with pytest.raises(ValidationError):
            ConsentPolicy(bases={Purpose.PROFILING: LawfulBasis.LEGITIMATE_INTEREST})

    def test_the_age_of_digital_consent_follows_the_country(self) -> None:
        assert ConsentPolicy(country="IT").age_of_consent == 14
        assert ConsentPolicy(country="NL").age_of_consent == 16
        assert ConsentPolicy(country="US").age_of_consent == 16
        assert ConsentPolicy(country="IT", digital_consent_age=15).age_of_consent == 15


class TestConsent:
    def test_a_grant_allows_that_purpose_on_that_channel_only(self) -> None:
        grant = event(channel=Channel.EMAIL)
        assert decide(client(), Purpose.MARKETING, Channel.EMAIL, grant) == (True, "consent")
        assert decide(client(), Purpose.MARKETING, Channel.SMS, grant) == (False, "no_consent")

    def test_a_withdrawal_is_reported_as_such(self) -> None:
        events = (event(), event(ConsentAction.WITHDRAW, at=NOW + dt.timedelta(days=1)))
        assert decide(client(), Purpose.MARKETING, Channel.EMAIL, *events) == (False, "withdrawn")

    def test_an_objection_beats_consent_on_every_channel(self) -> None:
        objection = event(
            ConsentAction.OBJECT, purpose=None, channel=None, at=NOW + dt.timedelta(days=1)
        )
        for channel in (Channel.EMAIL, Channel.SMS):
            grant = event(channel=channel)
            assert decide(client(), Purpose.MARKETING, channel, grant, objection) == (
                False,
                "objected",
            )

    def test_an_objection_leaves_service_messages_alone(self) -> None:
        objection = event(ConsentAction.OBJECT, purpose=None, channel=None)
        assert decide(client(), Purpose.APPOINTMENT_REMINDERS, Channel.EMAIL, objection)[0]

    def test_a_channel_needs_an_address(self) -> None:
        no_email = client(email=None)
        assert decide(no_email, Purpose.APPOINTMENT_REMINDERS, Channel.EMAIL) == (
            False,
            "no_address",
        )
        landline_only = client(phones=("+390212345678",))
        assert decide(landline_only, Purpose.APPOINTMENT_REMINDERS, Channel.SMS) == (
            False,
            "no_address",
        )
        assert decide(landline_only, Purpose.APPOINTMENT_REMINDERS, Channel.PUSH)[0]

    def test_a_blocked_client_gets_no_marketing_but_still_service_messages(self) -> None:
        grant = event()
        assert decide(client(), Purpose.MARKETING, Channel.EMAIL, grant, blacklisted=True) == (
            False,
            "blacklisted",
        )
        assert decide(client(), Purpose.APPOINTMENT_REMINDERS, Channel.EMAIL, blacklisted=True)[0]


class TestSoftOptIn:
    def test_an_existing_customer_may_get_similar_offers_until_they_say_no(self) -> None:
        assert decide(
            client(), Purpose.REBOOK_INVITATIONS, Channel.EMAIL, OFFERED, policy=SOFT
        ) == (True, "soft_opt_in")
        opt_out = event(ConsentAction.WITHDRAW, Purpose.REBOOK_INVITATIONS, Channel.EMAIL)
        assert decide(
            client(), Purpose.REBOOK_INVITATIONS, Channel.EMAIL, OFFERED, opt_out, policy=SOFT
        ) == (False, "withdrawn")

    def test_soft_opt_in_needs_the_opt_out_offered_at_collection(self) -> None:
        assert decide(client(), Purpose.REBOOK_INVITATIONS, Channel.EMAIL, policy=SOFT) == (
            False,
            "opt_out_not_offered",
        )

    def test_a_prospect_who_never_booked_is_no_customer(self) -> None:
        prospect = client(status=CardStatus.PROSPECT)
        assert decide(prospect, Purpose.REBOOK_INVITATIONS, Channel.EMAIL, policy=SOFT) == (
            False,
            "not_an_existing_customer",
        )

    def test_an_objection_ends_soft_opt_in(self) -> None:
        objection = event(ConsentAction.OBJECT, purpose=None, channel=None)
        assert decide(
            client(), Purpose.REBOOK_INVITATIONS, Channel.EMAIL, objection, policy=SOFT
        ) == (False, "objected")


class TestMinors:
    CHILD = BirthDate(year=2014, month=1, day=1)  # 12 on TODAY

    def test_a_childs_own_consent_is_not_enough_for_marketing(self) -> None:
        child = client(birth_date=self.CHILD)
        assert decide(child, Purpose.MARKETING, Channel.EMAIL, event()) == (
            False,
            "minor_without_guardian_consent",
        )

    def test_a_guardians_recorded_consent_is(self) -> None:
        child = client(birth_date=self.CHILD)
        grant = event(guardian=GuardianConsent(verified_by="in_person", guardian_card_id="mum"))
        assert decide(child, Purpose.MARKETING, Channel.EMAIL, grant) == (True, "consent")

    def test_the_age_is_the_countrys(self) -> None:
        fifteen = client(birth_date=BirthDate(year=2011, month=1, day=1))
        assert decide(fifteen, Purpose.MARKETING, Channel.EMAIL, event())[0]
        dutch = ConsentPolicy(country="NL")
        assert not decide(fifteen, Purpose.MARKETING, Channel.EMAIL, event(), policy=dutch)[0]

    def test_a_birthday_without_a_year_is_not_treated_as_a_child(self) -> None:
        partial = client(birth_date=BirthDate(month=1, day=1))
        assert decide(partial, Purpose.MARKETING, Channel.EMAIL, event())[0]


def test_profiling_needs_its_own_consent() -> None:
    assert not may_profile(replay([]))
    assert may_profile(replay([event(purpose=Purpose.PROFILING, channel=None)]))
    assert not may_profile(replay([event(purpose=Purpose.MARKETING, channel=Channel.EMAIL)]))


@given(ledgers(), st.sampled_from(MESSAGE_PURPOSES), st.sampled_from(list(Channel)))
def test_no_decision_allows_marketing_after_an_objection(
    events: list[object], purpose: Purpose, channel: Channel
) -> None:
    objection = event(
        ConsentAction.OBJECT, purpose=None, channel=None, at=NOW + dt.timedelta(days=1)
    )
    state = replay([*events, objection])  # type: ignore[list-item]
    for policy in (POLICY, SOFT):
        decision = may_contact(client(), purpose, channel, state=state, policy=policy, today=TODAY)
        assert not decision.allowed or policy.basis(purpose) is LawfulBasis.CONTRACT
