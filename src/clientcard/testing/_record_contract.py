"""The records part of the store contract (see :mod:`clientcard.storage.records`)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientcard.business import Business
from clientcard.cards.card import ClientCard
from clientcard.errors import DuplicateError, NotFoundError, ValidationError, VersionConflictError
from clientcard.storage.protocol import ClientStore
from clientcard.storage.records import Record, RecordQuery

_NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


def _business(store: ClientStore) -> str:
    business = Business(
        id=str(uuid.uuid4()), name="Salon", region="IT", language="it", created_at=_NOW
    )
    store.add_business(business)
    return business.id


def _card(store: ClientStore, business_id: str) -> str:
    card = ClientCard(
        id=str(uuid.uuid4()),
        business_id=business_id,
        created_at=_NOW,
        updated_at=_NOW,
        first_name="Anna",
    )
    store.add(card)
    return card.id


def _record(
    business_id: str,
    *,
    kind: str = "appointment",
    card_id: str | None = None,
    at: dt.datetime = _NOW,
    key: str | None = None,
    **doc: object,
) -> Record:
    return Record(
        business_id=business_id,
        kind=kind,
        id=str(uuid.uuid4()),
        at=at,
        doc={"note": "colour 6.1", **doc},
        card_id=card_id,
        key=key,
    )


_text = st.characters(codec="utf-8", exclude_characters="\x00")
_documents = st.dictionaries(
    st.text(_text, min_size=1, max_size=8),
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**53), max_value=2**53)
        # jsonb keeps numbers as decimals: beyond 15 digits a float comes back as the
        # integer it prints as, so documents hold money and big numbers as text.
        | st.floats(min_value=-1e15, max_value=1e15, allow_nan=False)
        | st.text(_text, max_size=20),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(_text, max_size=5), inner)
        ),
        max_leaves=8,
    ),
    max_size=5,
)


class RecordStoreContract:
    """Records: filing, finding, revising and deleting them (part of the store contract).

    .. versionadded:: 0.1.0
    """

    def test_a_record_round_trips(self, store: ClientStore) -> None:
        business_id = _business(store)
        card_id = _card(store, business_id)
        record = _record(business_id, card_id=card_id, key="k-1", price="35.00")
        store.add_records([record])
        assert store.get_record(business_id, "appointment", record.id) == record

    # differing_executors: every store's subclass runs this inherited method by design.
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(doc=_documents, offset=st.integers(min_value=-(10**9), max_value=10**9))
    def test_any_json_document_and_instant_round_trip(
        self, store: ClientStore, doc: dict[str, object], offset: int
    ) -> None:
        business_id = _business(store)
        at = (_NOW + dt.timedelta(microseconds=offset)).astimezone(
            dt.timezone(dt.timedelta(hours=2))
        )
        record = Record(business_id=business_id, kind="note", id="r", at=at, doc=doc)
        store.add_records([record])
        stored = store.get_record(business_id, "note", "r")
        assert stored.doc == doc
        assert stored.at == at

    def test_a_record_id_is_unique_within_its_kind(self, store: ClientStore) -> None:
        business_id = _business(store)
        record = _record(business_id)
        store.add_records([record])
        with pytest.raises(DuplicateError):
            store.add_records([_record(business_id).revised({}, id=record.id)])
        store.add_records([_record(business_id, kind="payment").revised({}, id=record.id)])

    def test_a_batch_with_a_taken_id_adds_nothing(self, store: ClientStore) -> None:
        business_id = _business(store)
        taken = _record(business_id)
        store.add_records([taken])
        fresh = _record(business_id)
        with pytest.raises(DuplicateError):
            store.add_records([fresh, taken])
        with pytest.raises(NotFoundError):
            store.get_record(business_id, "appointment", fresh.id)

    def test_a_refused_batch_leaves_nothing_even_if_the_transaction_goes_on(
        self, store: ClientStore
    ) -> None:
        business_id = _business(store)
        taken = _record(business_id)
        store.add_records([taken])
        fresh = _record(business_id)
        with store.transaction(), pytest.raises(DuplicateError):
            store.add_records([fresh, taken])
        with pytest.raises(NotFoundError):
            store.get_record(business_id, "appointment", fresh.id)

    def test_a_read_record_is_the_callers_to_change(self, store: ClientStore) -> None:
        business_id = _business(store)
        nested = {"tone": "6.1"}
        record = _record(business_id, mix=nested)
        store.add_records([record])
        nested["tone"] = "changed"
        first = store.get_record(business_id, "appointment", record.id)
        first.doc["mix"]["tone"] = "changed too"
        second = store.get_record(business_id, "appointment", record.id)
        assert second.doc["mix"] == {"tone": "6.1"}

    def test_an_instant_before_the_year_1000_round_trips(self, store: ClientStore) -> None:
        business_id = _business(store)
        old = _record(business_id, at=dt.datetime(999, 1, 1, tzinfo=dt.UTC))
        store.add_records([old])
        (listed,) = store.find_records(business_id, RecordQuery(kind="appointment")).items
        assert listed.at == old.at

    def test_two_updates_from_one_revision_let_exactly_one_win(self, store: ClientStore) -> None:
        business_id = _business(store)
        record = _record(business_id)
        store.add_records([record])
        outcomes = []

        def update(note: str) -> None:
            try:
                store.update_record(record.revised({"note": note}), expected_revision=1)
            except VersionConflictError:
                outcomes.append("conflict")
            else:
                outcomes.append("stored")

        threads = [threading.Thread(target=update, args=(f"n{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["conflict"] * 3 + ["stored"]

    def test_a_record_needs_its_business(self, store: ClientStore) -> None:
        with pytest.raises(NotFoundError):
            store.add_records([_record("no-such-business")])

    def test_another_business_cannot_read_a_record(self, store: ClientStore) -> None:
        business_id = _business(store)
        other = _business(store)
        record = _record(business_id)
        store.add_records([record])
        with pytest.raises(NotFoundError):
            store.get_record(other, "appointment", record.id)
        assert not store.find_records(other, RecordQuery(kind="appointment")).items

    def test_an_update_must_follow_the_stored_revision(self, store: ClientStore) -> None:
        business_id = _business(store)
        record = _record(business_id)
        store.add_records([record])
        second = record.revised({"note": "colour 7.1"})
        store.update_record(second, expected_revision=1)
        assert store.get_record(business_id, "appointment", record.id) == second
        with pytest.raises(VersionConflictError):
            store.update_record(record.revised({"note": "lost"}), expected_revision=1)
        with pytest.raises(ValidationError):
            store.update_record(second, expected_revision=2)

    def test_updating_an_unknown_record_is_not_found(self, store: ClientStore) -> None:
        business_id = _business(store)
        with pytest.raises(NotFoundError):
            store.update_record(_record(business_id).revised({}), expected_revision=1)

    def test_a_listing_runs_in_time_order_and_pages(self, store: ClientStore) -> None:
        business_id = _business(store)
        records = [
            _record(business_id, at=_NOW + dt.timedelta(hours=hours)) for hours in (3, 1, 2, 1, 0)
        ]
        store.add_records(records)
        expected = sorted(records, key=lambda record: (record.at, record.id))
        seen: list[Record] = []
        cursor = None
        while True:
            page = store.find_records(
                business_id, RecordQuery(kind="appointment"), limit=2, cursor=cursor
            )
            seen.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == expected

    def test_a_listing_filters_by_card_key_and_window(self, store: ClientStore) -> None:
        business_id = _business(store)
        card_id = _card(store, business_id)
        early = _record(business_id, card_id=card_id, at=_NOW - dt.timedelta(days=1), key="a")
        late = _record(business_id, card_id=card_id, at=_NOW + dt.timedelta(days=1), key="b")
        other = _record(business_id, at=_NOW)
        store.add_records([early, late, other])

        def ids(query: RecordQuery) -> list[str]:
            return [record.id for record in store.find_records(business_id, query)]

        assert ids(RecordQuery(kind="appointment", card_id=card_id)) == [early.id, late.id]
        assert ids(RecordQuery(kind="appointment", key="b")) == [late.id]
        assert ids(RecordQuery(kind="appointment", since=_NOW)) == [other.id, late.id]
        assert ids(RecordQuery(kind="appointment", until=_NOW)) == [early.id]
        assert ids(RecordQuery(kind="payment")) == []

    def test_a_foreign_cursor_is_refused(self, store: ClientStore) -> None:
        business_id = _business(store)
        with pytest.raises(ValidationError):
            store.find_records(business_id, RecordQuery(kind="appointment"), cursor="junk")

    def test_deleting_a_card_deletes_its_records(self, store: ClientStore) -> None:
        business_id = _business(store)
        card_id = _card(store, business_id)
        mine = _record(business_id, card_id=card_id)
        detached = _record(business_id)
        store.add_records([mine, detached])
        store.delete(business_id, card_id, expected_version=1)
        with pytest.raises(NotFoundError):
            store.get_record(business_id, "appointment", mine.id)
        assert store.get_record(business_id, "appointment", detached.id) == detached

    def test_records_are_deleted_by_card_kind_or_ids(self, store: ClientStore) -> None:
        business_id = _business(store)
        card_id = _card(store, business_id)
        visit = _record(business_id, card_id=card_id)
        payment = _record(business_id, kind="payment", card_id=card_id)
        loose = [_record(business_id) for _ in range(3)]
        store.add_records([visit, payment, *loose])
        assert store.delete_records(business_id, card_id=card_id, kind="payment") == 1
        assert store.delete_records(business_id, card_id=card_id) == 1
        ids = [loose[0].id, loose[1].id, loose[0].id]
        assert store.delete_records(business_id, kind="appointment", record_ids=ids) == 2
        remaining = store.find_records(business_id, RecordQuery(kind="appointment")).items
        assert [record.id for record in remaining] == [loose[2].id]

    def test_a_deletion_must_name_a_card_or_ids(self, store: ClientStore) -> None:
        business_id = _business(store)
        store.add_records([_record(business_id)])
        with pytest.raises(ValidationError):
            store.delete_records(business_id, kind="appointment")
        assert len(store.find_records(business_id, RecordQuery(kind="appointment"))) == 1

    def test_deleting_never_reaches_another_business(self, store: ClientStore) -> None:
        business_id = _business(store)
        other = _business(store)
        record = _record(business_id, card_id="c-1")
        store.add_records([record])
        assert store.delete_records(other, card_id="c-1") == 0
        assert store.delete_records(other, kind="appointment", record_ids=[record.id]) == 0
        assert store.get_record(business_id, "appointment", record.id) == record

    def test_records_move_to_another_card_or_to_none(self, store: ClientStore) -> None:
        business_id = _business(store)
        first = _card(store, business_id)
        second = _card(store, business_id)
        records = [_record(business_id, card_id=first), _record(business_id, card_id=first)]
        store.add_records(records)
        assert store.reassign_records(business_id, first, second) == 2
        query = RecordQuery(kind="appointment", card_id=second)
        assert len(store.find_records(business_id, query)) == 2
        assert store.reassign_records(business_id, second, None) == 2
        assert store.get_record(business_id, "appointment", records[0].id).card_id is None

    def test_records_added_in_a_failed_transaction_are_gone(self, store: ClientStore) -> None:
        business_id = _business(store)
        record = _record(business_id)
        with pytest.raises(RuntimeError), store.transaction():
            store.add_records([record])
            raise RuntimeError("boom")
        with pytest.raises(NotFoundError):
            store.get_record(business_id, "appointment", record.id)
