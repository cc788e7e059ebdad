from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientcard.book import ClientBook
from clientcard.business import Business
from clientcard.clock import FixedClock
from clientcard.consent import Channel, ConsentAction, ConsentSource, Purpose
from clientcard.errors import StorageError, ValidationError
from clientcard.messaging import (
    DeliveryError,
    MessageTemplate,
    MessagingSettings,
    Notifier,
    OutgoingMessage,
    TemplateText,
)
from clientcard.messaging.sends import SendStatus
from clientcard.messaging.service import MessagingService
from clientcard.storage import MemoryStore
from clientcard.storage.protocol import ClientStore
from clientcard.testing.doubles import RecordingNotifier
from tests.support import NOW, record

SECRET = bytes(range(32))
PROMO = MessageTemplate(
    key="promo",
    purpose=Purpose.MARKETING,
    extra=frozenset({"offer"}),
    texts={
        "it": TemplateText(
            subject="Per te, ${first_name}",
            body="$offer da $business_name. Disiscriviti: $unsubscribe_url",
        ),
        "en": TemplateText(
            subject="For you, ${first_name}",
            body="$offer at $business_name. Unsubscribe: $unsubscribe_url",
        ),
    },
)
REMINDER = MessageTemplate(
    key="reminder",
    purpose=Purpose.APPOINTMENT_REMINDERS,
    extra=frozenset({"when"}),
    texts={"it": TemplateText(subject="Promemoria", body="Ci vediamo $when")},
)


class Flaky(RecordingNotifier):
    def __init__(self, failures: int, *, retryable: bool = True) -> None:
        super().__init__()
        self.failures = failures
        self.retryable = retryable

    def send(self, message: OutgoingMessage) -> str:
        if self.failures:
            self.failures -= 1
            raise DeliveryError("unavailable", retryable=self.retryable)
        return super().send(message)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def book(clock: FixedClock, book_store: ClientStore) -> ClientBook:
    return ClientBook(book_store, clock=clock)


@pytest.fixture
def salon(book: ClientBook) -> str:
    return book.create_business(name="Bella", language="it", business_id="bella").id


def sending_book(
    book: ClientBook,
    notifiers: Mapping[Channel, Notifier],
    templates: Sequence[MessageTemplate],
    *,
    unsubscribe_url: str = "https://x/{token}",
    max_attempts: int = 5,
) -> ClientBook:
    """Another book on ``book``'s store and clock, sending through ``notifiers``."""
    return ClientBook(
        book.store,
        clock=book.clock,
        messaging=MessagingSettings(
            notifiers,
            templates,
            token_secret=SECRET,
            unsubscribe_url=unsubscribe_url,
            max_attempts=max_attempts,
        ),
    )


def messaging(book: ClientBook, salon: str, notifier: RecordingNotifier) -> MessagingService:
    """The salon's messaging: promos and reminders by e-mail and SMS, three attempts each."""
    return (
        sending_book(
            book,
            {Channel.EMAIL: notifier, Channel.SMS: notifier},
            [PROMO, REMINDER],
            unsubscribe_url="https://bella.example/u/{token}",
            max_attempts=3,
        )
        .business(salon)
        .messaging
    )


def client(book: ClientBook, salon: str, name: str, *, consent: bool, **fields: str) -> str:
    card = book.business(salon).cards.add(
        {"first_name": name, "email": f"{name.lower()}@example.com", **fields}
    )
    if consent:
        book.business(salon).consent.record(
            card.id,
            ConsentAction.GRANT,
            source=ConsentSource.STAFF,
            by="s",
            purpose=Purpose.MARKETING,
            channel=Channel.EMAIL,
            wording_version="v1",
        )
    return card.id


def withdraw(book: ClientBook, salon: str, card_id: str) -> None:
    book.business(salon).consent.record(
        card_id,
        ConsentAction.WITHDRAW,
        source=ConsentSource.STAFF,
        by="s",
        purpose=Purpose.MARKETING,
        channel=Channel.EMAIL,
    )


