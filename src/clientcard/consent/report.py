"""A client's consent report: what they agreed to, when and how, in their language.

Built from the ledger alone, so it is the proof a business shows a client (or an
authority) on request: every grant, withdrawal and objection, in order, and what stands
now.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs

from clientcard.consent.ledger import ConsentAction, ConsentEvent, replay
from clientcard.locale import DEFAULT_LANGUAGE
from clientcard.locale._catalogue import CONSENT_TEXTS, WORDS

__all__ = ["ConsentReport", "consent_report"]


@attrs.frozen
class ConsentReport:
    """The report: one line per ledger event, oldest first, and what stands now.

    .. versionadded:: 0.1.0
    """

    history: tuple[str, ...]
    standing: tuple[str, ...]

    def text(self) -> str:
        """The whole report as plain text."""
        return "\n".join((*self.standing, "", *self.history)).strip()


def _text(key: str, lang: str) -> str:
    texts = CONSENT_TEXTS[key]
    return texts.get(lang) or texts[DEFAULT_LANGUAGE]


def _date(at: dt.datetime, lang: str) -> str:
    def word(key: str) -> str:
        texts = WORDS[key]
        return texts.get(lang) or texts[DEFAULT_LANGUAGE]

    return word("date").format(day=at.day, month=word(f"month.{at.month}"), year=at.year)


def _what(event: ConsentEvent, lang: str) -> str:
    if event.purpose is None:
        return _text("scope.all_marketing", lang)
    what = _text(f"purpose.{event.purpose.value}", lang)
    if event.channel is not None:
        what += " " + _text("by", lang) + " " + _text(f"channel.{event.channel.value}", lang)
    return what


def _line(event: ConsentEvent, lang: str, *, refused: bool = False) -> str:
    action = "refuse" if refused else event.action.value
    line = (
        f"{_date(event.at, lang)}: {_text(f'action.{action}', lang)} "
        f"{_what(event, lang)} ({_text(f'source.{event.source.value}', lang)}"
    )
    if event.wording_version:
        line += f"; {_text('wording', lang)} {event.wording_version}"
    if event.guardian is not None:
        line += f"; {_text('guardian', lang)}"
    return line + ")"


def consent_report(
    events: Sequence[ConsentEvent], lang: str = DEFAULT_LANGUAGE, *, staff: bool = False
) -> ConsentReport:
    """Write the consent report of one client's ledger in ``lang`` (en, it or nl).

    It speaks to the client ("You currently agree to ..."); with ``staff`` its summary
    speaks about them, for a screen at the front desk ("The client currently agrees
    to ..."). The history lines read the same either way.
    """
    ordered = sorted(events, key=lambda event: (event.at, event.event_id))
    state = replay(ordered)
    voice = "staff." if staff else ""
    standing = [
        f"{_text(voice + 'granted_now', lang)} {_what(event, lang)}"
        for event in ordered
        if event.key is not None
        and event.action is ConsentAction.GRANT
        and state.choices[event.key].event_id == event.event_id
    ]
    if state.objects_to_marketing:
        standing.append(_text(voice + "objecting_now", lang))
    if not standing:
        standing.append(_text(voice + "nothing_granted", lang))
    # A "no" with no consent before it (an imported file's "no", a refusal recorded at
    # collection) is a refusal, not a withdrawal: nothing was ever given to withdraw.
    history = []
    granted: set[tuple[object, object]] = set()
    for event in ordered:
        key = event.key
        refused = event.action is ConsentAction.WITHDRAW and key not in granted
        if key is not None and event.action is ConsentAction.GRANT:
            granted.add(key)
        history.append(_line(event, lang, refused=refused))
    return ConsentReport(history=tuple(history), standing=tuple(standing))
