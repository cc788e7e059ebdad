"""Properties that hold for every input: validation fails only with the library's errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from clientcard import BirthDate, ClientCard, Context, FieldSchema, ValidationError
from clientcard.cards.card import BUILTIN_KEYS
from tests.strategies import typed_forms
from tests.support import NOW, TODAY

SCHEMA = FieldSchema.default()
JUNK: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.binary()
    | st.decimals()
    | st.dates()
    | st.datetimes(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)
KEYS = st.sampled_from(sorted(BUILTIN_KEYS)) | st.text(max_size=10)


@given(st.dictionaries(KEYS, JUNK, max_size=6), st.sampled_from(Context))
def test_validation_raises_only_validation_errors(values: dict[str, Any], context: Context) -> None:
    try:
        SCHEMA.validate(values, context, today=TODAY)
    except ValidationError as error:
        assert error.issues
        assert all(issue.field and issue.code and issue.message for issue in error.issues)


@given(typed_forms())
def test_a_tidy_form_is_accepted_and_normalising_it_again_changes_nothing(
    form: dict[str, object],
) -> None:
    clean = SCHEMA.validate(form, Context.STAFF, today=TODAY)
    again = {k: (v.iso() if isinstance(v, BirthDate) else v) for k, v in clean.items()}
    assert SCHEMA.validate(again, Context.STAFF, today=TODAY) == clean


@given(typed_forms())
def test_applying_a_form_twice_changes_nothing_the_second_time(form: dict[str, object]) -> None:
    clean = SCHEMA.validate(form, Context.STAFF, today=TODAY)
    card = ClientCard.create(card_id="c", business_id="b", values={"first_name": "A"}, at=NOW)
    once = card.apply(clean, at=NOW + dt.timedelta(seconds=1))
    assert once.card.apply(clean, at=NOW + dt.timedelta(seconds=2)).is_noop