def test_a_bulk_promotion_reaches_only_those_who_agreed(book: ClientBook, salon: str) -> None:
    notifier = RecordingNotifier()
    anna = client(book, salon, "Anna", consent=True)
    bruno = client(book, salon, "Bruno", consent=False)
    carla = book.business(salon).cards.add({"first_name": "Carla"}).id
    report = messaging(book, salon, notifier).send(
        "promo", Channel.EMAIL, [anna, bruno, carla], values={"offer": "Sconto 10%"}
    )
    assert (report.sent, report.skipped, report.failed, report.pending) == (
        1,
        {"no_consent": 1, "no_address": 1},
        {},
        0,
    )
    (message,) = notifier.sent
    assert message.card_id == anna
    assert message.subject == "Per te, Anna"
    assert message.body.startswith("Sconto 10% da Bella. Disiscriviti: https://bella.example/u/")


def test_consent_is_checked_again_when_sending(book: ClientBook, salon: str) -> None:
    notifier = RecordingNotifier()
    anna = client(book, salon, "Anna", consent=True)
    sender = messaging(book, salon, notifier)
    batch = sender.queue("promo", Channel.EMAIL, [anna], values={"offer": "x"})
    withdraw(book, salon, anna)
    sender.flush()
    assert notifier.sent == []
    assert sender.report(batch).skipped == {"withdrawn": 1}


def test_the_unsubscribe_link_in_a_message_withdraws_that_consent(
    book: ClientBook, salon: str
) -> None:
    notifier = RecordingNotifier()
    anna = client(book, salon, "Anna", consent=True)
    messaging(book, salon, notifier).send("promo", Channel.EMAIL, [anna], values={"offer": "x"})
    token = notifier.sent[0].unsubscribe_url.rsplit("/", 1)[1]  # type: ignore[union-attr]
    book.business(salon).consent.unsubscribe(token, secret=SECRET)
    assert not book.business(salon).consent.may_contact(anna, Purpose.MARKETING, Channel.EMAIL)


def test_an_unsubscribe_link_can_name_its_business(book: ClientBook, salon: str) -> None:
    """One unsubscribe page serves every salon: the link says whose client it is."""
    notifier = RecordingNotifier()
    anna = client(book, salon, "Anna", consent=True)
    sender = sending_book(
        book,
        {Channel.EMAIL: notifier},
        [PROMO],
        unsubscribe_url="https://platform.example/u/{business_id}/{token}",
    )
    sender.business(salon).messaging.send("promo", Channel.EMAIL, [anna], values={"offer": "x"})
    url = notifier.sent[0].unsubscribe_url
    assert url is not None
    business_id, token = url.removeprefix("https://platform.example/u/").split("/")
    assert business_id == salon
    book.business(business_id).consent.unsubscribe(token, secret=SECRET)
    assert not book.business(salon).consent.may_contact(anna, "marketing", "email")


def test_service_messages_need_no_consent(book: ClientBook, salon: str) -> None:
    notifier = RecordingNotifier()
    anna = client(book, salon, "Anna", consent=False)
    report = messaging(book, salon, notifier).send(
        "reminder", Channel.EMAIL, [anna], values={"when": "domani alle 10"}
    )
    assert report.sent == 1
    assert notifier.sent[0].body == "Ci vediamo domani alle 10"


def drain(book: ClientBook, sender: MessagingService, batch: str) -> None:
    """Flush, letting time pass for back-off, until the batch is settled."""
    for _ in range(20):
        sender.flush()
        if not sender.report(batch).pending:
            return
        book.clock.advance(dt.timedelta(hours=2))  # type: ignore[attr-defined]


def test_temporary_failures_are_retried_with_back_off_then_given_up(
    book: ClientBook, salon: str
) -> None:
    anna = client(book, salon, "Anna", consent=True)
    recovering = messaging(book, salon, Flaky(failures=2))
    batch = recovering.queue("promo", Channel.EMAIL, [anna], values={"offer": "x"})
    recovering.flush()
    assert recovering.flush() == 0  # backing off, not hammering the server
    drain(book, recovering, batch)
    assert recovering.report(batch).sent == 1
    hopeless = messaging(book, salon, Flaky(failures=10))
    batch = hopeless.queue("promo", Channel.EMAIL, [anna], values={"offer": "x"})
    drain(book, hopeless, batch)
    assert hopeless.report(batch).failed == {"unavailable": 1}


