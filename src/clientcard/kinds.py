"""What each kind of record is, and what erasing its client does to it.

Every domain module that files :class:`~clientcard.storage.records.Record` s describes
its kind here, so erasure, retention and the access export treat every kind the same
way, and a kind nobody described is deleted with its card (the safe default).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

import attrs

__all__ = ["KINDS", "ErasureTreatment", "RecordKind", "kind_of"]


class ErasureTreatment(enum.Enum):
    """What an *anonymising* erasure does to a record of the client.

    A *deleting* erasure deletes every record except :attr:`FISCAL` ones under a legal
    hold, which both kinds of erasure keep with only their fiscal fields, and
    :attr:`SUPPRESSION` ones the business's policy keeps.

    .. versionadded:: 0.1.0
    """

    DELETE = "delete"
    """Gone with the client (messages, photos, documents)."""
    ANONYMISE = "anonymise"
    """Kept without identity: detached from the card, identifying fields removed, so
    history and aggregate statistics stay."""
    FISCAL = "fiscal"
    """Kept under a legal hold with only :attr:`RecordKind.kept_fields`, detached."""
    SUPPRESSION = "suppression"
    """A block or a "do not contact" request: kept, detached, with only
    :attr:`RecordKind.kept_fields` (keyed fingerprints, no details) where the
    business's policy keeps them through erasure; deleted otherwise."""
    KEEP = "keep"
    """Kept as it is: the kind holds ids and codes only and is never filed under a card
    (erasure receipts, subject requests, the audit trail, pseudonymised consent proof)."""


@attrs.frozen
class RecordKind:
    """The description of one record kind.

    :param name: the kind, as records carry it.
    :param treatment: what an anonymising erasure does to it.
    :param identity_fields: document keys removed when it is anonymised (free text,
        notes, names, anything that could point back at the client).
    :param kept_fields: document keys kept when a :attr:`~ErasureTreatment.FISCAL` or
        :attr:`~ErasureTreatment.SUPPRESSION` record outlives its client.
    :param per_client: whether records of this kind belong to one client (part of
        their access export); business-wide kinds (promotions) are not.
    :param blob_fields: document keys holding references into the book's blob store (a
        photo's bytes): the access export lists them, and erasure deletes the blobs
        whenever it deletes the record or removes the field.
    :param secret_fields: document keys the access export leaves out (a password hash:
        the client's data, but a risk in a file and of no use to them).
    :param portable: whether importing a client's data into another business carries
        it; a business's own decisions (blocks, uses of its promotions, portal
        accounts) stay with it unless the same business is moving its books.

    .. versionadded:: 0.1.0
    """

    name: str
    treatment: ErasureTreatment
    identity_fields: tuple[str, ...] = ()
    kept_fields: tuple[str, ...] = ()
    per_client: bool = True
    blob_fields: tuple[str, ...] = ()
    secret_fields: tuple[str, ...] = ()
    portable: bool = True


KINDS: Final[Mapping[str, RecordKind]] = {
    kind.name: kind
    for kind in (
        RecordKind(
            "appointment",
            ErasureTreatment.ANONYMISE,
            identity_fields=("notes", "technical_notes"),
        ),
        RecordKind(
            "payment",
            ErasureTreatment.FISCAL,
            identity_fields=("notes",),
            kept_fields=(
                "schema_version",
                "amount",
                "at",
                "status",
                "method",
                "invoice_number",
                "tax_amount",
            ),
        ),
        RecordKind(
            "blacklist",
            ErasureTreatment.SUPPRESSION,
            identity_fields=("note",),
            # What a kept block needs to stay readable and to keep applying (or not: a
            # lifted block stays lifted); "by" names staff, not the client.
            kept_fields=(
                "schema_version",
                "reason",
                "at",
                "by",
                "location_id",
                "expires_at",
                "fingerprints",
                "lifted_at",
                "lifted_by",
            ),
            portable=False,
        ),
        RecordKind(
            "blacklist.match",
            ErasureTreatment.SUPPRESSION,
            kept_fields=("entry_id",),
            portable=False,
        ),
        RecordKind("conversation", ErasureTreatment.DELETE),
        # Portal sign-ins go with the card. The password hash is the client's data but a
        # risk in a file; logins, links and throttles are security records, in nobody's
        # access export, and a portal account belongs to the business that opened it.
        RecordKind(
            "portal.account",
            ErasureTreatment.DELETE,
            identity_fields=("password_hash",),
            secret_fields=("password_hash",),
            portable=False,
        ),
        RecordKind("portal.login", ErasureTreatment.DELETE, per_client=False),
        RecordKind("portal.link", ErasureTreatment.DELETE, per_client=False),
        RecordKind("portal.throttle", ErasureTreatment.DELETE, per_client=False),
        RecordKind("document", ErasureTreatment.DELETE),
        # Promotions and groups are the business's own definitions, not a client's data.
        RecordKind("promotion", ErasureTreatment.DELETE, per_client=False),
        RecordKind("promotion.usage", ErasureTreatment.DELETE, per_client=False),
        RecordKind("client_group", ErasureTreatment.DELETE, per_client=False),
        # A redemption outlives its client without identity, so limits and counts hold.
        RecordKind(
            "redemption",
            ErasureTreatment.ANONYMISE,
            identity_fields=("appointment_id", "recorded_by"),
            portable=False,
        ),
        # Photos show the client and captions describe them: gone with the card, and
        # their bytes with them (blob.deletion records the bytes still to delete).
        RecordKind(
            "photo", ErasureTreatment.DELETE, identity_fields=("caption",), blob_fields=("ref",)
        ),
        RecordKind("blob.deletion", ErasureTreatment.DELETE, per_client=False),
        # Kept by clientcard.erasure beside every business; ids and codes only.
        RecordKind("erasure.policy", ErasureTreatment.KEEP, per_client=False),
        RecordKind("erasure.receipt", ErasureTreatment.KEEP, per_client=False),
        RecordKind("subject.request", ErasureTreatment.KEEP, per_client=False),
        RecordKind("audit", ErasureTreatment.KEEP, per_client=False),
        RecordKind("audit.head", ErasureTreatment.KEEP, per_client=False),
        RecordKind("consent.proof", ErasureTreatment.KEEP, per_client=False),
        RecordKind("suppression", ErasureTreatment.KEEP, per_client=False),
    )
}
"""Every described kind by name; domain modules add theirs here as they land."""


def kind_of(name: str) -> RecordKind:
    """The description of a kind; an undescribed kind is deleted with its client."""
    return KINDS.get(name, RecordKind(name, ErasureTreatment.DELETE))
