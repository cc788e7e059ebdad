"""Names the consent service shares with the store and with erasure.

* The **permissions projection**: each card's ``(purpose, channel)`` pairs it may be
  contacted for now, recomputed on every change of the card or its consent and stored
  so that audience queries (``CardQuery(contactable=...)``) run in the store.
* **Suppressions**: the records erasure keeps of an erased client's "do not contact"
  fingerprints, which the contact decision consults.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from typing import Final

__all__ = ["PROFILING_PERMISSION", "SUPPRESSION_KIND"]

SUPPRESSION_KIND: Final = "suppression"
"""The record kind of an erased client's kept "do not contact" fingerprints."""

PROFILING_PERMISSION: Final = ("profiling", "any")
"""The pair the permissions projection holds for a client whose consent allows profiling,
so aggregates can select those clients in the store (``CardQuery(contactable=...)``)."""
