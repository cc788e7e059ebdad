"""The privacy audit trail: who viewed, exported, erased, merged or blocked a client.

Each :class:`AuditEntry` says what was done (:class:`AuditAction`), to which card, when,
by whom (a staff member's or a system's id) and through which call (``erasure.run``,
or the host's own ``GET /clients/{id}``) -- ids and codes only, so the trail can be
handed to a supervisory authority as it is.

The trail is append-only and tamper-evident: entries are numbered from 1 and each carries
the SHA-256 of its own content and of the entry before it, so changing, removing or
reordering any entry breaks every hash after it, which :func:`verify_chain` reports.
The newest hash is also kept apart (the chain's head), so cutting entries off the end
shows too, unless the head is rewritten with them: to make even that evident, copy the
head hash (``desk.audit.head()``) somewhere the database can't reach now and then.

>>> import datetime as dt
>>> at = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
>>> first = chain(None, business_id="b", at=at, action=AuditAction.VIEWED,
...               actor="staff-7", via="GET /clients", card_id="card-1")
>>> second = chain(first.link, business_id="b", at=at, action=AuditAction.ERASED,
...                actor="staff-7", via="erasure.run", card_id="card-1")
>>> verify_chain([first, second]).intact
True
>>> import attrs
>>> verify_chain([first, attrs.evolve(second, actor="someone-else")]).broken_at
2

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from clientcard.erasure._documents import from_document, to_document
from clientcard.errors import FieldIssue, ValidationError
from clientcard.locale import message
from clientcard.storage.records import Record

__all__ = [
    "AUDIT_DOCUMENT_VERSION",
    "AUDIT_HEAD_KIND",
    "AUDIT_KIND",
    "GENESIS",
    "AuditAction",
    "AuditEntry",
    "ChainCheck",
    "audit_record",
    "chain",
    "entry_hash",
    "read_entry",
    "verify_chain",
]

AUDIT_KIND: Final = "audit"
"""The record kind of audit entries (filed under no card; ``key`` is the card id)."""

AUDIT_HEAD_KIND: Final = "audit.head"
"""The record kind of a business's chain head (its newest number and hash)."""

