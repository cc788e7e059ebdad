"""Records: the documents a store keeps beside cards, one shape for every kind.

Appointments, payments, conversation entries, gallery photos, blacklist entries,
promotions, erasure receipts and the rest are each a :class:`Record`: a JSON document of
one *kind* with an id, the instant it is filed under, and two optional lookup columns
(the card it belongs to and one *key* of its kind's choosing). The domain modules turn
their own types into records and back through the library's converter; a store only
files, finds and deletes them. One shape keeps a host's adapter small -- five methods
instead of five per kind -- while the columns a query filters on stay real columns.

Rules every store keeps (the contract kit checks them):

* ``(business_id, kind, id)`` is unique; adding a taken id raises
  :class:`~clientcard.errors.DuplicateError`.
* Updates are optimistic: the new record must be exactly one revision past
  ``expected_revision``, which must be the stored revision, or
  :class:`~clientcard.errors.VersionConflictError`.
* Listings run in ``(at, id)`` order and page with an opaque cursor; a listing never
  crosses into another business.
* Deleting a card deletes its records; what must outlive the card (anonymised history,
  fiscal records under a legal hold) is rewritten without its ``card_id`` first.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any, Final

import attrs

from clientcard.errors import ValidationError

__all__ = [
    "KIND_PATTERN",
    "Record",
    "RecordQuery",
    "check_delete_bounded",
    "check_next_revision",
    "decode_record_cursor",
    "encode_record_cursor",
    "record_matches",
]

KIND_PATTERN: Final = re.compile(r"[a-z][a-z0-9_.]{0,39}")
"""What a record kind looks like: lower-case, dots and underscores, at most 40 long."""


def _check_kind(_instance: object, _attribute: object, value: str) -> None:
    if not KIND_PATTERN.fullmatch(value):
        raise ValidationError.of("kind", "record.kind_invalid")


def _check_at(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, dt.datetime) and value.utcoffset() is None:
        raise ValidationError.of(attribute.name, "record.naive_time")


def _check_revision(_instance: object, _attribute: object, value: int) -> None:
    # Up to the largest integer the stores' columns keep: more overflowed in SQLite.
    if not 1 <= value <= 2**63 - 1:
        raise ValidationError.of("revision", "record.revision_invalid")


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _storable_doc(value: object) -> bool:
    if isinstance(value, str):
        return _storable(value)
    if isinstance(value, Mapping):
        return all(_storable(str(key)) and _storable_doc(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return all(_storable_doc(item) for item in value)
    return True


def _frozen_doc(value: Mapping[str, Any]) -> Mapping[str, Any]:
    # A deep copy through JSON: the caller's dict can't change the record later, the
    # document is known to be JSON (no NaN, which PostgreSQL refuses), and tuples come
    # back as lists in every store alike.
    try:
        copied: dict[str, Any] = json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        raise ValidationError.of("doc", "record.doc_invalid") from None
    if not isinstance(copied, dict):
        raise ValidationError.of("doc", "record.doc_invalid")
    return copied


@attrs.frozen(repr=False)
class Record:
    """One stored document of a kind, filed under a business, an instant and maybe a card.

    :param business_id: the business it belongs to.
    :param kind: what it is (``"appointment"``, ``"payment"``, ...), see :data:`KIND_PATTERN`.
    :param id: unique within the business and kind.
    :param at: the instant listings order it by (timezone-aware).
    :param doc: the JSON-ready document; only the domain module of the kind reads it.
    :param card_id: the card it belongs to, if any.
    :param key: one more lookup value of the kind's choosing (a code, a hash).
    :param revision: 1 when added; one more on every update (at most 2**63 - 1).

    .. versionadded:: 0.1.0
    """

    business_id: str
    kind: str = attrs.field(validator=_check_kind)
    id: str
    at: dt.datetime = attrs.field(validator=_check_at)
    doc: Mapping[str, Any] = attrs.field(converter=_frozen_doc)
    card_id: str | None = None
    key: str | None = attrs.field(default=None, repr=False)
    revision: int = attrs.field(default=1, validator=_check_revision)

    def __attrs_post_init__(self) -> None:
        # As with cards: U+0000 and lone surrogates can't be kept faithfully by any store.
        columns = {"business_id": self.business_id, "id": self.id}
        columns.update(card_id=self.card_id or "", key=self.key or "")
        for field, text in columns.items():
            if not _storable(text):
                raise ValidationError.of(field, "record.text_invalid")
        if not _storable_doc(self.doc):
            raise ValidationError.of("doc", "record.text_invalid")

    def __repr__(self) -> str:
        # The document may hold personal data; ids are safe to show.
        return (
            f"Record(kind={self.kind!r}, id={self.id!r}, business_id={self.business_id!r},"
            f" card_id={self.card_id!r}, revision={self.revision})"
        )

    @classmethod
    def restored(
        cls,
        *,
        business_id: str,
        kind: str,
        id: str,
        at: dt.datetime,
        doc: dict[str, Any],
        card_id: str | None,
        key: str | None,
        revision: int,
    ) -> Record:
        """Rebuild a record a store wrote, without validating it again.

        For store implementations reading their own rows: every record was validated
        when it was built, before it was written. Skipping the check again makes
        listings several times faster.
        """
        record = object.__new__(cls)
        for name, value in (
            ("business_id", business_id),
            ("kind", kind),
            ("id", id),
            ("at", at),
            ("doc", doc),
            ("card_id", card_id),
            ("key", key),
            ("revision", revision),
        ):
            object.__setattr__(record, name, value)
        return record

    def revised(self, doc: Mapping[str, Any], **changes: Any) -> Record:
        """Return the next revision of this record with a new document (and columns)."""
        return attrs.evolve(self, doc=doc, revision=self.revision + 1, **changes)


@attrs.frozen
class RecordQuery:
    """Which records of one kind a listing returns; every criterion given must match.

    ``since`` is inclusive and ``until`` exclusive, so consecutive windows don't overlap.

    .. versionadded:: 0.1.0
    """

    kind: str = attrs.field(validator=_check_kind)
    card_id: str | None = None
    key: str | None = attrs.field(default=None, repr=False)
    since: dt.datetime | None = attrs.field(default=None, validator=_check_at)
    until: dt.datetime | None = attrs.field(default=None, validator=_check_at)


def record_matches(record: Record, query: RecordQuery) -> bool:
    """Tell whether ``record`` satisfies ``query``: the reference semantics of a listing."""
    return (
        record.kind == query.kind
        and (query.card_id is None or record.card_id == query.card_id)
        and (query.key is None or record.key == query.key)
        and (query.since is None or record.at >= query.since)
        and (query.until is None or record.at < query.until)
    )


def encode_record_cursor(at: dt.datetime, record_id: str) -> str:
    """Make the opaque cursor that resumes a listing after the record at ``(at, id)``."""
    stamp = at.astimezone(dt.UTC).isoformat()
    return base64.urlsafe_b64encode(json.dumps([stamp, record_id]).encode()).decode("ascii")


def decode_record_cursor(cursor: str) -> tuple[dt.datetime, str]:
    """Read a cursor made by :func:`encode_record_cursor`.

    :raises ValidationError: ``query.cursor_invalid`` for anything else.
    """
    try:
        stamp, record_id = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        at = dt.datetime.fromisoformat(stamp)
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        at = None
        record_id = None
    if at is None or at.utcoffset() is None or not isinstance(record_id, str):
        raise ValidationError.of("cursor", "query.cursor_invalid")
    return at, record_id


def check_next_revision(record: Record, expected_revision: int) -> None:
    """Refuse an update whose record is not exactly one revision past ``expected_revision``.

    :raises ValidationError: ``record.revision_not_next``.
    """
    if record.revision != expected_revision + 1:
        raise ValidationError.of("revision", "record.revision_not_next")


def check_delete_bounded(card_id: str | None, kind: str | None, record_ids: object | None) -> None:
    """Refuse a deletion that names neither a card nor record ids (with their kind).

    :raises ValidationError: ``record.delete_unbounded``.
    """
    if card_id is None and (record_ids is None or kind is None):
        raise ValidationError.of("card_id", "record.delete_unbounded")
