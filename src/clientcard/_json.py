"""The JSON text of stored card documents, written and read by orjson.

A store writes a card document for every card it stores and reads one for every card
it returns; the standard library's ``json`` took longer over that than everything else
an import does with a row besides validating it (7 µs to write a card, 5 to read one,
against 0.6 and 1.8 with orjson).

Only card documents go this way, because :func:`~clientcard.cards.serialization.card_to_dict`
bounds what they hold: text, booleans, nulls, lists and objects, and two small integers
(``schema_version`` and ``version``). For such a document orjson writes the text
``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` writes, and reads back
the same values. What orjson would write differently is handed to the standard library
instead: a type it writes that ``json`` refuses (a date, a dataclass), a subclass of a
built-in type, a key that is not text, an integer wider than 64 bits. What it can't read
(a lone surrogate escaped in hand-edited text) is read by the standard library. A card
document holds no float, UUID or enum (``card_to_dict`` writes none), which orjson
would write where ``json`` refuses them. Every other document (records, events, sends,
businesses) keeps the standard library: a host's record may hold an integer wider than
64 bits, which orjson would read back as a float.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import orjson

__all__ = ["card_document", "card_text", "text"]

# Types orjson writes itself but json.dumps refuses (or writes otherwise) go to json.
_STRICT: Final = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def text(document: Mapping[str, Any]) -> str:
    """Return any document as the compact JSON text stores keep, with the standard library.

    :raises TypeError: a value JSON has no type for.
    :raises ValueError: a float that is not finite.
    """
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def card_text(document: Mapping[str, Any]) -> str:
    """Return a card document as compact JSON text, non-ASCII characters as themselves.

    :raises TypeError: a value JSON has no type for.
    """
    try:
        return orjson.dumps(document, option=_STRICT).decode()
    except TypeError:
        # orjson.JSONEncodeError: anything above, which json.dumps writes or refuses.
        return text(document)


def card_document(text: str | bytes) -> Any:
    """Return the value the JSON text of a card document holds.

    :raises ValueError: the text is not JSON (``json.JSONDecodeError``).
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
