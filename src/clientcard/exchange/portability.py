"""JSON: the portable form of a business's cards, for moving to another system (GDPR Art. 20).

:func:`write_json` writes one document::

    {"format": "clientcard.cards", "version": 1, "business_id": "...",
     "exported_at": "2026-11-23T09:30:00+00:00", "cards": [
    {"id": "...", "status": "active", "first_name": "Anna", "phones": ["+39..."], ...},
    ...
    ]}

Each card is an object of field keys and values as JSON has them (text, lists of text,
booleans; numbers and dates as text, exactly) beside ``id``, ``status``, ``created_at``,
``updated_at`` and, when asked for, ``consent`` (``{"marketing.email": true, ...}``: what
stands now, ``false`` for a withdrawal).

:func:`open_json` reads such a document -- or a bare array of card objects, or JSON
Lines, one object per line -- a card at a time, so a file of any size imports in bounded
memory. Keys it does not know as metadata are field keys.

A card that is valid JSON but more than Python decodes -- nested deeper than its
recursion limit, or holding an integer of more digits than it converts -- is that card's
rejection (``json.too_complex``); the cards around it are read as usual.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Generator, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any, Final

from clientcard.exchange._records import Record
from clientcard.exchange._source import Source, open_text

__all__ = ["FORMAT", "JsonSource", "open_json", "write_json"]

FORMAT: Final = "clientcard.cards"
"""The ``format`` of the documents :func:`write_json` writes."""
MAX_RECORD: Final = 4 * 1024 * 1024
"""The most characters one card object may take; a larger one is rejected."""
_CHUNK: Final = 64 * 1024
_METADATA: Final = frozenset(
    {"id", "status", "created_at", "updated_at", "version", "guardian_id", "consent"}
)
_WHITESPACE: Final = " \t\r\n"


class _MalformedError(Exception):
    """The document's structure is broken past the point of reading on."""


_HOSTILE: Final = object()
"""What :meth:`_Buffer.value` gives for a value that is JSON but more than Python decodes."""

_OPENERS: Final = frozenset("[{")
_CLOSERS: Final = frozenset("]}")
_SCALAR_ENDS: Final = frozenset(",]}:" + _WHITESPACE)


