"""vCard files: 3.0 and 4.0 (and the 2.1 quirks phones still write) in, 4.0 out.

Needs ``pip install 'clientcard[exchange]'``. Reading (:func:`open_vcards`) splits the
file into cards itself, a card at a time (bounded memory, and one broken card never
stops the others), unfolds lines, joins quoted-printable soft line breaks, and hands
each card to `vobject <https://pypi.org/project/vobject/>`_ for parameters, escapes,
quoted-printable and character sets, ``N`` and ``ADR`` structures and ``itemN.``
groups. It reads:

* ``N`` (or ``FN`` when it is a name), every ``EMAIL`` (the preferred one is kept, the
  others reported), every ``TEL`` (``tel:`` URIs too), the preferred ``ADR``, ``BDAY``
  in its many forms (``1985-12-10``, ``19851210``, ``--1210``), ``GENDER``, ``NOTE``,
  ``CATEGORIES`` (as tags), ``TITLE``/``ROLE`` (as profession), ``LANG``;
* ``PHOTO`` as inline data (base64 or a ``data:`` URI), handed to the host's
  ``photos`` callback, which stores it and returns the reference the card keeps;
  without a callback, or for a remote URI, the photo is left out and reported;
* ``X-CLIENTCARD-*`` properties, which :func:`write_vcards` uses for fields vCard has
  no property for (tax code, PEC, client group, custom fields...).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any, Final

try:
    import vobject
except ImportError as missing:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "clientcard.exchange.vcard needs vobject: pip install 'clientcard[exchange]'"
    ) from missing

from clientcard.cards.card import ClientCard
from clientcard.exchange._cells import COUNTRY_NAMES, normalise_header
from clientcard.exchange._records import Record
from clientcard.exchange._source import BoundedLines, LineTooLongError, Source, open_text

__all__ = ["PhotoStore", "VcardSource", "open_vcards", "vcard_lines", "write_vcards"]

PhotoStore = Callable[[bytes, str], str]
"""The host's photo store: given the image bytes and media type, return a reference."""

MAX_CARD: Final = 4 * 1024 * 1024
"""The most characters one vCard may have (photos included); a larger one is rejected."""
MAX_PHOTO: Final = 2 * 1024 * 1024
"""The largest photo handed to the host, in bytes; a larger one is left out."""
_MAX_PHONES: Final = 5
_CONTENT_LINE: Final = re.compile(r"(?:[A-Za-z0-9-]+\.)?[A-Za-z0-9-]+(?:;[^:]*)?:", re.ASCII)
_DATA_URI: Final = re.compile(r"data:([\w.+-]+/[\w.+-]+)?(;[^,]*)?,(.*)", re.DOTALL)
_DATED: Final = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?", re.ASCII)
# Years address books write for "no year": Apple's stand-in, and zero.
_STAND_IN_YEARS: Final = frozenset({"1604", "0000"})
_GENDERS: Final = {"F": "female", "M": "male", "O": "other"}
_PREFIX: Final = "X-CLIENTCARD-"
# Fields with a vCard property of their own; the rest travel as X-CLIENTCARD-*.
_NATIVE: Final = frozenset(
    {"first_name", "last_name", "email", "phones", "street", "city", "postcode", "country",
     "birth_date", "gender", "notes", "tags", "profession", "language"}
)  # fmt: skip


