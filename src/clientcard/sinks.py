"""Reference event sinks.

:class:`JsonLinesEventSink` appends every domain event to a file, one JSON document a
line, flushed and synced before :meth:`publish` returns, so the host's other systems (or a
shipper such as a log forwarder) can follow the file. Events carry ids and field names
only, so the file holds no personal data.

A webhook is a few lines on top of the same protocol::

    import json, urllib.request
    from clientcard.cards.serialization import event_to_dict

    class WebhookSink:
        def __init__(self, url: str) -> None:
            self.url = url

        def publish(self, event):
            body = json.dumps(event_to_dict(event)).encode()
            request = urllib.request.Request(
                self.url, data=body, method="POST",
                headers={"Content-Type": "application/json",
                         "Idempotency-Key": event.event_id},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()  # any HTTP error raises: the event stays in the outbox

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from clientcard.cards.serialization import event_to_dict
from clientcard.events import DomainEvent
from clientcard.storage._modes import open_private

__all__ = ["JsonLinesEventSink"]


class JsonLinesEventSink:
    """Appends each event to ``path`` as one line of JSON (the event document).

    A new file is created readable and writable by its owner only (0600).

    .. versionadded:: 0.1.0
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.path = Path(path)
        self._fsync = fsync
        self._lock = threading.Lock()

    def publish(self, event: DomainEvent) -> None:
        """Append ``event``; it is on disk when this returns (unless ``fsync=False``)."""
        line = json.dumps(event_to_dict(event), ensure_ascii=False, separators=(",", ":"))
        with self._lock, open_private(self.path, "a", encoding="utf-8") as file:
            file.write(line + "\n")
            file.flush()
            if self._fsync:
                os.fsync(file.fileno())
