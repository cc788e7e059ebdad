"""The access report reads as a salon would write it: labelled, local dates, money with currency."""

from __future__ import annotations

import datetime as dt

from clientcard.book import ClientBook
from clientcard.consent import Channel
from clientcard.history.model import (
    Appointment,
    AppointmentStatus,
    ConversationDirection,
    ConversationEntry,
    Payment,
    PaymentMethod,
    ServiceLine,
)
from clientcard.money import Money

# 23:30 UTC on 22 November is 00:30 on the 23rd in Rome.
LATE = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)


def _history(book: ClientBook, salon: str, card_id: str) -> None:
    desk = book.business(salon)
    desk.history.add_appointment(
        Appointment(
            id="a1",
            business_id=salon,
            card_id=card_id,
            starts_at=LATE,
            duration_minutes=45,
            services=(
                ServiceLine(service_id="cut", name="Taglio", price=Money.of("35", "EUR")),
                ServiceLine(service_id="wash", name="Shampoo", price=Money.of("5", "EUR")),
            ),
            status=AppointmentStatus.COMPLETED,
            price_paid=Money.of("38", "EUR"),
        )
    )
    desk.history.add_payment(
        Payment(
            id="p1",
            business_id=salon,
            card_id=card_id,
            amount=Money.of("38", "EUR"),
            at=LATE,
            method=PaymentMethod.CARD,
            invoice_number="2026/17",
        )
    )
    desk.history.add_conversation(
        ConversationEntry(
            id="m1",
            business_id=salon,
            card_id=card_id,
            at=LATE,
            direction=ConversationDirection.INCOMING,
            channel=Channel.SMS,
            summary="Posso spostare?",
        )
    )


def _section(text: str, title: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(title) + 2
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    return lines[start:end]


class TestTheHistorySection:
    def test_each_record_is_a_labelled_line_in_the_businesss_zone(
        self, book: ClientBook, salon: str
    ) -> None:
        desk = book.business(salon)
        card = desk.cards.add({"first_name": "Anna"})
        _history(book, salon, card.id)
        text = desk.portability.export_subject(card.id, by="dpo").report("en").text()
        history = _section(text, "Your history")
        assert history == [
            (
                "2026-11-23 00:30 Appointment: Taglio, Shampoo; 45 min; completed;"
                " price 40.00 EUR; paid 38.00 EUR"
            ),
            "2026-11-23 00:30 Message: received by SMS: Posso spostare?",
            "2026-11-23 00:30 Payment: 38.00 EUR; card; received; invoice 2026/17",
        ]

    def test_no_field_name_or_raw_document_is_shown(self, book: ClientBook, salon: str) -> None:
        desk = book.business(salon)
        card = desk.cards.add({"first_name": "Anna"})
        _history(book, salon, card.id)
        text = desk.portability.export_subject(card.id, by="dpo").report("en").text()
        for raw in ("starts_at", "duration_minutes", "schema_version", "{", '"amount"', "UTC"):
            assert raw not in "\n".join(_section(text, "Your history"))

    def test_it_is_written_in_the_reports_language(self, book: ClientBook, salon: str) -> None:
        desk = book.business(salon)
        card = desk.cards.add({"first_name": "Anna"})
        _history(book, salon, card.id)
        text = desk.portability.export_subject(card.id, by="dpo").report("it").text()
        history = _section(text, "Il tuo storico")
        assert history[0].startswith("2026-11-23 00:30 Appuntamento: Taglio, Shampoo; 45 min;")
        assert "prezzo 40.00 EUR; pagato 38.00 EUR" in history[0]
        assert "2026-11-23 00:30 Pagamento: 38.00 EUR; carta; ricevuto; fattura 2026/17" in history

    def test_the_export_date_is_the_businesss_day(
        self, book: ClientBook, salon: str, clock: object
    ) -> None:
        desk = book.business(salon)
        card = desk.cards.add({"first_name": "Anna"})
        clock.advance(LATE - clock.now())  # type: ignore[attr-defined]
        text = desk.portability.export_subject(card.id, by="dpo").report("en").text()
        assert "Exported on 2026-11-23." in text


class TestTheLanguage:
    def test_without_a_language_of_the_client_the_business_speaks(
        self, book: ClientBook, salon: str
    ) -> None:
        """The salon (Italian) hands the report to a client who never named a language."""
        desk = book.business(salon)
        card = desk.cards.add({"first_name": "Anna"})
        report = desk.portability.export_subject(card.id, by="dpo").report()
        assert report.lang == "it"
        assert report.title == "I tuoi dati presso Salone"

    def test_the_clients_own_language_comes_first(self, book: ClientBook, salon: str) -> None:
        desk = book.business(salon)
        card = desk.cards.add({"first_name": "Anna", "language": "nl"})
        assert desk.portability.export_subject(card.id, by="dpo").report().lang == "nl"

    def test_a_changed_business_language_is_followed(self, book: ClientBook, salon: str) -> None:
        desk = book.business(salon)
        card = desk.cards.add({"first_name": "Anna"})
        desk.set_language("nl")
        assert desk.portability.export_subject(card.id, by="dpo").report().lang == "nl"
