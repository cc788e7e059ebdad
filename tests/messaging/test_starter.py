"""The starter templates: one per purpose, in every shipped language, ready to send."""

from __future__ import annotations

import string

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.consent import (
    DIRECT_MARKETING,
    NOT_MESSAGES,
    Channel,
    ConsentAction,
    ConsentSource,
    Purpose,
)
from clientcard.locale import LANGUAGES
from clientcard.messaging import (
    STARTER_KEYS,
    MessagingSettings,
    starter_template,
    starter_templates,
)
from clientcard.messaging.templates import PLACEHOLDERS
from clientcard.storage import MemoryStore
from clientcard.testing.doubles import RecordingNotifier
from tests.support import NOW


def placeholders(text: str) -> set[str]:
    return {
        match.group("named") or match.group("braced")
        for match in string.Template.pattern.finditer(text)
        if match.group("named") or match.group("braced")
    }


def test_there_is_one_starter_per_purpose_that_sends_messages() -> None:
    purposes = [template.purpose for template in starter_templates()]
    assert sorted(p.value for p in purposes) == sorted(
        p.value for p in Purpose if p not in NOT_MESSAGES
    )
    assert [template.key for template in starter_templates()] == list(STARTER_KEYS)


@pytest.mark.parametrize("key", STARTER_KEYS)
def test_every_starter_speaks_every_language(key: str) -> None:
    assert set(starter_template(key).texts) == set(LANGUAGES)


@pytest.mark.parametrize("key", STARTER_KEYS)
def test_translations_keep_the_placeholders_of_the_english(key: str) -> None:
    texts = starter_template(key).texts
    english = texts["en"]
    for lang in LANGUAGES:
        assert placeholders(texts[lang].body) == placeholders(english.body), lang
        assert placeholders(texts[lang].subject or "") == placeholders(english.subject or "")


@pytest.mark.parametrize("key", STARTER_KEYS)
def test_translations_are_not_the_english(key: str) -> None:
    texts = starter_template(key).texts
    assert texts["it"].body != texts["en"].body
    assert texts["nl"].body != texts["en"].body


@pytest.mark.parametrize("key", STARTER_KEYS)
def test_every_starter_renders_with_its_own_placeholders_filled(key: str) -> None:
    template = starter_template(key)
    values = {name: f"<{name}>" for name in PLACEHOLDERS | template.extra}
    for lang in LANGUAGES:
        rendered = template.render(lang, values)
        assert "$" not in rendered.body
        assert "<business_name>" in (rendered.subject or "")


def test_direct_marketing_starters_carry_an_unsubscribe_link() -> None:
    for template in starter_templates():
        carries = all("$unsubscribe_url" in text.body for text in template.texts.values())
        assert carries == (template.purpose in DIRECT_MARKETING), template.key


def test_a_starter_can_be_limited_to_some_languages() -> None:
    assert set(starter_template("welcome", languages=["it"]).texts) == {"it"}


def test_an_unshipped_language_is_refused() -> None:
    with pytest.raises(ValueError, match="fr"):
        starter_template("welcome", languages=["en", "fr"])


def test_a_bare_string_of_languages_is_refused() -> None:
    with pytest.raises(ValueError, match="list"):
        starter_template("welcome", languages="it")


def test_an_unknown_starter_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        starter_template("newsletter")


def test_a_book_sends_a_starter_in_the_business_language() -> None:
    notifier = RecordingNotifier()
    book = ClientBook(
        MemoryStore(),
        clock=FixedClock(NOW),
        messaging=MessagingSettings(
            {Channel.EMAIL: notifier},
            starter_templates(),
            token_secret=bytes(range(32)),
            unsubscribe_url="https://mooi.example/u/{token}",
        ),
    )
    salon = book.create_business(name="Kapsalon Mooi", language="nl", business_id="mooi").id
    card = book.business(salon).cards.add({"first_name": "Sanne", "email": "sanne@example.com"})
    book.business(salon).consent.record(
        card.id,
        ConsentAction.GRANT,
        source=ConsentSource.STAFF,
        by="s",
        purpose=Purpose.MARKETING,
        channel=Channel.EMAIL,
        wording_version="v1",
    )
    book.business(salon).messaging.send(
        "promotion", Channel.EMAIL, [card.id], values={"offer": "10% korting"}
    )
    [message] = notifier.sent
    assert message.subject == "Een aanbieding van Kapsalon Mooi"
    assert message.body.startswith("Hallo Sanne, Kapsalon Mooi heeft een aanbieding voor u: 10%")
    assert "https://mooi.example/u/" in message.body
