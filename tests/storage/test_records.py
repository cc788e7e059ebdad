"""Record values: what a store may be given, and what they show."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard.errors import ValidationError
from clientcard.storage.records import (
    Record,
    RecordQuery,
    decode_record_cursor,
    encode_record_cursor,
    record_matches,
)
from tests.support import NOW


def _record(**changes: object) -> Record:
    values: dict[str, object] = {
        "business_id": "b",
        "kind": "appointment",
        "id": "r-1",
        "at": NOW,
        "doc": {"note": "Anna's colour"},
    }
    values.update(changes)
    return Record(**values)  # type: ignore[arg-type]


class TestRecord:
    def test_the_repr_shows_ids_and_never_the_document(self) -> None:
        assert "Anna" not in repr(_record())
        assert "r-1" in repr(_record())

    def test_a_naive_time_is_refused(self) -> None:
        with pytest.raises(ValidationError) as caught:
            _record(at=dt.datetime(2026, 1, 1))
        assert caught.value.codes == {"record.naive_time"}

    @pytest.mark.parametrize("kind", ["", "Appointment", "a b", "x" * 41, "1st"])
    def test_a_malformed_kind_is_refused(self, kind: str) -> None:
        with pytest.raises(ValidationError) as caught:
            _record(kind=kind)
        assert caught.value.codes == {"record.kind_invalid"}

    @pytest.mark.parametrize(
        "changes",
        [
            {"id": "a\x00b"},
            {"key": "\ud800"},
            {"doc": {"note": ["ok", "a\x00"]}},
            {"doc": {"\x00": 1}},
        ],
    )
    def test_text_no_store_can_keep_is_refused(self, changes: dict[str, object]) -> None:
        with pytest.raises(ValidationError) as caught:
            _record(**changes)
        assert caught.value.codes == {"record.text_invalid"}

    @pytest.mark.parametrize("doc", [{"x": float("nan")}, {"x": float("inf")}, {"x": object()}])
    def test_a_document_that_is_not_json_is_refused(self, doc: dict[str, object]) -> None:
        with pytest.raises(ValidationError) as caught:
            _record(doc=doc)
        assert caught.value.codes == {"record.doc_invalid"}

    def test_revision_zero_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            _record(revision=0)

    def test_revised_bumps_the_revision_and_replaces_the_document(self) -> None:
        revised = _record().revised({"note": "new"}, key="k")
        assert (revised.revision, revised.doc, revised.key) == (2, {"note": "new"}, "k")

    def test_the_document_is_copied_on_the_way_in(self) -> None:
        doc: dict[str, object] = {"note": "a"}
        record = _record(doc=doc)
        doc["note"] = "b"
        assert record.doc == {"note": "a"}


class TestRecordQuery:
    def test_since_is_inclusive_and_until_exclusive(self) -> None:
        record = _record()
        assert record_matches(record, RecordQuery(kind="appointment", since=NOW))
        assert not record_matches(record, RecordQuery(kind="appointment", until=NOW))


class TestCursor:
    @given(
        at=st.datetimes(timezones=st.just(dt.UTC)),
        record_id=st.text(st.characters(codec="utf-8")),
    )
    def test_a_cursor_round_trips(self, at: dt.datetime, record_id: str) -> None:
        assert decode_record_cursor(encode_record_cursor(at, record_id)) == (at, record_id)

    @pytest.mark.parametrize("cursor", ["", "!!!", "WzFd", "WyIyMDI2LTAxLTAxIiwgInIiXQ=="])
    def test_anything_else_is_refused(self, cursor: str) -> None:
        with pytest.raises(ValidationError) as caught:
            decode_record_cursor(cursor)
        assert caught.value.codes == {"query.cursor_invalid"}


def test_a_restored_record_equals_the_record_it_was() -> None:
    record = _record(card_id="c", key="k", revision=3)
    restored = Record.restored(
        business_id=record.business_id,
        kind=record.kind,
        id=record.id,
        at=record.at,
        doc=dict(record.doc),
        card_id=record.card_id,
        key=record.key,
        revision=record.revision,
    )
    assert restored == record
    assert restored.revised({}).revision == 4
