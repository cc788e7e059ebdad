"""A business's IANA time zone, and every "today", month and due date read in it."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.book import ClientBook
from clientcard.business import Business, is_time_zone
from clientcard.cards.card import ClientCard
from clientcard.cards.serialization import business_to_dict, card_to_dict
from clientcard.clock import FixedClock
from clientcard.erasure.policy import ErasurePolicy, RetentionRules
from clientcard.errors import ValidationError
from clientcard.history.model import Appointment, AppointmentStatus, ServiceLine
from clientcard.money import Money
from clientcard.storage import MemoryStore, SQLiteStore
from clientcard.storage._sql import MIGRATIONS
from clientcard.storage.protocol import CardQuery
from tests.storage.conftest import postgres, postgres_schema

__all__ = ["postgres", "postgres_schema"]

# 23:30 UTC on 22 November is 00:30 on 23 November in Rome (CET, UTC+1).
LATE = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)
ROME_DAY = dt.date(2026, 11, 23)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(LATE)


@pytest.fixture
def book(clock: FixedClock) -> ClientBook:
    return ClientBook(MemoryStore(), clock=clock)


@pytest.fixture
def rome(book: ClientBook) -> str:
    return book.create_business(
        name="Salone", region="IT", language="it", time_zone="Europe/Rome", business_id="rome"
    ).id


class TestTheSetting:
    def test_a_business_keeps_the_zone_it_was_given(self, book: ClientBook) -> None:
        made = book.create_business(name="S", region="IT", time_zone="Europe/Amsterdam")
        assert book.business(made.id).details().time_zone == "Europe/Amsterdam"

    @pytest.mark.parametrize(
        ("region", "zone"),
        [("IT", "Europe/Rome"), ("NL", "Europe/Amsterdam"), ("GB", "Europe/London")],
    )
    def test_a_country_of_one_zone_gives_it_by_default(
        self, book: ClientBook, region: str, zone: str
    ) -> None:
        assert book.create_business(name="S", region=region).time_zone == zone

    def test_a_country_of_several_zones_needs_one_named(self, book: ClientBook) -> None:
        """Spain has the Canaries an hour behind: guessing would move every birthday."""
        with pytest.raises(ValidationError) as caught:
            book.create_business(name="S", region="ES")
        assert caught.value.fields == {"time_zone"}
        assert caught.value.codes == {"business.time_zone_required"}
        made = book.create_business(name="S", region="ES", time_zone="Atlantic/Canary")
        assert made.time_zone == "Atlantic/Canary"

    @pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd", "CET ", "europe/rome"])
    def test_a_zone_that_is_not_iana_is_refused_naming_the_field(
        self, book: ClientBook, zone: str
    ) -> None:
        with pytest.raises(ValidationError) as caught:
            book.create_business(name="S", region="IT", time_zone=zone)
        assert caught.value.fields == {"time_zone"}
        assert caught.value.codes == {"business.time_zone_invalid"}

    def test_the_older_name_is_still_accepted(self, book: ClientBook) -> None:
        made = book.create_business(name="S", region="NL", timezone="Europe/Rome")
        assert (made.time_zone, made.timezone) == ("Europe/Rome", "Europe/Rome")
        with pytest.raises(ValueError, match="not both"):
            book.create_business(name="S", time_zone="Europe/Rome", timezone="Europe/Paris")

    def test_the_zone_can_be_changed(self, book: ClientBook, rome: str) -> None:
        desk = book.business(rome)
        changed = desk.set_time_zone("Europe/Amsterdam")
        assert changed.time_zone == desk.details().time_zone == "Europe/Amsterdam"

    def test_a_bad_zone_changes_nothing(self, book: ClientBook, rome: str) -> None:
        desk = book.business(rome)
        with pytest.raises(ValidationError) as caught:
            desk.set_time_zone("Nowhere/Else")
        assert caught.value.fields == {"time_zone"}
        assert desk.details().time_zone == "Europe/Rome"

    def test_the_language_can_be_changed(self, book: ClientBook, rome: str) -> None:
        desk = book.business(rome)
        assert desk.set_language("nl").language == desk.details().language == "nl"
        with pytest.raises(ValidationError) as caught:
            desk.set_language("xx")
        assert caught.value.fields == {"language"}

    def test_the_zone_is_stored(self, tmp_path: Path, clock: FixedClock) -> None:
        store = SQLiteStore(tmp_path / "tz.db")
        try:
            book = ClientBook(store, clock=clock)
            made = book.create_business(name="S", region="NL", time_zone="Europe/Rome").id
            book.business(made).set_time_zone("America/New_York")
        finally:
            store.close()
        again = SQLiteStore(tmp_path / "tz.db")
        try:
            assert again.get_business(made).time_zone == "America/New_York"
        finally:
            again.close()

    def test_today_is_the_local_date(self) -> None:
        business = Business(
            id="b", name="S", region="IT", language="it", created_at=LATE, time_zone="Europe/Rome"
        )
        assert business.today(LATE) == ROME_DAY
        assert business.local(LATE).hour == 0


class TestTodayIsTheBusinesssDay:
    def test_a_birth_date_of_the_local_today_is_not_in_the_future(
        self, book: ClientBook, rome: str
    ) -> None:
        card = book.business(rome).cards.add({"first_name": "Anna", "birth_date": "2026-11-23"})
        assert card.birth_date is not None

    def test_a_subject_request_is_received_on_the_local_day(
        self, book: ClientBook, rome: str
    ) -> None:
        desk = book.business(rome)
        card = desk.cards.add({"first_name": "Anna"})
        request = desk.requests.receive(card.id, "access", by="dpo")
        assert request.received_on == ROME_DAY
        desk.requests.receive(card.id, "access", by="dpo", received_on=ROME_DAY)

    def test_statistics_count_a_visit_in_its_local_month(
        self, book: ClientBook, rome: str, clock: FixedClock
    ) -> None:
        """00:30 on 1 November in Rome is still October in UTC."""
        desk = book.business(rome)
        card = desk.cards.add({"first_name": "Anna"})
        starts = dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC)
        desk.history.add_appointment(_visit(rome, card.id, starts))
        trend = desk.history.statistics(card.id).monthly_trend
        months = {figures.month: figures.completed for figures in trend}
        assert months.get("2026-11") == 1
        assert months.get("2026-10", 0) == 0

    def test_retention_counts_months_from_the_local_day(
        self, book: ClientBook, rome: str, clock: FixedClock
    ) -> None:
        """Six months after a visit at 00:45 on 23 May (Rome) end at 00:45 on 23 November.

        At 00:30 that day in Rome (23:30 UTC on the 22nd) they have not ended yet,
        although six UTC months after the visit (22:45 UTC on 22 May) have.
        """
        desk = book.business(rome)
        desk.erasure.set_policy(ErasurePolicy(retention=RetentionRules(inactive_months=6)), by="o")
        card = desk.cards.add({"first_name": "Anna"})
        desk.history.add_appointment(
            _visit(rome, card.id, dt.datetime(2026, 5, 22, 22, 45, tzinfo=dt.UTC))
        )
        assert desk.retention.due().items == ()
        clock.advance(dt.timedelta(hours=1))
        assert len(desk.retention.due().items) == 1


def _visit(business_id: str, card_id: str, starts_at: dt.datetime) -> Appointment:
    return Appointment(
        id=f"visit-{starts_at:%Y%m%d%H%M}",
        business_id=business_id,
        card_id=card_id,
        starts_at=starts_at,
        duration_minutes=30,
        services=(ServiceLine(service_id="cut", name="Cut", price=Money.of("30", "EUR")),),
        status=AppointmentStatus.COMPLETED,
    )


class TestTheMigration:
    def test_existing_businesses_get_their_countrys_zone(self, tmp_path: Path) -> None:
        """A database made before the setting: UTC (the old default) becomes the country's zone."""
        path = tmp_path / "old.db"
        connection = sqlite3.connect(path)
        connection.execute(
            "CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        for migration in MIGRATIONS:
            if migration.version >= 10:
                continue
            for statement in migration.statements["sqlite"]:
                connection.execute(statement)
            connection.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                (migration.version, migration.name, "2026-01-01"),
            )

        def old(business_id: str, region: str, zone: str | None) -> None:
            doc = business_to_dict(
                Business(id=business_id, name="S", region=region, language="it", created_at=LATE)
            )
            del doc["time_zone"]
            if zone is not None:
                doc["timezone"] = zone
            connection.execute(
                "INSERT INTO businesses (id, revision, doc) VALUES (?, 1, ?)",
                (business_id, json.dumps(doc)),
            )

        old("it-utc", "IT", "UTC")
        old("nl-none", "NL", None)
        old("it-chosen", "IT", "Europe/London")
        old("es-utc", "ES", "UTC")
        # A card of then: its source only in its document, no column for it yet.
        card = ClientCard(
            id="c1",
            business_id="it-utc",
            first_name="Anna",
            referral_source="friend",
            created_at=LATE,
            updated_at=LATE,
        )
        connection.execute(
            "INSERT INTO cards (business_id, id, version, sort_key, name_fold,"
            " name_fold_reversed, status, doc) VALUES ('it-utc', 'c1', 1, 'anna', 'anna',"
            " 'anna', 'active', ?)",
            (json.dumps(card_to_dict(card)),),
        )
        connection.commit()
        connection.close()
        store = SQLiteStore(path)
        try:
            zones = {
                business_id: store.get_business(business_id).time_zone
                for business_id in ("it-utc", "nl-none", "it-chosen", "es-utc")
            }
            sourced = [c.id for c in store.find("it-utc", CardQuery(source="friend"))]
        finally:
            store.close()
        assert zones == {
            "it-utc": "Europe/Rome",
            "nl-none": "Europe/Amsterdam",
            "it-chosen": "Europe/London",
            "es-utc": "UTC",
        }
        assert sourced == ["c1"]