class VcardSource:
    """A vCard file opened for import. Made by :func:`open_vcards`.

    .. versionadded:: 0.1.0
    """

    format = "vcard"

    def __init__(self, text: IO[str], encoding: str, photos: PhotoStore | None) -> None:
        self.encoding = encoding
        """The encoding the file is read in."""
        self._lines = BoundedLines(text)
        self._photos = photos

    def records(self) -> Iterator[Record]:
        """Yield one record per vCard, numbered from 1 in file order."""
        number = 0
        block: list[str] | None = None
        size = 0
        too_large = False
        while True:
            try:
                line = next(self._lines)
            except StopIteration:
                break
            except LineTooLongError:
                too_large = block is not None or too_large
                continue
            stripped = line.strip()
            upper = stripped.upper()
            if upper == "BEGIN:VCARD":
                if block is not None:
                    # The card before was cut short (a truncated export).
                    number += 1
                    yield Record(number, problem="vcard.malformed")
                block, size, too_large = [], 0, False
                continue
            if block is None:
                continue
            if upper == "END:VCARD":
                number += 1
                if too_large:
                    yield Record(number, problem="vcard.too_large")
                else:
                    yield self._record(number, block)
                block = None
                continue
            size += len(line)
            if size > MAX_CARD:
                too_large = True
                block.clear()
            elif not too_large:
                block.append(line.rstrip("\r\n"))
        if block is not None:
            yield Record(number + 1, problem="vcard.malformed")

    def _record(self, number: int, physical: list[str]) -> Record:
        warnings: list[tuple[str, str]] = []
        lines, photos = _logical_lines(physical, warnings)
        component = None
        for charset in _charsets(lines, self.encoding):
            text = "".join(f"{line}\r\n" for line in _with_charset(lines, charset))
            try:
                component = vobject.readOne(
                    f"BEGIN:VCARD\r\n{text}END:VCARD\r\n", allowQP=False, ignoreUnreadable=False
                )
                break
            except Exception:  # noqa: BLE001, S112 - vobject raises many types; none may escape
                continue
        if component is None:
            return Record(number, problem="vcard.malformed")
        try:
            values = _values(component, warnings)
        except Exception:  # noqa: BLE001 - same: a broken card is a rejected card
            return Record(number, problem="vcard.malformed")
        picture = self._picture(photos, warnings)
        if picture is not None:
            values["picture"] = picture
        return Record(number, values=values, warnings=tuple(warnings))

    def _picture(self, photos: list[str], warnings: list[tuple[str, str]]) -> str | None:
        if not photos:
            return None
        found = _photo(photos[0])
        if found is None:
            warnings.append(("picture", "picture.unreadable"))
            return None
        data, media_type = found
        if self._photos is None:
            warnings.append(("picture", "picture.not_stored"))
            return None
        if len(data) > MAX_PHOTO:
            warnings.append(("picture", "picture.too_large"))
            return None
        return self._photos(data, media_type)


def _logical_lines(
    physical: list[str], warnings: list[tuple[str, str]]
) -> tuple[list[str], list[str]]:
    """Unfold lines and quoted-printable soft breaks; set PHOTO lines apart."""
    logical: list[str] = []
    for line in physical:
        if not line.strip():
            continue
        if logical and logical[-1].endswith("=") and _is_qp(logical[-1]):
            # A soft line break: what follows is the value's, leading spaces included.
            logical[-1] = logical[-1][:-1] + line
        elif logical and line[:1] in (" ", "\t"):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    kept: list[str] = []
    photos: list[str] = []
    for line in logical:
        head = _CONTENT_LINE.match(line)
        if head is None:
            warnings.append(("record", "vcard.line_skipped"))
            continue
        name = head.group(0).split(";")[0].rstrip(":").split(".")[-1].upper()
        if name == "PHOTO":
            photos.append(line)
        elif name not in ("BEGIN", "END", "VERSION"):
            kept.append(line)
    return kept, photos


