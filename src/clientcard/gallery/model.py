r"""The gallery: inspiration and result photos on a client card.

The pure half of the gallery; its service (``book.business(id).gallery``, see
:mod:`clientcard.gallery.service`) keeps the photo bytes in a
:class:`~clientcard.storage.blobs.BlobStore` and their descriptions as records (``add``,
``list``, ``remove``; see :mod:`clientcard.gallery.records`).

A photo's type is read from its first bytes, never from a file name or what a browser
claimed: :func:`sniff_image_type` knows JPEG, PNG, WebP and HEIC/HEIF, whose signatures
are fixed by their specifications (JPEG: ISO/IEC 10918-1 SOI marker; PNG: RFC 2083
signature; WebP: the RIFF container of Google's WebP container specification; HEIC:
the ISO base media file format ``ftyp`` box of ISO/IEC 23008-12). :func:`check_photo`
applies :class:`PhotoLimits` and raises :class:`PhotoRejectedError`.

Photos show a person and captions may describe them: both are personal data, erased
with the card.

>>> check_photo(b"\x89PNG\r\n\x1a\n" + bytes(8), PhotoLimits())
'image/png'
>>> check_photo(b"%PDF-1.7", PhotoLimits())
Traceback (most recent call last):
...
clientcard.gallery.model.PhotoRejectedError: $.data: photo.type_unsupported: ...

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Final

import attrs

from clientcard.errors import FieldIssue, ValidationError
from clientcard.locale import DEFAULT_LANGUAGE, message

__all__ = [
    "IMAGE_TYPES",
    "Photo",
    "PhotoKind",
    "PhotoLimits",
    "PhotoRejectedError",
    "check_photo",
    "sniff_image_type",
]

IMAGE_TYPES: Final[frozenset[str]] = frozenset(
    {"image/jpeg", "image/png", "image/webp", "image/heic"}
)
"""The content types the gallery can recognise."""

_HEIC_BRANDS: Final = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"})
_HEIF_GENERIC: Final = frozenset({b"mif1", b"msf1"})
_MAX_CAPTION: Final = 500


class PhotoKind(enum.Enum):
    """Why a photo is on the card.

    .. versionadded:: 0.1.0
    """

    INSPIRATION = "inspiration"
    """A look the client would like (often chosen by the client)."""
    RESULT = "result"
    """What the salon achieved, taken after the service."""


def _heic(data: bytes) -> bool:
    # An ISO BMFF file opens with a box: 4 bytes of size, then "ftyp", the major brand,
    # a minor version and the compatible brands up to the box's end.
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    major = data[8:12]
    if major in _HEIC_BRANDS:
        return True
    size = min(int.from_bytes(data[:4], "big"), len(data))
    compatible = {data[i : i + 4] for i in range(16, size - 3, 4)}
    return major in _HEIF_GENERIC and bool(compatible & _HEIC_BRANDS)


def sniff_image_type(data: bytes) -> str | None:
    r"""The content type of an image, read from its signature; ``None`` if not one we know.

    >>> sniff_image_type(b"\xff\xd8\xff\xe0" + bytes(8))
    'image/jpeg'
    >>> sniff_image_type(b"GIF89a") is None
    True
    """
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if _heic(data):
        return "image/heic"
    return None


@attrs.frozen
class PhotoLimits:
    """What the gallery accepts: the largest photo and the content types.

    .. versionadded:: 0.1.0
    """

    max_bytes: int = attrs.field(default=10 * 1024 * 1024, validator=attrs.validators.ge(1))
    """10 MiB by default: a phone's full-size photo fits, a video does not."""
    content_types: frozenset[str] = attrs.field(
        default=IMAGE_TYPES, converter=frozenset, validator=attrs.validators.min_len(1)
    )
    """A subset of :data:`IMAGE_TYPES`."""


class PhotoRejectedError(ValidationError):
    """A photo was refused: empty, too large, or not an image type the gallery takes.

    Its one issue is on ``data`` with ``photo.empty``, ``photo.too_large`` or
    ``photo.type_unsupported``; :attr:`code` is that code.

    .. versionadded:: 0.1.0
    """

    def __init__(self, code: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> None:
        self.code = code
        super().__init__([FieldIssue("data", code, message(code, lang, **params))])


def check_photo(data: bytes, limits: PhotoLimits, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return the content type of ``data`` if ``limits`` accept it.

    :raises PhotoRejectedError: empty, too large or of another type.
    """
    if not data:
        raise PhotoRejectedError("photo.empty", lang)
    if len(data) > limits.max_bytes:
        raise PhotoRejectedError("photo.too_large", lang, max=limits.max_bytes)
    content_type = sniff_image_type(data)
    if content_type is None or content_type not in limits.content_types:
        raise PhotoRejectedError("photo.type_unsupported", lang)
    return content_type


def _aware(_instance: object, _attribute: object, value: dt.datetime) -> None:
    if value.utcoffset() is None:
        raise ValidationError([FieldIssue("added_at", "record.naive_time", "needs a zone")])


@attrs.frozen(kw_only=True, repr=False)
class Photo:
    """One photo in a client's gallery; the bytes live in the blob store under ``ref``.

    ``card_id`` and ``appointment_id`` link it; ``caption`` is personal data and never
    shown by ``repr``.

    .. versionadded:: 0.1.0
    """

    id: str
    card_id: str
    kind: PhotoKind
    ref: str
    content_type: str
    size: int
    added_at: dt.datetime = attrs.field(validator=_aware)
    added_by: str = ""
    appointment_id: str | None = None
    caption: str = ""

    def __repr__(self) -> str:
        return (
            f"Photo(id={self.id!r}, card_id={self.card_id!r}, kind={self.kind.value!r},"
            f" content_type={self.content_type!r}, size={self.size})"
        )
