"""Consent proof that outlives the client: the ledger, pseudonymised.

When a client is erased, their consent ledger goes with their card, but the business may
still have to show that what it did before was lawful -- that the marketing e-mail of
last March went out on a consent given through the booking form with wording v2
(GDPR Art. 7(1); erasure yields to the defence of legal claims, Art. 17(3)(e)). So each
ledger event is copied, in the erasure's own transaction, into a ``consent.proof``
record that keeps what the proof needs and drops what identifies the client:

* kept: the event id, action, purpose, channel, instant, source, wording version, expiry
  of a confirmation request, who recorded it (a staff member's or a system's id), and that
  a guardian consented and how they were verified;
* replaced: the card id, by a *subject pseudonym* -- a keyed hash of the card id under the
  business's fingerprint key (:func:`subject_pseudonym`); a ``recorded_by`` naming the
  client's own card becomes ``"subject"``;
* dropped: the evidence reference (it points at a signed form or a submission that is
  itself the client's data) and the guardian's card.

Why a keyed hash and not a random pseudonym: the proof must still be findable for the
one client it concerns when a claim arrives, and the card id is what the host's other
records (and the erasure receipt) still name. Without the key nobody can tell whose proof
it is; with it, only the business can, for a card id it already knows. That makes the
proof *pseudonymous* personal data, kept for the narrow purpose above -- say so in your
records of processing. The same key and card id always give the same pseudonym, so an
erasure replayed after a restore, or resumed after a crash, files the same proof.

Why copy rather than edit the ledger in place: the ledger stays strictly append-only (no
code path ever rewrites an event), its rows stay bound to a live card, and a host's own
store needs no new operation -- the copy is an ordinary record.

>>> key = bytes(32)
>>> subject_pseudonym(key, "card-1") == subject_pseudonym(key, "card-1")
True
>>> subject_pseudonym(key, "card-1").startswith("subject:")
True

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

import attrs

from clientcard.cards.serialization import consent_event_from_dict, consent_event_to_dict
from clientcard.consent.ledger import ConsentEvent, GuardianConsent
from clientcard.storage.records import Record

__all__ = ["PROOF_KIND", "proof_event", "proof_record", "read_proof", "subject_pseudonym"]

PROOF_KIND: Final = "consent.proof"
"""The record kind of pseudonymised consent proof."""


def subject_pseudonym(key: bytes, card_id: str) -> str:
    """The pseudonym an erased card's consent proof is filed under."""
    digest = hmac.digest(key, b"clientcard.consent-proof\x00" + card_id.encode(), hashlib.sha256)
    return f"subject:{digest.hex()[:40]}"


def proof_event(event: ConsentEvent, pseudonym: str) -> ConsentEvent:
    """Return the ledger event as proof: identity replaced or dropped (see the module)."""
    guardian = (
        None if event.guardian is None else GuardianConsent(verified_by=event.guardian.verified_by)
    )
    recorded_by = "subject" if event.recorded_by == event.card_id else event.recorded_by
    return attrs.evolve(
        event, card_id=pseudonym, evidence_ref=None, guardian=guardian, recorded_by=recorded_by
    )


def proof_record(event: ConsentEvent, pseudonym: str) -> Record:
    """Return the ``consent.proof`` record of one ledger event, detached from any card."""
    proof = proof_event(event, pseudonym)
    return Record(
        business_id=event.business_id,
        kind=PROOF_KIND,
        id=event.event_id,
        at=event.at,
        doc=consent_event_to_dict(proof),
        key=pseudonym,
    )


def read_proof(record: Record) -> ConsentEvent:
    """Read a proof record back as a ledger event (its ``card_id`` is the pseudonym)."""
    return consent_event_from_dict(dict(record.doc))