_CHARSET: Final = re.compile(r";\s*CHARSET=([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def _charsets(lines: list[str], encoding: str) -> list[str]:
    """The character sets to try for quoted-printable values that name none.

    Such a value is bytes in the card's character set: the one its other lines name
    (Outlook names Windows-1252 on some lines only), else the file's own, else UTF-8.
    Windows-1252 comes last, as the set every byte reads in.
    """
    named = [found[1] for line in lines if (found := _CHARSET.search(line.split(":", 1)[0]))]
    tried = [*named[:1], "utf-8" if encoding.startswith("utf") else encoding, "windows-1252"]
    return list(dict.fromkeys(name.lower() for name in tried))


def _with_charset(lines: list[str], charset: str) -> Iterator[str]:
    """``lines``, with ``charset`` named on every quoted-printable line that names none.

    Commas in single text values are escaped too: vobject reads a text property as a
    list and keeps its first item, so ``NOTE:tinta, piega`` (as phones and Outlook write
    it, commas unescaped) would lose all after the first comma.
    """
    for line in lines:
        head, colon, value = line.partition(":")
        if not colon:
            yield line
            continue
        if _property(head) in _SINGLE_TEXT:
            value = _BARE_COMMA.sub(r"\\,", value)
        if _is_qp(line) and not _CHARSET.search(head):
            head = f"{head};CHARSET={charset}"
        yield f"{head}:{value}"


def _property(head: str) -> str:
    return head.split(";", maxsplit=1)[0].rsplit(".", maxsplit=1)[-1].strip().upper()


_SINGLE_TEXT: Final = frozenset({"NOTE", "FN", "TITLE", "ROLE"})
_BARE_COMMA: Final = re.compile(r"(?<!\\),")


def _is_qp(line: str) -> bool:
    head = line.split(":", 1)[0].upper()
    return "QUOTED-PRINTABLE" in head


def _photo(line: str) -> tuple[bytes, str] | None:
    head, _, value = line.partition(":")
    params = head.upper()
    value = value.strip()
    try:
        if match := _DATA_URI.fullmatch(value):
            if "base64" not in (match[2] or "").lower():
                return None
            return base64.b64decode(match[3], validate=False), match[1] or "image/jpeg"
        if "ENCODING=B" in params or "BASE64" in params:
            kind = re.search(r"TYPE=([A-Z0-9]+)", params)
            media = f"image/{kind[1].lower()}" if kind else "image/jpeg"
            return base64.b64decode(value, validate=False), media
    except (binascii.Error, ValueError):
        return None
    return None


def _prefer(lines: list[Any]) -> list[Any]:
    """Put the preferred property first (``PREF=1`` or ``TYPE=pref``), keep the rest's order."""

    def rank(line: Any) -> int:
        params = {key.upper(): [str(v).lower() for v in vals] for key, vals in line.params.items()}
        if "1" in params.get("PREF", []) or "pref" in params.get("TYPE", []):
            return 0
        return 1

    return sorted(lines, key=rank)


def _texts(component: Any, name: str) -> list[Any]:
    return list(component.contents.get(name, []))


def _values(component: Any, warnings: list[tuple[str, str]]) -> dict[str, object]:
    values: dict[str, object] = {}
    _names(component, values)
    _contacts(component, values, warnings)
    _details(component, values)
    for name, lines in component.contents.items():
        if name.upper().startswith(_PREFIX):
            key = name.upper().removeprefix(_PREFIX).lower().replace("-", "_")
            items = [str(line.value) for line in lines]
            values[key] = items if len(items) > 1 or _is_list_property(lines) else items[0]
    return values


def _names(component: Any, values: dict[str, object]) -> None:
    for line in _texts(component, "n")[:1]:
        n = line.value
        given = " ".join(_parts(n.given) + _parts(n.additional)).strip()
        family = " ".join(_parts(n.family)).strip()
        if given:
            values["first_name"] = given
        if family:
            values["last_name"] = family
    if "first_name" in values or "last_name" in values:
        return
    for line in _texts(component, "fn")[:1]:
        full = str(line.value).strip()
        # An FN that is not a name is refused by the import with its reason, never
        # dropped silently; an e-mail address in it (as some phones write) is no name.
        if full and "@" not in full:
            first, _, last = full.partition(" ")
            values["first_name"] = first
            if last:
                values["last_name"] = last


def _contacts(component: Any, values: dict[str, object], warnings: list[tuple[str, str]]) -> None:
    emails = [str(line.value).strip() for line in _prefer(_texts(component, "email"))]
    emails = [email for email in dict.fromkeys(emails) if email]
    if emails:
        values["email"] = emails[0]
        if len(emails) > 1:
            warnings.append(("email", "import.extra_value_ignored"))
    phones = [_tel(str(line.value)) for line in _prefer(_texts(component, "tel"))]
    phones = [phone for phone in dict.fromkeys(phones) if phone]
    if phones:
        values["phones"] = phones[:_MAX_PHONES]
        if len(phones) > _MAX_PHONES:
            warnings.append(("phones", "import.extra_value_ignored"))
    addresses = _prefer(_texts(component, "adr"))
    if addresses:
        _address(addresses[0].value, values)
        if len(addresses) > 1:
            warnings.append(("street", "import.extra_value_ignored"))


def _details(component: Any, values: dict[str, object]) -> None:
    for line in _texts(component, "bday")[:1]:
        values["birth_date"] = _birthday(line)
    for line in _texts(component, "gender")[:1]:
        sex, _, identity = str(line.value).partition(";")
        code = sex.strip().upper()
        if code == "O" and normalise_header(identity) in ("non binary", "nonbinary"):
            values["gender"] = "non_binary"
        elif code in _GENDERS:
            values["gender"] = _GENDERS[code]
    notes = [str(line.value) for line in _texts(component, "note") if str(line.value).strip()]
    if notes:
        values["notes"] = "\n".join(notes)
    tags = [tag for line in _texts(component, "categories") for tag in _parts(line.value)]
    if tags:
        values["tags"] = tags
    for key in ("title", "role"):
        for line in _texts(component, key)[:1]:
            values.setdefault("profession", str(line.value).strip())
    for line in _texts(component, "lang")[:1]:
        values["language"] = str(line.value).strip().lower()[:2]


def _birthday(line: Any) -> str:
    """The ``BDAY`` as the import reads dates: ``--MM-DD`` when the year was left out.

    iPhones save a birthday without a year with a stand-in year and say so in a
    parameter (``BDAY;X-APPLE-OMIT-YEAR=1604:1604-06-21``); some programs copy the
    stand-in year without the parameter, or write year ``0000``. RFC 6350's ``--0621``
    and vCard 3's ``--06-21`` need nothing: the import reads them.
    """
    text = str(line.value).strip()
    omitted = {str(v).strip() for key, vals in line.params.items()
               if key.upper() == "X-APPLE-OMIT-YEAR" for v in vals}  # fmt: skip
    match = _DATED.fullmatch(text)
    if match is not None and (match[1] in omitted or match[1] in _STAND_IN_YEARS):
        return f"--{match[2]}-{match[3]}"
    return text


def _is_list_property(lines: list[Any]) -> bool:
    return any("LIST" in (key.upper() for key in line.params) for line in lines)


def _parts(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(item) for item in value if str(item).strip()]
    return [str(value)] if str(value).strip() else []


def _tel(value: str) -> str:
    text = value.strip()
    if text.lower().startswith("tel:"):
        text = text[4:].split(";")[0]
    return text


def _address(address: Any, values: dict[str, object]) -> None:
    street = ", ".join(_parts(address.street) + _parts(address.extended))
    parts = {
        "street": street,
        "city": " ".join(_parts(address.city)),
        "postcode": " ".join(_parts(address.code)),
    }
    country = " ".join(_parts(address.country)).strip()
    if country:
        parts["country"] = COUNTRY_NAMES.get(normalise_header(country), country)
    values.update({key: value for key, value in parts.items() if value.strip()})


@contextmanager
def open_vcards(
    source: Source, *, encoding: str | None = None, photos: PhotoStore | None = None
) -> Iterator[VcardSource]:
    """Open a vCard file for import; ``photos`` stores inline photos (see module docs).

    .. versionadded:: 0.1.0
    """
    with open_text(source, encoding, kind="vcard") as (text, chosen):
        yield VcardSource(text, chosen, photos)


# -- writing ------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a character (RFC 6350 3.2)."""
    out: list[str] = []
    current = ""
    size = 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += ch
        size += width
    out.append(current)
    return "\r\n".join(out) + "\r\n"


def _bday(iso: str) -> str:
    return iso.replace("-", "") if not iso.startswith("--") else "--" + iso[2:].replace("-", "")


def vcard_lines(card: ClientCard, values: dict[str, str | list[str]]) -> list[str]:
    """The content lines (unfolded) of one vCard 4.0 for ``card``.

    ``values`` are the fields to write, already as text (lists for phones, tags and
    multi-valued custom fields), as
    :meth:`~clientcard.exchange.service.ExchangeService.export_cards` prepares them.

    .. versionadded:: 0.1.0
    """
    lines = ["BEGIN:VCARD", "VERSION:4.0", f"UID:{_escape(card.id)}"]
    first = str(values.get("first_name", ""))
    last = str(values.get("last_name", ""))
    display = " ".join(part for part in (first, last) if part) or card.email or card.id
    lines.append(f"FN:{_escape(display)}")
    lines.append(f"N:{_escape(last)};{_escape(first)};;;")
    if email := values.get("email"):
        lines.append(f"EMAIL:{_escape(str(email))}")
    if "phones" in values:
        lines.extend(f"TEL;VALUE=uri:tel:{number}" for number in card.phones)
    if any(key in values for key in ("street", "city", "postcode", "country")):
        parts = [str(values.get(key, "")) for key in ("street", "city")]
        parts += ["", str(values.get("postcode", "")), str(values.get("country", ""))]
        lines.append("ADR:;;" + ";".join(_escape(part) for part in parts))
    if card.birth_date is not None and "birth_date" in values:
        lines.append(f"BDAY:{_bday(card.birth_date.iso())}")
    if card.gender is not None and "gender" in values:
        code = {"female": "F", "male": "M", "non_binary": "O;non-binary", "other": "O"}
        lines.append(f"GENDER:{code[card.gender.value]}")
    if notes := values.get("notes"):
        lines.append(f"NOTE:{_escape(str(notes))}")
    if tags := values.get("tags"):
        items = tags if isinstance(tags, list) else [tags]
        lines.append("CATEGORIES:" + ",".join(_escape(tag) for tag in items))
    if profession := values.get("profession"):
        lines.append(f"TITLE:{_escape(str(profession))}")
    if language := values.get("language"):
        lines.append(f"LANG:{_escape(str(language))}")
    for key, value in values.items():
        if key in _NATIVE:
            continue
        name = _PREFIX + key.upper().replace("_", "-")
        if isinstance(value, list):
            lines.extend(f"{name};LIST=1:{_escape(item)}" for item in value)
        else:
            lines.append(f"{name}:{_escape(value)}")
    lines.append("END:VCARD")
    return lines


def write_vcards(
    destination: IO[str], cards: Iterable[tuple[ClientCard, dict[str, str | list[str]]]]
) -> int:
    """Write vCard 4.0 (UTF-8, CRLF, folded lines) for each card and its text values.

    Open the destination with ``newline=""`` and ``encoding="utf-8"``. Returns how
    many cards were written.

    .. versionadded:: 0.1.0
    """
    count = 0
    for card, values in cards:
        destination.write("".join(_fold(line) for line in vcard_lines(card, values)))
        count += 1
    return count
