"""The gallery: inspiration and result photos on a client's card.

This package holds the concept's pure types (no I/O, no clock reads); its service,
the object a host calls, is reached through a business handle
(``book.business(id).gallery``) and lives in :mod:`clientcard.gallery.service`.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.gallery.model import (
    IMAGE_TYPES,
    Photo,
    PhotoKind,
    PhotoLimits,
    PhotoRejectedError,
    check_photo,
    sniff_image_type,
)

__all__ = [
    "IMAGE_TYPES",
    "Photo",
    "PhotoKind",
    "PhotoLimits",
    "PhotoRejectedError",
    "check_photo",
    "sniff_image_type",
]
