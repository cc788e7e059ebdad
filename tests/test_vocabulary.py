"""The vocabulary every service shares (docs/explanation/architecture.md#one-vocabulary).

References are ids: an object where an id belongs is a TypeError naming the parameter,
never a lookup of its text. Enumerations are accepted by their values; an unknown value
is a ValueError naming the parameter and listing the allowed ones. A business handle
reaches its own business only.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest

from clientcard import (
    BusinessBook,
    CardStatus,
    Channel,
    ClientBook,
    ClientCard,
    ConfigurationError,
    LawfulBasis,
    MemoryStore,
    MessagingSettings,
    NotFoundError,
    Purpose,
)
from clientcard._core import Service
from clientcard.clock import FixedClock
from clientcard.erasure import ErasureMode
from clientcard.testing.doubles import RecordingNotifier
from tests.support import NOW

SERVICES = (
    "cards",
    "consent",
    "history",
    "blacklist",
    "promotions",
    "groups",
    "gallery",
    "erasure",
    "requests",
    "audit",
    "retention",
    "portability",
    "exchange",
    "portal",
)
"""The services a handle has without settings (messaging needs ``MessagingSettings``)."""


@pytest.fixture
def book() -> ClientBook:
    return ClientBook(MemoryStore(), clock=FixedClock(NOW))


@pytest.fixture
def desk(book: ClientBook) -> BusinessBook:
    salon = book.create_business(name="Salone Bella", region="IT", language="it")
    return book.business(salon.id)


@pytest.fixture
def card(desk: BusinessBook) -> ClientCard:
    return desk.cards.add({"first_name": "Giulia", "email": "giulia@example.com"})


class TestTheHandle:
    def test_an_unknown_business_has_no_handle(self, book: ClientBook) -> None:
        """Asking for a business that does not exist fails at once, not at first use."""
        with pytest.raises(NotFoundError):
            book.business("nope")

    def test_a_business_object_is_not_an_id(self, book: ClientBook) -> None:
        """Passing the Business where its id belongs names the parameter."""
        salon = book.create_business(name="Salone Bella")
        with pytest.raises(TypeError, match="business_id"):
            book.business(salon)  # type: ignore[arg-type]

    @pytest.mark.parametrize("name", SERVICES)
    def test_every_service_is_scoped_to_the_handles_business(
        self, desk: BusinessBook, name: str
    ) -> None:
        """Each attribute is a service bound to the handle's business."""
        service = getattr(desk, name)
        assert isinstance(service, Service)
        assert service.business_id == desk.id

    @pytest.mark.parametrize("name", SERVICES)
    def test_no_service_operation_takes_a_business_id(self, desk: BusinessBook, name: str) -> None:
        """The handle names the business; no operation asks for it again."""
        service = getattr(desk, name)
        taking = [
            method
            for method, member in inspect.getmembers(type(service), inspect.isfunction)
            if not method.startswith("_") and "business_id" in inspect.signature(member).parameters
        ]
        assert taking == []

    def test_a_handle_does_not_reach_another_business(
        self, book: ClientBook, desk: BusinessBook, card: ClientCard
    ) -> None:
        """A card of one business is not found through another business's handle."""
        other = book.business(book.create_business(name="Studio Verdi").id)
        with pytest.raises(NotFoundError):
            other.cards.get(card.id)

    def test_the_details_are_the_stored_business(
        self, book: ClientBook, desk: BusinessBook
    ) -> None:
        assert desk.details() == book.get_business(desk.id)


IdCall = Callable[[BusinessBook, ClientCard], object]

OBJECT_FOR_ID: dict[str, tuple[str, IdCall]] = {
    "cards.get": ("card_id", lambda d, c: d.cards.get(c)),  # type: ignore[arg-type]
    "cards.edit": (
        "card_id",
        lambda d, c: d.cards.edit(c, {"city": "Monza"}, expected_version=1),  # type: ignore[arg-type]
    ),
    "consent.may_contact": (
        "card_id",
        lambda d, c: d.consent.may_contact(c, "marketing", "email"),  # type: ignore[arg-type]
    ),
    "consent.grant": (
        "card_id",
        lambda d, c: d.consent.grant(c, "marketing", "email", wording_version="v1", by="x"),  # type: ignore[arg-type]
    ),
    "history.list_appointments": ("card_id", lambda d, c: d.history.list_appointments(c)),  # type: ignore[arg-type]
    "gallery.list": ("card_id", lambda d, c: d.gallery.list(c)),  # type: ignore[arg-type]
    "blacklist.is_blocked": ("card_id", lambda d, c: d.blacklist.is_blocked(c)),  # type: ignore[arg-type]
    "groups.group_of": ("card_id", lambda d, c: d.groups.group_of(c)),  # type: ignore[arg-type]
    "promotions.list_redemptions": (
        "card_id",
        lambda d, c: d.promotions.list_redemptions(c),  # type: ignore[arg-type]
    ),
    "erasure.plan": ("card_id", lambda d, c: d.erasure.plan(c)),  # type: ignore[arg-type]
    "requests.receive": (
        "card_id",
        lambda d, c: d.requests.receive(c, "access", by="x"),  # type: ignore[arg-type]
    ),
    "promotions.get": ("code", lambda d, c: d.promotions.get(c)),  # type: ignore[arg-type]
    "promotions.redeem": ("code", lambda d, c: d.promotions.redeem(c.id, c)),  # type: ignore[arg-type]
    "groups.get": ("key", lambda d, c: d.groups.get(c)),  # type: ignore[arg-type]
    "groups.assign": (
        "group",
        lambda d, c: d.groups.assign(c.id, c, expected_version=1),  # type: ignore[arg-type]
    ),
    "portability.export_subject": (
        "card_id",
        lambda d, c: d.portability.export_subject(c, by="x"),  # type: ignore[arg-type]
    ),
}


