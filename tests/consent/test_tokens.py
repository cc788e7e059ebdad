from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.consent import (
    Channel,
    Purpose,
    TokenError,
    make_confirmation_token,
    make_unsubscribe_token,
    read_confirmation_token,
    read_unsubscribe_token,
)
from tests.support import NOW

SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(1, 33))


def unsubscribe(purpose: Purpose = Purpose.MARKETING) -> str:
    return make_unsubscribe_token(
        SECRET, business_id="b1", card_id="c1", purpose=purpose, channel=Channel.EMAIL
    )


def confirmation(expires: dt.datetime = NOW + dt.timedelta(days=2)) -> str:
    return make_confirmation_token(
        SECRET,
        business_id="b1",
        card_id="c1",
        purpose=Purpose.MARKETING,
        channel=Channel.EMAIL,
        expires_at=expires,
        request_id="request-1",
    )


def test_an_unsubscribe_token_names_one_purpose_and_channel() -> None:
    subject = read_unsubscribe_token(SECRET, unsubscribe(Purpose.BIRTHDAY_GREETINGS))
    assert (subject.business_id, subject.card_id, subject.purpose, subject.channel) == (
        "b1",
        "c1",
        Purpose.BIRTHDAY_GREETINGS,
        Channel.EMAIL,
    )


def test_a_token_holds_ids_and_codes_only() -> None:
    token = make_unsubscribe_token(
        SECRET, business_id="b1", card_id="c1", purpose=Purpose.MARKETING, channel=Channel.SMS
    )
    body = token.split(".")[0]
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert payload == [1, "unsubscribe", "b1", "c1", "marketing", "sms", None, None]


def test_a_confirmation_token_names_the_request_it_confirms() -> None:
    assert read_confirmation_token(SECRET, confirmation(), now=NOW).ref == "request-1"


def test_a_token_signed_with_another_secret_is_forged() -> None:
    with pytest.raises(TokenError) as caught:
        read_unsubscribe_token(OTHER_SECRET, unsubscribe())
    assert caught.value.reason == "forged"


@given(st.data())
def test_changing_any_character_of_the_token_is_detected(data: st.DataObject) -> None:
    token = unsubscribe()
    position = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from("ABCxyz019-_.").filter(lambda c: c != token[position]))
    tampered = token[:position] + replacement + token[position + 1 :]
    with pytest.raises(TokenError):
        read_unsubscribe_token(SECRET, tampered)


def test_a_confirmation_token_cannot_unsubscribe_and_vice_versa() -> None:
    with pytest.raises(TokenError) as caught:
        read_unsubscribe_token(SECRET, confirmation())
    assert caught.value.reason == "wrong_use"
    with pytest.raises(TokenError):
        read_confirmation_token(SECRET, unsubscribe(), now=NOW)


def test_a_confirmation_token_expires() -> None:
    token = confirmation(expires=NOW + dt.timedelta(hours=1))
    assert read_confirmation_token(SECRET, token, now=NOW).card_id == "c1"
    with pytest.raises(TokenError) as caught:
        read_confirmation_token(SECRET, token, now=NOW + dt.timedelta(hours=1))
    assert caught.value.reason == "expired"


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        make_unsubscribe_token(
            b"short", business_id="b", card_id="c", purpose=Purpose.MARKETING, channel=Channel.EMAIL
        )


@pytest.mark.parametrize("junk", [None, "", ".", "a.b.c", "x" * 3000, "é.é", 42])
def test_junk_is_malformed_or_forged(junk: object) -> None:
    with pytest.raises(TokenError) as caught:
        read_unsubscribe_token(SECRET, junk)
    assert caught.value.reason in {"malformed", "forged"}


@given(st.text(max_size=300))
def test_no_random_text_is_ever_accepted(text: str) -> None:
    with pytest.raises(TokenError):
        read_unsubscribe_token(SECRET, text)
