from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.consent import (
    NOT_MESSAGES,
    Channel,
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    GuardianConsent,
    Purpose,
    replay,
)
from clientcard.errors import ValidationError
from tests.support import NOW

MESSAGE_PURPOSES = [p for p in Purpose if p not in NOT_MESSAGES]


def event(
    action: ConsentAction = ConsentAction.GRANT,
    purpose: Purpose | None = Purpose.MARKETING,
    channel: Channel | None = Channel.EMAIL,
    *,
    at: dt.datetime = NOW,
    card_id: str = "card-1",
    **extra: object,
) -> ConsentEvent:
    wording = "marketing-v3" if action is ConsentAction.GRANT else None
    return ConsentEvent(
        event_id=str(uuid.uuid4()),
        business_id="biz",
        card_id=card_id,
        action=action,
        at=at,
        source=ConsentSource.STAFF,
        recorded_by="staff-7",
        purpose=purpose,
        channel=channel,
        wording_version=extra.pop("wording_version", wording),  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


class TestEvents:
    def test_a_grant_records_the_wording_the_client_saw(self) -> None:
        with pytest.raises(ValidationError) as caught:
            event(wording_version=None)
        assert caught.value.fields == {"wording_version"}

    def test_a_grant_or_withdrawal_names_its_purpose(self) -> None:
        with pytest.raises(ValidationError) as caught:
            event(ConsentAction.WITHDRAW, purpose=None)
        assert caught.value.codes == {"field.required"}

    def test_a_message_purpose_needs_a_channel_and_profiling_has_none(self) -> None:
        with pytest.raises(ValidationError):
            event(purpose=Purpose.MARKETING, channel=None)
        with pytest.raises(ValidationError):
            event(purpose=Purpose.PROFILING, channel=Channel.EMAIL)
        assert event(purpose=Purpose.PROFILING, channel=None).key == (Purpose.PROFILING, None)

    def test_an_objection_covers_every_purpose_and_channel(self) -> None:
        with pytest.raises(ValidationError) as caught:
            event(ConsentAction.OBJECT, purpose=Purpose.MARKETING, channel=None)
        assert caught.value.codes == {"consent.objection_scope"}
        assert event(ConsentAction.OBJECT, purpose=None, channel=None).key is None

    def test_only_a_grant_carries_a_guardian(self) -> None:
        with pytest.raises(ValidationError):
            event(ConsentAction.WITHDRAW, guardian=GuardianConsent(verified_by="in_person"))

    def test_times_must_be_timezone_aware(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            event(at=dt.datetime(2026, 1, 1))


class TestReplay:
    def test_no_events_means_nothing_granted(self) -> None:
        state = replay([])
        assert not state.is_granted(Purpose.MARKETING, Channel.EMAIL)
        assert not state.objects_to_marketing

    def test_a_grant_stands_until_withdrawn(self) -> None:
        granted = event()
        withdrawn = event(ConsentAction.WITHDRAW, at=NOW + dt.timedelta(days=1))
        assert replay([granted]).is_granted(Purpose.MARKETING, Channel.EMAIL)
        state = replay([granted, withdrawn])
        assert not state.is_granted(Purpose.MARKETING, Channel.EMAIL)
        assert state.choice(Purpose.MARKETING, Channel.EMAIL).event_id == withdrawn.event_id  # type: ignore[union-attr]

    def test_consent_is_per_channel(self) -> None:
        state = replay([event(channel=Channel.SMS)])
        assert state.is_granted(Purpose.MARKETING, Channel.SMS)
        assert not state.is_granted(Purpose.MARKETING, Channel.EMAIL)

    def test_at_the_same_instant_a_withdrawal_wins(self) -> None:
        state = replay([event(ConsentAction.WITHDRAW), event()])
        assert not state.is_granted(Purpose.MARKETING, Channel.EMAIL)

    def test_an_objection_stands_until_withdrawn(self) -> None:
        objected = event(ConsentAction.OBJECT, purpose=None, channel=None)
        assert replay([objected]).objecting_since == NOW
        lifted = event(
            ConsentAction.WITHDRAW_OBJECTION,
            purpose=None,
            channel=None,
            at=NOW + dt.timedelta(hours=1),
        )
        assert not replay([objected, lifted]).objects_to_marketing

    def test_a_ledger_holds_one_client(self) -> None:
        with pytest.raises(ValidationError) as caught:
            replay([event(card_id="a"), event(card_id="b")])
        assert caught.value.codes == {"consent.mixed_ledger"}


ACTIONS = st.sampled_from([ConsentAction.GRANT, ConsentAction.WITHDRAW])


@st.composite
def ledgers(draw: st.DrawFn) -> list[ConsentEvent]:
    count = draw(st.integers(0, 12))
    return [
        event(
            draw(ACTIONS),
            draw(st.sampled_from(MESSAGE_PURPOSES)),
            draw(st.sampled_from([Channel.EMAIL, Channel.SMS])),
            at=NOW + dt.timedelta(minutes=draw(st.integers(0, 5))),
        )
        for _ in range(count)
    ]


@given(ledgers(), st.randoms())
def test_replay_does_not_depend_on_the_order_events_arrive_in(
    events: list[ConsentEvent], shuffler: random.Random
) -> None:
    shuffled = list(events)
    shuffler.shuffle(shuffled)
    assert replay(shuffled) == replay(events)


@given(ledgers(), st.sampled_from(MESSAGE_PURPOSES), st.sampled_from(list(Channel)))
def test_a_withdrawal_after_every_grant_always_wins(
    events: list[ConsentEvent], purpose: Purpose, channel: Channel
) -> None:
    latest = max((e.at for e in events), default=NOW)
    withdrawal = event(ConsentAction.WITHDRAW, purpose, channel, at=latest)
    assert not replay([*events, withdrawal]).is_granted(purpose, channel)
