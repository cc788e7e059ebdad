"""The listing and search part of the store contract: orders, pages, filters."""

from __future__ import annotations

import attrs
import pytest

from clientcard.cards.card import CardStatus
from clientcard.errors import ValidationError
from clientcard.storage.protocol import CardQuery, ClientStore, SearchTerms
from clientcard.testing._contract_builders import new_business, new_card

__all__ = ["CardQueryContract"]


class CardQueryContract:
    """Listing, paging, searching and filtering cards (part of the store contract).

    .. versionadded:: 0.1.0
    """

    # -- listing and search -----------------------------------------------------------

    def test_listing_orders_by_last_then_first_name(self, store: ClientStore) -> None:
        business_id = new_business(store)
        for first, last in [("Zoe", "Bianchi"), ("Ämy", "Bianchi"), ("Carlo", "Álvarez")]:
            store.add(new_card(business_id, first_name=first, last_name=last))
        names = [card.first_name for card in store.find(business_id)]
        assert names == ["Carlo", "Ämy", "Zoe"]

    def test_pagination_visits_every_card_once(self, store: ClientStore) -> None:
        business_id = new_business(store)
        added = [new_card(business_id, first_name="Same") for _ in range(7)]
        for card in added:
            store.add(card)
        seen: list[str] = []
        page = store.find(business_id, limit=3)
        while True:
            seen.extend(card.id for card in page)
            if page.next_cursor is None:
                break
            page = store.find(business_id, limit=3, cursor=page.next_cursor)
        assert sorted(seen) == sorted(card.id for card in added)
        assert len(seen) == len(set(seen))

    def test_pagination_is_stable_while_cards_come_and_go(self, store: ClientStore) -> None:
        business_id = new_business(store)
        originals = [new_card(business_id, last_name=f"N{i:02d}") for i in range(10)]
        for card in originals:
            store.add(card)
        first = store.find(business_id, limit=4)
        store.add(new_card(business_id, last_name="N00a"))  # sorts into the page already seen
        store.delete(business_id, originals[9].id, expected_version=1)
        seen = [card.id for card in first]
        cursor = first.next_cursor
        while cursor is not None:
            page = store.find(business_id, limit=4, cursor=cursor)
            seen.extend(card.id for card in page)
            cursor = page.next_cursor
        assert seen == [card.id for card in originals[:9]]

    def test_the_last_page_has_no_cursor(self, store: ClientStore) -> None:
        business_id = new_business(store)
        store.add(new_card(business_id))
        assert store.find(business_id, limit=1).next_cursor is None
        assert store.find(business_id, limit=5).next_cursor is None

    def test_a_foreign_cursor_is_a_validation_error(self, store: ClientStore) -> None:
        with pytest.raises(ValidationError):
            store.find(new_business(store), cursor="not-a-cursor")

    def test_search_finds_a_name_by_the_start_of_its_words_without_accents_or_case(
        self, store: ClientStore
    ) -> None:
        business_id = new_business(store)
        jose = new_card(business_id, first_name="José", last_name="Núñez")
        store.add(jose)
        store.add(new_card(business_id, first_name="Maria", last_name="Rossi"))
        for typed in ("jose", "JOSÉ", "nunez", "nú", "jo nu", "nunez jose", "NÚÑ J"):
            found = store.find(business_id, CardQuery(search=SearchTerms(name=typed)))
            assert [card.id for card in found] == [jose.id], typed
            assert [card.id for card in store.search(business_id, SearchTerms(name=typed))] == [
                jose.id
            ], typed

    def test_search_does_not_match_inside_a_word(self, store: ClientStore) -> None:
        business_id = new_business(store)
        store.add(new_card(business_id, first_name="José", last_name="Núñez"))
        for typed in ("sé", "unez", "se nu"):
            assert store.count(business_id, CardQuery(search=SearchTerms(name=typed))) == 0
            assert store.search(business_id, SearchTerms(name=typed)) == []

    def test_search_needs_every_typed_word_to_start_a_word_of_the_name(
        self, store: ClientStore
    ) -> None:
        business_id = new_business(store)
        de_luca = new_card(business_id, first_name="Anna", last_name="De Luca")
        store.add(de_luca)
        store.add(new_card(business_id, first_name="Debora", last_name="Rossi"))
        store.add(new_card(business_id, first_name="Luca", last_name="Bianchi"))
        found = store.search(business_id, SearchTerms(name="de lu"))
        assert [card.id for card in found] == [de_luca.id]
        assert store.count(business_id, CardQuery(search=SearchTerms(name="de lu"))) == 1

    def test_search_finds_a_name_of_several_words_written_together(
        self, store: ClientStore
    ) -> None:
        business_id = new_business(store)
        card = new_card(business_id, first_name="Ugo", last_name="D'Angelo")
        store.add(card)
        for typed in ("dangelo", "d'angelo", "d angelo", "angelo", "dan"):
            found = store.search(business_id, SearchTerms(name=typed))
            assert [c.id for c in found] == [card.id], typed

    def test_search_finds_a_phone_by_the_start_of_its_number(self, store: ClientStore) -> None:
        business_id = new_business(store)
        card = new_card(business_id, phones=("+393331234567",))
        store.add(card)
        store.add(new_card(business_id, phones=("+31687654000",)))
        for digits in ("3331234567", "3331234", "393331234567", "39333"):
            query = CardQuery(search=SearchTerms(phone_digits=digits))
            assert [c.id for c in store.find(business_id, query)] == [card.id], digits
            found = store.search(business_id, SearchTerms(phone_digits=digits))
            assert [c.id for c in found] == [card.id], digits

    def test_search_does_not_find_a_phone_by_digits_inside_it(self, store: ClientStore) -> None:
        business_id = new_business(store)
        store.add(new_card(business_id, phones=("+393331234567",)))
        assert store.count(business_id, CardQuery(search=SearchTerms(phone_digits="1234567"))) == 0
        assert store.search(business_id, SearchTerms(phone_digits="1234567")) == []

    def test_search_finds_an_email_by_its_beginning(self, store: ClientStore) -> None:
        business_id = new_business(store)
        card = new_card(business_id, email="Anna.Rossi@example.com")
        store.add(card)
        store.add(new_card(business_id, email="bruno@example.com"))
        query = CardQuery(search=SearchTerms(email="anna.ro"))
        assert [c.id for c in store.find(business_id, query)] == [card.id]
        assert [c.id for c in store.search(business_id, SearchTerms(email="anna.ro"))] == [card.id]

    def test_search_terms_are_alternatives(self, store: ClientStore) -> None:
        business_id = new_business(store)
        by_name = new_card(business_id, first_name="Ugo", last_name="A")
        by_phone = new_card(business_id, first_name="Eva", last_name="B", phones=("+393331234567",))
        store.add(by_name)
        store.add(by_phone)
        terms = SearchTerms(name="ugo", phone_digits="3331234567")
        assert [c.id for c in store.find(business_id, CardQuery(search=terms))] == [
            by_name.id,
            by_phone.id,
        ]
        # Ranked: the number typed whole comes before a name.
        assert [c.id for c in store.search(business_id, terms)] == [by_phone.id, by_name.id]

    def test_search_ranks_whole_words_before_prefixes_then_by_name(
        self, store: ClientStore
    ) -> None:
        business_id = new_business(store)
        rossini = new_card(business_id, first_name="Anna", last_name="Rossini")
        ross_b = new_card(business_id, first_name="Bea", last_name="Ross")
        ross_a = new_card(business_id, first_name="Ada", last_name="Ross")
        rossi = new_card(business_id, first_name="Carla", last_name="Rossi")
        for card in (rossini, ross_b, ross_a, rossi):
            store.add(card)
        found = store.search(business_id, SearchTerms(name="ross"))
        assert [c.id for c in found] == [ross_a.id, ross_b.id, rossi.id, rossini.id]

    def test_search_ranks_more_whole_words_first(self, store: ClientStore) -> None:
        business_id = new_business(store)
        prefix_only = new_card(business_id, first_name="Annalisa", last_name="Rossi")
        both_whole = new_card(business_id, first_name="Anna", last_name="Rossi")
        store.add(prefix_only)
        store.add(both_whole)
        found = store.search(business_id, SearchTerms(name="anna rossi"))
        assert [c.id for c in found] == [both_whole.id, prefix_only.id]

    def test_search_ranks_an_exact_email_before_a_longer_one(self, store: ClientStore) -> None:
        business_id = new_business(store)
        longer = new_card(business_id, first_name="Ada", email="anna@example.com.it")
        exact = new_card(business_id, first_name="Zoe", email="anna@example.com")
        store.add(longer)
        store.add(exact)
        found = store.search(business_id, SearchTerms(email="anna@example.com"))
        assert [c.id for c in found] == [exact.id, longer.id]

    def test_search_returns_at_most_the_limit(self, store: ClientStore) -> None:
        business_id = new_business(store)
        for index in range(5):
            store.add(new_card(business_id, first_name="Gianni", last_name=f"N{index}"))
        assert len(store.search(business_id, SearchTerms(name="gia"), limit=3)) == 3
        assert store.search(business_id, SearchTerms(name="gia"), limit=0) == []

    def test_search_follows_a_card_through_edits_and_deletion(self, store: ClientStore) -> None:
        business_id = new_business(store)
        card = new_card(business_id, first_name="Giulia", last_name="Verdi")
        store.add(card)
        renamed = attrs.evolve(card, last_name="Neri", phones=("+393331234567",), version=2)
        store.update(renamed, expected_version=1)
        assert store.search(business_id, SearchTerms(name="verdi")) == []
        assert [c.id for c in store.search(business_id, SearchTerms(name="neri"))] == [card.id]
        assert [c.id for c in store.search(business_id, SearchTerms(phone_digits="333"))] == [
            card.id
        ]
        store.delete(business_id, card.id, expected_version=2)
        assert store.search(business_id, SearchTerms(name="giulia")) == []
        assert store.search(business_id, SearchTerms(phone_digits="333")) == []

    def test_search_finds_cards_added_in_bulk(self, store: ClientStore) -> None:
        business_id = new_business(store)
        cards = [new_card(business_id, first_name="Bulk", last_name=f"Zeta{i}") for i in range(3)]
        store.add_many(cards)
        found = store.search(business_id, SearchTerms(name="bulk zeta1"))
        assert [c.id for c in found] == [cards[1].id]

    def test_an_empty_search_matches_nothing(self, store: ClientStore) -> None:
        business_id = new_business(store)
        store.add(new_card(business_id))
        assert store.count(business_id, CardQuery(search=SearchTerms())) == 0
        assert store.search(business_id, SearchTerms()) == []

    def test_search_treats_wildcards_literally(self, store: ClientStore) -> None:
        business_id = new_business(store)
        store.add(new_card(business_id, first_name="Anna", email="anna@example.com"))
        for name in ("%", "_nna", "*", "!"):
            assert store.count(business_id, CardQuery(search=SearchTerms(name=name))) == 0, name
        assert store.search(business_id, SearchTerms(email="%")) == []
        assert store.search(business_id, SearchTerms(email="anna_")) == []

    def test_exact_email_lookup_ignores_case(self, store: ClientStore) -> None:
        business_id = new_business(store)
        card = new_card(business_id, email="Anna@example.com")
        store.add(card)
        store.add(new_card(business_id, email="anna@example.org"))
        found = store.find(business_id, CardQuery(email="anna@example.com"))
        assert [c.id for c in found] == [card.id]

    def test_phone_lookup_matches_any_of_the_numbers(self, store: ClientStore) -> None:
        business_id = new_business(store)
        card = new_card(business_id, phones=("+393331234567", "+390212345678"))
        store.add(card)
        found = store.find(business_id, CardQuery(phone="+390212345678"))
        assert [c.id for c in found] == [card.id]
        assert store.count(business_id, CardQuery(phone="+3902123456")) == 0

    def test_filters_by_group_tag_and_status(self, store: ClientStore) -> None:
        business_id = new_business(store)
        vip = new_card(business_id, client_group="vip", tags=("colour", "bride"))
        prospect = new_card(business_id, status=CardStatus.PROSPECT, tags=("colour",))
        store.add(vip)
        store.add(prospect)
        assert [c.id for c in store.find(business_id, CardQuery(group="vip"))] == [vip.id]
        assert store.count(business_id, CardQuery(tag="colour")) == 2
        assert store.count(business_id, CardQuery(tag="bride")) == 1
        assert store.count(business_id, CardQuery(tag="brid")) == 0
        query = CardQuery(status=CardStatus.PROSPECT, tag="colour")
        assert [c.id for c in store.find(business_id, query)] == [prospect.id]

    def test_filters_by_source(self, store: ClientStore) -> None:
        """How the client found the business, compared as stored."""
        business_id = new_business(store)
        friend = new_card(business_id, referral_source="friend")
        store.add(friend)
        store.add(new_card(business_id, referral_source="Instagram"))
        store.add(new_card(business_id))
        assert [c.id for c in store.find(business_id, CardQuery(source="friend"))] == [friend.id]
        assert store.count(business_id, CardQuery(source="Instagram")) == 1
        assert store.count(business_id, CardQuery(source="instagram")) == 0
        store.update(
            friend.apply({"referral_source": "radio"}, at=friend.created_at).card,
            expected_version=1,
        )
        assert store.count(business_id, CardQuery(source="friend")) == 0
        assert store.count(business_id, CardQuery(source="radio")) == 1

    def test_filters_by_custom_field_value(self, store: ClientStore) -> None:
        business_id = new_business(store)
        curly = new_card(business_id, custom={"hair": "curly", "patch_test": True})
        straight = new_card(business_id, custom={"hair": "straight", "patch_test": False})
        store.add(curly)
        store.add(straight)
        store.add(new_card(business_id))
        by_hair = CardQuery(custom_field="hair", custom_value="curly")
        assert [c.id for c in store.find(business_id, by_hair)] == [curly.id]
        tested = CardQuery(custom_field="patch_test", custom_value=False)
        assert [c.id for c in store.find(business_id, tested)] == [straight.id]
        assert store.count(business_id, CardQuery(custom_field="hair", custom_value=True)) == 0

    def test_a_custom_filter_needs_field_and_value(self) -> None:
        with pytest.raises(ValidationError):
            CardQuery(custom_field="hair")

    def test_filters_by_who_may_be_contacted(self, store: ClientStore) -> None:
        business_id = new_business(store)
        yes, no = new_card(business_id), new_card(business_id)
        store.add(yes)
        store.add(no)
        store.set_permissions(business_id, yes.id, frozenset({("marketing", "email")}))
        store.set_permissions(business_id, no.id, frozenset({("reminders", "email")}))
        query = CardQuery(contactable=("marketing", "email"))
        assert [c.id for c in store.find(business_id, query)] == [yes.id]
        assert store.permissions(business_id, yes.id) == {("marketing", "email")}
        store.set_permissions(business_id, yes.id, frozenset())
        assert store.count(business_id, query) == 0

    def test_filters_by_guardian(self, store: ClientStore) -> None:
        business_id = new_business(store)
        mum = new_card(business_id)
        child = new_card(business_id, guardian_id=mum.id)
        store.add(mum)
        store.add(child)
        found = store.find(business_id, CardQuery(guardian_id=mum.id))
        assert [c.id for c in found] == [child.id]
        assert store.count(business_id, CardQuery(guardian_id=child.id)) == 0

    def test_filters_by_the_beginning_of_the_id(self, store: ClientStore) -> None:
        business_id = new_business(store)
        cards = [new_card(business_id) for _ in range(3)]
        for card in cards:
            store.add(card)
        wanted = cards[1]
        found = store.find(business_id, CardQuery(id_prefix=wanted.id[:30]))
        assert [c.id for c in found] == [wanted.id]
        assert store.count(business_id, CardQuery(id_prefix=wanted.id)) == 1
        assert store.count(business_id, CardQuery(id_prefix="")) == 3

    def test_filters_by_the_end_of_the_id(self, store: ClientStore) -> None:
        business_id = new_business(store)
        cards = [new_card(business_id) for _ in range(3)]
        for card in cards:
            store.add(card)
        wanted = cards[2]
        found = store.find(business_id, CardQuery(id_suffix=wanted.id[-12:]))
        assert [c.id for c in found] == [wanted.id]
        assert store.count(business_id, CardQuery(id_suffix=wanted.id)) == 1
        assert store.count(business_id, CardQuery(id_suffix=wanted.id[:12])) == 0

    def test_id_parts_are_compared_literally(self, store: ClientStore) -> None:
        business_id = new_business(store)
        store.add(new_card(business_id))
        for pattern in ("%", "_", "*", "'", "\\", "%%%%"):
            assert store.count(business_id, CardQuery(id_prefix=pattern)) == 0
            assert store.count(business_id, CardQuery(id_suffix=pattern)) == 0

    def test_an_id_prefix_stays_in_its_business(self, store: ClientStore) -> None:
        mine, theirs = new_business(store), new_business(store)
        card = new_card(theirs)
        store.add(card)
        assert store.count(mine, CardQuery(id_prefix=card.id[:8])) == 0

    def test_count_agrees_with_find(self, store: ClientStore) -> None:
        business_id = new_business(store)
        for i in range(5):
            store.add(new_card(business_id, client_group="a" if i % 2 else "b"))
        for query in (None, CardQuery(group="a"), CardQuery(group="b"), CardQuery(group="c")):
            assert store.count(business_id, query) == len(store.find(business_id, query, limit=100))
