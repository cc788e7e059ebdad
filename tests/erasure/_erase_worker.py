"""A child process for the crash test: erases every client of a business, one by one.

Run from the repository root as ``python -m tests.erasure._erase_worker DB BUSINESS BLOBS``:
it prints ``ready``, then plans and erases each remaining client (anonymising, with
their pictures in the blob directory BLOBS) until none is left or it is killed, printing
``erased`` after each commit so the test can aim its kill between two erasures.
"""

from __future__ import annotations

import sys

from clientcard.book import ClientBook
from clientcard.erasure import ErasureMode
from clientcard.storage.files import FileBlobStore
from clientcard.storage.sqlite import SQLiteStore


def main(db: str, business_id: str, blobs: str) -> None:
    with SQLiteStore(db) as store:
        book = ClientBook(store, blobs=FileBlobStore(blobs))
        # What a crash left: blobs of erasures that committed before their deletion.
        book.finish_erasures(business_id)
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        for card in list(book.list_cards(business_id, limit=500)):
            plan = book.plan_erasure(business_id, card.id, mode=ErasureMode.ANONYMISE)
            book.erase(plan, actor="crash-test")
            sys.stdout.write("erased\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main(*sys.argv[1:])
