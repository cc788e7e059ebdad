"""A change of a client's e-mail address, by any path, moves their login and voids links.

Issue 19, item 2: after staff changed a client's address, a reset link sent to the old
address still set a new password, the old address still signed in and the new one did
not: whoever kept the old mailbox took the account over.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from clientcard.book import BusinessBook, ClientBook
from clientcard.errors import ValidationError
from clientcard.messaging.service import MessagingService
from clientcard.portal import AuthenticationError, LinkPurpose
from clientcard.portal.service import PortalService
from clientcard.testing.doubles import RecordingNotifier
from tests.portal.conftest import PASSWORD

OLD, NEW = "anna@example.com", "anna.new@example.com"


def _staff_edit(desk: BusinessBook, card_id: str) -> None:
    desk.cards.edit(card_id, {"email": NEW}, expected_version=desk.cards.get(card_id).version)


def _save(desk: BusinessBook, card_id: str) -> None:
    card = desk.cards.get(card_id)
    desk.cards.save(card.apply({"email": NEW}, at=card.updated_at))


def _booking(desk: BusinessBook, card_id: str) -> None:
    desk.cards.submit_booking({"email": NEW}, card_id=card_id)


def _merge(desk: BusinessBook, card_id: str) -> None:
    twin = desk.cards.add({"first_name": "Anna", "email": NEW}).id
    desk.exchange.merge(
        card_id,
        twin,
        expected_versions=(desk.cards.get(card_id).version, 1),
        prefer={"email": "absorbed"},
    )


CHANGES: dict[str, Callable[[BusinessBook, str], None]] = {
    "staff edit": _staff_edit,
    "save": _save,
    "booking form": _booking,
    "merge": _merge,
}


@pytest.fixture(params=sorted(CHANGES))
def change(request: pytest.FixtureRequest) -> Callable[[BusinessBook, str], None]:
    return CHANGES[request.param]


class TestAnyChangeOfAddress:
    def test_a_reset_link_issued_before_is_void(
        self,
        desk: BusinessBook,
        portal: PortalService,
        anna: str,
        account: str,
        change: Callable[[BusinessBook, str], None],
    ) -> None:
        token = portal.issue_link(anna, LinkPurpose.RESET)
        change(desk, anna)
        with pytest.raises(AuthenticationError) as caught:
            portal.redeem_link(token, new_password="the attacker's new passphrase")
        assert caught.value.code == "portal.link_invalid"
        assert portal.sign_in(NEW, PASSWORD, source="ip").card_id == anna

    def test_the_old_address_no_longer_signs_in_and_the_new_one_does(
        self,
        desk: BusinessBook,
        portal: PortalService,
        anna: str,
        account: str,
        change: Callable[[BusinessBook, str], None],
    ) -> None:
        change(desk, anna)
        with pytest.raises(AuthenticationError):
            portal.sign_in(OLD, PASSWORD, source="ip")
        assert portal.sign_in(NEW, PASSWORD, source="ip").card_id == anna
        moved = portal.account(anna)
        assert moved is not None
        assert moved.login == NEW

    def test_sessions_from_before_end(
        self,
        desk: BusinessBook,
        portal: PortalService,
        anna: str,
        account: str,
        change: Callable[[BusinessBook, str], None],
    ) -> None:
        principal = portal.sign_in(OLD, PASSWORD, source="ip")
        change(desk, anna)
        with pytest.raises(AuthenticationError) as caught:
            portal.check(principal)
        assert caught.value.code == "portal.session_ended"

    def test_a_link_queued_for_the_old_address_never_works(
        self,
        *,
        desk: BusinessBook,
        portal: PortalService,
        messaging: MessagingService,
        anna: str,
        account: str,
        notifier: RecordingNotifier,
        change: Callable[[BusinessBook, str], None],
    ) -> None:
        portal.send_link(OLD, LinkPurpose.RESET, source="ip")
        change(desk, anna)
        messaging.flush()
        for message in notifier.sent:
            token = message.body.rsplit("/", 1)[1]
            with pytest.raises(AuthenticationError):
                portal.redeem_link(token, new_password="the attacker's new passphrase")
        portal.sign_in(NEW, PASSWORD, source="ip")


class TestOtherChanges:
    def test_a_change_in_the_callers_transaction_moves_the_login_with_it(
        self, book: ClientBook, desk: BusinessBook, portal: PortalService, anna: str, account: str
    ) -> None:
        token = portal.issue_link(anna, LinkPurpose.RESET)

        def failing_unit() -> None:
            with book.transaction():
                desk.cards.edit(anna, {"email": NEW}, expected_version=1)
                raise RuntimeError("the caller's unit fails later")

        with pytest.raises(RuntimeError):
            failing_unit()
        assert portal.sign_in(OLD, PASSWORD, source="ip").card_id == anna
        with book.transaction():
            desk.cards.edit(anna, {"email": NEW}, expected_version=1)
            desk.cards.edit(anna, {"city": "Monza"}, expected_version=2)
        with pytest.raises(AuthenticationError):
            portal.redeem_link(token, new_password="the attacker's new passphrase")
        assert portal.sign_in(NEW, PASSWORD, source="ip").card_id == anna

    def test_undoing_a_merge_moves_the_login_back(
        self, desk: BusinessBook, portal: PortalService, anna: str, account: str
    ) -> None:
        twin = desk.cards.add({"first_name": "Anna", "email": NEW}).id
        merged = desk.exchange.merge(
            anna, twin, expected_versions=(1, 1), prefer={"email": "absorbed"}
        )
        token = portal.issue_link(anna, LinkPurpose.RESET)
        desk.exchange.undo_merge(merged.merge_id)
        with pytest.raises(AuthenticationError):
            portal.redeem_link(token, new_password="the attacker's new passphrase")
        with pytest.raises(AuthenticationError):
            portal.sign_in(NEW, PASSWORD, source="ip")
        assert portal.sign_in(OLD, PASSWORD, source="ip").card_id == anna

    def test_removing_the_address_ends_sign_in_and_links(
        self, desk: BusinessBook, portal: PortalService, anna: str, account: str
    ) -> None:
        token = portal.issue_link(anna, LinkPurpose.SIGN_IN)
        desk.cards.edit(anna, {"email": None}, expected_version=1)
        with pytest.raises(AuthenticationError):
            portal.redeem_link(token)
        with pytest.raises(AuthenticationError):
            portal.sign_in(OLD, PASSWORD, source="ip")
        desk.cards.edit(anna, {"email": NEW}, expected_version=2)
        assert portal.sign_in(NEW, PASSWORD, source="ip").card_id == anna

    def test_an_address_another_account_signs_in_with_is_refused_and_nothing_changes(
        self, desk: BusinessBook, portal: PortalService, anna: str, account: str
    ) -> None:
        bea = desk.cards.add({"first_name": "Bea", "email": NEW}).id
        portal.create_account(bea, password=PASSWORD)
        with pytest.raises(ValidationError) as caught:
            desk.cards.edit(anna, {"email": NEW.upper()}, expected_version=1)
        assert caught.value.codes == {"portal.login_taken"}
        assert desk.cards.get(anna).email == OLD
        assert portal.sign_in(OLD, PASSWORD, source="ip").card_id == anna

    def test_an_edit_that_keeps_the_address_keeps_links_and_sessions(
        self, desk: BusinessBook, portal: PortalService, anna: str, account: str
    ) -> None:
        principal = portal.sign_in(OLD, PASSWORD, source="ip")
        token = portal.issue_link(anna, LinkPurpose.SIGN_IN)
        desk.cards.edit(anna, {"city": "Monza"}, expected_version=1)
        portal.check(principal)
        assert portal.redeem_link(token).card_id == anna

    def test_a_change_of_a_card_without_an_account_needs_no_portal(
        self, book: ClientBook, desk: BusinessBook, anna: str
    ) -> None:
        desk.cards.edit(anna, {"email": NEW}, expected_version=1)
        assert desk.portal.account(anna) is None
