"""Card documents' JSON text: orjson's, equal to what the standard library writes and reads."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard import _json

# What stored documents hold: text (any code point but a lone surrogate), integers,
# booleans, null, lists and objects keyed by text.
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.text(st.characters(exclude_categories=["Cs"]))
)
documents = st.dictionaries(
    st.text(st.characters(exclude_categories=["Cs"])),
    st.recursive(
        _scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    ),
    max_size=8,
)


@dataclasses.dataclass
class _Point:
    x: int
    y: int


def standard(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@given(documents)
def test_writes_the_text_the_standard_library_writes(document: dict[str, Any]) -> None:
    assert _json.card_text(document) == standard(document)


@given(documents)
def test_reads_back_what_it_wrote(document: dict[str, Any]) -> None:
    assert _json.card_document(_json.card_text(document)) == document


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_finite_float_reads_back_as_the_same_number(number: float) -> None:
    assert _json.card_document(_json.card_text({"x": number})) == {"x": number}


def test_a_key_that_is_not_text_is_written_as_the_standard_library_writes_it() -> None:
    assert _json.card_text({1: "a"}) == '{"1":"a"}'  # type: ignore[dict-item]


def test_an_integer_wider_than_64_bits_is_written_whole() -> None:
    assert _json.card_text({"n": 2**70 + 1}) == '{"n":1180591620717411303425}'


@pytest.mark.parametrize(
    "value",
    [dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.date(2026, 1, 1), _Point(1, 2)],
)
def test_a_value_json_refuses_is_refused_though_orjson_could_write_it(value: object) -> None:
    with pytest.raises(TypeError):
        _json.card_text({"x": value})


def test_a_subclass_of_text_is_written_as_its_text() -> None:
    class Label(str):
        pass

    assert _json.card_text({"x": Label("vip")}) == '{"x":"vip"}'


def test_a_lone_surrogate_escaped_in_stored_text_is_read_as_the_standard_library_reads_it() -> None:
    # Nothing clientcard writes holds one; a row edited by hand may, and is still read
    # (the card reader then refuses the card, naming the field).
    assert _json.card_document('{"x":"\\ud800"}') == {"x": "\ud800"}


def test_a_value_json_has_no_type_for_is_refused() -> None:
    with pytest.raises(TypeError):
        _json.card_text({"when": object()})


def test_text_that_is_not_json_is_refused_with_the_standard_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        _json.card_document("{not json")


def test_bytes_are_read_as_their_utf8_text() -> None:
    assert _json.card_document('{"città":"Forlì"}'.encode()) == {"città": "Forlì"}
