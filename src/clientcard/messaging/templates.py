"""Message templates: one text per language, with a fixed set of placeholders.

A template names its purpose; texts use ``string.Template`` placeholders (``$first_name``,
``${business_name}``). Only the placeholders listed in :data:`PLACEHOLDERS` and the
template's own ``extra`` names exist: no sensitive field of a card can reach a message.
A direct-marketing template must carry ``$unsubscribe_url`` in every language, or it is
refused when it is made.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import attrs

from clientcard.consent.purposes import DIRECT_MARKETING, Purpose
from clientcard.errors import FieldIssue, ValidationError
from clientcard.locale import DEFAULT_LANGUAGE

__all__ = ["PLACEHOLDERS", "MessageTemplate", "TemplateText"]

PLACEHOLDERS: Final[frozenset[str]] = frozenset(
    {"first_name", "last_name", "display_name", "business_name", "unsubscribe_url"}
)
"""The placeholders every template may use."""


@attrs.frozen
class TemplateText:
    """The subject (e-mail only) and body of a template in one language.

    .. versionadded:: 0.1.0
    """

    body: str
    subject: str | None = None


def _freeze(texts: Mapping[str, TemplateText]) -> Mapping[str, TemplateText]:
    return MappingProxyType(dict(texts))


def _names(text: str) -> set[str]:
    found: set[str] = set()
    for match in string.Template.pattern.finditer(text):
        # "invalid" matches the empty string after a lone "$": test for None, not falsity.
        if match.group("invalid") is not None:
            raise ValueError("a lone $ in a template")
        name = match.group("named") or match.group("braced")
        if name:
            found.add(name)
    return found


@attrs.frozen
class MessageTemplate:
    """A message for one purpose, in one or more languages.

    .. versionadded:: 0.1.0
    """

    key: str
    purpose: Purpose
    texts: Mapping[str, TemplateText] = attrs.field(converter=_freeze, hash=False)
    extra: frozenset[str] = frozenset()
    """Further placeholders the host fills in (``appointment_time``, ...)."""

    def __attrs_post_init__(self) -> None:
        issues: list[FieldIssue] = []
        if not self.texts:
            issues.append(FieldIssue("texts", "field.required", "give at least one language"))
        allowed = PLACEHOLDERS | self.extra
        for lang, text in self.texts.items():
            try:
                used = _names(text.body) | _names(text.subject or "")
            except ValueError:
                issues.append(FieldIssue(f"texts.{lang}", "template.invalid", "use $$ for $"))
                continue
            unknown = used - allowed
            if unknown:
                issues.append(
                    FieldIssue(
                        f"texts.{lang}", "template.unknown_placeholder", ", ".join(sorted(unknown))
                    )
                )
            if self.purpose in DIRECT_MARKETING and "unsubscribe_url" not in _names(text.body):
                issues.append(
                    FieldIssue(f"texts.{lang}", "template.no_unsubscribe", "add $unsubscribe_url")
                )
        if issues:
            raise ValidationError(issues)

    def render(self, lang: str, values: Mapping[str, str]) -> TemplateText:
        """Fill the template in ``lang`` (English, then any language, as fallback).

        :raises ValidationError: ``template.missing_value`` naming the unfilled placeholder.
        """
        text = self.texts.get(lang) or self.texts.get(DEFAULT_LANGUAGE)
        if text is None:
            text = next(iter(self.texts.values()))
        try:
            body = string.Template(text.body).substitute(values)
            subject = string.Template(text.subject).substitute(values) if text.subject else None
        except KeyError as missing:
            raise ValidationError(
                [FieldIssue(str(missing.args[0]), "template.missing_value", "no value given")]
            ) from None
        return TemplateText(body=body, subject=subject)
