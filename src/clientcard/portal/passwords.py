"""Portal passwords: a policy of length and common passwords, and Argon2id hashes.

The policy follows NIST SP 800-63B (section 5.1.1.2) rather than composition rules: at
least :attr:`PasswordPolicy.min_length` characters, any characters at all (spaces and
emoji included, compared after NFC normalisation), and not one of the 30,000 most common
passwords (the list zxcvbn ships) nor the login itself.

Hashes are Argon2id (argon2-cffi), a memory-hard algorithm; :class:`PasswordHasher` tells
when a stored hash was made with weaker parameters than today's, so sign-in can upgrade
it (:meth:`PasswordHasher.needs_rehash`).

>>> policy = PasswordPolicy()
>>> policy.problems("password123")
('password.too_short', 'password.common')
>>> policy.problems("correct horse battery staple")
()

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Final

import argon2
import attrs
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from clientcard.errors import FieldIssue, ValidationError
from clientcard.locale import message

__all__ = ["PasswordHasher", "PasswordPolicy"]

_HARD_MAX: Final = 1024


@functools.cache
def _common() -> frozenset[str]:
    # Imported on first use: the list is large and only sign-up and resets need it.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # noqa: PLC0415

    return frozenset(FREQUENCY_LISTS["passwords"])


def _normal(password: str) -> str:
    return unicodedata.normalize("NFC", password)


@attrs.frozen
class PasswordPolicy:
    """What a new portal password must be.

    .. versionadded:: 0.1.0
    """

    min_length: int = 12
    max_length: int = 256

    def problems(self, password: object, *, login: str | None = None) -> tuple[str, ...]:
        """Return the codes of every rule ``password`` breaks (empty when it is fine)."""
        if not isinstance(password, str):
            return ("password.invalid",)
        text = _normal(password)
        found = []
        if len(text) < self.min_length:
            found.append("password.too_short")
        if len(text) > min(self.max_length, _HARD_MAX):
            found.append("password.too_long")
        folded = text.casefold()
        if folded in _common() or folded.strip() in _common():
            found.append("password.common")
        if login and (folded == login.casefold() or folded == login.casefold().split("@")[0]):
            found.append("password.is_login")
        return tuple(found)

    def check(self, password: object, *, login: str | None = None, lang: str = "en") -> None:
        """Refuse a password that breaks a rule, naming every rule it breaks.

        :raises ValidationError: on field ``password``; the message never repeats it.
        """
        codes = self.problems(password, login=login)
        if codes:
            raise ValidationError(
                [FieldIssue("password", code, message(code, lang)) for code in codes]
            )


class PasswordHasher:
    """Argon2id hashing with upgradable parameters.

    The defaults are argon2-cffi's (RFC 9106's low-memory profile); pass stronger ones as
    hardware allows -- hashes made with older parameters still verify, and
    :meth:`needs_rehash` tells sign-in to store a fresh one.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        *,
        time_cost: int = argon2.DEFAULT_TIME_COST,
        memory_cost: int = argon2.DEFAULT_MEMORY_COST,
        parallelism: int = argon2.DEFAULT_PARALLELISM,
    ) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )
        # A hash of nothing anybody knows: verifying against it costs what a real check
        # costs, so an unknown login takes as long to refuse as a wrong password. Made
        # on the first check (known login or not, so that one is no faster either): a
        # book whose portal only follows address changes never pays for it.
        self._decoy: str | None = None

    def hash(self, password: str) -> str:
        """Return the Argon2id hash of ``password`` (NFC-normalised), salted."""
        return self._hasher.hash(_normal(password))

    def verify(self, stored: str, password: str) -> bool:
        """Tell whether ``password`` matches ``stored``; a malformed hash matches nothing."""
        try:
            return self._hasher.verify(stored, _normal(password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _decoy_hash(self) -> str:
        if self._decoy is None:
            # Two threads racing here make two equal decoys; either one will do.
            self._decoy = self._hasher.hash("clientcard decoy password")
        return self._decoy

    def verify_decoy(self, password: str) -> None:
        """Spend the time of one verification on nothing (for unknown logins)."""
        self.verify(self._decoy_hash(), password)

    def verify_or_decoy(self, stored: str | None, password: str) -> bool:
        """:meth:`verify`, spending the same Argon2 work whether or not there is a hash.

        With no ``stored`` hash (an unknown login, an account without a password) a
        decoy is checked instead; a hash made with older, cheaper parameters is topped
        up with a decoy check, so a dormant account's login doesn't stand out from an
        unknown one by how fast it is refused.
        """
        self._decoy_hash()
        if stored is None:
            self.verify_decoy(password)
            return False
        matched = self.verify(stored, password)
        if not matched and self.needs_rehash(stored):
            self.verify_decoy(password)
        return matched

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` was made with other parameters than this hasher's."""
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True
