"""Client groups: a discount and included services for the clients in one.

This package holds the concept's pure types (no I/O, no clock reads); its service,
the object a host calls, is reached through a business handle
(``book.business(id).groups``) and lives in :mod:`clientcard.groups.service`.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.groups.model import (
    GROUP_DOCUMENT_VERSION,
    GROUP_KEY_PATTERN,
    GROUP_KIND,
    ClientGroup,
    GroupMove,
    normalise_group_key,
)

__all__ = [
    "GROUP_DOCUMENT_VERSION",
    "GROUP_KEY_PATTERN",
    "GROUP_KIND",
    "ClientGroup",
    "GroupMove",
    "normalise_group_key",
]
