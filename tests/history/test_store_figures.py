"""Statistics and aggregates summed by the store equal the Python computation, on every store.

The history service asks the store for figures (one SQL statement on SQLite and
PostgreSQL, Python over the records on the memory store) and turns them into
statistics. On random histories the answer must be exactly what
:func:`~clientcard.history.statistics.client_statistics` and
:func:`~clientcard.history.statistics.aggregate` compute from the appointments
themselves: the same Decimal money, the same rates, months and cohorts, the same
refusal of mixed currencies, and nothing of a client without profiling consent.
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientcard.book import ClientBook
from clientcard.cards.card import ClientCard
from clientcard.clock import FixedClock
from clientcard.consent import PROFILING_PERMISSION
from clientcard.errors import ValidationError
from clientcard.history.model import Appointment, AppointmentStatus, ServiceLine
from clientcard.history.records import appointment_to_record
from clientcard.history.statistics import ClientFacts, aggregate, client_statistics
from clientcard.money import Money
from clientcard.storage import MemoryStore, SQLiteStore
from clientcard.storage.protocol import ClientStore
from clientcard.storage.records import RecordQuery
from clientcard.storage.visits import (
    audience_figures_of,
    visit_figures_from_records,
    visit_figures_of,
)
from tests.storage.conftest import postgres, postgres_schema  # noqa: F401 - fixtures

_ids = itertools.count()
_START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
# Business zones: daylight saving north and south (Lord Howe shifts by half an hour), a
# half-hour offset without it, and UTC.
_ZONES = ("Europe/Rome", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC")


def _open(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ClientStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "sqlite":
        with SQLiteStore(tmp_path / "figures.db") as sqlite:
            yield sqlite
        return
    from clientcard.storage.postgres import PostgresStore

    dsn = request.getfixturevalue("postgres")
    schema = request.getfixturevalue("postgres_schema")
    with PostgresStore(dsn, schema=schema) as server:
        yield server


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ClientStore]:
    yield from _open(request, tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ClientStore]:
    yield from _open(request, tmp_path)


def _amount(currency: str) -> st.SearchStrategy[Money]:
    places = 0 if currency == "JPY" else 2
    return st.integers(-500, 50_000).map(
        lambda units: Money.of(Decimal(units).scaleb(-places), currency)
    )


@st.composite
def _appointments(draw: st.DrawFn, currency: str | None = None) -> list[dict[str, object]]:
    """Appointment fields without ids: when, status, services, price paid, team."""
    visits = []
    for _ in range(draw(st.integers(0, 12))):
        money = currency or draw(st.sampled_from(["EUR", "EUR", "EUR", "JPY"]))
        lines = draw(
            st.lists(
                st.builds(
                    lambda name, price, member: ServiceLine(
                        service_id=name.lower(), name=name, price=price, team_member_id=member
                    ),
                    st.sampled_from(["Cut", "Colour", "Blow-dry", "Élan"]),
                    _amount(money),
                    st.none() | st.sampled_from(["t1", "t2", "t3"]),
                ),
                min_size=1,
                max_size=3,
            )
        )
        visits.append(
            {
                "starts_at": _START
                + dt.timedelta(
                    minutes=draw(st.integers(0, 3 * 365 * 24 * 60)),
                    microseconds=draw(st.sampled_from([0, 0, 0, 1, 500_000])),
                ),
                "status": draw(st.sampled_from(AppointmentStatus)),
                "services": tuple(lines),
                "price_paid": draw(st.none() | _amount(money)),
                "team_member_id": draw(st.none() | st.sampled_from(["t1", "t2", "t4"])),
                "duration_minutes": 30,
            }
        )
    return visits


def _now(draw: st.DrawFn) -> dt.datetime:
    """Now on the wall clock of a drawn business zone, as the history service takes it."""
    at = _START + dt.timedelta(hours=draw(st.integers(0, 3 * 365 * 24)))
    return at.astimezone(zoneinfo.ZoneInfo(draw(st.sampled_from(_ZONES))))


def _book(store: ClientStore, now: dt.datetime) -> tuple[ClientBook, str]:
    """A business in ``now``'s zone, on a clock standing at ``now`` (given in UTC)."""
    book = ClientBook(store, clock=FixedClock(now.astimezone(dt.UTC)))
    business = book.create_business(
        name="Salone", region="IT", business_id=f"b{next(_ids)}", time_zone=str(now.tzinfo)
    )
    return book, business.id