class TestReferencesAreIds:
    @pytest.mark.parametrize("operation", sorted(OBJECT_FOR_ID))
    def test_an_object_where_an_id_belongs_is_a_type_error_naming_it(
        self, desk: BusinessBook, card: ClientCard, operation: str
    ) -> None:
        """A card passed for ``card_id`` names the parameter and holds none of its data."""
        parameter, call = OBJECT_FOR_ID[operation]
        with pytest.raises(TypeError, match=parameter) as raised:
            call(desk, card)
        assert "Giulia" not in str(raised.value)
        assert len(str(raised.value)) < 200


class TestEnumerationsByValue:
    def test_purposes_and_channels_are_accepted_by_value(
        self, desk: BusinessBook, card: ClientCard
    ) -> None:
        """``"marketing"`` and ``"email"`` mean Purpose.MARKETING and Channel.EMAIL."""
        desk.consent.grant(card.id, "marketing", "email", wording_version="v1", by="reception")
        by_value = desk.consent.may_contact(card.id, "marketing", "email")
        by_member = desk.consent.may_contact(card.id, Purpose.MARKETING, Channel.EMAIL)
        assert by_value == by_member
        assert by_value.allowed

    def test_an_unknown_purpose_lists_the_allowed_values(
        self, desk: BusinessBook, card: ClientCard
    ) -> None:
        with pytest.raises(ValueError, match="purpose") as raised:
            desk.consent.may_contact(card.id, "marketin", "email")
        assert "'marketing'" in str(raised.value)

    def test_an_unknown_channel_lists_the_allowed_values(
        self, desk: BusinessBook, card: ClientCard
    ) -> None:
        with pytest.raises(ValueError, match="channel") as raised:
            desk.consent.may_contact(card.id, "marketing", "fax")
        assert "'sms'" in str(raised.value)

    def test_a_status_is_accepted_by_value(self, desk: BusinessBook, card: ClientCard) -> None:
        update = desk.cards.set_status(card.id, "prospect", expected_version=card.version)
        assert update.card.status is CardStatus.PROSPECT

    def test_an_erasure_mode_is_accepted_by_value(
        self, desk: BusinessBook, card: ClientCard
    ) -> None:
        assert desk.erasure.plan(card.id, mode="anonymise").mode is ErasureMode.ANONYMISE

    def test_a_value_of_the_wrong_type_is_a_type_error(
        self, desk: BusinessBook, card: ClientCard
    ) -> None:
        with pytest.raises((TypeError, ValueError), match="purpose"):
            desk.consent.may_contact(card.id, ["marketing"], "email")  # type: ignore[arg-type]

    def test_lawful_bases_are_accepted_by_value(self, book: ClientBook) -> None:
        salon = book.create_business(
            name="Studio", lawful_bases={"rebook_invitations": "legitimate_interest"}
        )
        stored = book.get_business(salon.id).lawful_bases
        assert stored[Purpose.REBOOK_INVITATIONS] is LawfulBasis.LEGITIMATE_INTEREST

    def test_an_unknown_lawful_basis_lists_the_allowed_values(self, book: ClientBook) -> None:
        with pytest.raises(ValueError, match="lawful_bases") as raised:
            book.create_business(name="Studio", lawful_bases={"marketing": "because"})
        assert "'consent'" in str(raised.value)


class TestMessagingSettings:
    def test_a_book_without_messaging_settings_says_how_to_add_them(
        self, desk: BusinessBook
    ) -> None:
        with pytest.raises(ConfigurationError, match="MessagingSettings"):
            _ = desk.messaging

    def test_with_settings_messaging_is_a_service_of_the_handle(self) -> None:
        book = ClientBook(
            MemoryStore(),
            clock=FixedClock(NOW),
            messaging=MessagingSettings(
                {Channel.EMAIL: RecordingNotifier()},
                [],
                token_secret=bytes(32),
                unsubscribe_url="https://salon.example/u/{token}",
            ),
        )
        desk = book.business(book.create_business(name="Salone").id)
        assert isinstance(desk.messaging, Service)
        assert desk.messaging.business_id == desk.id
        method = type(desk.messaging).queue
        assert "business_id" not in inspect.signature(method).parameters


class TestTheActor:
    def test_the_actor_is_by_everywhere(self, desk: BusinessBook) -> None:
        """No public operation names its actor ``actor``, ``recorded_by`` or ``added_by``."""
        old = {"actor", "recorded_by", "added_by"}
        found = {
            f"{name}.{method}"
            for name in SERVICES
            for method, member in inspect.getmembers(type(getattr(desk, name)), inspect.isfunction)
            if not method.startswith("_") and old & set(inspect.signature(member).parameters)
        }
        assert found == set()
