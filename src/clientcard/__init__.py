"""clientcard: client cards for salon and appointment-booking products.

The public API lives here; submodules hold the details. See the README for a tour.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.blacklist import BlockReason
from clientcard.card import (
    BirthDate,
    CardStatus,
    CardUpdate,
    ClientCard,
    CustomValue,
    FieldValue,
    Gender,
    Invoicing,
    PostalAddress,
)
from clientcard.erasure import (
    ErasureMode,
    ErasurePlan,
    ErasurePolicy,
    ErasureReceipt,
    RetentionRules,
)
from clientcard.errors import (
    ClientCardError,
    DocumentError,
    DuplicateError,
    FieldIssue,
    InvalidValueError,
    NotFoundError,
    SchemaError,
    StorageError,
    ValidationError,
    VersionConflictError,
)
from clientcard.gallery import Photo, PhotoKind, PhotoLimits, PhotoRejectedError
from clientcard.groups import ClientGroup, GroupMove
from clientcard.history import (
    Appointment,
    AppointmentStatus,
    ConversationEntry,
    Payment,
    PaymentStatus,
    ServiceLine,
    SharedDocument,
)
from clientcard.money import Money, MoneyError
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
from clientcard.schema import (
    Choice,
    Context,
    FieldDefinition,
    FieldSchema,
    FieldType,
    FormField,
    FormOption,
)
from clientcard.serialization import card_from_dict, card_to_dict, schema_from_dict, schema_to_dict

__all__ = [
    "Appointment",
    "AppointmentStatus",
    "BirthDate",
    "BlockReason",
    "CardStatus",
    "CardUpdate",
    "Choice",
    "ClientCard",
    "ClientCardError",
    "ClientGroup",
    "ClientLimitReachedError",
    "Context",
    "ConversationEntry",
    "CustomValue",
    "Discount",
    "DocumentError",
    "DuplicateError",
    "ErasureMode",
    "ErasurePlan",
    "ErasurePolicy",
    "ErasureReceipt",
    "FieldDefinition",
    "FieldIssue",
    "FieldSchema",
    "FieldType",
    "FieldValue",
    "FormField",
    "FormOption",
    "Gender",
    "GroupMove",
    "InvalidValueError",
    "Invoicing",
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
    "PostalAddress",
    "Promotion",
    "PromotionExhaustedError",
    "PromotionUnavailableError",
    "Redemption",
    "RedemptionRefusedError",
    "RetentionRules",
    "SchemaError",
    "ServiceLine",
    "SharedDocument",
    "StorageError",
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
