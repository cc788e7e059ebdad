"""No client data in any repr (issue 19, item 11).

A value in a log line, a traceback or a debugger must not show who the client is. The
test walks every attrs class, dataclass and named tuple the package defines, fills each
field with a marker naming it, and reads ``repr()`` and ``str()``: only fields named in
:data:`SHOWN` (ids, versions, counts, kinds, timestamps) may appear. A class that holds
no client data at all (settings, a business's configuration, counts) is named in
:data:`NO_CLIENT_DATA`; a new class is checked until somebody decides otherwise.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

import clientcard

# Field names whose values are never client data: ids, versions, counts, kinds.
SHOWN = frozenset(
    {
        "id",
        "business_id",
        "card_id",
        "event_id",
        "entry_id",
        "account_id",
        "receipt_id",
        "request_id",
        "send_id",
        "batch_id",
        "message_id",
        "merge_id",
        "import_id",
        "record_id",
        "new_card_id",
        "guardian_card_id",
        "related_card_id",
        "card_ids",
        "appointment_id",
        "payment_id",
        "replay_of",
        "version",
        "card_version",
        "revision",
        "credential_version",
        "seq",
        "kind",
        "status",
        "purpose",
        "channel",
        "action",
        "mode",
        "number",
        "row",
        "count",
        "imported",
        "rows",
        "format",
        "allowed",
        "score",
        "fields",
        "keys",
        "changed",
        # Timestamps and dates of a record: when, never who or what.
        "at",
        "created_at",
        "updated_at",
        "occurred_at",
        "issued_at",
        "expires_at",
        "used_at",
        "erased_at",
        "planned_at",
        "received_on",
        "fulfilled_at",
        "since",
        "until",
        "now",
        "starts_at",
        "first_failure_at",
        "locked_until",
        "held_until",
        "pending_until",
        "objecting_since",
        # Machine codes, flags and figures of the library's own.
        "reason",
        "reasons",
        "code",
        "codes",
        "problem",
        "field",
        "column",
        "basis",
        "source",
        "granted",
        "with_guardian",
        "opt_out_offered",
        "attempts",
        "failures",
        "template_key",
        "content_type",
        "size",
        "rule",
        "targets",
        "dry_run",
        "encoding",
        "delimiter",
        "lang",
        "skipped",
        "already_present",
        "minors",
        "audit_head",  # the audit chain's sequence number and hash
        "last_failure_at",
        "consent_recorded",
        "records",
        "consent_events",
        "sends",
        "blobs",
        "fingerprints",
        "requests",
        "exports",
        "wards",
        "legal_hold_years",
        "extension",
        "wording_version",
        "hash",
        "previous_hash",
        "via",
        "actor",
        "by",
        "recorded_by",
        "verified_by",
        "ever_booked",
        "filled",
        "conflicts",
        "stricter",
        "warnings",
        "kinds",
        "stated",
        "missing",
        "moved",
        "unchanged",
        "group",
        "suppress",
        "next_cursor",
        "location_id",
        "service_id",
        "team_member_id",
        "duration_minutes",
        "currency",
        "message",
        "guardian_id",
        "still_to_ask",
        "discount",
        "service",
        "dropped",
        "lifted_at",
    }
)

# Fields that hold other values of the package (or lists of them), shown by their own
# repr, which this test checks class by class.
NESTED = frozenset(
    {
        "card",
        "previous",
        "plan",
        "result",
        "survivor",
        "absorbed",
        "match",
        "items",
        "receipts",
        "done",
        "history",
        "standing",
        "choices",
        "guardian",
        "profile",
        "issues",
        "rejected",
        "duplicates",
        "mapping",
        "query",
        "search",
        "consent",
        "form",
        "business",
        "policy",
        "ledger",
        "upcoming",
        "past",
        "documents",
        "timeline",
        "payments_received",
        "payments_pending",
        "last_visit",
        "appointments",
        "next_bookings",
    }
)

# Classes that hold no client data: a business's settings and configuration, the
# library's own plumbing, and figures without a client.
NO_CLIENT_DATA = frozenset(
    {
        "clientcard.business.Business",
        "clientcard.storage._sql.citus.Layout",  # table and index names of the schema
        "clientcard.storage.scrub.ScrubReport",  # tables rewritten, times, server pids
        "clientcard.storage.scrub.TableScrub",
        "clientcard._backoff.Backoff",  # pauses and budgets of conflict replays
        "clientcard.cards._definitions.Choice",
        "clientcard.cards._definitions.FieldDefinition",
        "clientcard.cards._definitions.FormField",
        "clientcard.cards._definitions.FormOption",
        "clientcard.cards.schema.FieldSchema",
        "clientcard.consent.purposes.ConsentPolicy",
        "clientcard.erasure.policy.ErasurePolicy",
        "clientcard.erasure.policy.RetentionRules",
        "clientcard.erasure.plan.KindCount",
        "clientcard.erasure.audit.ChainCheck",
        "clientcard.erasure.portability.ReportSection",
        "clientcard.erasure.portability.SubjectReport",
        "clientcard.errors.FieldIssue",
        "clientcard.exchange._preparing.Preparation",
        "clientcard.exchange.exporting.ExportReport",
        "clientcard.exchange.mapping.ColumnMapping",
        "clientcard.gallery.model.PhotoLimits",
        "clientcard.groups.model.ClientGroup",
        "clientcard.history.model.ServiceLine",
        "clientcard.history.statistics.Aggregates",
        "clientcard.history.statistics.Cohort",
        "clientcard.history.statistics.MonthFigures",
        "clientcard.kinds.RecordKind",
        "clientcard.messaging.sends.DispatchReport",
        "clientcard.messaging.sends.SendScope",
        "clientcard.messaging.settings.MessagingSettings",
        "clientcard.messaging.templates.MessageTemplate",
        "clientcard.messaging.templates.TemplateText",
        "clientcard.money.Money",
        "clientcard.portal.passwords.PasswordPolicy",
        "clientcard.portal.settings.PortalSettings",
        "clientcard.promotions.model.Discount",
        "clientcard.promotions.model.Promotion",
        "clientcard.storage._sql.migrations.Migration",
    }
)


class Marker:
    """A field's value that names the field wherever it is shown, and stands any use."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"<<{self._name}>>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __getattr__(self, attribute: str) -> Marker:
        return Marker(self._name)

    def __call__(self, *args: object, **kwargs: object) -> Marker:
        return Marker(self._name)

    def __iter__(self) -> Iterator[Marker]:
        return iter(())

    def __len__(self) -> int:
        return 1

    def __add__(self, other: object) -> Marker:
        return self

    __radd__ = __add__

    def __lt__(self, other: object) -> bool:
        return False

    __gt__ = __lt__


