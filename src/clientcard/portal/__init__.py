"""The client portal: accounts, passwords, one-time links and self-service.

See :class:`~clientcard.portal.service.Portal`. Needs argon2-cffi and zxcvbn, which the
package installs.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.portal.accounts import LinkPurpose, PortalAccount
from clientcard.portal.passwords import PasswordHasher, PasswordPolicy
from clientcard.portal.service import AuthenticationError, Portal, Principal, Profile

__all__ = [
    "AuthenticationError",
    "LinkPurpose",
    "PasswordHasher",
    "PasswordPolicy",
    "Portal",
    "PortalAccount",
    "Principal",
    "Profile",
]
