"""Promotions: promo codes, discounts, redemptions and their limits.

This package holds the concept's pure types (no I/O, no clock reads); its service,
the object a host calls, is reached through a business handle
(``book.business(id).promotions``) and lives in :mod:`clientcard.promotions.service`.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.promotions.model import (
    CODE_PATTERN,
    ClientLimitReachedError,
    Discount,
    NotEligibleError,
    Promotion,
    PromotionExhaustedError,
    PromotionUnavailableError,
    Redemption,
    RedemptionRefusedError,
    UnknownPromotionError,
    is_valid_code,
    normalise_code,
    refusal_error,
)

__all__ = [
    "CODE_PATTERN",
    "ClientLimitReachedError",
    "Discount",
    "NotEligibleError",
    "Promotion",
    "PromotionExhaustedError",
    "PromotionUnavailableError",
    "Redemption",
    "RedemptionRefusedError",
    "UnknownPromotionError",
    "is_valid_code",
    "normalise_code",
    "refusal_error",
]