def _fields(cls: type) -> list[str] | None:
    if attrs.has(cls):
        return [field.name for field in attrs.fields(cls)]
    if dataclasses.is_dataclass(cls):
        return [field.name for field in dataclasses.fields(cls)]
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return list(cls._fields)
    return None


def _classes() -> Iterator[tuple[str, type, list[str]]]:
    for module_info in pkgutil.walk_packages(clientcard.__path__, "clientcard."):
        if module_info.name.startswith("clientcard.cli"):
            continue  # needs the cli extra; holds no value types of its own
        module = importlib.import_module(module_info.name)
        for name, value in sorted(vars(module).items()):
            if (
                inspect.isclass(value)
                and value.__module__ == module.__name__
                and not name.startswith("_")
                and (fields := _fields(value)) is not None
            ):
                yield f"{module.__name__}.{name}", value, fields


CLASSES = sorted(_classes(), key=lambda item: item[0])


def _marked(cls: type, fields: list[str]) -> Any:
    markers = [Marker(name) for name in fields]
    if issubclass(cls, tuple):
        return cls(*markers)
    value = object.__new__(cls)
    for name, marker in zip(fields, markers, strict=True):
        object.__setattr__(value, name, marker)
    return value


def test_every_class_is_checked_or_named_as_holding_no_client_data() -> None:
    names = {name for name, _, _ in CLASSES}
    assert names >= NO_CLIENT_DATA
    assert len(names - NO_CLIENT_DATA) >= 40


@pytest.mark.parametrize(
    ("cls", "fields"),
    [
        pytest.param(cls, fields, id=name)
        for name, cls, fields in CLASSES
        if name not in NO_CLIENT_DATA
    ],
)
def test_repr_and_str_show_no_field_but_ids_counts_and_kinds(cls: type, fields: list[str]) -> None:
    value = _marked(cls, fields)
    shown = set(re.findall(r"<<(\w+)>>", repr(value) + str(value)))
    allowed = SHOWN | NESTED
    assert shown <= allowed, f"{cls.__name__} shows {sorted(shown - allowed)}"