def _file(
    store: ClientStore, business_id: str, card_id: str, visits: list[dict[str, object]]
) -> list[Appointment]:
    appointments = [
        Appointment(id=f"a{next(_ids)}", business_id=business_id, card_id=card_id, **fields)  # type: ignore[arg-type]
        for fields in visits
    ]
    store.add_records([appointment_to_record(appointment) for appointment in appointments])
    return appointments


def _card(store: ClientStore, business_id: str, created: dt.datetime, **fields: object) -> str:
    card = ClientCard(
        id=f"c{next(_ids)}",
        business_id=business_id,
        created_at=created,
        updated_at=created,
        first_name="Anna",
        **fields,  # type: ignore[arg-type]
    )
    store.add(card)
    return card.id


def _outcome(compute):  # type: ignore[no-untyped-def]
    try:
        return compute()
    except ValidationError as error:
        return ("refused", error.issues[0].code)


_relaxed = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


class TestClientFigures:
    @_relaxed
    @given(data=st.data())
    def test_statistics_from_the_store_equal_the_python_computation(
        self, store: ClientStore, data: st.DataObject
    ) -> None:
        now = _now(data.draw)
        book, business_id = _book(store, now)
        since = now - dt.timedelta(days=data.draw(st.integers(-30, 900)))
        card_id = _card(store, business_id, since)
        appointments = _file(store, business_id, card_id, data.draw(_appointments()))
        currency = data.draw(st.none() | st.sampled_from(["EUR", "JPY"]))

        ours = _outcome(
            lambda: book.business(business_id).history.statistics(card_id, currency=currency)
        )

        # The service counts tenure from the card as the store gives it back.
        created = store.get(business_id, card_id).created_at
        reference = _outcome(
            lambda: client_statistics(
                appointments, now=now, client_since=created, currency=currency
            )
        )
        assert ours == reference

    def test_an_amount_written_by_hand_is_read_as_python_reads_it(self, store: ClientStore) -> None:
        now = dt.datetime(2026, 11, 23, tzinfo=zoneinfo.ZoneInfo("UTC"))
        book, business_id = _book(store, now)
        card_id = _card(store, business_id, now)
        (visit,) = _file(
            store,
            business_id,
            card_id,
            [
                {
                    "starts_at": now - dt.timedelta(days=3),
                    "status": AppointmentStatus.COMPLETED,
                    "services": (
                        ServiceLine(service_id="cut", name="Cut", price=Money.of(30, "EUR")),
                    ),
                    "duration_minutes": 30,
                }
            ],
        )
        stored = store.get_record(business_id, "appointment", visit.id)
        doc = dict(stored.doc)
        doc["services"] = [{**doc["services"][0], "price": {"amount": "3e1", "currency": "EUR"}}]
        store.update_record(stored.revised(doc), expected_revision=stored.revision)

        figures = book.business(business_id).history.statistics(card_id)

        assert figures.total_spend == Money.of(30, "EUR")


class TestAudienceFigures:
    @_relaxed
    @given(data=st.data())
    def test_aggregates_from_the_store_equal_the_python_computation(
        self, store: ClientStore, data: st.DataObject
    ) -> None:
        now = _now(data.draw)
        book, business_id = _book(store, now)
        facts = []
        for _ in range(data.draw(st.integers(0, 5))):
            group = data.draw(st.none() | st.sampled_from(["vip", "regular"]))
            source = data.draw(st.none() | st.sampled_from(["friend", "instagram"]))
            card_id = _card(store, business_id, now, client_group=group, referral_source=source)
            currency = data.draw(st.sampled_from(["EUR", "EUR", "EUR", None]))
            appointments = _file(store, business_id, card_id, data.draw(_appointments(currency)))
            if data.draw(st.booleans()):
                store.set_permissions(business_id, card_id, frozenset({PROFILING_PERMISSION}))
                facts.append(ClientFacts(card_id, group, source, appointments))
        months = data.draw(st.integers(0, 8))

        ours = _outcome(
            lambda: book.business(business_id).history.aggregates(
                currency="EUR", cohort_months=months
            )
        )

        reference = _outcome(
            lambda: aggregate(facts, now=now, currency="EUR", cohort_months=months)
        )
        assert ours == reference

    def test_a_client_without_profiling_consent_changes_no_figure(self, store: ClientStore) -> None:
        now = dt.datetime(2026, 11, 23, tzinfo=zoneinfo.ZoneInfo("UTC"))
        book, business_id = _book(store, now)
        done = {
            "starts_at": now - dt.timedelta(days=40),
            "status": AppointmentStatus.COMPLETED,
            "services": (ServiceLine(service_id="cut", name="Cut", price=Money.of(30, "EUR")),),
            "duration_minutes": 30,
        }
        consenting = _card(store, business_id, now, client_group="vip")
        store.set_permissions(business_id, consenting, frozenset({PROFILING_PERMISSION}))
        _file(store, business_id, consenting, [done])
        before = book.business(business_id).history.aggregates(currency="EUR")
        refusing = _card(store, business_id, now, client_group="other", referral_source="x")
        # Not even an appointment in another currency reaches the figures.
        _file(store, business_id, refusing, [done, {**done, "services": (
            ServiceLine(service_id="cut", name="Cut", price=Money.of(30, "USD")),)}])  # fmt: skip

        after = book.business(business_id).history.aggregates(currency="EUR")

        assert after == before
        assert after.spend_by_group == {"vip": Money.of(30, "EUR")}


