"""Opening import files and reading them as text, a bounded piece at a time.

Encodings are told apart without guessing from statistics: a byte order mark names UTF-8
or UTF-16; UTF-16 without one shows itself by its zero bytes; a file that is UTF-8 (a
pass over its bytes, a chunk at a time, says so) is read as UTF-8; anything else as
Windows-1252, the encoding spreadsheets on Windows save "CSV" in. Bytes the chosen
encoding can't read become lone surrogates (the ``clientcard.escape`` error handler), so
the one row that holds them is rejected and the rest of the file is read as usual.
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Final, Protocol, TypeAlias, cast

from clientcard.errors import ImportFileError

Source: TypeAlias = "str | os.PathLike[str] | IO[bytes]"
"""Where an import reads from: a path, or a binary file object opened by the caller."""

SAMPLE: Final = 64 * 1024
_CHUNK: Final = 1024 * 1024
MAX_LINE: Final = 1024 * 1024
"""The longest physical line read, in characters; a longer one is skipped as a whole."""

_BROKEN: Final = re.compile("[\udc00-\udcff]")
ERRORS: Final = "clientcard.escape"
"""The codec error handler readers decode with: every undecodable byte becomes a lone
surrogate (U+DC00 + byte), which no card can hold, so its row is rejected."""


def _escape(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):  # pragma: no cover - decoding only
        raise error
    bad = error.object[error.start : error.end]
    return "".join(chr(0xDC00 + byte) for byte in bad), error.end


codecs.register_error(ERRORS, _escape)
_ENCODINGS: Final = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
    "latin-1": "latin-1",
    "iso-8859-1": "latin-1",
    "iso-8859-15": "iso-8859-15",
}


def has_broken_text(text: str) -> bool:
    """Tell whether ``text`` holds bytes its encoding could not read (lone surrogates)."""
    return _BROKEN.search(text) is not None


@contextmanager
def open_binary(source: Source) -> Iterator[IO[bytes]]:
    """Yield a binary stream over ``source``; close it afterwards only if we opened it."""
    if isinstance(source, str | os.PathLike):
        with Path(source).open("rb") as stream:
            yield stream
    else:
        yield source


def canonical_encoding(name: str) -> str:
    """Return the codec name for an encoding a caller named.

    :raises ValueError: an encoding Python does not know, or a codec that is no text
        encoding (``zlib``, ``base64``, ``rot13``).
    """
    lowered = name.strip().lower().replace("_", "-")
    if lowered in _ENCODINGS:
        return _ENCODINGS[lowered]
    try:
        info = codecs.lookup(lowered)
    except LookupError:
        raise ValueError("unknown encoding: name one Python knows, such as utf-8") from None
    # Codecs between bytes and bytes (or text and text) register too; TextIOWrapper
    # refuses them with a LookupError of its own.
    if not getattr(info, "_is_text_encoding", True):
        raise ValueError("not a text encoding: name one such as utf-8 or cp1252")
    return info.name


def detect_encoding(stream: IO[bytes]) -> str:
    """Tell which encoding ``stream`` is in, leaving it where it was.

    A seekable stream is read through once (a chunk at a time) to tell UTF-8 from
    Windows-1252; an unseekable one is judged from its first 64 KiB.
    """
    sample = _peek(stream)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf16 = _utf16_without_bom(sample)
    if utf16 is not None:
        return utf16
    return "utf-8" if _mostly_utf8(stream, sample) else "cp1252"


def _peek(stream: IO[bytes]) -> bytes:
    if isinstance(stream, io.BufferedReader):
        return stream.peek(SAMPLE)[:SAMPLE]
    if stream.seekable():
        start = stream.tell()
        sample = stream.read(SAMPLE)
        stream.seek(start)
        return sample
    raise ValueError("an unseekable stream must be wrapped in io.BufferedReader")


def _utf16_without_bom(sample: bytes) -> str | None:
    head = sample[:4096]
    if len(head) < 4:
        return None
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    pairs = len(head) // 2
    # Text in Latin script as UTF-16 has a zero in nearly every other byte.
    if odd > pairs * 0.6 and even < pairs * 0.1:
        return "utf-16-le"
    if even > pairs * 0.6 and odd < pairs * 0.1:
        return "utf-16-be"
    return None


def _mostly_utf8(stream: IO[bytes], sample: bytes) -> bool:
    """Tell whether the bytes read as UTF-8, allowing broken sequences among valid ones.

    Windows-1252 text practically never forms a valid multi-byte UTF-8 sequence, so a
    file with any valid one is UTF-8 with damage (the damaged rows are rejected), and a
    file with none but with bytes UTF-8 can't read is Windows-1252.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors=ERRORS)
    good = bad = 0

    def count(chunk: bytes, *, final: bool = False) -> None:
        nonlocal good, bad
        if chunk.isascii() and not final:
            return
        text = decoder.decode(chunk, final=final)
        broken = len(_BROKEN.findall(text))
        bad += broken
        # Characters past ASCII, counted in C: encoding to ASCII drops exactly those.
        good += len(text) - len(text.encode("ascii", "ignore")) - broken

    if not stream.seekable():
        count(sample, final=True)
        return bad == 0 or good > 0
    start = stream.tell()
    try:
        while chunk := stream.read(_CHUNK):
            count(chunk)
        count(b"", final=True)
    finally:
        stream.seek(start)
    return bad == 0 or good > 0