def test_an_unexpected_error_fails_the_send_and_the_batch_goes_on(
    book: ClientBook, salon: str
) -> None:
    anna = client(book, salon, "Anna", consent=True)
    bruno = client(book, salon, "Bruno", consent=True)

    class Broken(RecordingNotifier):
        def send(self, message: OutgoingMessage) -> str:
            if message.card_id == anna:
                raise RuntimeError("provider bug")
            return super().send(message)

    notifier = Broken()
    report = messaging(book, salon, notifier).send(
        "promo", Channel.EMAIL, [anna, bruno], values={"offer": "x"}
    )
    assert report.failed == {"internal_error": 1}
    assert report.sent == 1


class Outage(MemoryStore):
    """A store that can no longer read the businesses named in ``down``."""

    def __init__(self) -> None:
        super().__init__()
        self.down: set[str] = set()

    def get_business(self, business_id: str) -> Business:
        if business_id in self.down:
            raise StorageError("unavailable", "the database went away")
        return super().get_business(business_id)


def test_a_business_that_cannot_be_read_fails_its_sends_and_the_batch_goes_on(
    clock: FixedClock,
) -> None:
    store = Outage()
    book = ClientBook(store, clock=clock)
    unreadable = book.create_business(name="Bella", language="it", business_id="bella").id
    readable = book.create_business(name="Other", language="it", business_id="other").id
    anna = client(book, unreadable, "Anna", consent=True)
    bruno = client(book, readable, "Bruno", consent=True)
    notifier = RecordingNotifier()
    sender = sending_book(book, {Channel.EMAIL: notifier}, [PROMO])
    lost = sender.business(unreadable).messaging.queue(
        "promo", Channel.EMAIL, [anna], values={"offer": "x"}
    )
    kept = sender.business(readable).messaging.queue(
        "promo", Channel.EMAIL, [bruno], values={"offer": "x"}
    )
    store.down.add(unreadable)
    assert sender.admin.send_pending() == 2  # no error: every claimed send has its outcome
    (failed,) = store.sends(unreadable, lost)
    assert (failed.status, failed.reason) == (SendStatus.FAILED, "internal_error")
    assert store.sends(readable, kept)[0].status is SendStatus.SENT
    assert [message.card_id for message in notifier.sent] == [bruno]


def test_a_send_claimed_too_often_is_abandoned(book: ClientBook, salon: str) -> None:
    anna = client(book, salon, "Anna", consent=True)
    sender = messaging(book, salon, RecordingNotifier())
    batch = sender.queue("promo", Channel.EMAIL, [anna], values={"offer": "x"})
    for _ in range(4):  # four senders claimed it and died
        book.store.claim_sends(
            now=book.clock.now(), stale_before=book.clock.now(), limit=1, scope=sender._scope
        )
        book.clock.advance(dt.timedelta(hours=1))  # type: ignore[attr-defined]
    sender.flush()
    assert sender.report(batch).failed == {"abandoned": 1}


@pytest.mark.parametrize("bad", ["\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"])
def test_a_host_value_with_any_line_break_cannot_reach_a_header(
    book: ClientBook, salon: str, bad: str
) -> None:
    anna = client(book, salon, "Anna", consent=False)
    template = MessageTemplate(
        key="r",
        purpose=Purpose.APPOINTMENT_REMINDERS,
        extra=frozenset({"when"}),
        texts={"it": TemplateText(subject="Alle $when", body="Ciao")},
    )
    sender = sending_book(book, {Channel.EMAIL: RecordingNotifier()}, [template])
    report = sender.business(salon).messaging.send(
        "r", Channel.EMAIL, [anna], values={"when": f"10{bad}Bcc: x"}
    )
    assert report.failed == {"message.header_injection": 1}


def test_service_messages_carry_no_unsubscribe_link(book: ClientBook, salon: str) -> None:
    notifier = RecordingNotifier()
    anna = client(book, salon, "Anna", consent=False)
    messaging(book, salon, notifier).send(
        "reminder", Channel.EMAIL, [anna], values={"when": "domani"}
    )
    assert notifier.sent[0].unsubscribe_url is None


def test_a_final_failure_is_not_retried(book: ClientBook, salon: str) -> None:
    anna = client(book, salon, "Anna", consent=True)
    refused = Flaky(failures=1, retryable=False)
    report = messaging(book, salon, refused).send(
        "promo", Channel.EMAIL, [anna], values={"offer": "x"}
    )
    assert report.failed == {"unavailable": 1}
    assert refused.sent == []