class _Buffer:
    """A window of the text stream with enough look-ahead to decode one value."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self.data = ""
        self.pos = 0
        self.eof = False

    def fill(self, size: int = _CHUNK) -> bool:
        if self.eof:
            return False
        chunk = self._text.read(size)
        if not chunk:
            self.eof = True
            return False
        self.data = self.data[self.pos :] + chunk
        self.pos = 0
        return True

    def skip(self, characters: str = _WHITESPACE) -> str:
        """Skip ``characters``; return the next character ('' at the end)."""
        while True:
            while self.pos < len(self.data) and self.data[self.pos] in characters:
                self.pos += 1
            if self.pos < len(self.data):
                return self.data[self.pos]
            if not self.fill():
                return ""

    def value(self) -> tuple[object, bool]:
        """Decode the next JSON value; ``(None, False)`` when it is not valid JSON.

        A value larger than :data:`MAX_RECORD` is skipped and reported as invalid. A
        value Python can't decode (see the module docs) comes back as
        :data:`_HOSTILE`, skipped; the text from where it began stays in the buffer.
        """
        decoder = json.JSONDecoder()
        size = _CHUNK
        while True:
            try:
                found, end = decoder.raw_decode(self.data, self.pos)
            except (RecursionError, ValueError) as error:
                if not isinstance(error, json.JSONDecodeError):
                    # Nested too deep, or an integer too long to convert.
                    skipped_to = self._end()
                    if skipped_to is None:
                        return None, False
                    self.pos = skipped_to
                    return _HOSTILE, True
                # Reading ever larger pieces keeps a large value from being parsed
                # from its start again after every small piece.
                if len(self.data) - self.pos > MAX_RECORD or not self.fill(size):
                    return None, False
                size *= 2
                continue
            # A number cut by the chunk edge ("12" of "123"): read on first.
            if end >= len(self.data) and not self.eof and _may_continue(found) and self.fill():
                continue
            self.pos = end
            return found, True

    def _end(self) -> int | None:
        """Where the JSON value at the position ends, found without recursing.

        ``None`` when the text ends first or the value passes :data:`MAX_RECORD`. Only
        brackets and strings are followed: the decoder already found the value's syntax
        sound up to what it could not decode.
        """
        at = self.pos
        depth = 0
        in_string = escaped = False
        while True:
            if at >= len(self.data):
                offset = at - self.pos
                if offset > MAX_RECORD or not self.fill():
                    return None
                at = self.pos + offset
                continue
            ch = self.data[at]
            if in_string:
                if escaped:
                    escaped = False
                elif ch == "\\":
                    escaped = True
                elif ch == '"':
                    in_string = False
                    if depth == 0:
                        return at + 1
            elif ch == '"':
                in_string = True
            elif ch in _OPENERS:
                depth += 1
            elif ch in _CLOSERS:
                if depth == 0:
                    return at
                depth -= 1
                if depth == 0:
                    return at + 1
            elif depth == 0 and ch in _SCALAR_ENDS:
                return at
            at += 1


def _may_continue(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class JsonSource:
    """A JSON file of cards opened for import. Made by :func:`open_json`.

    .. versionadded:: 0.1.0
    """

    format = "json"

    def __init__(self, text: IO[str], encoding: str) -> None:
        self.encoding = encoding
        """The encoding the file is read in."""
        self._buffer = _Buffer(text)

    def records(self) -> Iterator[Record]:
        """Yield one record per card object, numbered from 1."""
        buffer = self._buffer
        first = buffer.skip(_WHITESPACE + "\ufeff")
        try:
            if first == "[":
                buffer.pos += 1
                yield from self._array(1)
            elif first == "{":
                yield from self._document_or_lines()
            elif first:
                yield Record(1, problem="json.malformed")
        except _MalformedError:
            return

    def _array(self, start: int) -> Iterator[Record]:
        buffer = self._buffer
        number = start
        while True:
            ch = buffer.skip(_WHITESPACE + ",")
            if ch in ("]", ""):
                if ch:
                    buffer.pos += 1
                return
            found, ok = buffer.value()
            if not ok:
                yield Record(number, problem="json.malformed")
                raise _MalformedError
            yield _record(number, found)
            number += 1

    def _document_or_lines(self) -> Iterator[Record]:
        buffer = self._buffer
        start = buffer.pos
        found, ok = buffer.value()
        if not ok or found is _HOSTILE:
            # Not one object Python decodes whole: maybe a document too big (or holding a
            # card too complex) to decode at once, so walk it key by key until the
            # "cards" array. An object without one is the first card of JSON Lines.
            buffer.pos = start
            if (yield from self._walk_document()):
                return
            yield Record(1, problem="json.too_complex" if ok else "json.malformed")
        elif isinstance(found, dict) and "cards" in found and isinstance(found["cards"], list):
            for number, item in enumerate(found["cards"], start=1):
                yield _record(number, item)
            return
        else:
            # JSON Lines: this object is the first card, more may follow.
            yield _record(1, found)
        number = 1
        while buffer.skip():
            number += 1
            found, ok = buffer.value()
            if not ok:
                yield Record(number, problem="json.malformed")
                raise _MalformedError
            yield _record(number, found)

    def _walk_document(self) -> Generator[Record, None, bool]:
        """Walk an object to its "cards" array and read it; ``False``: it had none."""
        buffer = self._buffer
        buffer.pos = buffer.data.index("{", buffer.pos) + 1
        while True:
            ch = buffer.skip(_WHITESPACE + ",")
            if ch == "}":
                buffer.pos += 1
                return False
            if ch != '"':
                yield Record(1, problem="json.malformed")
                raise _MalformedError
            key, ok = buffer.value()
            if not ok or buffer.skip() != ":":
                yield Record(1, problem="json.malformed")
                raise _MalformedError
            buffer.pos += 1
            if key == "cards" and buffer.skip() == "[":
                buffer.pos += 1
                yield from self._array(1)
                return True
            buffer.skip()  # the decoder reads no whitespace before a value
            _, ok = buffer.value()
            if not ok:
                yield Record(1, problem="json.malformed")
                raise _MalformedError


def _record(number: int, found: object) -> Record:
    if found is _HOSTILE:
        return Record(number, problem="json.too_complex")
    if not isinstance(found, dict):
        return Record(number, problem="json.malformed")
    values = {key: value for key, value in found.items() if key not in _METADATA}
    status = found.get("status")
    consent_raw = found.get("consent") or {}
    consent: dict[str, bool] = {}
    if isinstance(consent_raw, Mapping):
        for key, stated in consent_raw.items():
            if isinstance(stated, bool):
                consent[str(key)] = stated
            else:
                return Record(number, problem="consent.invalid")
    else:
        return Record(number, problem="consent.invalid")
    return Record(
        number,
        values=values,
        consent=consent,
        status=status if isinstance(status, str) else None,
    )


@contextmanager
def open_json(source: Source, *, encoding: str | None = None) -> Iterator[JsonSource]:
    """Open a JSON (or JSON Lines) file of cards for import.

    .. versionadded:: 0.1.0
    """
    with open_text(source, encoding) as (text, chosen):
        yield JsonSource(text, chosen)


def write_json(
    destination: IO[str],
    business_id: str,
    cards: Iterable[Mapping[str, Any]],
    *,
    exported_at: dt.datetime,
) -> int:
    """Write the document (see the module docs), one card object per line.

    Returns how many cards were written.

    .. versionadded:: 0.1.0
    """
    header = {
        "format": FORMAT,
        "version": 1,
        "business_id": business_id,
        "exported_at": exported_at.isoformat(),
    }
    destination.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "cards": [\n')
    count = 0
    for card in cards:
        if count:
            destination.write(",\n")
        destination.write(json.dumps(card, ensure_ascii=False, separators=(",", ":")))
        count += 1
    destination.write("\n]}\n")
    return count
