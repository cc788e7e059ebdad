"""JSON text for stored documents, written and read by orjson, with the standard library behind it.

A store encodes a document for every card it writes and decodes one for every card it
reads; the standard library's ``json`` takes longer over that than everything else the
import of a row does besides validating it (7 µs to write a card, 5 to read one, against
0.6 and 1.8 with orjson). orjson writes the same compact text ``json.dumps`` writes with
``ensure_ascii=False, separators=(",", ":")``. What orjson refuses -- a key that is not
text, an integer wider than 64 bits, a lone surrogate escaped in the text -- goes to the
standard library, so every document either could write or read still is, as before.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

__all__ = ["dumps", "loads"]


def dumps(document: Mapping[str, Any]) -> str:
    """Return ``document`` as compact JSON text, non-ASCII characters as themselves.

    Documents hold no float that is not finite (the typed ones hold no float at all, and
    a :class:`~clientcard.storage.records.Record` refuses one when it is made), which
    orjson would write as ``null``.

    :raises TypeError: a value JSON has no type for.
    """
    try:
        return orjson.dumps(document).decode()
    except TypeError:
        # orjson.JSONEncodeError: a key that is not text, an integer wider than 64 bits.
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def loads(text: str | bytes) -> Any:
    """Return the value JSON ``text`` holds.

    :raises ValueError: the text is not JSON (``json.JSONDecodeError``).
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
