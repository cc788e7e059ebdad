"""An importer that hangs mid-import with its workers started, for the orphan test.

Run as ``python -m tests.exchange._killed_importer MARKER``: it imports a table large
enough to start two workers; after the first batch it writes its worker pids to MARKER
and waits, to be killed.
"""

from __future__ import annotations

import io
import multiprocessing
import sys
import time
from pathlib import Path

from clientcard.book import ClientBook
from clientcard.exchange import open_source
from clientcard.storage import MemoryStore


def main(marker: Path) -> None:
    rows = "".join(f"Anna;Rossi;333 {n:07d}\n" for n in range(2_600))
    data = io.BytesIO(("Nome;Cognome;Cellulare\n" + rows).encode())
    book = ClientBook(MemoryStore())
    desk = book.business(book.create_business(name="Salone", region="IT").id)

    def hang(_count: int) -> None:
        pids = [child.pid for child in multiprocessing.active_children()]
        marker.write_text(" ".join(str(pid) for pid in pids))
        while True:
            time.sleep(60)

    with open_source(data, format="csv") as table:
        desk.exchange.import_cards(table, workers=2, batch_size=100, progress=hang)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