class TestKeptPrices:
    """Appointment records keep their currency and price in columns the statements sum."""

    def _stored(self, tmp_path: Path) -> tuple[SQLiteStore, ClientBook, str, str]:
        now = dt.datetime(2026, 11, 23, tzinfo=zoneinfo.ZoneInfo("UTC"))
        store = SQLiteStore(tmp_path / "kept.db")
        book, business_id = _book(store, now)
        card_id = _card(store, business_id, now)
        _file(
            store,
            business_id,
            card_id,
            [
                {
                    "starts_at": now - dt.timedelta(days=3),
                    "status": AppointmentStatus.COMPLETED,
                    "services": (
                        ServiceLine(service_id="cut", name="Cut", price=Money.of("30.5", "EUR")),
                    ),
                    "duration_minutes": 30,
                }
            ],
        )
        return store, book, business_id, card_id

    def test_an_appointment_keeps_its_price_in_ten_thousandths(self, tmp_path: Path) -> None:
        store = self._stored(tmp_path)[0]
        with store:
            rows = store._connection().execute("SELECT currency, amount FROM records").fetchall()
        assert rows == [("EUR", 305_000)]

    def test_records_stored_before_the_columns_get_their_prices_once(self, tmp_path: Path) -> None:
        from clientcard.storage._sql import SQLITE
        from clientcard.storage._sql._record_rows import fill_kept_prices

        store, book, business_id, card_id = self._stored(tmp_path)
        with store:
            connection = store._connection()
            connection.execute(
                "UPDATE records SET currency = NULL, amount = NULL, services = NULL, members = NULL"
            )
            # Until then their figures are summed in Python, with the same answer.
            before = book.business(business_id).history.statistics(card_id)
            with store.transaction():
                fill_kept_prices(store._session(), SQLITE)
            rows = connection.execute(
                "SELECT currency, amount, services, members FROM records"
            ).fetchall()
            after = book.business(business_id).history.statistics(card_id)
        assert rows == [("EUR", 305_000, '["Cut"]', "[]")]
        assert before == after
        assert after.total_spend == Money.of("30.50", "EUR")