def test_a_card_deleted_after_queueing_is_skipped(book: ClientBook, salon: str) -> None:
    notifier = RecordingNotifier()
    anna = client(book, salon, "Anna", consent=True)
    bruno = client(book, salon, "Bruno", consent=True)
    sender = messaging(book, salon, notifier)
    batch = sender.queue("promo", Channel.EMAIL, [anna, bruno], values={"offer": "x"})
    book.business(salon).cards.remove(bruno, expected_version=1)  # takes its queued send with it
    sender.flush()
    assert [m.card_id for m in notifier.sent] == [anna]
    assert sender.report(batch).total == 1


def test_a_send_whose_card_is_missing_is_skipped(book: ClientBook, salon: str) -> None:
    sender = messaging(book, salon, RecordingNotifier())
    batch = sender.queue("promo", Channel.EMAIL, ["no-such-card"], values={"offer": "x"})
    sender.flush()
    assert sender.report(batch).skipped == {"card_gone": 1}


def test_a_send_abandoned_by_a_crash_is_sent_again_with_the_same_id(
    book: ClientBook, salon: str
) -> None:
    notifier = RecordingNotifier()
    anna = client(book, salon, "Anna", consent=True)
    sender = messaging(book, salon, notifier)
    batch = sender.queue("promo", Channel.EMAIL, [anna], values={"offer": "x"})
    # A sender claimed it and died before sending.
    book.store.claim_sends(now=NOW, stale_before=NOW, limit=10, scope=sender._scope)
    assert sender.flush() == 0  # the claim still holds
    book.clock.advance(dt.timedelta(minutes=11))  # type: ignore[attr-defined]
    assert sender.flush() == 1
    assert sender.report(batch).sent == 1
    (send,) = book.store.sends(salon, batch)
    assert notifier.sent[0].message_id == send.send_id


def test_a_send_that_reached_the_provider_twice_is_one_message(
    book: ClientBook, salon: str
) -> None:
    notifier = RecordingNotifier()
    anna = client(book, salon, "Anna", consent=True)
    sender = messaging(book, salon, notifier)
    sender.send("promo", Channel.EMAIL, [anna], values={"offer": "x"})
    notifier.send(notifier.sent[0])  # a replay after a crash between send and record
    assert len(notifier.sent) == 1
    assert notifier.duplicates == 1


def test_unknown_templates_and_channels_are_refused(book: ClientBook, salon: str) -> None:
    sender = sending_book(book, {Channel.EMAIL: RecordingNotifier()}, [PROMO]).business(salon)
    with pytest.raises(ValidationError) as caught:
        sender.messaging.queue("nope", Channel.EMAIL, [])
    assert caught.value.codes == {"dispatch.unknown_template"}
    with pytest.raises(ValidationError) as channel:
        sender.messaging.queue("promo", Channel.SMS, [])
    assert channel.value.codes == {"dispatch.no_notifier"}
    with pytest.raises(ValueError, match="token"):
        MessagingSettings({}, [], token_secret=SECRET, unsubscribe_url="https://x/")


def test_queueing_with_a_dedupe_key_is_idempotent(book: ClientBook, salon: str) -> None:
    notifier = RecordingNotifier()
    anna = client(book, salon, "Anna", consent=True)
    sender = messaging(book, salon, notifier)
    for _ in range(2):
        sender.queue(
            "promo",
            Channel.EMAIL,
            [anna],
            values={"offer": "x"},
            dedupe_keys=[f"promo-2026:{anna}"],
        )
        sender.flush()
    assert len(notifier.sent) == 1


BIRTHDAY = MessageTemplate(
    key="birthday",
    purpose=Purpose.BIRTHDAY_GREETINGS,
    texts={"it": TemplateText(subject="Auguri!", body="Auguri $first_name! $unsubscribe_url")},
)
WELCOME = MessageTemplate(
    key="welcome",
    purpose=Purpose.WELCOME,
    texts={"it": TemplateText(subject="Benvenuta", body="Ciao $first_name. $unsubscribe_url")},
)


def grant_all(book: ClientBook, salon: str, card_id: str) -> None:
    for purpose in (Purpose.BIRTHDAY_GREETINGS, Purpose.WELCOME):
        book.business(salon).consent.record(
            card_id,
            ConsentAction.GRANT,
            source=ConsentSource.STAFF,
            by="s",
            purpose=purpose,
            channel=Channel.EMAIL,
            wording_version="v1",
        )


