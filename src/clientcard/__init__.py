"""clientcard: client cards for salon and appointment-booking products.

The entry points a host needs are here: :class:`ClientBook` and its per-business handle
:class:`BusinessBook`, the reference stores, the errors, the enumerations a host passes
(each also accepted by its string value) and the values a host builds. Everything else
lives in the concept packages (``clientcard.cards``, ``clientcard.consent``, ...)::

    from clientcard import ClientBook, SQLiteStore

    book = ClientBook(SQLiteStore("clients.db"))
    salon = book.create_business(name="Salone Bella", region="IT", language="it")
    desk = book.business(salon.id)
    card = desk.cards.add({"first_name": "Giulia", "phones": "333 1234567"})

:class:`~clientcard.storage.postgres.PostgresStore` is importable from here too once
``clientcard[postgres]`` is installed.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import typing as _typing

from clientcard.blacklist import (
    BlockReason,
)
from clientcard.book import (
    Admin,
    BusinessBook,
    ClientBook,
)
from clientcard.business import (
    Business,
)
from clientcard.cards import (
    BirthDate,
    CardStatus,
    CardUpdate,
    Choice,
    ClientCard,
    Context,
    CustomValue,
    FieldDefinition,
    FieldSchema,
    FieldType,
    FieldValue,
    FormField,
    FormOption,
    Gender,
    Invoicing,
    PostalAddress,
    card_from_dict,
    card_to_dict,
    schema_from_dict,
    schema_to_dict,
)
from clientcard.clock import (
    Clock,
    FixedClock,
    SystemClock,
)
from clientcard.consent import (
    Channel,
    ConsentAction,
    ConsentSource,
    ConsentState,
    Decision,
    GuardianConsent,
    LawfulBasis,
    Purpose,
)
from clientcard.erasure import (
    ErasureMode,
    ErasurePlan,
    ErasurePolicy,
    ErasureReceipt,
    RetentionRules,
)
from clientcard.erasure.audit import (
    AuditAction,
)
from clientcard.erasure.requests import (
    ExtensionReason,
    RequestKind,
)
from clientcard.errors import (
    BlockedClientError,
    ClientCardError,
    ConfigurationError,
    DocumentError,
    DuplicateError,
    FieldIssue,
    ImportFileError,
    InvalidValueError,
    NotFoundError,
    SchemaError,
    StorageError,
    ValidationError,
    VersionConflictError,
)
from clientcard.events import (
    DomainEvent,
    EventKind,
    EventSink,
)
from clientcard.fingerprints import StoredKeyWarning
from clientcard.gallery import (
    Photo,
    PhotoKind,
    PhotoLimits,
    PhotoRejectedError,
)
from clientcard.groups import (
    ClientGroup,
    GroupMove,
)
from clientcard.history import (
    Appointment,
    AppointmentStatus,
    ConversationEntry,
    Payment,
    PaymentStatus,
    ServiceLine,
    SharedDocument,
)
from clientcard.messaging import (
    MessagingSettings,
)
from clientcard.money import (
    Money,
    MoneyError,
)
from clientcard.portal import (
    PortalSettings,
)
from clientcard.promotions import (
    ClientLimitReachedError,
    Discount,
    NotEligibleError,
    Promotion,
    PromotionExhaustedError,
    PromotionUnavailableError,
    Redemption,
    RedemptionRefusedError,
    UnknownPromotionError,
)
from clientcard.storage import (
    BlobStore,
    CardQuery,
    ClientStore,
    FileBlobStore,
    MemoryBlobStore,
    MemoryStore,
    SQLiteStore,
)

if _typing.TYPE_CHECKING:
    from clientcard.storage.postgres import PostgresStore as PostgresStore

__all__ = [
    "Admin",
    "Appointment",
    "AppointmentStatus",
    "AuditAction",
    "BirthDate",
    "BlobStore",
    "BlockReason",
    "BlockedClientError",
    "Business",
    "BusinessBook",
    "CardQuery",
    "CardStatus",
    "CardUpdate",
    "Channel",
    "Choice",
    "ClientBook",
    "ClientCard",
    "ClientCardError",
    "ClientGroup",
    "ClientLimitReachedError",
    "ClientStore",
    "Clock",
    "ConfigurationError",
    "ConsentAction",
    "ConsentSource",
    "ConsentState",
    "Context",
    "ConversationEntry",
    "CustomValue",
    "Decision",
    "Discount",
    "DocumentError",
    "DomainEvent",
    "DuplicateError",
    "ErasureMode",
    "ErasurePlan",
    "ErasurePolicy",
    "ErasureReceipt",
    "EventKind",
    "EventSink",
    "ExtensionReason",
    "FieldDefinition",
    "FieldIssue",
    "FieldSchema",
    "FieldType",
    "FieldValue",
    "FileBlobStore",
    "FixedClock",
    "FormField",
    "FormOption",
    "Gender",
    "GroupMove",
    "GuardianConsent",
    "ImportFileError",
    "InvalidValueError",
    "Invoicing",
    "LawfulBasis",
    "MemoryBlobStore",
    "MemoryStore",
    "MessagingSettings",
    "Money",
    "MoneyError",
    "NotEligibleError",
    "NotFoundError",
    "Payment",
    "PaymentStatus",
    "Photo",
    "PhotoKind",
    "PhotoLimits",
    "PhotoRejectedError",
    "PortalSettings",
    "PostalAddress",
    "Promotion",
    "PromotionExhaustedError",
    "PromotionUnavailableError",
    "Purpose",
    "Redemption",
    "RedemptionRefusedError",
    "RequestKind",
    "RetentionRules",
    "SQLiteStore",
    "SchemaError",
    "ServiceLine",
    "SharedDocument",
    "StorageError",
    "StoredKeyWarning",
    "SystemClock",
    "UnknownPromotionError",
    "ValidationError",
    "VersionConflictError",
    "__version__",
    "card_from_dict",
    "card_to_dict",
    "schema_from_dict",
    "schema_to_dict",
]

__version__ = "0.1.0.dev0"


def __getattr__(name: str) -> object:
    """Import :class:`PostgresStore` on first use: it needs the ``postgres`` extra."""
    if name == "PostgresStore":
        try:
            from clientcard.storage.postgres import PostgresStore  # noqa: PLC0415
        except ImportError as error:
            raise ImportError(
                "PostgresStore needs psycopg: pip install 'clientcard[postgres]'"
            ) from error
        return PostgresStore
    raise AttributeError(f"module 'clientcard' has no attribute {name!r}")
