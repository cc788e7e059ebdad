"""The privacy audit trail: who viewed, exported, erased, merged or blocked a client.

Each :class:`AuditEntry` says what was done (:class:`AuditAction`), to which card, when,
by whom (a staff member's or a system's id) and through which call (``erasure.run``,
or the host's own ``GET /clients/{id}``) -- ids and codes only, so the trail can be
handed to a supervisory authority as it is.

The trail is append-only and tamper-evident: entries are numbered from 1 and each carries
the SHA-256 of its own content and of the entry before it, so changing, removing or
reordering any entry breaks every hash after it, which :func:`verify_chain` reports.
The newest hash is also kept apart (the chain's head), so cutting entries off the end
shows too -- unless the head is rewritten with them, or every entry is deleted with it,
which leaves an empty trail that reads as intact. What closes that is a head kept where
the database can't reach it: every append sends an ``audit.appended`` event carrying the
new head to the host's event sink, and :func:`verify_chain` (``expected_head=``) checks
that the chain still reaches it. An entry's record also carries the card it names in a
lookup column, outside the hash; the check compares that column with the entry
(:func:`verify_records`), so editing it to hide an entry from a card's trail shows too.

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
>>> verify_chain([first], expected_head=second.link).problem
<AuditProblem.TRUNCATED: 'truncated'>

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
from clientcard.errors import ClientCardError, FieldIssue, ValidationError
from clientcard.locale import message
from clientcard.storage.records import Record

__all__ = [
    "AUDIT_DOCUMENT_VERSION",
    "AUDIT_HEAD_KIND",
    "AUDIT_KIND",
    "GENESIS",
    "AuditAction",
    "AuditEntry",
    "AuditProblem",
    "ChainCheck",
    "audit_record",
    "chain",
    "entry_hash",
    "read_entry",
    "verify_chain",
    "verify_records",
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
_HASH: Final = re.compile(r"[0-9a-f]{64}")


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
    detail: Mapping[str, str] = attrs.field(factory=dict, converter=_freeze, hash=False, repr=False)
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


class AuditProblem(enum.StrEnum):
    """How a trail fails its check (:attr:`ChainCheck.problem`); each compares equal to its value.

    .. versionadded:: 0.1.0
    """

    HASH = "hash"
    """The entry's content changed (or can't be read): it no longer gives its own hash."""
    LINK = "link"
    """An entry before this one changed or went missing: the link to it is broken."""
    GAP = "gap"
    """The numbers skip: this entry is missing."""
    HEAD = "head"
    """The chain ends before the head stored beside it: entries were cut off the end."""
    TRUNCATED = "truncated"
    """The chain ends before the head the host kept: entries were cut off the end (with
    the stored head rewritten, or all of them deleted)."""
    DIVERGED = "diverged"
    """The entry at the head the host kept is another: the trail was rewritten."""
    LOOKUP = "lookup"
    """The record's lookup columns disagree with the entry it holds: it would be missing
    from one client's trail, or show in another's."""


@attrs.frozen
class ChainCheck:
    """What :func:`verify_chain` found.

    ``broken_at`` is the number of the first entry that does not follow from those
    before it, or is missing (``None`` when the trail is intact); ``problem`` says how
    (an :class:`AuditProblem`).

    .. versionadded:: 0.1.0
    """

    entries: int
    broken_at: int | None = None
    problem: AuditProblem | None = None

    @property
    def intact(self) -> bool:
        """Tell whether every entry follows from the one before it and the heads agree."""
        return self.broken_at is None


def _checked_head(name: str, head: object) -> tuple[int, str]:
    """A head as given, checked: ``(seq, hash)`` with seq >= 0 and a SHA-256 hex hash."""
    if (
        isinstance(head, tuple | list)
        and len(head) == 2
        and isinstance(head[0], int)
        and not isinstance(head[0], bool)
        and head[0] >= 0
        and isinstance(head[1], str)
        and (_HASH.fullmatch(head[1]) or (head[0] == 0 and head[1] == GENESIS))
    ):
        return head[0], head[1]
    raise ValueError(f"{name} must be (seq, hash): a number and a 64-digit SHA-256 hex hash")


def verify_chain(
    entries: Iterable[AuditEntry],
    head: tuple[int, str] | None = None,
    *,
    expected_head: tuple[int, str] | None = None,
) -> ChainCheck:
    """Check a business's trail, in any order given.

    ``head`` is the ``(seq, hash)`` stored beside the trail, if known; ``expected_head``
    one the host kept outside the database (from an ``audit.appended`` event, or
    ``desk.audit.head()``). The trail must still reach it: hold an entry of that number
    and hash. It may have grown since; fewer entries are :attr:`AuditProblem.TRUNCATED`
    and another entry there :attr:`AuditProblem.DIVERGED`.

    :raises ValueError: ``head`` or ``expected_head`` is not ``(seq, hash)``.
    """
    stored = None if head is None else _checked_head("head", head)
    kept = None if expected_head is None else _checked_head("expected_head", expected_head)
    ordered = sorted(entries, key=lambda entry: entry.seq)
    count = len(ordered)
    previous = GENESIS
    for number, entry in enumerate(ordered, start=1):
        if entry.seq != number:
            return ChainCheck(count, number, AuditProblem.GAP)
        if entry.previous != previous:
            return ChainCheck(count, number, AuditProblem.LINK)
        if entry.computed_hash() != entry.hash:
            return ChainCheck(count, number, AuditProblem.HASH)
        previous = entry.hash
    if stored is not None and (count, previous) != stored:
        return ChainCheck(count, count + 1, AuditProblem.HEAD)
    if kept is not None and kept[0] > 0:
        seq, digest = kept
        if seq > count:
            return ChainCheck(count, count + 1, AuditProblem.TRUNCATED)
        if ordered[seq - 1].hash != digest:
            return ChainCheck(count, seq, AuditProblem.DIVERGED)
    return ChainCheck(count)


def verify_records(
    records: Iterable[Record],
    head: tuple[int, str] | None = None,
    *,
    expected_head: tuple[int, str] | None = None,
) -> ChainCheck:
    """Check a business's trail as stored: its entries, then each record's lookup columns.

    The entries go through :func:`verify_chain`. An entry's record is found by the card
    it names through a column outside the hash (``key``), and is filed under no card; a
    record whose columns say otherwise would drop out of a client's trail, or join
    another's (or go with a card's records when it is erased), and is
    :attr:`AuditProblem.LOOKUP`. A record that can't be read as
    an entry is :attr:`AuditProblem.HASH`.

    :raises ValueError: ``head`` or ``expected_head`` is not ``(seq, hash)``.
    """
    pairs: list[tuple[Record, AuditEntry]] = []
    for record in records:
        try:
            pairs.append((record, read_entry(record)))
        except ClientCardError:
            number = int(record.id) if record.id.isdigit() else 1
            return ChainCheck(0, number, AuditProblem.HASH)
    check = verify_chain([entry for _, entry in pairs], head, expected_head=expected_head)
    if not check.intact:
        return check
    for record, entry in sorted(pairs, key=lambda pair: pair[1].seq):
        if record.key != entry.card_id or record.card_id is not None:
            return ChainCheck(check.entries, entry.seq, AuditProblem.LOOKUP)
    return check


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