def test_scheduled_birthday_and_welcome_messages_go_once(
    book: ClientBook, salon: str, clock: FixedClock
) -> None:
    notifier = RecordingNotifier()
    sender = sending_book(book, {Channel.EMAIL: notifier}, [BIRTHDAY, WELCOME])
    messages = sender.business(salon).messaging
    today = NOW.date()
    born = (
        book.business(salon)
        .cards.add(
            {
                "first_name": "Anna",
                "email": "anna@example.com",
                "birth_date": f"--{today.month:02d}-{today.day:02d}",
            }
        )
        .id
    )
    grant_all(book, salon, born)
    clock.advance(dt.timedelta(days=30))
    newcomer = book.business(salon).cards.add({"first_name": "Eva", "email": "eva@example.com"}).id
    grant_all(book, salon, newcomer)
    clock.advance(dt.timedelta(days=335))  # Anna's birthday
    for _ in range(2):  # the host's scheduler runs twice
        messages.due_messages(
            channel=Channel.EMAIL, birthday_template="birthday", welcome_template="welcome"
        )
        messages.flush()
    assert [(m.card_id, m.subject) for m in notifier.sent] == [(born, "Auguri!")]
    newcomer_day = NOW + dt.timedelta(days=30)
    clock.advance(newcomer_day + dt.timedelta(days=1) - clock.now())  # back to the day after
    assert messages.due_messages(channel=Channel.EMAIL, welcome_template="welcome") == 1
    assert messages.due_messages(channel=Channel.EMAIL, welcome_template="welcome") == 0
    messages.flush()
    assert notifier.sent[-1].card_id == newcomer


def test_a_birthday_is_due_from_midnight_in_the_businesss_zone(
    book: ClientBook, clock: FixedClock
) -> None:
    """At 00:30 in Rome on the birthday (23:30 UTC the day before) the greeting is due."""
    notifier = RecordingNotifier()
    salon = book.create_business(
        name="Bella", language="it", region="IT", time_zone="Europe/Rome"
    ).id
    sender = sending_book(book, {Channel.EMAIL: notifier}, [BIRTHDAY])
    born = (
        book.business(salon)
        .cards.add({"first_name": "Anna", "email": "anna@example.com", "birth_date": "--11-23"})
        .id
    )
    grant_all(book, salon, born)
    eve = dt.datetime(2027, 11, 22, 23, 30, tzinfo=dt.UTC)  # 00:30 on 23 November in Rome
    clock.advance(eve - clock.now())
    messages = sender.business(salon).messaging
    assert messages.due_messages(channel=Channel.EMAIL, birthday_template="birthday") == 1
    messages.flush()
    assert [m.card_id for m in notifier.sent] == [born]


class Watching(RecordingNotifier):
    """Checks, at the moment each message arrives, that the book allows it."""

    def __init__(self, book: ClientBook) -> None:
        super().__init__()
        self.book = book
        self.unallowed: list[str] = []

    def send(self, message: OutgoingMessage) -> str:
        decision = self.book.business(message.business_id).consent.may_contact(
            message.card_id, message.purpose, message.channel
        )
        if not decision.allowed:
            self.unallowed.append(message.message_id)
        return super().send(message)


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["grant", "withdraw", "object", "queue", "flush", "edit"]),
        st.integers(0, 2),
    ),
    max_size=25,
)


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS)
def test_no_message_reaches_a_notifier_without_an_allowing_decision(
    steps: list[tuple[str, int]],
) -> None:
    book = ClientBook(MemoryStore(), clock=FixedClock(NOW))
    salon = book.create_business(name="Bella", language="it").id
    cards = [client(book, salon, name, consent=False) for name in ("Anna", "Bruno", "Carla")]
    notifier = Watching(book)
    sender = messaging(book, salon, notifier)
    for action, who in steps:
        card_id = cards[who]
        book.clock.advance(dt.timedelta(seconds=1))  # type: ignore[attr-defined]
        if action == "grant":
            record(book, salon, card_id)
        elif action == "withdraw":
            withdraw(book, salon, card_id)
        elif action == "object":
            book.business(salon).consent.record(
                card_id, ConsentAction.OBJECT, source=ConsentSource.STAFF, by="s"
            )
        elif action == "queue":
            sender.queue("promo", Channel.EMAIL, [card_id], values={"offer": "x"})
        elif action == "edit":
            card = book.business(salon).cards.get(card_id)
            email = None if card.email else f"{who}@example.com"
            book.business(salon).cards.edit(
                card_id, {"email": email}, expected_version=card.version
            )
        else:
            sender.flush()
    sender.flush()
    assert notifier.unallowed == []


