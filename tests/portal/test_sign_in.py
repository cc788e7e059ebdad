"""Accounts, sign-in, throttling and one-time links."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from clientcard.book import ClientBook
from clientcard.clock import FixedClock
from clientcard.errors import ConfigurationError, DuplicateError, ValidationError
from clientcard.messaging.service import MessagingService
from clientcard.portal import AuthenticationError, LinkPurpose, PasswordHasher, PortalSettings
from clientcard.portal.service import PortalService
from clientcard.testing.doubles import RecordingNotifier
from tests.portal.conftest import PASSWORD, cheap_hasher, linking_book, other_portal


def _fails(portal: PortalService, login: str, password: str, *, source: str = "ip-1") -> str:
    with pytest.raises(AuthenticationError) as caught:
        portal.sign_in(login, password, source=source)
    return caught.value.code


def _bytes_at_rest(book: ClientBook) -> bytes:
    """Every byte of an SQLite store's files (nothing for the memory store)."""
    path = getattr(book.store, "path", None)
    if path is None:
        return b""
    return b"".join(
        Path(name).read_bytes() for name in (path, f"{path}-wal") if Path(name).exists()
    )


class TestAccounts:
    def test_the_login_is_the_cards_email(self, portal: PortalService, anna: str) -> None:
        account = portal.create_account(anna)
        assert (account.login, account.password_hash) == ("anna@example.com", None)

    def test_a_card_without_email_gets_no_account(
        self, book: ClientBook, portal: PortalService, salon: str
    ) -> None:
        card = book.business(salon).cards.add({"first_name": "Bea"}).id
        with pytest.raises(ValidationError) as caught:
            portal.create_account(card)
        assert caught.value.codes == {"portal.no_email"}

    def test_a_card_has_one_account(self, portal: PortalService, anna: str, account: str) -> None:
        with pytest.raises(DuplicateError):
            portal.create_account(anna)

    def test_a_weak_password_is_refused_at_creation(self, portal: PortalService, anna: str) -> None:
        with pytest.raises(ValidationError):
            portal.create_account(anna, password="123456")
        assert portal.account(anna) is None

    def test_the_account_goes_with_the_card(
        self, book: ClientBook, portal: PortalService, salon: str, anna: str, account: str
    ) -> None:
        principal = portal.sign_in("anna@example.com", PASSWORD, source="ip")
        book.business(salon).cards.remove(anna, expected_version=1)
        with pytest.raises(AuthenticationError) as caught:
            portal.check(principal)
        assert caught.value.code == "portal.session_ended"