AUDIT_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` written on audit entry documents."""

GENESIS: Final = "0" * 64
"""The hash the first entry of a chain follows."""

# Ids, codes, counts: no spaces, so free text (and a name in it) can't slip in.
_DETAIL: Final = re.compile(r"[A-Za-z0-9_.:@/+=-]{1,200}")


class AuditAction(enum.Enum):
    """What was done to a client's data.

    .. versionadded:: 0.1.0
    """

    VIEWED = "viewed"
    EXPORTED = "exported"
    IMPORTED = "imported"
    ERASED = "erased"
    ERASURE_REPLAYED = "erasure_replayed"
    FIELDS_CLEARED = "fields_cleared"
    CONSENT_LAPSED = "consent_lapsed"
    HOLD_ENDED = "hold_ended"
    """Records kept under a legal hold were deleted once it ended."""
    MERGED = "merged"
    MERGE_UNDONE = "merge_undone"
    BLACKLISTED = "blacklisted"
    UNBLACKLISTED = "unblacklisted"
    BLOCK_OVERRIDDEN = "block_overridden"
    """Staff booked a client past a block that applied (the entry's id in the detail)."""
    REQUEST_RECEIVED = "request_received"
    REQUEST_EXTENDED = "request_extended"
    POLICY_CHANGED = "policy_changed"


def _freeze(values: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(values))


@attrs.frozen
class AuditEntry:
    """One entry of a business's audit trail (see the module docs).

    .. versionadded:: 0.1.0
    """

    business_id: str
    seq: int
    at: dt.datetime
    action: AuditAction
    actor: str
    via: str
    card_id: str | None
    detail: Mapping[str, str] = attrs.field(factory=dict, converter=_freeze, hash=False)
    previous: str = GENESIS
    hash: str = ""

    def computed_hash(self) -> str:
        """The hash this entry's content and its predecessor's hash give."""
        return entry_hash(self)

    @property
    def link(self) -> tuple[int, str]:
        """``(seq, hash)``: what the next entry follows."""
        return self.seq, self.hash


def _check_detail(detail: Mapping[str, str]) -> None:
    code = "audit.detail_invalid"
    for key, value in detail.items():
        if not (_DETAIL.fullmatch(key) and _DETAIL.fullmatch(value)):
            raise ValidationError([FieldIssue(f"detail.{key}", code, message(code))])


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over the entry's content (all but ``hash``) and the previous hash."""
    content = {
        "business_id": entry.business_id,
        "seq": entry.seq,
        "at": entry.at.astimezone(dt.UTC).isoformat(),
        "action": entry.action.value,
        "actor": entry.actor,
        "via": entry.via,
        "card_id": entry.card_id,
        "detail": dict(sorted(entry.detail.items())),
        "previous": entry.previous,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def chain(
    after: tuple[int, str] | None,
    *,
    business_id: str,
    at: dt.datetime,
    action: AuditAction,
    actor: str,
    via: str,
    card_id: str | None = None,
    detail: Mapping[str, str] | None = None,
) -> AuditEntry:
    """Return the entry that follows ``after``, the ``(seq, hash)`` of the newest entry.

    With ``None`` it is a chain's first entry.

    :raises ValidationError: ``audit.detail_invalid`` for a detail that is not an id or
        code.
    """
    detail = {str(key): str(value) for key, value in (detail or {}).items()}
    _check_detail(detail)
    unsigned = AuditEntry(
        business_id=business_id,
        seq=1 if after is None else after[0] + 1,
        at=at,
        action=action,
        actor=actor,
        via=via,
        card_id=card_id,
        detail=detail,
        previous=GENESIS if after is None else after[1],
    )
    return attrs.evolve(unsigned, hash=entry_hash(unsigned))


@attrs.frozen
class ChainCheck:
    """What :func:`verify_chain` found.

    ``broken_at`` is the number of the first entry that does not follow from those
    before it (``None`` when the chain is intact); ``problem`` says how: ``hash`` (its
    content changed), ``link`` (an entry before it changed or went missing), ``gap``
    (numbers skip), or ``head`` (entries were cut off the end).

    .. versionadded:: 0.1.0
    """

    entries: int
    broken_at: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        """Tell whether every entry follows from the one before it."""
        return self.broken_at is None


def verify_chain(entries: Iterable[AuditEntry], head: tuple[int, str] | None = None) -> ChainCheck:
    """Check a business's trail, in any order given; ``head`` is ``(seq, hash)`` if known."""
    ordered = sorted(entries, key=lambda entry: entry.seq)
    previous = GENESIS
    for number, entry in enumerate(ordered, start=1):
        if entry.seq != number:
            return ChainCheck(len(ordered), number, "gap")
        if entry.previous != previous:
            return ChainCheck(len(ordered), number, "link")
        if entry.computed_hash() != entry.hash:
            return ChainCheck(len(ordered), number, "hash")
        previous = entry.hash
    if head is not None and (len(ordered), previous) != head:
        return ChainCheck(len(ordered), len(ordered) + 1, "head")
    return ChainCheck(len(ordered))


def audit_record(entry: AuditEntry) -> Record:
    """The record an entry is kept as: under no card, found by the card id it names."""
    return Record(
        business_id=entry.business_id,
        kind=AUDIT_KIND,
        id=f"{entry.seq:012d}",
        at=entry.at,
        doc=audit_to_dict(entry),
        key=entry.card_id,
    )


def audit_to_dict(entry: AuditEntry) -> dict[str, Any]:
    """Return a JSON-ready dict of ``entry``, with ``schema_version``."""
    return to_document(entry, AUDIT_DOCUMENT_VERSION)


def read_entry(record: Record) -> AuditEntry:
    """Read an entry back from its record."""
    return from_document("audit_entry", dict(record.doc), AUDIT_DOCUMENT_VERSION, AuditEntry)
