from __future__ import annotations

import datetime as dt

import pytest

from clientcard.consent import ConsentAction, GuardianConsent, Purpose, consent_report
from clientcard.consent.purposes import Channel
from clientcard.locale import LANGUAGES
from clientcard.locale._catalogue import CONSENT_TEXTS
from tests.consent.test_ledger import event
from tests.support import NOW


def test_the_report_lists_every_event_and_what_stands_now() -> None:
    events = [
        event(purpose=Purpose.MARKETING, channel=Channel.EMAIL),
        event(
            purpose=Purpose.BIRTHDAY_GREETINGS, channel=Channel.SMS, at=NOW + dt.timedelta(days=1)
        ),
        event(
            ConsentAction.WITHDRAW,
            purpose=Purpose.MARKETING,
            channel=Channel.EMAIL,
            at=NOW + dt.timedelta(days=30),
        ),
    ]
    report = consent_report(events, "en")
    assert report.standing == ("You currently agree to birthday greetings by SMS",)
    assert report.history == (
        (
            "23 November 2026: agreed to marketing and promotions by e-mail "
            "(recorded by staff; text version marketing-v3)"
        ),
        (
            "24 November 2026: agreed to birthday greetings by SMS "
            "(recorded by staff; text version marketing-v3)"
        ),
        (
            "23 December 2026: withdrew consent to marketing and promotions by e-mail "
            "(recorded by staff)"
        ),
    )


def test_the_report_speaks_the_clients_language() -> None:
    report = consent_report([event()], "it")
    assert report.history[0].startswith("23 novembre 2026: ha acconsentito a marketing")
    assert consent_report([event()], "nl").standing[0].startswith("U stemt momenteel in met")


def test_an_objection_and_a_guardian_show_in_the_report() -> None:
    events = [
        event(guardian=GuardianConsent(verified_by="in_person")),
        event(ConsentAction.OBJECT, purpose=None, channel=None, at=NOW + dt.timedelta(days=1)),
    ]
    report = consent_report(events, "en")
    assert "with a guardian's consent" in report.history[0]
    assert "objected to all direct marketing, on every channel" in report.history[1]
    assert "You object to all direct marketing." in report.standing


def test_an_empty_ledger_says_nothing_was_agreed() -> None:
    assert "not agreed" in consent_report([], "en").text()


@pytest.mark.parametrize("key", sorted(CONSENT_TEXTS))
def test_every_report_text_speaks_every_language(key: str) -> None:
    assert set(CONSENT_TEXTS[key]) == set(LANGUAGES)


def test_the_book_writes_the_report_in_the_clients_own_language() -> None:
    from clientcard.book import ClientBook
    from clientcard.clock import FixedClock
    from clientcard.consent import ConsentSource
    from clientcard.storage import MemoryStore

    book = ClientBook(MemoryStore(), clock=FixedClock(NOW))
    salon = book.create_business(name="Bella", language="it").id
    dutch = book.business(salon).cards.add({"first_name": "Sanne", "language": "nl"}).id
    italian = book.business(salon).cards.add({"first_name": "Anna"}).id
    for card in (dutch, italian):
        book.business(salon).consent.record(
            card,
            ConsentAction.GRANT,
            source=ConsentSource.STAFF,
            by="s",
            purpose=Purpose.MARKETING,
            channel=Channel.SMS,
            wording_version="v1",
        )
    assert (
        book.business(salon)
        .consent.report(dutch)
        .standing[0]
        .startswith("U stemt momenteel in met")
    )
    assert (
        book.business(salon)
        .consent.report(italian)
        .standing[0]
        .startswith("Attualmente acconsenti")
    )
    assert (
        book.business(salon)
        .consent.report(dutch, lang="en")
        .standing[0]
        .startswith("You currently")
    )


def test_the_staff_report_speaks_about_the_client() -> None:
    events = [event(ConsentAction.GRANT, purpose=Purpose.MARKETING, channel=Channel.EMAIL)]
    report = consent_report(events, "en", staff=True)
    assert report.standing == ("The client currently agrees to marketing and promotions by e-mail",)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_staff_report_keeps_the_history_lines_of_the_clients(lang: str) -> None:
    events = [
        event(ConsentAction.GRANT, purpose=Purpose.MARKETING, channel=Channel.EMAIL),
        event(ConsentAction.OBJECT, None, None, at=NOW + dt.timedelta(days=1)),
    ]
    for_client = consent_report(events, lang)
    for_staff = consent_report(events, lang, staff=True)
    assert for_staff.history == for_client.history
    assert for_staff.standing != for_client.standing


def test_the_staff_report_of_nothing_granted_says_so_about_the_client() -> None:
    assert consent_report([], "en", staff=True).standing == (
        "The client has not agreed to any messages beyond their bookings.",
    )
