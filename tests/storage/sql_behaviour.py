"""What the SQL stores promise beyond the shipped contract.

Mixed into the SQLite and PostgreSQL test classes next to
:class:`~clientcard.testing.contracts.ClientStoreContract`; each test asks for the same
``store`` fixture.
"""

from __future__ import annotations

import threading

import attrs
import pytest

from clientcard.cards.serialization import card_to_dict
from clientcard.errors import (
    DocumentError,
    DuplicateError,
    NotFoundError,
    StorageError,
    ValidationError,
)
from clientcard.storage import CardQuery, SearchTerms
from clientcard.storage._sql import SQLStore
from clientcard.storage.protocol import encode_cursor, sort_key
from clientcard.storage.records import Record
from clientcard.testing.contracts import new_business as business
from clientcard.testing.contracts import new_card as card
from tests.support import NOW


class SQLStoreBehaviour:
    """Tests every SQL store runs besides the contract."""

    def test_listing_follows_code_point_order_like_python(self, store: SQLStore) -> None:
        business_id = business(store)
        names = ["Zoe", "åsa", "Émile", "émile", "Ωmega", "ß", "a b", "A", "ab", "Ñu", "李"]
        cards = [card(business_id, first_name=name, last_name="") for name in names]
        for each in cards:
            store.add(each)
        expected = [c.id for c in sorted(cards, key=lambda c: (sort_key(c), c.id))]
        seen: list[str] = []
        cursor = None
        while True:
            # Small pages: the cursor comparison must agree with the ordering too.
            page = store.find(business_id, limit=2, cursor=cursor)
            seen.extend(c.id for c in page)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == expected

    def test_search_never_reads_wildcard_characters_as_patterns(self, store: SQLStore) -> None:
        business_id = business(store)
        odd = card(business_id, last_name="a%b_c!d*e?f[g]", email="x_y%z@example.com")
        store.add(odd)
        store.add(card(business_id, first_name="Zed", last_name="Qxwx", email="xay@example.com"))

        def found(**terms: str) -> list[str]:
            query = CardQuery(search=SearchTerms(**terms))
            return [c.id for c in store.find(business_id, query)]

        # In a name they separate words, as any character that is not a letter or digit.
        for typed in ("a%b", "b_c", "c!d", "d*e", "e?f", "f[g]"):
            assert found(name=typed) == [odd.id], typed
        for typed in ("%x", "_x", "*x", "?x", "[q]x"):
            assert found(name=typed) == [], typed
        # In an e-mail address they are characters like any other.
        assert found(email="x_y%") == [odd.id]
        assert found(email="x%") == []
        assert found(email="_") == []

    def test_a_custom_filter_on_a_name_no_schema_allows_matches_nothing(
        self, store: SQLStore
    ) -> None:
        business_id = business(store)
        store.add(card(business_id, custom={"hair": "curly"}))
        for field in ("Hair", "hair') OR 1=1 --", "hair.x", "$", "x y"):
            query = CardQuery(custom_field=field, custom_value="curly")
            assert store.count(business_id, query) == 0, field

    def test_a_custom_filter_compares_json_types_exactly(self, store: SQLStore) -> None:
        business_id = business(store)
        text = card(business_id, custom={"flag": "true"})
        boolean = card(business_id, custom={"flag": True})
        listed = card(business_id, custom={"flag": ("true",)})
        for each in (text, boolean, listed):
            store.add(each)
        by_bool = store.find(business_id, CardQuery(custom_field="flag", custom_value=True))
        by_text = store.find(business_id, CardQuery(custom_field="flag", custom_value="true"))
        assert [c.id for c in by_bool] == [boolean.id]
        assert [c.id for c in by_text] == [text.id]

    def test_an_integer_wider_than_64_bits_in_a_record_comes_back_whole(
        self, store: SQLStore
    ) -> None:
        # Card documents are read with orjson, which would make it a float; records not.
        business_id = business(store)
        wide = {"card_no": 2**70 + 1, "nested": [-(2**63) - 1]}
        store.add_records([Record(business_id=business_id, kind="note", id="r", at=NOW, doc=wide)])
        assert store.get_record(business_id, "note", "r").doc == wide

    def test_text_with_private_use_and_odd_characters_round_trips(self, store: SQLStore) -> None:
        business_id = business(store)
        odd = "a\\b\ue000c\"d\u2028e'f\U0001f600"
        stored = card(business_id, notes=odd, custom={"remark": odd, "list": (odd, "\t")})
        store.add(stored)
        assert store.get(business_id, stored.id) == stored
        query = CardQuery(custom_field="remark", custom_value=odd)
        assert [c.id for c in store.find(business_id, query)] == [stored.id]

    def test_search_terms_with_nul_match_nothing(self, store: SQLStore) -> None:
        business_id = business(store)
        store.add(card(business_id, email="anna@example.com"))
        # In a name U+0000 separates words like any character that is not a letter.
        assert store.count(business_id, CardQuery(search=SearchTerms(name="an\x00"))) == 1
        assert store.count(business_id, CardQuery(search=SearchTerms(email="anna\x00"))) == 0
        assert store.search(business_id, SearchTerms(email="anna\x00")) == []
        assert store.count(business_id, CardQuery(email="anna@example.com\x00")) == 0

    def test_ids_holding_nul_are_simply_not_found(self, store: SQLStore) -> None:
        business_id = business(store)
        with pytest.raises(NotFoundError):
            store.get(business_id, "card\x00")
        with pytest.raises(NotFoundError):
            store.get_business(f"{business_id}\x00")
        with pytest.raises(NotFoundError):
            store.delete(business_id, "card\x00", expected_version=1)
        assert store.permissions(business_id, "card\x00") == frozenset()
        assert store.count(f"{business_id}\x00") == 0

    def test_a_cursor_holding_nul_is_invalid(self, store: SQLStore) -> None:
        with pytest.raises(ValidationError):
            store.find(business(store), cursor=encode_cursor("a\x00", "b"))

    def test_a_page_of_no_cards_is_empty_and_last(self, store: SQLStore) -> None:
        business_id = business(store)
        store.add(card(business_id))
        page = store.find(business_id, limit=0)
        assert (page.items, page.next_cursor) == ((), None)
        assert store.pending_events(limit=0) == []

    def test_a_failed_operation_leaves_the_rest_of_its_transaction(self, store: SQLStore) -> None:
        business_id = business(store)
        first, second = card(business_id), card(business_id)
        with store.transaction():
            store.add(first)
            with pytest.raises(DuplicateError):
                store.add(first)
            store.add(second)
        assert store.count(business_id) == 2

    def test_other_threads_do_not_see_an_open_transaction(self, store: SQLStore) -> None:
        business_id = business(store)
        seen: list[int] = []
        with store.transaction():
            store.add(card(business_id))
            reader = threading.Thread(target=lambda: seen.append(store.count(business_id)))
            reader.start()
            reader.join(timeout=30)
            assert store.count(business_id) == 1
        assert seen == [0]
        assert store.count(business_id) == 1

    def test_a_closed_store_is_unavailable(self, store: SQLStore) -> None:
        business_id = business(store)
        store.close()
        with pytest.raises(StorageError) as caught:
            store.count(business_id)
        assert caught.value.reason == "unavailable"

    def test_a_duplicate_error_names_the_id_and_no_card_value(self, store: SQLStore) -> None:
        business_id = business(store)
        stored = card(business_id, first_name="Privata", email="privata@example.com")
        store.add(stored)
        with pytest.raises(DuplicateError) as caught:
            store.add(attrs.evolve(stored, last_name="Segreta"))
        assert stored.id in str(caught.value)
        for value in ("Privata", "privata@example.com", "Segreta"):
            assert value not in str(caught.value)
        assert caught.value.__cause__ is None

    # -- lookups by phone and e-mail: read unordered, sorted in Python --------------------

    @pytest.mark.parametrize(
        "query",
        [CardQuery(phone="+393331234567"), CardQuery(email="family@example.com")],
        ids=["phone", "email"],
    )
    def test_a_lookup_shared_by_several_cards_follows_listing_order(
        self, store: SQLStore, query: CardQuery
    ) -> None:
        business_id = business(store)
        names = ["Zoe", "åsa", "Émile", "émile", "Ωmega", "ß", "A", "李", "Émile"]
        family = [
            card(
                business_id,
                first_name=name,
                last_name="",
                phones=("+390212345678", "+393331234567"),
                email="family@example.com",
            )
            for name in names
        ]
        for each in family:
            store.add(each)
        store.add(card(business_id, phones=("+393339999999",), email="other@example.com"))
        expected = [c.id for c in sorted(family, key=lambda c: (sort_key(c), c.id))]
        assert [c.id for c in store.find(business_id, query)] == expected
        # More matches than a page: the first page and its cursor, as any listing.
        first = store.find(business_id, query, limit=4)
        assert [c.id for c in first] == expected[:4]
        assert first.next_cursor is not None
        rest = store.find(business_id, query, limit=50, cursor=first.next_cursor)
        assert [c.id for c in rest] == expected[4:]
        assert rest.next_cursor is None
        exactly = store.find(business_id, query, limit=len(expected))
        assert ([c.id for c in exactly], exactly.next_cursor) == (expected, None)

    def test_a_lookup_with_another_filter_keeps_every_filter(self, store: SQLStore) -> None:
        business_id = business(store)
        vip = card(business_id, phones=("+393331234567",), client_group="vip")
        store.add(vip)
        store.add(card(business_id, phones=("+393331234567",)))
        query = CardQuery(phone="+393331234567", group="vip")
        assert [c.id for c in store.find(business_id, query)] == [vip.id]
        query = CardQuery(email="anna@example.com", phone="+393331234567")
        assert store.find(business_id, query).items == ()

    def test_a_lookup_key_holding_nul_matches_nothing(self, store: SQLStore) -> None:
        business_id = business(store)
        store.add(card(business_id, phones=("+393331234567",), email="anna@example.com"))
        assert store.find(business_id, CardQuery(phone="+393331234567\x00")).items == ()
        assert store.find(business_id, CardQuery(email="anna@example.com\x00")).items == ()
        assert store.find(f"{business_id}\x00", CardQuery(phone="+393331234567")).items == ()

    # -- corrupted rows ------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("created_at", "2026-01-01T00:00:00"),
            ("status", "archived"),
            ("version", 0),
            ("phones", 393331234567),
        ],
    )
    def test_a_corrupted_row_is_reported_by_every_read(
        self, store: SQLStore, key: str, value: object
    ) -> None:
        business_id = business(store)
        stored = card(business_id, phones=("+393331234567",), email="anna@example.com")
        store.add(stored)
        document = {**card_to_dict(stored), key: value}
        store._run(
            lambda session: session.execute(
                "UPDATE cards SET doc = ? WHERE business_id = ? AND id = ?",
                (store._dialect.encode_doc(document), business_id, stored.id),
            ),
            write=True,
        )
        reads = {
            "get": lambda: store.get(business_id, stored.id),
            "phone": lambda: store.find(business_id, CardQuery(phone="+393331234567")),
            "email": lambda: store.find(business_id, CardQuery(email="anna@example.com")),
            "listing": lambda: store.find(business_id),
        }
        for name, read in reads.items():
            with pytest.raises(DocumentError) as caught:
                read()
            assert caught.value.kind == "client_card", name
            assert "+39333" not in str(caught.value), name