def test_marketing_waits_out_the_quiet_hours_but_service_messages_do_not() -> None:
    clock = FixedClock(dt.datetime(2026, 11, 23, 22, 0, tzinfo=dt.UTC))
    book = ClientBook(MemoryStore(), clock=clock)
    salon = book.create_business(
        name="Bella",
        language="it",
        time_zone="Europe/Rome",
        quiet_hours=(dt.time(21, 0), dt.time(9, 0)),
    ).id
    anna = client(book, salon, "Anna", consent=True)
    notifier = RecordingNotifier()
    sender = messaging(book, salon, notifier)
    promo = sender.queue("promo", Channel.EMAIL, [anna], values={"offer": "x"})
    reminder = sender.queue("reminder", Channel.EMAIL, [anna], values={"when": "domani"})
    sender.flush()
    assert [m.purpose for m in notifier.sent] == [Purpose.APPOINTMENT_REMINDERS]
    assert sender.report(promo).pending == 1
    assert sender.flush() == 0  # nothing due before 09:00 in Rome
    clock.advance(dt.timedelta(hours=10))  # 09:00 in Rome
    sender.flush()
    assert sender.report(promo).sent == 1
    assert sender.report(reminder).sent == 1
    (send,) = book.store.sends(salon, promo)
    assert send.attempts == 1


def test_quiet_hours_need_a_real_time_zone(book: ClientBook) -> None:
    with pytest.raises(ValidationError) as caught:
        book.create_business(name="X", time_zone="Mars/Olympus")
    assert caught.value.codes == {"business.time_zone_invalid"}


def test_each_client_reads_the_message_in_their_own_language(book: ClientBook, salon: str) -> None:
    notifier = RecordingNotifier()
    anna = client(book, salon, "Anna", consent=True)
    jane = client(book, salon, "Jane", consent=True, language="en")
    messaging(book, salon, notifier).send(
        "promo", Channel.EMAIL, [anna, jane], values={"offer": "10%"}
    )
    subjects = {m.card_id: m.subject for m in notifier.sent}
    assert subjects == {anna: "Per te, Anna", jane: "For you, Jane"}


def test_books_sharing_a_store_never_take_each_others_sends(book: ClientBook, salon: str) -> None:
    anna = client(book, salon, "Anna", consent=True)
    other_salon = book.create_business(name="Other", language="it").id
    bruno = client(book, other_salon, "Bruno", consent=True)
    promos, reminders = RecordingNotifier(), RecordingNotifier()
    promo_book = sending_book(book, {Channel.EMAIL: promos}, [PROMO])
    reminder_book = sending_book(book, {Channel.EMAIL: reminders}, [REMINDER])
    reminder_batch = reminder_book.business(salon).messaging.queue(
        "reminder", Channel.EMAIL, [anna], values={"when": "domani"}
    )
    elsewhere = promo_book.business(other_salon).messaging.queue(
        "promo", Channel.EMAIL, [bruno], values={"offer": "x"}
    )
    # Neither a reminder nor another business's promo.
    assert promo_book.business(salon).messaging.flush() == 0
    assert reminder_book.admin.send_pending() == 1  # every business's: the reminder only
    assert reminder_book.business(salon).messaging.report(reminder_batch).sent == 1
    assert book.store.sends(other_salon, elsewhere)[0].status is SendStatus.QUEUED


def test_a_delivered_message_lands_on_the_clients_timeline(book: ClientBook, salon: str) -> None:
    anna = client(book, salon, "Anna", consent=True)
    bruno = client(book, salon, "Bruno", consent=False)
    report = messaging(book, salon, RecordingNotifier()).send(
        "promo", Channel.EMAIL, [anna, bruno], values={"offer": "Sconto 10%"}
    )
    (entry,) = book.business(salon).history.timeline(anna)
    (sent,) = [send for send in book.store.sends(salon, report.batch_id) if send.card_id == anna]
    assert (entry.send_id, entry.channel, entry.summary) == (
        sent.send_id,
        Channel.EMAIL,
        "Per te, Anna",
    )
    assert book.business(salon).history.timeline(bruno) == []
