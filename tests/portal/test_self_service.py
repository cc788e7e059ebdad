"""Self-service: what a signed-in client may see and change, and only on their own card."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientcard.book import ClientBook
from clientcard.consent import Channel, ConsentSource, Purpose
from clientcard.erasure.requests import RequestKind
from clientcard.errors import ValidationError
from clientcard.history.model import AppointmentStatus
from clientcard.portal import AuthenticationError, PortalSettings, Principal
from clientcard.portal.service import PortalService
from clientcard.promotions.model import Discount
from clientcard.storage import MemoryStore
from tests.history.helpers import visit
from tests.portal.conftest import PASSWORD, cheap_hasher
from tests.support import NOW


@pytest.fixture
def principal(portal: PortalService, account: str) -> Principal:
    return portal.sign_in("anna@example.com", PASSWORD, source="ip")


class TestProfile:
    def test_the_profile_offers_the_online_fields_and_what_is_missing(
        self, book: ClientBook, portal: PortalService, salon: str, principal: Principal
    ) -> None:
        book.business(salon).cards.change_schema(lambda s: s.configure("city", required=True))
        profile = portal.profile(principal)
        assert "city" in [field.key for field in profile.form]
        assert "notes" not in [field.key for field in profile.form]
        assert "city" in profile.still_to_ask

    def test_a_client_edits_their_online_fields(
        self, portal: PortalService, principal: Principal
    ) -> None:
        card = portal.update_profile(principal, {"city": "Milano"}, expected_version=1)
        assert card.address.city == "Milano"

    def test_a_field_not_collected_online_is_refused(
        self, portal: PortalService, principal: Principal
    ) -> None:
        with pytest.raises(ValidationError) as caught:
            portal.update_profile(principal, {"notes": "VIP"}, expected_version=1)
        assert caught.value.fields == {"notes"}

    def test_required_flags_are_enforced(
        self, book: ClientBook, portal: PortalService, salon: str, principal: Principal
    ) -> None:
        book.business(salon).cards.change_schema(lambda s: s.configure("city", required=True))
        with pytest.raises(ValidationError) as caught:
            portal.update_profile(principal, {"last_name": "Rossi"}, expected_version=1)
        assert "field.required" in caught.value.codes

    def test_a_new_email_is_the_new_login_and_ends_older_sessions(
        self, portal: PortalService, principal: Principal
    ) -> None:
        portal.update_profile(principal, {"email": "anna@new.example"}, expected_version=1)
        with pytest.raises(AuthenticationError) as caught:
            portal.profile(principal)
        assert caught.value.code == "portal.session_ended"
        portal.sign_in("anna@new.example", PASSWORD, source="ip")

    def test_an_email_another_account_uses_changes_nothing(
        self, book: ClientBook, portal: PortalService, salon: str, anna: str, principal: Principal
    ) -> None:
        bea = book.business(salon).cards.add({"first_name": "Bea", "email": "bea@example.com"}).id
        portal.create_account(bea, password=PASSWORD)
        with pytest.raises(ValidationError) as caught:
            portal.update_profile(principal, {"email": "bea@example.com"}, expected_version=1)
        assert caught.value.codes == {"portal.login_taken"}
        assert book.business(salon).cards.get(anna).email == "anna@example.com"
        portal.profile(principal)  # the session still stands


class TestConsentAndHistory:
    def test_a_withdrawal_is_recorded_as_coming_from_the_portal(
        self, book: ClientBook, portal: PortalService, salon: str, anna: str, principal: Principal
    ) -> None:
        portal.change_consent(
            principal, Purpose.MARKETING, Channel.EMAIL, grant=True, wording_version="v1"
        )
        state = portal.change_consent(principal, Purpose.MARKETING, Channel.EMAIL, grant=False)
        assert not state.is_granted(Purpose.MARKETING, Channel.EMAIL)
        last = book.business(salon).consent.ledger(anna)[-1]
        assert (last.source, last.recorded_by) == (
            ConsentSource.CLIENT_PORTAL,
            f"portal:{principal.account_id}",
        )

    def test_appointments_come_without_staffs_technical_notes(
        self, book: ClientBook, portal: PortalService, salon: str, anna: str, principal: Principal
    ) -> None:
        book.business(salon).history.add_appointment(
            visit(anna, business_id=salon, days=-3, technical_notes="6.1")
        )
        book.business(salon).history.add_appointment(
            visit(anna, business_id=salon, days=3, status=AppointmentStatus.BOOKED)
        )
        upcoming, past = portal.appointments(principal)
        assert [len(upcoming), len(past)] == [1, 1]
        assert past[0].technical_notes is None


class TestPromotions:
    def test_a_client_sees_the_promotions_they_can_redeem(
        self, book: ClientBook, portal: PortalService, salon: str, principal: Principal
    ) -> None:
        book.business(salon).promotions.add(
            code="WELCOME10",
            name="Welcome",
            discount=Discount.percentage(10),
            valid_from=NOW - dt.timedelta(days=1),
            valid_until=NOW + dt.timedelta(days=30),
        )
        assert [promotion.code for promotion in portal.promotions(principal)] == ["WELCOME10"]


_fields = st.sampled_from(["business_id", "card_id", "account_id", "credential_version"])


class TestIsolation:
    @settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(swap=st.lists(_fields, min_size=1, unique=True), same_business=st.booleans())
    def test_a_principal_never_reaches_another_card(
        self, swap: list[str], same_business: bool
    ) -> None:
        book = ClientBook(MemoryStore(), portal=PortalSettings(hasher=cheap_hasher()))
        first = book.create_business(name="One", region="IT", language="en").id
        second = first if same_business else book.create_business(name="Two").id
        principals = []
        for business_id, name in ((first, "anna"), (second, "bea")):
            desk = book.business(business_id)
            card = desk.cards.add({"first_name": name, "email": f"{name}@x.it"})
            desk.portal.create_account(card.id, password=PASSWORD)
            principals.append(desk.portal.sign_in(f"{name}@x.it", PASSWORD, source="i"))
        mine, theirs = principals
        forged = Principal(
            **{
                field: getattr(theirs if field in swap else mine, field)
                for field in ("business_id", "card_id", "account_id", "credential_version")
            }
        )
        if forged in (mine, theirs):
            return  # swapping fields that happen to be equal forges nothing

        def refused_by(portal: PortalService) -> None:
            calls: list[Callable[[], object]] = [
                lambda: portal.profile(forged),
                lambda: portal.consents(forged),
                lambda: portal.appointments(forged),
                lambda: portal.promotions(forged),
                lambda: portal.download_data(forged),
                lambda: portal.request_erasure(forged),
                lambda: portal.update_profile(forged, {"city": "X"}, expected_version=1),
                lambda: portal.change_consent(
                    forged, Purpose.MARKETING, Channel.EMAIL, grant=False
                ),
            ]
            for call in calls:
                with pytest.raises(AuthenticationError):
                    call()

        # Whichever business's portal the host shows it to, a forged principal is refused.
        for business_id in dict.fromkeys((first, second)):
            refused_by(book.business(business_id).portal)
        for principal in principals:
            card = book.business(principal.business_id).cards.get(principal.card_id)
            assert (card.version, card.address.city) == (1, None)


class TestDataRights:
    def test_a_client_downloads_their_data_without_secrets(
        self, book: ClientBook, portal: PortalService, anna: str, principal: Principal
    ) -> None:
        data = portal.download_data(principal)
        document = json.dumps(data.to_dict(), default=str)
        assert "anna@example.com" in document
        assert "argon2" not in document
        assert data.report()

    def test_asking_for_erasure_files_a_request_and_deletes_nothing(
        self, book: ClientBook, portal: PortalService, salon: str, anna: str, principal: Principal
    ) -> None:
        request = portal.request_erasure(principal)
        assert request.kind is RequestKind.ERASURE
        assert request.received_on == NOW.date()
        assert [r.request_id for r in book.business(salon).requests.list()] == [request.request_id]
        assert book.business(salon).cards.get(anna).first_name == "Anna"