class TestSignIn:
    def test_the_right_password_signs_in(
        self, portal: PortalService, anna: str, account: str
    ) -> None:
        principal = portal.sign_in("ANNA@example.com", PASSWORD, source="ip")
        assert (principal.card_id, principal.account_id) == (anna, account)

    def test_a_wrong_password_and_an_unknown_login_fail_alike(
        self, portal: PortalService, account: str
    ) -> None:
        assert _fails(portal, "anna@example.com", "wrong") == "portal.sign_in_failed"
        assert _fails(portal, "nobody@example.com", PASSWORD) == "portal.sign_in_failed"

    def test_a_login_in_another_business_does_not_exist_here(
        self, book: ClientBook, portal: PortalService, account: str
    ) -> None:
        other = book.create_business(name="Other", region="IT", language="en").id
        elsewhere = book.business(other).portal
        assert _fails(elsewhere, "anna@example.com", PASSWORD) == "portal.sign_in_failed"

    def test_repeated_failures_lock_the_login_with_back_off(
        self, portal: PortalService, account: str, clock: FixedClock
    ) -> None:
        for attempt in range(5):
            _fails(portal, "anna@example.com", f"wrong {attempt}", source=f"ip-{attempt}")
        with pytest.raises(AuthenticationError) as caught:
            portal.sign_in("anna@example.com", PASSWORD, source="ip-9")
        assert caught.value.code == "portal.locked"
        assert caught.value.retry_after == clock.now() + dt.timedelta(seconds=30)
        clock.advance(dt.timedelta(seconds=31))
        portal.sign_in("anna@example.com", PASSWORD, source="ip-9")

    def test_an_unknown_login_locks_exactly_like_a_known_one(
        self, portal: PortalService, account: str
    ) -> None:
        def codes(login: str) -> list[str]:
            return [_fails(portal, login, "wrong", source=login) for _ in range(7)]

        assert codes("anna@example.com") == codes("nobody@example.com")

    def test_one_source_trying_many_logins_is_throttled(self, book: ClientBook, salon: str) -> None:
        settings = PortalSettings(hasher=cheap_hasher(), source_max_failures=3)
        portal = other_portal(book, salon, settings)
        for number in range(3):
            _fails(portal, f"guess{number}@example.com", "x", source="botnet")
        assert _fails(portal, "fresh@example.com", "x", source="botnet") == "portal.locked"

    def test_success_clears_the_login_count(self, portal: PortalService, account: str) -> None:
        for _ in range(4):
            _fails(portal, "anna@example.com", "wrong")
        portal.sign_in("anna@example.com", PASSWORD, source="ip")
        for _ in range(4):
            _fails(portal, "anna@example.com", "wrong")
        portal.sign_in("anna@example.com", PASSWORD, source="ip")

    def test_signing_in_upgrades_a_hash_made_with_older_parameters(
        self, book: ClientBook, salon: str, anna: str, account: str
    ) -> None:
        stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
        upgraded = other_portal(book, salon, PortalSettings(hasher=stronger))
        upgraded.sign_in("anna@example.com", PASSWORD, source="ip")
        stored = upgraded.account(anna)
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

        counting = Counting(time_cost=1, memory_cost=8, parallelism=1)
        portal = other_portal(book, salon, PortalSettings(hasher=counting))
        _fails(portal, "warm-up@example.com", "x", source="c")  # the business's key
        portal._core.store = Spy(portal._core.store)
        calls.clear()
        _fails(portal, "anna@example.com", "wrong", source="a")
        known = Counter(calls)
        calls.clear()
        _fails(portal, "nobody@example.com", "wrong", source="b")
        assert calls == known

    def test_a_dormant_hash_with_older_parameters_costs_as_much_as_an_unknown_login(
        self, book: ClientBook, salon: str, account: str
    ) -> None:
        work: list[str] = []

        class Counting(PasswordHasher):
            def verify(self, stored: str, password: str) -> bool:
                work.append(stored.split("$")[3])  # the parameters each check ran with
                return super().verify(stored, password)

        stronger = Counting(time_cost=2, memory_cost=16, parallelism=1)
        portal = other_portal(book, salon, PortalSettings(hasher=stronger))
        _fails(portal, "nobody@example.com", "wrong", source="a")
        unknown = sorted(work)
        work.clear()
        _fails(portal, "anna@example.com", "wrong", source="b")  # an old cheap hash
        assert "m=16,t=2,p=1" in work
        assert unknown == ["m=16,t=2,p=1"]

    def test_parallel_guesses_never_exceed_the_limit(
        self, book: ClientBook, salon: str, account: str
    ) -> None:
        checked: list[str] = []

        class Counting(PasswordHasher):
            def verify(self, stored: str, password: str) -> bool:
                checked.append(password)
                return super().verify(stored, password)

        counting = Counting(time_cost=1, memory_cost=8, parallelism=1)
        portal = other_portal(book, salon, PortalSettings(hasher=counting))

        def guess(number: int) -> str:
            try:
                portal.sign_in("anna@example.com", f"guess {number}", source=f"s{number}")
            except AuthenticationError as error:
                return error.code
            return "signed in"

        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = Counter(pool.map(guess, range(30)))
        assert codes == {"portal.sign_in_failed": 5, "portal.locked": 25}
        assert len([p for p in checked if p.startswith("guess")]) == 5

    def test_a_sign_in_racing_a_password_change_cannot_undo_it(
        self, book: ClientBook, salon: str, account: str
    ) -> None:
        portal: PortalService

        class Racing(PasswordHasher):
            raced = False

            def verify(self, stored: str, password: str) -> bool:
                matched = super().verify(stored, password)
                if matched and not Racing.raced:
                    # While this sign-in checks the old password, the owner changes it.
                    Racing.raced = True
                    owner = portal.sign_in("anna@example.com", PASSWORD, source="o")
                    portal.change_password(owner, PASSWORD, "a fresh long passphrase", source="o")
                return matched

        racing = Racing(time_cost=1, memory_cost=8, parallelism=1)
        portal = other_portal(book, salon, PortalSettings(hasher=racing))
        assert _fails(portal, "anna@example.com", PASSWORD) == "portal.sign_in_failed"
        portal.sign_in("anna@example.com", "a fresh long passphrase", source="ip")
        assert _fails(portal, "anna@example.com", PASSWORD) == "portal.sign_in_failed"

    def test_failures_of_a_login_count_until_a_successful_sign_in(
        self, portal: PortalService, account: str, clock: FixedClock
    ) -> None:
        """An hour's pause (or a day's) is no fresh start: only signing in forgives."""
        for _ in range(4):
            _fails(portal, "anna@example.com", "guess")
        clock.advance(dt.timedelta(days=1))
        assert _fails(portal, "anna@example.com", "guess") == "portal.sign_in_failed"
        assert _fails(portal, "anna@example.com", "guess") == "portal.locked"

    def test_the_back_off_keeps_growing_after_a_quiet_hour(
        self, portal: PortalService, account: str, clock: FixedClock
    ) -> None:
        locks: list[dt.timedelta] = []
        for _ in range(5):
            _fails(portal, "anna@example.com", "guess")
        for _ in range(4):
            with pytest.raises(AuthenticationError) as caught:
                portal.sign_in("anna@example.com", "guess", source="ip-1")
            assert caught.value.retry_after is not None
            locks.append(caught.value.retry_after - clock.now())
            clock.advance(locks[-1] + dt.timedelta(hours=1))
            _fails(portal, "anna@example.com", "guess")
        assert locks == [dt.timedelta(seconds=30 * 2**n) for n in range(4)]

    @pytest.mark.parametrize("days", [1, 3])
    def test_a_login_gets_at_most_about_fifty_guesses_a_day(
        self, book: ClientBook, salon: str, account: str, clock: FixedClock, days: int
    ) -> None:
        """An attacker guessing whenever the lock allows, from ever new sources."""
        portal = other_portal(book, salon, PortalSettings(hasher=cheap_hasher()))
        start = clock.now()
        guesses: Counter[int] = Counter()
        source = 0
        while (elapsed := clock.now() - start) < dt.timedelta(days=days):
            source += 1
            try:
                portal.sign_in("anna@example.com", "guess", source=f"ip-{source}")
            except AuthenticationError as error:
                if error.code == "portal.locked":
                    assert error.retry_after is not None
                    clock.advance(error.retry_after - clock.now())
                    continue
                guesses[elapsed.days] += 1
            clock.advance(dt.timedelta(seconds=1))
        assert sorted(guesses) == list(range(days))
        assert max(guesses.values()) <= 50

    def test_signing_in_forgives_the_growing_back_off(
        self, portal: PortalService, account: str, clock: FixedClock
    ) -> None:
        for _ in range(8):
            _fails(portal, "anna@example.com", "guess")
            clock.advance(dt.timedelta(hours=2))
        portal.sign_in("anna@example.com", PASSWORD, source="ip")
        for _ in range(4):
            assert _fails(portal, "anna@example.com", "typo") == "portal.sign_in_failed"

    @pytest.mark.parametrize("purpose", [LinkPurpose.RESET, LinkPurpose.SIGN_IN])
    def test_a_redeemed_link_is_a_sign_in_and_lifts_the_lock(
        self, portal: PortalService, anna: str, account: str, purpose: LinkPurpose
    ) -> None:
        for _ in range(6):
            _fails(portal, "anna@example.com", "guess")
        token = portal.issue_link(anna, purpose)
        new = "a fresh long passphrase" if purpose is LinkPurpose.RESET else None
        portal.redeem_link(token, new_password=new)
        portal.sign_in("anna@example.com", new or PASSWORD, source="ip")

    def test_a_login_counter_is_forgotten_only_after_a_month_of_quiet(
        self, portal: PortalService, account: str, clock: FixedClock
    ) -> None:
        for _ in range(5):
            _fails(portal, "anna@example.com", "guess")
        clock.advance(dt.timedelta(days=29))
        portal.purge()
        assert _fails(portal, "anna@example.com", "guess") == "portal.sign_in_failed"
        assert _fails(portal, "anna@example.com", "guess") == "portal.locked"
        clock.advance(dt.timedelta(days=31))
        assert portal.purge() >= 1
        for _ in range(4):
            assert _fails(portal, "anna@example.com", "typo") == "portal.sign_in_failed"

    def test_a_shared_source_with_a_typo_a_day_is_never_locked(
        self, book: ClientBook, salon: str, account: str, clock: FixedClock
    ) -> None:
        settings = PortalSettings(hasher=cheap_hasher(), source_max_failures=3)
        portal = other_portal(book, salon, settings)
        for _ in range(6):
            _fails(portal, "anna@example.com", "typo", source="tablet")
            portal.sign_in("anna@example.com", PASSWORD, source="tablet")
            clock.advance(dt.timedelta(days=1))

    def test_a_wrong_current_password_counts_as_a_failure(
        self, portal: PortalService, account: str
    ) -> None:
        principal = portal.sign_in("anna@example.com", PASSWORD, source="ip")
        for _ in range(5):
            with pytest.raises(AuthenticationError):
                portal.change_password(principal, "guess", "a fresh long passphrase", source="x")
        with pytest.raises(AuthenticationError) as caught:
            portal.change_password(principal, PASSWORD, "a fresh long passphrase", source="x")
        assert caught.value.code == "portal.locked"

    def test_concurrent_openings_make_one_account(
        self, book: ClientBook, portal: PortalService, anna: str
    ) -> None:
        def open_account(_: int) -> str:
            try:
                portal.create_account(anna)
            except (DuplicateError, ValidationError) as error:
                return type(error).__name__
            return "opened"

        with ThreadPoolExecutor(max_workers=4) as pool:
            outcomes = Counter(pool.map(open_account, range(6)))
        assert outcomes["opened"] == 1

    def test_an_accounts_repr_shows_no_login(self, portal: PortalService, anna: str) -> None:
        account = portal.create_account(anna, password=PASSWORD)
        assert "anna" not in repr(account)
        assert "argon2" not in repr(account)


