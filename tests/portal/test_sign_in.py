"""Accounts, sign-in, throttling and one-time links."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections import Counter
from typing import Any

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.errors import DuplicateError, ValidationError
from clientcard.portal import AuthenticationError, LinkPurpose, PasswordHasher, Portal
from clientcard.testing.doubles import RecordingNotifier
from tests.portal.conftest import PASSWORD, cheap_hasher


def _fails(portal: Portal, salon: str, login: str, password: str, *, source: str = "ip-1") -> str:
    with pytest.raises(AuthenticationError) as caught:
        portal.sign_in(salon, login, password, source=source)
    return caught.value.code


class TestAccounts:
    def test_the_login_is_the_cards_email(self, portal: Portal, salon: str, anna: str) -> None:
        account = portal.create_account(salon, anna)
        assert (account.login, account.password_hash) == ("anna@example.com", None)

    def test_a_card_without_email_gets_no_account(
        self, book: ClientBook, portal: Portal, salon: str
    ) -> None:
        card = book.add_client(salon, {"first_name": "Bea"}).id
        with pytest.raises(ValidationError) as caught:
            portal.create_account(salon, card)
        assert caught.value.codes == {"portal.no_email"}

    def test_a_card_has_one_account(
        self, portal: Portal, salon: str, anna: str, account: str
    ) -> None:
        with pytest.raises(DuplicateError):
            portal.create_account(salon, anna)

    def test_a_weak_password_is_refused_at_creation(
        self, portal: Portal, salon: str, anna: str
    ) -> None:
        with pytest.raises(ValidationError):
            portal.create_account(salon, anna, password="123456")
        assert portal.account(salon, anna) is None

    def test_the_account_goes_with_the_card(
        self, book: ClientBook, portal: Portal, salon: str, anna: str, account: str
    ) -> None:
        principal = portal.sign_in(salon, "anna@example.com", PASSWORD, source="ip")
        book.delete(salon, anna, expected_version=1)
        with pytest.raises(AuthenticationError) as caught:
            portal.check(principal)
        assert caught.value.code == "portal.session_ended"


class TestSignIn:
    def test_the_right_password_signs_in(
        self, portal: Portal, salon: str, anna: str, account: str
    ) -> None:
        principal = portal.sign_in(salon, "ANNA@example.com", PASSWORD, source="ip")
        assert (principal.card_id, principal.account_id) == (anna, account)

    def test_a_wrong_password_and_an_unknown_login_fail_alike(
        self, portal: Portal, salon: str, account: str
    ) -> None:
        assert _fails(portal, salon, "anna@example.com", "wrong") == "portal.sign_in_failed"
        assert _fails(portal, salon, "nobody@example.com", PASSWORD) == "portal.sign_in_failed"

    def test_a_login_in_another_business_does_not_exist_here(
        self, book: ClientBook, portal: Portal, account: str
    ) -> None:
        other = book.create_business(name="Other", region="IT", language="en").id
        assert _fails(portal, other, "anna@example.com", PASSWORD) == "portal.sign_in_failed"

    def test_repeated_failures_lock_the_login_with_back_off(
        self, portal: Portal, salon: str, account: str, clock: FixedClock
    ) -> None:
        for attempt in range(5):
            _fails(portal, salon, "anna@example.com", f"wrong {attempt}", source=f"ip-{attempt}")
        with pytest.raises(AuthenticationError) as caught:
            portal.sign_in(salon, "anna@example.com", PASSWORD, source="ip-9")
        assert caught.value.code == "portal.locked"
        assert caught.value.retry_after == clock.now() + dt.timedelta(seconds=30)
        clock.advance(dt.timedelta(seconds=31))
        portal.sign_in(salon, "anna@example.com", PASSWORD, source="ip-9")

    def test_an_unknown_login_locks_exactly_like_a_known_one(
        self, portal: Portal, salon: str, account: str
    ) -> None:
        def codes(login: str) -> list[str]:
            return [_fails(portal, salon, login, "wrong", source=login) for _ in range(7)]

        assert codes("anna@example.com") == codes("nobody@example.com")

    def test_one_source_trying_many_logins_is_throttled(self, book: ClientBook, salon: str) -> None:
        portal = Portal(book, hasher=cheap_hasher(), source_max_failures=3)
        for number in range(3):
            _fails(portal, salon, f"guess{number}@example.com", "x", source="botnet")
        assert _fails(portal, salon, "fresh@example.com", "x", source="botnet") == "portal.locked"

    def test_success_clears_the_login_count(self, portal: Portal, salon: str, account: str) -> None:
        for _ in range(4):
            _fails(portal, salon, "anna@example.com", "wrong")
        portal.sign_in(salon, "anna@example.com", PASSWORD, source="ip")
        for _ in range(4):
            _fails(portal, salon, "anna@example.com", "wrong")
        portal.sign_in(salon, "anna@example.com", PASSWORD, source="ip")

    def test_signing_in_upgrades_a_hash_made_with_older_parameters(
        self, book: ClientBook, portal: Portal, salon: str, anna: str, account: str
    ) -> None:
        stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
        upgraded = Portal(book, hasher=stronger)
        upgraded.sign_in(salon, "anna@example.com", PASSWORD, source="ip")
        stored = upgraded.account(salon, anna)
        assert stored is not None
        assert stored.password_hash is not None
        assert not stronger.needs_rehash(stored.password_hash)

    def test_known_and_unknown_logins_do_the_same_work(
        self, book: ClientBook, salon: str, account: str
    ) -> None:
        calls: Counter[str] = Counter()

        class Counting(PasswordHasher):
            def verify(self, stored: str, password: str) -> bool:
                calls["verify"] += 1
                return super().verify(stored, password)

        class Spy:
            def __init__(self, inner: Any) -> None:
                self.inner = inner

            def __getattr__(self, name: str) -> Any:
                calls[name] += 1
                return getattr(self.inner, name)

        portal = Portal(book, hasher=Counting(time_cost=1, memory_cost=8, parallelism=1))
        _fails(portal, salon, "warm-up@example.com", "x", source="c")  # the business's key
        book.store = Spy(book.store)  # type: ignore[assignment]
        calls.clear()
        _fails(portal, salon, "anna@example.com", "wrong", source="a")
        known = Counter(calls)
        calls.clear()
        _fails(portal, salon, "nobody@example.com", "wrong", source="b")
        assert calls == known

    @pytest.mark.slow
    def test_a_known_and_an_unknown_login_take_the_same_time(
        self, book: ClientBook, salon: str, account: str
    ) -> None:
        # Costly enough that hashing dominates, as in production, and quick enough to repeat.
        hasher = PasswordHasher(time_cost=1, memory_cost=4096, parallelism=1)
        portal = Portal(book, hasher=hasher, max_failures=10**6, source_max_failures=10**6)
        card = book.add_client(salon, {"first_name": "Bea", "email": "bea@example.com"}).id
        portal.create_account(salon, card, password=PASSWORD)  # hashed as production does
        ratios = []
        for round_ in range(15):
            times = []
            for login in ("bea@example.com", "nobody@example.com"):
                start = time.perf_counter()
                _fails(portal, salon, login, f"wrong {round_}", source=login)
                times.append(time.perf_counter() - start)
            ratios.append(times[0] / times[1])
        assert 0.5 < statistics.median(ratios) < 2.0


class TestLinks:
    def test_a_link_signs_in_once(
        self, portal: Portal, salon: str, anna: str, account: str
    ) -> None:
        token = portal.issue_link(salon, anna, LinkPurpose.SIGN_IN)
        assert portal.redeem_link(salon, token).card_id == anna
        with pytest.raises(AuthenticationError) as caught:
            portal.redeem_link(salon, token)
        assert caught.value.code == "portal.link_invalid"

    def test_an_expired_link_fails(
        self, portal: Portal, salon: str, anna: str, account: str, clock: FixedClock
    ) -> None:
        token = portal.issue_link(salon, anna, LinkPurpose.SIGN_IN)
        clock.advance(dt.timedelta(minutes=30))
        with pytest.raises(AuthenticationError):
            portal.redeem_link(salon, token)

    def test_a_link_issued_before_an_email_change_fails(
        self, book: ClientBook, portal: Portal, salon: str, anna: str, account: str
    ) -> None:
        token = portal.issue_link(salon, anna, LinkPurpose.SIGN_IN)
        book.edit(salon, anna, {"email": "anna.new@example.com"}, expected_version=1)
        portal.sync_login(salon, anna)
        with pytest.raises(AuthenticationError):
            portal.redeem_link(salon, token)

    def test_a_link_issued_before_a_password_change_fails(
        self, portal: Portal, salon: str, anna: str, account: str
    ) -> None:
        token = portal.issue_link(salon, anna, LinkPurpose.SIGN_IN)
        principal = portal.sign_in(salon, "anna@example.com", PASSWORD, source="ip")
        portal.change_password(principal, PASSWORD, "another long quiet river")
        with pytest.raises(AuthenticationError):
            portal.redeem_link(salon, token)

    def test_an_unknown_token_fails(self, portal: Portal, salon: str, account: str) -> None:
        with pytest.raises(AuthenticationError):
            portal.redeem_link(salon, "made-up")

    def test_a_reset_link_sets_a_new_password(
        self, portal: Portal, salon: str, anna: str, account: str
    ) -> None:
        token = portal.issue_link(salon, anna, LinkPurpose.RESET)
        portal.redeem_link(salon, token, new_password="brand new long passphrase")
        portal.sign_in(salon, "anna@example.com", "brand new long passphrase", source="ip")
        assert _fails(portal, salon, "anna@example.com", PASSWORD) == "portal.sign_in_failed"

    def test_a_reset_link_without_a_password_is_refused_and_stays_usable(
        self, portal: Portal, salon: str, anna: str, account: str
    ) -> None:
        token = portal.issue_link(salon, anna, LinkPurpose.RESET)
        with pytest.raises(ValidationError):
            portal.redeem_link(salon, token)
        portal.redeem_link(salon, token, new_password="brand new long passphrase")

    def test_only_the_tokens_digest_is_stored(
        self, book: ClientBook, portal: Portal, salon: str, anna: str, account: str
    ) -> None:
        token = portal.issue_link(salon, anna, LinkPurpose.SIGN_IN)
        from clientcard.storage.records import RecordQuery

        (record,) = book.store.find_records(salon, RecordQuery(kind="portal.link"))
        assert token not in str(record.doc)
        assert record.key != token

    def test_send_link_goes_through_the_dispatcher_as_a_service_message(
        self,
        portal: Portal,
        salon: str,
        account: str,
        notifier: RecordingNotifier,
    ) -> None:
        portal.send_link(salon, "anna@example.com", LinkPurpose.RESET, source="ip")
        portal._dispatcher.flush()  # type: ignore[union-attr]
        (message,) = notifier.sent
        assert message.body.startswith("Sign in: https://salon.example/portal/")
        token = message.body.rsplit("/", 1)[1]
        portal.redeem_link(salon, token, new_password="brand new long passphrase")

    def test_send_link_to_an_unknown_login_sends_nothing_and_says_nothing(
        self, portal: Portal, salon: str, notifier: RecordingNotifier
    ) -> None:
        assert portal.send_link(salon, "nobody@example.com", LinkPurpose.RESET, source="ip") is None
        portal._dispatcher.flush()  # type: ignore[union-attr]
        assert notifier.sent == []
