"""What a store answers for a change of many cards at once, and the card-by-card answer.

:meth:`~clientcard.storage.protocol.ClientStore.set_group` moves many cards into a group
(or out of every group) and says what became of each id: the SQL stores do it in one
``UPDATE`` per 500 cards, rewriting the card documents in the database;
:func:`set_group_card_by_card` does it with
:meth:`~clientcard.storage.protocol.ClientStore.get_many` and
:meth:`~clientcard.storage.protocol.ClientStore.update_many`, which is how the memory
store answers and how a host's own store may.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from clientcard.storage.protocol import ClientStore

__all__ = ["GroupChange", "set_group_card_by_card"]


@attrs.frozen
class GroupChange:
    """What :meth:`~clientcard.storage.protocol.ClientStore.set_group` did with each id.

    Each tuple keeps the order the ids were given in.

    .. versionadded:: 0.1.0
    """

    moved: tuple[str, ...]
    """Cards now in the group, one version on (``updated_at`` set to the change's time)."""
    unchanged: tuple[str, ...]
    """Cards that were in the group already: not written."""
    conflicts: tuple[str, ...]
    """Cards at another version than expected: left alone."""
    missing: tuple[str, ...]
    """Ids with no card in the business."""


def set_group_card_by_card(
    store: ClientStore,
    business_id: str,
    expected_versions: Mapping[str, int],
    group: str | None,
    *,
    at: dt.datetime,
) -> GroupChange:
    """:meth:`~clientcard.storage.protocol.ClientStore.set_group` through the card methods.

    Reads the cards with ``get_many``, applies the group with ``ClientCard.apply`` and
    writes the changed ones with ``update_many``: a store without a statement of its own
    may answer with this.
    """
    cards = store.get_many(business_id, list(expected_versions))
    outcome: dict[str, list[str]] = {"moved": [], "unchanged": [], "conflicts": [], "missing": []}
    changed = []
    for card_id, version in expected_versions.items():
        card = cards.get(card_id)
        if card is None:
            outcome["missing"].append(card_id)
        elif card.version != version:
            outcome["conflicts"].append(card_id)
        else:
            update = card.apply({"client_group": group}, at=at)
            if update.is_noop:
                outcome["unchanged"].append(card_id)
            else:
                changed.append(update.card)
                outcome["moved"].append(card_id)
    store.update_many(changed, expected_versions={card.id: card.version - 1 for card in changed})
    return GroupChange(**{name: tuple(ids) for name, ids in outcome.items()})
