"""Distinct mailboxes stay distinct: every e-mail comparison uses one key (issue 19, item 6).

``strasse@`` and ``straße@`` (and ff and the ff ligature, s and long s, the two sigmas)
are different mailboxes that ``str.casefold`` made equal. Each test below exercises one place that
compares addresses -- card lookups, duplicates, merges, blocks, suppression, portal
logins -- with such a pair, and checks the ASCII case is still ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clientcard.blacklist.model import BlockReason
from clientcard.book import BusinessBook, ClientBook
from clientcard.clock import FixedClock
from clientcard.errors import ValidationError
from clientcard.exchange import match
from clientcard.portal import PasswordHasher, PortalSettings
from clientcard.portal.accounts import LOGIN_KIND
from clientcard.storage import MemoryStore, SQLiteStore
from clientcard.storage.records import Record
from tests.support import NOW

# One mailbox each side, which casefold() used to merge.
PAIRS = [
    ("strasse@example.com", "straße@example.com"),
    ("ff@example.com", "\ufb00@example.com"),
    ("s@example.com", "\u017f@example.com"),
    ("\u03c3@example.com", "\u03c2@example.com"),
    ("anna@strasse.de", "anna@straße.de"),
]
PASSWORD = "a long and quiet river"


@pytest.fixture(params=["memory", "sqlite"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BusinessBook]:
    portal = PortalSettings(hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "keys.db")
    book = ClientBook(store, clock=FixedClock(NOW), portal=portal)
    try:
        yield book.business(book.create_business(name="Salone", region="IT").id)
    finally:
        if isinstance(store, SQLiteStore):
            store.close()


@pytest.mark.parametrize(("one", "other"), PAIRS)
class TestDistinctMailboxes:
    def test_a_lookup_by_email_finds_only_its_own_client(
        self, desk: BusinessBook, one: str, other: str
    ) -> None:
        first = desk.cards.add({"first_name": "One", "email": one}).id
        second = desk.cards.add({"first_name": "Other", "email": other}).id
        assert [card.id for card in desk.cards.find_by_email(one)] == [first]
        assert [card.id for card in desk.cards.find_by_email(other)] == [second]

    def test_a_search_by_the_whole_address_finds_only_its_own_client(
        self, desk: BusinessBook, one: str, other: str
    ) -> None:
        desk.cards.add({"first_name": "One", "email": one})
        second = desk.cards.add({"first_name": "Other", "email": other}).id
        assert [card.id for card in desk.cards.search(other)] == [second]

    def test_a_second_portal_account_is_not_refused(
        self, desk: BusinessBook, one: str, other: str
    ) -> None:
        first = desk.cards.add({"first_name": "One", "email": one}).id
        second = desk.cards.add({"first_name": "Other", "email": other}).id
        desk.portal.create_account(first, password=PASSWORD)
        desk.portal.create_account(second, password=PASSWORD)
        assert desk.portal.sign_in(other, PASSWORD, source="203.0.113.9").card_id == second

    def test_a_block_on_one_does_not_stop_the_other(
        self, desk: BusinessBook, one: str, other: str
    ) -> None:
        first = desk.cards.add({"first_name": "One", "email": one}).id
        second = desk.cards.add({"first_name": "Other", "email": other}).id
        desk.blacklist.add(first, BlockReason.NO_SHOW, by="staff-1")
        assert desk.blacklist.may_book(email=other).allowed
        assert desk.blacklist.may_book(card_id=second).allowed
        assert not desk.blacklist.may_book(email=one).allowed

    def test_suppressing_one_does_not_suppress_the_other(
        self, desk: BusinessBook, one: str, other: str
    ) -> None:
        first = desk.cards.add({"first_name": "One", "email": one}).id
        desk.erasure.run(desk.erasure.plan(first, suppress=True), by="dpo")
        assert desk.erasure.is_suppressed(email=one)
        assert not desk.erasure.is_suppressed(email=other)

    def test_they_are_not_duplicates_by_email(
        self, desk: BusinessBook, one: str, other: str
    ) -> None:
        first = desk.cards.add({"first_name": "Anna", "email": one})
        second = desk.cards.add({"first_name": "Bruno", "email": other})
        assert "same_email" not in match(first, second).reasons

    def test_merging_them_names_the_address_a_conflict(
        self, desk: BusinessBook, one: str, other: str
    ) -> None:
        first = desk.cards.add({"first_name": "Anna", "email": one})
        second = desk.cards.add({"first_name": "Anna", "email": other})
        plan = desk.exchange.preview_merge(first.id, second.id)
        assert "email" in plan.conflicts


class TestTheSameMailbox:
    def test_an_address_in_other_ascii_case_finds_the_client(self, desk: BusinessBook) -> None:
        anna = desk.cards.add({"first_name": "Anna", "email": "Anna.Rossi@Example.com"}).id
        assert [card.id for card in desk.cards.find_by_email("ANNA.ROSSI@example.COM")] == [anna]

    def test_a_portal_login_in_other_ascii_case_signs_in(self, desk: BusinessBook) -> None:
        anna = desk.cards.add({"first_name": "Anna", "email": "anna@example.com"}).id
        desk.portal.create_account(anna, password=PASSWORD)
        assert desk.portal.sign_in("ANNA@Example.com", PASSWORD, source="x").card_id == anna

    def test_an_international_domain_matches_in_either_form(self, desk: BusinessBook) -> None:
        anna = desk.cards.add({"first_name": "Anna", "email": "anna@bücher.de"}).id
        assert [card.id for card in desk.cards.find_by_email("anna@xn--bcher-kva.de")] == [anna]
        assert [card.id for card in desk.cards.find_by_email("anna@BÜCHER.de")] == [anna]

    def test_an_address_typed_decomposed_finds_the_composed_one(self, desk: BusinessBook) -> None:
        rene = desk.cards.add({"first_name": "René", "email": "ren\u00e9@example.com"}).id
        assert [card.id for card in desk.cards.find_by_email("rene\u0301@example.com")] == [rene]


class TestLoginsClaimedBeforeTheUpgrade:
    """A portal account opened before migration 8 claimed its login under the old key."""

    def _age_claim(self, desk: BusinessBook, card_id: str, old_key: str) -> None:
        accounts = desk.portal._accounts
        account, _ = accounts.of_card(card_id) or (None, 0)
        assert account is not None
        accounts.release_login(account)
        store = desk.portal._core.store
        old = desk.portal._throttles.fingerprint("login", old_key)
        store.add_records(
            [
                Record(
                    business_id=desk.portal.business_id,
                    kind=LOGIN_KIND,
                    id=old,
                    at=NOW,
                    doc={"account_id": account.id},
                    card_id=card_id,
                )
            ]
        )

    def test_a_stale_claim_does_not_refuse_the_other_mailbox(self, desk: BusinessBook) -> None:
        first = desk.cards.add({"first_name": "One", "email": "straße@example.com"}).id
        desk.portal.create_account(first, password=PASSWORD)
        self._age_claim(desk, first, "strasse@example.com")
        second = desk.cards.add({"first_name": "Other", "email": "strasse@example.com"}).id
        desk.portal.create_account(second, password=PASSWORD)
        assert desk.portal.sign_in("strasse@example.com", PASSWORD, source="x").card_id == second
        assert desk.portal.sign_in("straße@example.com", PASSWORD, source="x").card_id == first

    def test_the_same_mailbox_is_still_refused_without_its_new_claim(
        self, desk: BusinessBook
    ) -> None:
        first = desk.cards.add({"first_name": "One", "email": "straße@example.com"}).id
        desk.portal.create_account(first, password=PASSWORD)
        self._age_claim(desk, first, "strasse@example.com")
        twin = desk.cards.add({"first_name": "Twin", "email": "Straße@example.com"}).id
        with pytest.raises(ValidationError) as caught:
            desk.portal.create_account(twin, password=PASSWORD)
        assert caught.value.issues[0].code == "portal.login_taken"