class TestLinks:
    def test_a_link_signs_in_once(self, portal: PortalService, anna: str, account: str) -> None:
        token = portal.issue_link(anna, LinkPurpose.SIGN_IN)
        assert portal.redeem_link(token).card_id == anna
        with pytest.raises(AuthenticationError) as caught:
            portal.redeem_link(token)
        assert caught.value.code == "portal.link_invalid"

    def test_an_expired_link_fails(
        self, portal: PortalService, anna: str, account: str, clock: FixedClock
    ) -> None:
        token = portal.issue_link(anna, LinkPurpose.SIGN_IN)
        clock.advance(dt.timedelta(minutes=30))
        with pytest.raises(AuthenticationError):
            portal.redeem_link(token)

    def test_a_link_issued_before_an_email_change_fails(
        self, book: ClientBook, portal: PortalService, salon: str, anna: str, account: str
    ) -> None:
        token = portal.issue_link(anna, LinkPurpose.SIGN_IN)
        book.business(salon).cards.edit(anna, {"email": "anna.new@example.com"}, expected_version=1)
        portal.sync_login(anna)
        with pytest.raises(AuthenticationError):
            portal.redeem_link(token)

    def test_a_link_issued_before_a_password_change_fails(
        self, portal: PortalService, anna: str, account: str
    ) -> None:
        token = portal.issue_link(anna, LinkPurpose.SIGN_IN)
        principal = portal.sign_in("anna@example.com", PASSWORD, source="ip")
        portal.change_password(principal, PASSWORD, "another long quiet river", source="ip")
        with pytest.raises(AuthenticationError):
            portal.redeem_link(token)

    def test_an_unknown_token_fails(self, portal: PortalService, account: str) -> None:
        with pytest.raises(AuthenticationError):
            portal.redeem_link("made-up")

    def test_a_reset_link_sets_a_new_password(
        self, portal: PortalService, anna: str, account: str
    ) -> None:
        token = portal.issue_link(anna, LinkPurpose.RESET)
        portal.redeem_link(token, new_password="brand new long passphrase")
        portal.sign_in("anna@example.com", "brand new long passphrase", source="ip")
        assert _fails(portal, "anna@example.com", PASSWORD) == "portal.sign_in_failed"

    @pytest.mark.parametrize("refused", [None, "123456"])
    def test_a_reset_link_with_a_refused_password_stays_usable(
        self, portal: PortalService, anna: str, account: str, refused: str | None
    ) -> None:
        token = portal.issue_link(anna, LinkPurpose.RESET)
        with pytest.raises(ValidationError):
            portal.redeem_link(token, new_password=refused)
        portal.redeem_link(token, new_password="brand new long passphrase")

    def test_a_new_link_voids_the_older_one(
        self, portal: PortalService, anna: str, account: str
    ) -> None:
        first = portal.issue_link(anna, LinkPurpose.SIGN_IN)
        second = portal.issue_link(anna, LinkPurpose.SIGN_IN)
        with pytest.raises(AuthenticationError):
            portal.redeem_link(first)
        portal.redeem_link(second)

    def test_two_redeems_of_one_link_at_once_sign_in_once(
        self, portal: PortalService, anna: str, account: str
    ) -> None:
        token = portal.issue_link(anna, LinkPurpose.SIGN_IN)

        def redeem(_: int) -> str:
            try:
                portal.redeem_link(token)
            except AuthenticationError as error:
                return error.code
            return "signed in"

        with ThreadPoolExecutor(max_workers=4) as pool:
            outcomes = Counter(pool.map(redeem, range(4)))
        assert outcomes == {"signed in": 1, "portal.link_invalid": 3}

    def test_only_the_tokens_digest_is_stored(
        self, book: ClientBook, portal: PortalService, salon: str, anna: str, account: str
    ) -> None:
        token = portal.issue_link(anna, LinkPurpose.SIGN_IN)
        from clientcard.storage.records import RecordQuery

        (record,) = book.store.find_records(salon, RecordQuery(kind="portal.link"))
        assert token not in str(record.doc)
        assert record.key != token

    def test_send_link_goes_through_messaging_as_a_service_message(
        self,
        portal: PortalService,
        messaging: MessagingService,
        account: str,
        notifier: RecordingNotifier,
    ) -> None:
        portal.send_link("anna@example.com", LinkPurpose.RESET, source="ip")
        messaging.flush()
        (message,) = notifier.sent
        assert message.body.startswith("Sign in: https://salon.example/portal/")
        token = message.body.rsplit("/", 1)[1]
        portal.redeem_link(token, new_password="brand new long passphrase")

    def test_a_link_can_name_its_business(self, book: ClientBook) -> None:
        """One link page serves every salon: the link says whose client it is."""
        notifier = RecordingNotifier()
        settings = PortalSettings(
            link_url="https://platform.example/portal/{business_id}/{token}",
            hasher=cheap_hasher(),
        )
        platform = linking_book(book, settings, notifier)
        salon = platform.create_business(name="Bella", business_id="bella:2").id
        desk = platform.business(salon)
        anna = desk.cards.add({"first_name": "Anna", "email": "anna@example.com"}).id
        desk.portal.create_account(anna)
        desk.portal.send_link("anna@example.com", LinkPurpose.SIGN_IN, source="ip")
        desk.messaging.flush()
        (message,) = notifier.sent
        link = message.body.removeprefix("Sign in: https://platform.example/portal/")
        business_id, token = link.split("/")
        assert business_id == "bella%3A2"  # URL-quoted
        principal = book.business(unquote(business_id)).portal.redeem_link(token)
        assert (principal.business_id, principal.card_id) == (salon, anna)

    def test_without_a_link_url_links_are_not_sent_but_can_be_issued(
        self, book: ClientBook, salon: str, anna: str, account: str
    ) -> None:
        notifier = RecordingNotifier()
        desk = linking_book(book, PortalSettings(hasher=cheap_hasher()), notifier).business(salon)
        for login in ("anna@example.com", "nobody@example.com"):  # the same, known or not
            with pytest.raises(ConfigurationError, match="link_url") as caught:
                desk.portal.send_link(login, LinkPurpose.SIGN_IN, source="ip")
            assert caught.value.setting == "portal"
        desk.messaging.flush()
        assert notifier.sent == []
        token = desk.portal.issue_link(anna, LinkPurpose.SIGN_IN)  # for the host's own link
        assert desk.portal.redeem_link(token).card_id == anna

    def test_the_link_url_is_not_configured_by_default(self) -> None:
        assert PortalSettings(hasher=cheap_hasher()).link_url is None
        with pytest.raises(ValueError, match="token"):
            PortalSettings(link_url="https://salon.example/portal/", hasher=cheap_hasher())

    def test_the_link_is_not_kept_once_sent(
        self,
        book: ClientBook,
        portal: PortalService,
        messaging: MessagingService,
        account: str,
        notifier: RecordingNotifier,
    ) -> None:
        assert portal._business.messaging is messaging  # the one the portal queues links on
        batches: list[str] = []
        queue = messaging.queue

        def recording_queue(*args: Any, **kwargs: Any) -> str:
            batches.append(queue(*args, **kwargs))
            return batches[-1]

        messaging.queue = recording_queue  # type: ignore[method-assign]
        portal.send_link("anna@example.com", LinkPurpose.SIGN_IN, source="ip")
        messaging.flush()
        (message,) = notifier.sent
        token = message.body.rsplit("/", 1)[1]
        (send,) = book.store.sends(messaging.business_id, batches[0])
        assert token not in str(send.values)
        assert token not in repr(send)

    def test_a_queued_link_is_no_usable_token_at_rest(
        self,
        book: ClientBook,
        portal: PortalService,
        messaging: MessagingService,
        account: str,
        notifier: RecordingNotifier,
    ) -> None:
        """Whoever reads the database (or a copy) before the link is sent can't use it."""
        batches: list[str] = []
        queue = messaging.queue

        def recording_queue(*args: Any, **kwargs: Any) -> str:
            batches.append(queue(*args, **kwargs))
            return batches[-1]

        messaging.queue = recording_queue  # type: ignore[method-assign]
        portal.send_link("anna@example.com", LinkPurpose.RESET, source="ip")
        (queued,) = book.store.sends(messaging.business_id, batches[0])
        at_rest = _bytes_at_rest(book)
        for value in queued.values.values():
            for candidate in (value, value.rsplit("/", 1)[-1]):
                with pytest.raises(AuthenticationError):
                    portal.redeem_link(candidate, new_password="the thief's new passphrase")
        messaging.flush()
        (message,) = notifier.sent
        token = message.body.rsplit("/", 1)[1]
        assert token not in str(queued.values)
        assert token.encode() not in at_rest
        portal.redeem_link(token, new_password="brand new long passphrase")

    def test_a_queued_link_voided_before_sending_is_not_sent(
        self,
        *,
        book: ClientBook,
        portal: PortalService,
        messaging: MessagingService,
        anna: str,
        account: str,
        notifier: RecordingNotifier,
    ) -> None:
        batches: list[str] = []
        queue = messaging.queue

        def recording_queue(*args: Any, **kwargs: Any) -> str:
            batches.append(queue(*args, **kwargs))
            return batches[-1]

        messaging.queue = recording_queue  # type: ignore[method-assign]
        portal.send_link("anna@example.com", LinkPurpose.RESET, source="ip")
        portal.issue_link(anna, LinkPurpose.SIGN_IN)  # a newer link voids the queued one
        messaging.flush()
        assert notifier.sent == []
        assert messaging.report(batches[0]).skipped == {"link_invalid": 1}

    def test_a_locked_login_can_still_get_a_reset_link(
        self,
        portal: PortalService,
        messaging: MessagingService,
        account: str,
        notifier: RecordingNotifier,
    ) -> None:
        for _ in range(6):
            _fails(portal, "anna@example.com", "attacker")
        portal.send_link("anna@example.com", LinkPurpose.RESET, source="owner")
        messaging.flush()
        assert len(notifier.sent) == 1

    def test_links_to_one_login_are_rate_limited_silently(
        self,
        portal: PortalService,
        messaging: MessagingService,
        account: str,
        notifier: RecordingNotifier,
    ) -> None:
        for number in range(6):
            assert (
                portal.send_link("anna@example.com", LinkPurpose.RESET, source=f"s{number}") is None
            )
            messaging.flush()  # each goes before the next voids it
        assert len(notifier.sent) == 3

    def test_send_link_to_an_unknown_login_sends_nothing_and_says_nothing(
        self, portal: PortalService, messaging: MessagingService, notifier: RecordingNotifier
    ) -> None:
        assert portal.send_link("nobody@example.com", LinkPurpose.RESET, source="ip") is None
        messaging.flush()
        assert notifier.sent == []
