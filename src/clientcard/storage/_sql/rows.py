"""The statements behind every store operation, each run on a given session.

:class:`~clientcard.storage._sql.store.SQLStore` calls them through this module, one
function per operation, each taking the session of the transaction it runs in. They
live in one private module per concern and are re-exported here:

* businesses (``_business_rows``);
* single cards with their phones, tags and search tokens (``_card_rows``), and the
  queries that list, count and search them (``_card_queries``);
* contact permissions and the consent ledger (``_consent_rows``);
* the dispatcher's sends (``_send_rows``) and the outbox (``_outbox_rows``);
* records (``_record_rows``).
"""

from __future__ import annotations

from clientcard.storage._sql._business_rows import (
    insert_business,
    replace_business,
    select_business,
)
from clientcard.storage._sql._card_queries import (
    card_filter,
    count_cards,
    search_cards,
    select_cards,
)
from clientcard.storage._sql._card_rows import (
    insert_card,
    insert_cards,
    remove_card,
    replace_card,
    replace_cards,
    select_card,
    select_cards_by_id,
    set_group,
)
from clientcard.storage._sql._consent_rows import (
    insert_consent,
    replace_permissions,
    select_consent,
    select_permissions,
)
from clientcard.storage._sql._outbox_rows import delete_events, insert_events, select_events
from clientcard.storage._sql._record_rows import (
    insert_records,
    move_records,
    remove_records,
    replace_record,
    select_record,
    select_record_kinds,
    select_records,
)
from clientcard.storage._sql._send_rows import (
    claim_sends,
    insert_sends,
    select_card_sends,
    select_sends,
    update_send,
)
from clientcard.storage._sql._visit_rows import select_audience_figures, select_visit_figures

__all__ = [
    "card_filter",
    "claim_sends",
    "count_cards",
    "delete_events",
    "insert_business",
    "insert_card",
    "insert_cards",
    "insert_consent",
    "insert_events",
    "insert_records",
    "insert_sends",
    "move_records",
    "remove_card",
    "remove_records",
    "replace_business",
    "replace_card",
    "replace_cards",
    "replace_permissions",
    "replace_record",
    "search_cards",
    "select_audience_figures",
    "select_business",
    "select_card",
    "select_card_sends",
    "select_cards",
    "select_cards_by_id",
    "select_consent",
    "select_events",
    "select_permissions",
    "select_record",
    "select_record_kinds",
    "select_records",
    "select_sends",
    "select_visit_figures",
    "set_group",
    "update_send",
]