class TestWallClockMonths:
    """A business with daylight saving gets its figures from the statement, not from Python."""

    # Completed appointments on either side of the midnights that open April (summer
    # time, UTC+2) and November (winter time, UTC+1) in Rome: a fixed offset would put
    # two of them in the wrong month.
    _STARTS = (
        dt.datetime(2026, 3, 31, 21, 30, tzinfo=dt.UTC),  # 31 March, 23:30 in Rome
        dt.datetime(2026, 3, 31, 22, 30, tzinfo=dt.UTC),  # 1 April, 00:30
        dt.datetime(2025, 10, 31, 22, 30, tzinfo=dt.UTC),  # 31 October, 23:30
        dt.datetime(2025, 10, 31, 23, 30, tzinfo=dt.UTC),  # 1 November, 00:30
    )

    def _history(
        self, store: ClientStore, monkeypatch: pytest.MonkeyPatch
    ) -> tuple[ClientBook, str, str, list[Appointment], dt.datetime]:
        import clientcard.storage._sql.store as sql_store

        def refused(*args: object, **kwargs: object) -> None:
            raise AssertionError("the figures were summed in Python")

        monkeypatch.setattr(sql_store, "visit_figures_of", refused)
        monkeypatch.setattr(sql_store, "audience_figures_of", refused)
        now = dt.datetime(2026, 4, 15, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Rome"))
        book, business_id = _book(store, now)
        card_id = _card(store, business_id, now - dt.timedelta(days=800))
        store.set_permissions(business_id, card_id, frozenset({PROFILING_PERMISSION}))
        visits = [_visit(start) for start in self._STARTS]
        return book, business_id, card_id, _file(store, business_id, card_id, visits), now

    def test_statistics_of_a_business_with_daylight_saving_come_from_the_statement(
        self, sql_store: ClientStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        book, business_id, card_id, appointments, now = self._history(sql_store, monkeypatch)

        ours = book.business(business_id).history.statistics(card_id)

        created = sql_store.get(business_id, card_id).created_at
        assert ours == client_statistics(appointments, now=now, client_since=created)

    def test_aggregates_of_a_business_with_daylight_saving_come_from_the_statement(
        self, sql_store: ClientStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        book, business_id, card_id, appointments, now = self._history(sql_store, monkeypatch)

        ours = book.business(business_id).history.aggregates(currency="EUR", cohort_months=8)

        facts = [ClientFacts(card_id, None, None, appointments)]
        assert ours == aggregate(facts, now=now, currency="EUR", cohort_months=8)


# Clocks a host may pass the store itself: fixed offsets up to a day away from UTC (to
# the microsecond), and zones with daylight saving north and south.
_CLOCKS = (
    dt.UTC,
    dt.timezone(dt.timedelta(hours=1)),
    dt.timezone(dt.timedelta(hours=-5, minutes=-30)),
    dt.timezone(dt.timedelta(hours=23, minutes=59, seconds=59, microseconds=999_999)),
    dt.timezone(-dt.timedelta(hours=23, minutes=59, seconds=59, microseconds=999_999)),
    zoneinfo.ZoneInfo("Australia/Lord_Howe"),
    zoneinfo.ZoneInfo("America/Santiago"),
    zoneinfo.ZoneInfo("Pacific/Kiritimati"),
    zoneinfo.ZoneInfo("America/St_Johns"),
)


class TestAnyClock:
    """The SQL stores cut months on any clock exactly as the Python computation does."""

    @_relaxed
    @given(data=st.data())
    def test_visit_figures_on_any_clock_equal_the_python_computation(
        self, sql_store: ClientStore, data: st.DataObject
    ) -> None:
        now = _now(data.draw).astimezone(data.draw(st.sampled_from(_CLOCKS)))
        _, business_id = _book(sql_store, now.astimezone(zoneinfo.ZoneInfo("UTC")))
        card_id = _card(sql_store, business_id, now)
        _file(sql_store, business_id, card_id, data.draw(_appointments()))
        months = data.draw(st.integers(0, 40))

        ours = sql_store.visit_figures(business_id, card_id, now=now, months=months)

        assert ours == visit_figures_of(sql_store, business_id, card_id, now=now, months=months)

    @_relaxed
    @given(data=st.data())
    def test_audience_figures_on_any_clock_equal_the_python_computation(
        self, sql_store: ClientStore, data: st.DataObject
    ) -> None:
        now = _now(data.draw).astimezone(data.draw(st.sampled_from(_CLOCKS)))
        _, business_id = _book(sql_store, now.astimezone(zoneinfo.ZoneInfo("UTC")))
        for _ in range(data.draw(st.integers(0, 4))):
            card_id = _card(sql_store, business_id, now)
            _file(sql_store, business_id, card_id, data.draw(_appointments("EUR")))
            if data.draw(st.booleans()):
                sql_store.set_permissions(business_id, card_id, frozenset({PROFILING_PERMISSION}))

        ours = sql_store.audience_figures(
            business_id, audience=PROFILING_PERMISSION, now=now, currency="EUR"
        )

        assert ours == audience_figures_of(
            sql_store, business_id, audience=PROFILING_PERMISSION, now=now, currency="EUR"
        )

    def test_a_clock_going_back_across_a_months_midnight_counts_each_instant_where_it_is(
        self, sql_store: ClientStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # St John's left summer time at 00:01 on 1 November 2009, back to 23:01 on
        # 31 October: a minute of November, then an hour of October again.
        calls = TestBeyondTheStatement()._spy(monkeypatch)
        zone = zoneinfo.ZoneInfo("America/St_Johns")
        now = dt.datetime(2009, 11, 15, 12, tzinfo=zone)
        _, business_id = _book(sql_store, now)
        card_id = _card(sql_store, business_id, now)
        starts = [
            dt.datetime(2009, 11, 1, 2, 0, tzinfo=dt.UTC),  # 23:30 on 31 October
            dt.datetime(2009, 11, 1, 2, 30, 30, tzinfo=dt.UTC),  # 00:00:30 on 1 November
            dt.datetime(2009, 11, 1, 2, 45, tzinfo=dt.UTC),  # 23:15 on 31 October, again
            dt.datetime(2009, 11, 1, 3, 15, tzinfo=dt.UTC),  # 23:45 on 31 October
            dt.datetime(2009, 11, 1, 3, 45, tzinfo=dt.UTC),  # 00:15 on 1 November
        ]
        _file(sql_store, business_id, card_id, [_visit(start) for start in starts])

        ours = sql_store.visit_figures(business_id, card_id, now=now, months=3)

        assert calls == []
        assert [(t.month % 12 + 1, t.appointments) for t in ours.months] == [(10, 3), (11, 2)]
        assert ours == visit_figures_of(sql_store, business_id, card_id, now=now, months=3)


class TestBeyondTheStatement:
    """More than a century of months is summed in Python, with the same answer."""

    def _spy(self, monkeypatch: pytest.MonkeyPatch) -> list[str]:
        import clientcard.storage._sql.store as sql_store

        calls: list[str] = []
        for name in ("visit_figures_of", "audience_figures_of"):
            python = getattr(sql_store, name)

            def spy(*args: Any, _python: Any = python, _name: str = name, **kwargs: Any) -> Any:
                calls.append(_name)
                return _python(*args, **kwargs)

            monkeypatch.setattr(sql_store, name, spy)
        return calls

    def test_a_trend_over_more_than_a_century_is_summed_in_python(
        self, sql_store: ClientStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        calls = self._spy(monkeypatch)
        now = dt.datetime(2026, 4, 15, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Rome"))
        _, business_id = _book(sql_store, now)
        card_id = _card(sql_store, business_id, now)
        _file(sql_store, business_id, card_id, [_visit(dt.datetime(1926, 5, 1, tzinfo=dt.UTC))])

        ours = sql_store.visit_figures(business_id, card_id, now=now, months=1300)

        assert calls == ["visit_figures_of"]
        assert ours == visit_figures_from_records(
            sql_store.find_records(business_id, RecordQuery(kind="appointment")),
            now=now,
            months=1300,
        )
        assert [totals.month for totals in ours.months] == [1926 * 12 + 4]

    def test_cohorts_over_more_than_a_century_are_summed_in_python(
        self, sql_store: ClientStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        calls = self._spy(monkeypatch)
        now = dt.datetime(2026, 4, 15, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Rome"))
        _, business_id = _book(sql_store, now)
        card_id = _card(sql_store, business_id, now)
        sql_store.set_permissions(business_id, card_id, frozenset({PROFILING_PERMISSION}))
        first, last = dt.datetime(1900, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
        _file(sql_store, business_id, card_id, [_visit(first), _visit(last)])

        ours = sql_store.audience_figures(
            business_id, audience=PROFILING_PERMISSION, now=now, currency="EUR"
        )

        assert calls == ["audience_figures_of"]
        assert ours.cohorts == {1900 * 12: {0: 1, (2026 - 1900) * 12 + 2: 1}}

    def test_a_month_past_the_last_year_a_datetime_holds_is_summed_in_python(
        self, sql_store: ClientStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        calls = self._spy(monkeypatch)
        now = dt.datetime(9999, 12, 15, tzinfo=zoneinfo.ZoneInfo("Europe/Rome"))

        ours = sql_store.visit_figures("b-late", "c-late", now=now, months=1)

        assert calls == ["visit_figures_of"]
        assert ours == visit_figures_of(sql_store, "b-late", "c-late", now=now, months=1)


def _visit(start: dt.datetime) -> dict[str, object]:
    """A completed 30 EUR cut starting at ``start``."""
    return {
        "starts_at": start,
        "status": AppointmentStatus.COMPLETED,
        "services": (ServiceLine(service_id="cut", name="Cut", price=Money.of(30, "EUR")),),
        "duration_minutes": 30,
    }
