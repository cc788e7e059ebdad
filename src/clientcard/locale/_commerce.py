"""Texts of money, promotions, client groups and the gallery (merged into MESSAGES)."""

from __future__ import annotations

from typing import Final

from clientcard.locale._gettext import N_, english

COMMERCE_MESSAGES: Final[dict[str, str]] = english(
    N_("money.currency_invalid", "Use a three-letter ISO 4217 currency code (EUR, GBP, ...)."),
    N_("money.amount_invalid", "This is not an amount of money."),
    N_("money.currency_mismatch", "Amounts in different currencies cannot be combined."),
    N_("promotion.code_invalid", "A promo code has 3 to 32 letters and digits."),
    N_("promotion.name_invalid", "A promotion needs a name of at most 100 characters."),
    N_(
        "promotion.discount_invalid",
        "A discount is a percentage above 0 and up to 100, or a positive amount.",
    ),
    N_(
        "promotion.window_invalid",
        "The validity period must end after it starts, in a given time zone.",
    ),
    N_("promotion.limit_invalid", "A usage limit is a whole number of at least 1."),
    N_("promotion.item_invalid", "Each group or service is 1 to 100 characters."),
    N_("promotion.group_unknown", "This client group is not defined."),
    N_("promotion.unknown", "There is no promotion with this code."),
    N_("promotion.retired", "This promotion has been retired."),
    N_("promotion.not_yet_valid", "This promotion is not valid yet."),
    N_("promotion.expired", "This promotion has expired."),
    N_("promotion.group_not_eligible", "This promotion is not for the client's group."),
    N_("promotion.service_not_eligible", "This promotion does not apply to this service."),
    N_("promotion.exhausted", "This promotion has been used up."),
    N_(
        "promotion.client_limit_reached",
        "The client has already used this promotion as often as allowed.",
    ),
    N_("group.key_invalid", "A group key has 1 to 40 lower-case letters, digits, - and _."),
    N_("group.label_invalid", "A group needs a label of at most 100 characters."),
    N_(
        "group.description_invalid",
        "A description has at most 1000 characters, without control characters.",
    ),
    N_("group.discount_invalid", "A group discount is a percentage above 0 and up to 100."),
    N_("group.service_invalid", "Each included service is 1 to 100 characters."),
    N_("group.unknown", "This client group is not defined."),
    N_("photo.empty", "The photo is empty."),
    N_("photo.too_large", "The photo is larger than {max} bytes."),
    N_("photo.type_unsupported", "Only JPEG, PNG, WebP and HEIC photos can be kept."),
    N_(
        "photo.caption_invalid",
        "A caption has at most {max} characters, without control characters.",
    ),
    N_("photo.reference_invalid", "An appointment or staff reference has 1 to 200 characters."),
)
