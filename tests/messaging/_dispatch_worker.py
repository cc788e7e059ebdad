"""A dispatcher process for the crash test: sends one message at a time until done.

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
from clientcard.messaging import MessageTemplate, OutgoingMessage, TemplateText
from clientcard.messaging.dispatcher import Dispatcher
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


def make_dispatcher(book: ClientBook, log: Path) -> Dispatcher:
    return Dispatcher(
        book,
        {Channel.EMAIL: ProviderLog(log)},
        [PROMO],
        token_secret=SECRET,
        unsubscribe_url="https://x/{token}",
        lease=dt.timedelta(0),
    )


def main() -> None:
    db, log = Path(sys.argv[1]), Path(sys.argv[2])
    store = SQLiteStore(db)
    dispatcher = make_dispatcher(ClientBook(store), log)
    while dispatcher.flush(limit=1):
        pass
    store.close()


if __name__ == "__main__":
    main()
