"""The behaviour every :class:`~clientcard.storage.protocol.ClientStore` must have.

A host proves its own store by subclassing :class:`ClientStoreContract` in a test module
and giving it a ``store`` fixture that yields a fresh, empty store::

    import pytest
    from clientcard.testing.contracts import ClientStoreContract

    class TestMyStore(ClientStoreContract):
        @pytest.fixture
        def store(self):
            store = MyStore(...)
            yield store
            store.close()

pytest then runs every test of the kit against it. clientcard's own memory, SQLite and
PostgreSQL stores run exactly this suite.

The tests live in one private module per area of the store, each a base of
:class:`ClientStoreContract`: businesses and cards, listing and search, transactions
and the outbox, consent ledgers, the dispatcher's sends, records, what erasure
needs, and cards read and written many at a time with the appointment figures.
:func:`new_business` and :func:`new_card` build what a host's own store tests need.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import pytest

from clientcard.storage.protocol import ClientStore
from clientcard.testing._bulk_contract import BulkStoreContract
from clientcard.testing._card_contract import CardStoreContract
from clientcard.testing._consent_contract import ConsentLedgerContract

# NOW stays importable from here, where a host's store tests may have taken it from.
from clientcard.testing._contract_builders import NOW, new_business, new_card  # noqa: F401
from clientcard.testing._erasure_contract import ErasureStoreContract
from clientcard.testing._query_contract import CardQueryContract
from clientcard.testing._record_contract import RecordStoreContract
from clientcard.testing._send_contract import SendStoreContract
from clientcard.testing._transaction_contract import TransactionContract

__all__ = ["ClientStoreContract", "new_business", "new_card"]


class ClientStoreContract(
    CardStoreContract,
    CardQueryContract,
    TransactionContract,
    ConsentLedgerContract,
    SendStoreContract,
    RecordStoreContract,
    ErasureStoreContract,
    BulkStoreContract,
):
    """The contract suite; subclass it with a ``store`` fixture (see the module docs).

    .. versionadded:: 0.1.0
    """

    @pytest.fixture
    def store(self) -> ClientStore:
        """Give a fresh, empty store; every subclass must override this fixture."""
        pytest.fail("a ClientStoreContract subclass must define the 'store' fixture")
