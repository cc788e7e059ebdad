"""The shared SQL pieces on their own: patterns, documents, filters and migrations."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from clientcard.storage import CardQuery, SearchTerms
from clientcard.storage._sql import (
    MIGRATIONS,
    POSTGRES,
    SQLITE,
    card_filter,
    glob_pattern,
    like_pattern,
)

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)


def test_a_like_pattern_escapes_its_wildcards_and_escape_character() -> None:
    assert like_pattern("50%_off!") == "%50!%!_off!!%"
    assert like_pattern("a_b", prefix=True) == "a!_b%"


def test_a_glob_pattern_puts_its_wildcards_in_classes() -> None:
    assert glob_pattern("a*b?c[d]") == "*a[*]b[?]c[[]d]*"
    assert glob_pattern("x?", prefix=True) == "x[?]*"


@given(document=st.dictionaries(st.text(), JSON_VALUES))
def test_a_postgres_document_reads_back_unchanged(document: dict[str, object]) -> None:
    assert POSTGRES.decode_doc(POSTGRES.encode_doc(document)) == document


@given(document=st.dictionaries(st.text(), JSON_VALUES))
def test_a_sqlite_document_reads_back_unchanged(document: dict[str, object]) -> None:
    assert SQLITE.decode_doc(SQLITE.encode_doc(document)) == document


def test_every_value_of_a_query_is_a_bound_parameter() -> None:
    hostile = "x' OR '1'='1"
    query = CardQuery(
        search=SearchTerms(name=hostile, phone_digits="1'2", email=hostile),
        email=hostile,
        phone=hostile,
        group=hostile,
        tag=hostile,
        custom_field="hair",
        custom_value=hostile,
        contactable=(hostile, hostile),
    )
    for dialect in (SQLITE, POSTGRES):
        sql, params = card_filter(dialect, hostile, query)
        assert "'1'" not in sql
        assert sql.count("?") == len(params)
        assert hostile in params


def test_a_query_without_filters_only_scopes_by_business() -> None:
    assert card_filter(SQLITE, "b", None) == ("c.business_id = ?", ["b"])


def test_every_migration_has_statements_for_both_dialects_in_version_order() -> None:
    versions = [migration.version for migration in MIGRATIONS]
    assert versions == sorted(set(versions))
    assert versions[0] == 1
    for migration in MIGRATIONS:
        assert set(migration.statements) == {"sqlite", "postgresql"}


def test_every_table_is_keyed_by_business() -> None:
    for migration in MIGRATIONS:
        for statements in migration.statements.values():
            for statement in statements:
                table = re.match(r"CREATE TABLE IF NOT EXISTS (\w+)", statement)
                if table is not None and table[1] != "businesses":
                    assert "business_id" in statement, table[1]
