"""A child process for the crash test: erases every client of a business, one by one.

Run from the repository root as ``python -m tests.erasure._erase_worker DB BUSINESS BLOBS
[MODE]``: it prints ``ready``, then plans and erases each remaining client (anonymising,
with their pictures in the blob directory BLOBS) until none is left, printing
``erased`` after each commit. The test kills it from outside (``MODE`` ``run``, the
default) or, with ``MODE`` ``die-before-blobs``, it dies by itself right after its first
erasure commits and before that erasure deletes its blobs -- the narrowest window a
crash can hit, which an outside kill finds only by luck.
"""

from __future__ import annotations

import os
import sys

from clientcard import ClientBook
from clientcard.erasure import ErasureMode
from clientcard.storage.files import FileBlobStore
from clientcard.storage.sqlite import SQLiteStore

KILLED = 137


def main(db: str, business_id: str, blobs: str, mode: str = "run") -> None:
    with SQLiteStore(db) as store:
        book = ClientBook(store, blobs=FileBlobStore(blobs))
        desk = book.business(business_id)
        # What a crash left: blobs of erasures that committed before their deletion.
        desk.erasure.finish()
        if mode == "die-before-blobs":

            def die() -> int:
                sys.stdout.flush()
                os._exit(KILLED)

            # The erasure calls this once it has committed; an instance attribute wins.
            desk.erasure.finish = die  # type: ignore[method-assign]
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        for card in list(desk.cards.list(limit=500)):
            plan = desk.erasure.plan(card.id, mode=ErasureMode.ANONYMISE)
            desk.erasure.run(plan, by="crash-test")
            sys.stdout.write("erased\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main(*sys.argv[1:])