class TestTheMigrationOnPostgres:
    def test_existing_businesses_get_their_countrys_zone(
        self, postgres: str, postgres_schema: str
    ) -> None:
        import psycopg
        from psycopg import sql

        from clientcard.storage.postgres import PostgresStore

        with PostgresStore(postgres, schema=postgres_schema) as store:
            for business_id, region in (("it-utc", "IT"), ("es-utc", "ES"), ("it-chosen", "IT")):
                store.add_business(
                    Business(
                        id=business_id, name="S", region=region, language="it", created_at=LATE
                    )
                )
        # Back to the shape before the setting: "timezone", UTC unless chosen.
        with psycopg.connect(postgres, autocommit=True) as connection:
            connection.execute(
                sql.SQL("SET search_path TO {}").format(sql.Identifier(postgres_schema))
            )
            connection.execute(
                "UPDATE businesses SET doc = (doc - 'time_zone')"
                " || jsonb_build_object('timezone', CASE id WHEN 'it-chosen'"
                " THEN 'Europe/London' ELSE 'UTC' END)"
            )
            connection.execute("ALTER TABLE cards DROP COLUMN referral_source")
            connection.execute("DELETE FROM schema_migrations WHERE version = 10")
        with PostgresStore(postgres, schema=postgres_schema) as store:
            zones = {
                business_id: store.get_business(business_id).time_zone
                for business_id in ("it-utc", "es-utc", "it-chosen")
            }
        assert zones == {"it-utc": "Europe/Rome", "es-utc": "UTC", "it-chosen": "Europe/London"}


class TestTheValidatorOnAnyInput:
    @given(st.text(max_size=40) | st.none() | st.integers() | st.binary(max_size=8))
    def test_anything_is_a_zone_or_a_field_issue_never_a_crash(self, name: object) -> None:
        if is_time_zone(name):
            assert isinstance(name, str)
            ZoneInfo(name)
            return
        with pytest.raises(ValidationError) as caught:
            Business(
                id="b",
                name="S",
                region="IT",
                language="it",
                created_at=LATE,
                time_zone=name,  # type: ignore[arg-type]
            )
        assert "time_zone" in caught.value.fields

    @given(
        st.sampled_from(sorted(available_timezones())),
        st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)),
    )
    def test_every_known_zone_counts_its_own_day(self, zone: str, at: dt.datetime) -> None:
        business = Business(
            id="b", name="S", region="IT", language="it", created_at=LATE, time_zone=zone
        )
        assert business.today(at) == at.astimezone(ZoneInfo(zone)).date()
