"""The application's settings, from code or from the environment."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path

import attrs

from clientcard.clock import Clock


def default_db_path() -> Path:
    """The SQLite file used when none is given: in the system's temporary directory."""
    return Path(tempfile.gettempdir()) / "clientcard-webapp" / "salon.db"


@attrs.frozen
class WebappConfig:
    """Where the salon's cards are kept and how the site presents itself.

    ``secret_key`` signs the session cookie and keys the form tokens; a random one is
    made when none is given, which signs everyone out when the process restarts.
    ``fingerprint_secret`` keys the blacklist's fingerprints
    (:class:`clientcard.book.ClientBook`); ``None`` lets the book keep a random key per
    business in the store. ``cookie_secure`` must be on behind HTTPS.
    """

    db_path: Path = attrs.field(factory=default_db_path)
    business_id: str = "salone-bella"
    business_name: str = "Salone Bella"
    region: str = "IT"
    language: str = "it"
    timezone: str = "Europe/Rome"
    salon_phone: str = "+39 02 1234 5678"
    secret_key: bytes = attrs.field(factory=lambda: secrets.token_bytes(32), repr=False)
    fingerprint_secret: bytes | None = attrs.field(default=None, repr=False)
    cookie_secure: bool = False
    clock: Clock | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WebappConfig:
        """Settings from ``CLIENTCARD_WEBAPP_*`` variables; defaults for the rest.

        ``CLIENTCARD_WEBAPP_DB`` (the SQLite file), ``CLIENTCARD_WEBAPP_SECRET`` (hex, at
        least 32 bytes), ``CLIENTCARD_WEBAPP_LANGUAGE`` (en, it or nl) and
        ``CLIENTCARD_WEBAPP_SECURE_COOKIES=1``.
        """
        env = os.environ if environ is None else environ
        secret = env.get("CLIENTCARD_WEBAPP_SECRET")
        key = bytes.fromhex(secret) if secret else secrets.token_bytes(32)
        if len(key) < 32:
            raise ValueError("CLIENTCARD_WEBAPP_SECRET needs at least 32 bytes (64 hex digits)")
        db = env.get("CLIENTCARD_WEBAPP_DB")
        return cls(
            db_path=Path(db) if db else default_db_path(),
            language=env.get("CLIENTCARD_WEBAPP_LANGUAGE") or "it",
            secret_key=key,
            cookie_secure=env.get("CLIENTCARD_WEBAPP_SECURE_COOKIES") == "1",
        )
