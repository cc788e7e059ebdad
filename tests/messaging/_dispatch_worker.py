"""A sending process for the crash test: sends one message at a time until done.

Run as ``python -m tests.messaging._dispatch_worker DB LOG``. Its notifier appends each
message id to LOG (flushed and synced) before returning, as a provider would accept it.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

from clientcard.book import ClientBook
from clientcard.consent import Channel, Purpose
from clientcard.messaging import MessageTemplate, MessagingSettings, OutgoingMessage, TemplateText
from clientcard.storage.sqlite import SQLiteStore

SECRET = bytes(range(32))
PROMO = MessageTemplate(
    key="promo",
    purpose=Purpose.MARKETING,
    texts={"en": TemplateText(subject="Offer", body="Hi $first_name $unsubscribe_url")},
)


class ProviderLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, message: OutgoingMessage) -> str:
        with self.path.open("a", encoding="utf-8") as log:
            log.write(message.message_id + "\n")
            log.flush()
            os.fsync(log.fileno())
        time.sleep(0.02)  # a provider round trip, so kills land at every step
        return message.message_id


def sending_book(store: SQLiteStore, log: Path) -> ClientBook:
    """A book on ``store`` whose provider appends to ``log``; a claim lapses at once."""
    return ClientBook(
        store,
        messaging=MessagingSettings(
            {Channel.EMAIL: ProviderLog(log)},
            [PROMO],
            token_secret=SECRET,
            unsubscribe_url="https://x/{token}",
            lease=dt.timedelta(0),
        ),
    )


def main() -> None:
    db, log = Path(sys.argv[1]), Path(sys.argv[2])
    store = SQLiteStore(db)
    book = sending_book(store, log)
    while book.admin.send_pending(limit=1):
        pass
    store.close()


if __name__ == "__main__":
    main()