# The first bytes of files people rename by mistake: images, documents, archives (an
# Excel workbook is a ZIP archive), and the old binary Office format.
_MAGIC: Final = (
    b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"PK\x05\x06",
    b"\xd0\xcf\x11\xe0", b"\x1f\x8b", b"II*\x00", b"MM\x00*", b"RIFF", b"7z\xbc\xaf",
    b"Rar!", b"\x00\x00\x01\x00", b"SQLite format 3",
)  # fmt: skip
_BOMS: Final = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def check_text_file(stream: IO[bytes], kind: str, encoding: str) -> None:
    """Refuse a stream that is empty, or plainly not text (an image, a workbook...).

    :raises ImportFileError: ``file.empty``, ``file.not_<kind>``, or
        ``file.vcard_not_csv`` for a vCard file opened as CSV.
    """
    sample = _peek(stream)
    body = sample
    for bom in _BOMS:
        body = body.removeprefix(bom)
    if not body.strip(b" \t\r\n\x00\x0b\x0c"):
        if len(sample) < SAMPLE:
            raise ImportFileError("file.empty")
        return
    if body.startswith(_MAGIC) and not sample.startswith(_BOMS):
        raise ImportFileError(f"file.not_{kind}")
    # Text has no NUL bytes unless it is UTF-16 (which has them in every other byte);
    # one stray NUL is a damaged row, many are a binary file.
    if not encoding.startswith("utf-16") and (
        b"\x00" in sample[:1024] or sample.count(0) > len(sample) // 100
    ):
        raise ImportFileError(f"file.not_{kind}")
    start = sample.decode(encoding, errors="replace").lstrip("\ufeff \t\r\n")
    is_vcard = start[:11].upper() == "BEGIN:VCARD"
    if kind == "vcard" and not is_vcard:
        raise ImportFileError("file.not_vcard")
    if kind == "csv" and is_vcard:
        # Contacts exported from a phone and renamed: read as CSV, "BEGIN:VCARD" would
        # be the one header and nothing would map.
        raise ImportFileError("file.vcard_not_csv")


@contextmanager
def open_text(
    source: Source, encoding: str | None = None, *, kind: str | None = None
) -> Iterator[tuple[IO[str], str]]:
    """Yield ``source`` as text (newlines left as they are) and the encoding used.

    With ``kind`` (``csv``, ``vcard``), a file that is empty or plainly not text is
    refused (:func:`check_text_file`).
    """
    with open_binary(source) as raw:
        stream = raw if raw.seekable() else cast("IO[bytes]", io.BufferedReader(raw))
        chosen = canonical_encoding(encoding) if encoding else detect_encoding(stream)
        if kind is not None:
            check_text_file(stream, kind, chosen)
        text = io.TextIOWrapper(stream, encoding=chosen, errors=ERRORS, newline="")
        try:
            yield text, chosen
        finally:
            # The caller's stream stays open for the caller to close.
            text.detach()


class Readable(Protocol):
    """What :class:`BoundedLines` reads from: a text stream's ``readline``."""

    def readline(self, size: int = -1, /) -> str:
        """Read up to ``size`` characters, stopping after a line end."""
        ...


class LineTooLongError(Exception):
    """A physical line passed :data:`MAX_LINE`; it was skipped."""


class BoundedLines:
    """The physical lines of ``text``; a line longer than ``limit`` is skipped.

    Skipping raises :class:`LineTooLongError` from ``__next__`` once; iterating again
    goes on with the next line. Memory stays bounded by ``limit`` whatever the file.
    """

    def __init__(self, text: Readable, limit: int = MAX_LINE) -> None:
        self._text = text
        self._limit = limit
        self.count = 0
        """How many physical lines were read so far."""

    def __iter__(self) -> BoundedLines:
        return self

    def __next__(self) -> str:
        line = self._text.readline(self._limit + 1)
        if not line:
            raise StopIteration
        self.count += 1
        if len(line) > self._limit and not line.endswith(("\n", "\r")):
            while True:
                rest = self._text.readline(_CHUNK)
                if not rest or rest.endswith(("\n", "\r")):
                    break
            raise LineTooLongError
        return line
