"""The one error hierarchy of clientcard.

Every error the library raises on purpose derives from :class:`ClientCardError`::

    ClientCardError
    ├── ValidationError (also ValueError)    bad input; holds every FieldIssue at once
    ├── InvalidValueError (also ValueError)  one value failed a contact validator
    ├── NotFoundError (also LookupError)      no such card/business in this scope
    ├── VersionConflictError                  an update carried a stale version
    ├── DuplicateError                        an id that already exists was added
    ├── SchemaError (also ValueError)         a field schema operation is not allowed
    ├── DocumentError (also ValueError)      a stored document cannot be read back
    ├── StorageError                          the store failed (locked, full, unreachable)
    ├── ConfigurationError                    the book lacks settings a call needs
    ├── BlockedClientError                    a booking for a blacklisted client, refused
    ├── MoneyError (also ValueError)          clientcard.money: currency unknown or mixed
    └── RedemptionRefusedError                clientcard.promotions.model: a promo code refused
        ├── UnknownPromotionError (also LookupError)
        ├── PromotionUnavailableError         retired, not valid yet, expired
        ├── NotEligibleError                  the client's group or the service
        ├── PromotionExhaustedError           the overall limit
        └── ClientLimitReachedError           this client's limit

A refused gallery photo is a ValidationError (``clientcard.gallery.model.PhotoRejectedError``).

Messages name fields, codes and ids, never the values a person typed: an error that
reaches a log or a traceback carries no personal data.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from clientcard.locale import message

__all__ = [
    "BlockedClientError",
    "ClientCardError",
    "ConfigurationError",
    "DocumentError",
    "DuplicateError",
    "FieldIssue",
    "ImportFileError",
    "InvalidValueError",
    "NotFoundError",
    "SchemaError",
    "StorageError",
    "ValidationError",
    "VersionConflictError",
]


@attrs.frozen
class FieldIssue:
    """One problem with one field: which field, a machine code and a human message.

    ``field`` is a path such as ``email`` or ``custom.allergies``; ``code`` is stable and
    meant for programs (``phone.invalid``); ``message`` is for people, in the language
    asked for. None of them holds the submitted value.

    .. versionadded:: 0.1.0
    """

    field: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"$.{self.field}: {self.code}: {self.message}"


class ClientCardError(Exception):
    """Root of every error clientcard raises on purpose.

    .. versionadded:: 0.1.0
    """


class ValidationError(ClientCardError, ValueError):
    """Submitted data broke one or more rules; :attr:`issues` lists every one of them.

    .. versionadded:: 0.1.0
    """

    def __init__(self, issues: Iterable[FieldIssue]) -> None:
        self.issues: tuple[FieldIssue, ...] = tuple(issues)
        if not self.issues:
            raise ValueError("ValidationError needs at least one issue")
        super().__init__("\n".join(str(issue) for issue in self.issues))

    @property
    def fields(self) -> frozenset[str]:
        """The fields that have at least one issue."""
        return frozenset(issue.field for issue in self.issues)

    @property
    def codes(self) -> frozenset[str]:
        """The machine codes of every issue."""
        return frozenset(issue.code for issue in self.issues)

    @classmethod
    def of(cls, field: str, code: str, lang: str = "en") -> ValidationError:
        """One issue: ``field`` breaks rule ``code``, with the shipped message in ``lang``."""
        return cls([FieldIssue(field, code, message(code, lang))])

    def issues_for(self, field: str) -> tuple[FieldIssue, ...]:
        """The issues of one field, in the order they were found."""
        return tuple(issue for issue in self.issues if issue.field == field)


class InvalidValueError(ClientCardError, ValueError):
    """One value failed one of the :mod:`clientcard.contact` validators.

    ``code`` is the machine code (``phone.invalid``); the message is English and never
    holds the value. Schema validation turns these into :class:`FieldIssue` objects that
    name the field and speak the caller's language.

    .. versionadded:: 0.1.0
    """

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(f"{code}: {message(code, 'en', **params)}")


class NotFoundError(ClientCardError, LookupError):
    """Nothing with this id exists in the caller's business.

    A card of another business is reported exactly like a missing one, so a caller can't
    learn that it exists.

    .. versionadded:: 0.1.0
    """

    def __init__(self, kind: str, ident: str) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"{kind} {ident!r} not found")


class DuplicateError(ClientCardError):
    """Something with this id already exists.

    .. versionadded:: 0.1.0
    """

    def __init__(self, kind: str, ident: str) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"{kind} {ident!r} already exists")


class VersionConflictError(ClientCardError):
    """An update carried a version that is no longer the stored one; nothing was written.

    .. versionadded:: 0.1.0
    """

    def __init__(self, card_id: str, expected: int, actual: int) -> None:
        self.card_id = card_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"card {card_id!r}: expected version {expected}, the stored version is {actual}"
        )


class SchemaError(ClientCardError, ValueError):
    """A change to a field schema is not allowed (duplicate key, unknown field, ...).

    .. versionadded:: 0.1.0
    """

    def __init__(self, field: str, code: str, message: str) -> None:
        self.field = field
        self.code = code
        super().__init__(f"$.{field}: {code}: {message}")


class DocumentError(ClientCardError, ValueError):
    """A serialised document (card, schema) is malformed or of an unknown version.

    .. versionadded:: 0.1.0
    """

    def __init__(self, kind: str, problems: Iterable[str]) -> None:
        self.kind = kind
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__(f"cannot read {kind} document: " + "; ".join(self.problems))


class ImportFileError(ClientCardError, ValueError):
    """An import file can't be read as the format it was opened as, or holds nothing.

    ``code`` is a machine code: ``file.empty``, ``file.not_csv``, ``file.not_vcard``,
    ``file.not_xlsx`` or ``file.no_sheet``; :meth:`text` is the message in a language.
    Nothing of the file's content is ever in the error.

    .. versionadded:: 0.1.0
    """

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(f"{code}: {message(code, 'en', **params)}")

    def text(self, lang: str = "en") -> str:
        """The message in ``lang``."""
        return message(self.code, lang, **self.params)


class StorageError(ClientCardError):
    """The store could not complete an operation; nothing of it was written.

    ``reason`` is a machine code such as ``locked``, ``disk_full`` or ``unavailable``.

    .. versionadded:: 0.1.0
    """

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(f"{reason}: {message}")


class ConfigurationError(ClientCardError):
    """The book was made without the settings a call needs (messaging, say).

    ``setting`` names the :class:`~clientcard.book.ClientBook` parameter to pass. This
    is a mistake in the host's setup, not in what a client typed: fix the book, not the
    call.

    .. versionadded:: 0.1.0
    """

    def __init__(self, setting: str, message: str) -> None:
        self.setting = setting
        super().__init__(f"{setting}: {message}")


class BlockedClientError(ClientCardError):
    """A booking was refused: a blacklist entry applies to the person.

    ``entry_id`` names the block (staff read its reason with
    ``desk.blacklist.get(entry_id)``); ``card_id`` the client's card, or ``None`` when
    the person booked under a new card and was recognised by their e-mail address or
    phone number. Ids only: tell the client no more than that booking online isn't
    possible. A member of staff may book them all the same by passing
    ``override_block=True`` with ``by=`` (which the audit trail records).

    .. versionadded:: 0.1.0
    """

    def __init__(self, entry_id: str, card_id: str | None = None) -> None:
        self.entry_id = entry_id
        self.card_id = card_id
        super().__init__(f"booking refused: blacklist entry {entry_id!r} applies")

    def __repr__(self) -> str:
        return f"BlockedClientError(entry_id={self.entry_id!r}, card_id={self.card_id!r})"
