"""The client portal: accounts, passwords, one-time links and self-service.

Each business's portal is ``book.business(id).portal`` (see
:mod:`clientcard.portal.service`), set up by the book's :class:`PortalSettings` -- the
defaults when the book was made without any. This package holds the pure parts only.
Needs argon2-cffi and zxcvbn, which the package installs.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.portal.accounts import LinkPurpose, PortalAccount
from clientcard.portal.model import AuthenticationError, Principal, Profile
from clientcard.portal.passwords import PasswordHasher, PasswordPolicy
from clientcard.portal.settings import PortalSettings

__all__ = [
    "AuthenticationError",
    "LinkPurpose",
    "PasswordHasher",
    "PasswordPolicy",
    "PortalAccount",
    "PortalSettings",
    "Principal",
    "Profile",
]
