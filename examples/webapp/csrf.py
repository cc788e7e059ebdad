"""Form tokens against cross-site request forgery: HMAC-SHA256, bound to the session.

Each browser session gets a random nonce, kept in Flask's signed session cookie. A
form carries ``issued-at.mac``, where the MAC covers the nonce and the time under a key
derived from the app's secret. A forged request from another site can neither read the
victim's token nor make one, and a token taken from one session is useless in another.
Tokens expire after ``max_age`` seconds; verification runs in constant time.

This is the whole of what flask-wtf's CSRF protection would bring here: the forms are
rendered from clientcard's schema, so WTForms itself would be unused.

>>> key = derive_key(b"s" * 32)
>>> token = issue(key, "nonce-1", now=1_000)
>>> verify(key, "nonce-1", token, now=1_060)
True
>>> verify(key, "nonce-2", token, now=1_060), verify(key, "nonce-1", token, now=99_999)
(False, False)
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

MAX_AGE: Final = 2 * 60 * 60
"""How long a form stays valid, in seconds."""
_STAMP_DIGITS: Final = 12


def derive_key(secret: bytes) -> bytes:
    """The key of form tokens, kept apart from the session cookie's own signing key."""
    return hmac.new(secret, b"clientcard-webapp csrf", hashlib.sha256).digest()


def _mac(key: bytes, nonce: str, issued_at: int) -> str:
    return hmac.new(key, f"{nonce}|{issued_at}".encode(), hashlib.sha256).hexdigest()


def issue(key: bytes, nonce: str, *, now: int) -> str:
    """A token for a form rendered at ``now`` (Unix seconds) in the session of ``nonce``."""
    return f"{now}.{_mac(key, nonce, now)}"


def verify(key: bytes, nonce: str, token: str, *, now: int, max_age: int = MAX_AGE) -> bool:
    """Tell whether ``token`` was issued for this session within ``max_age`` seconds."""
    stamp, _, mac = token.partition(".")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= _STAMP_DIGITS) or not mac:
        return False
    issued_at = int(stamp)
    expected = _mac(key, nonce, issued_at)
    return hmac.compare_digest(mac, expected) and 0 <= now - issued_at <= max_age
