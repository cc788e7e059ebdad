"""``clientcard schema``: the fields of a business's client card."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import click
from rich.table import Table
from rich.text import Text

from clientcard.cards.schema import Choice, FieldDefinition, FieldSchema, FieldType
from clientcard.cards.serialization import schema_to_dict
from clientcard.cli._context import Context, business_option, console, pairs
from clientcard.cli._i18n import _
from clientcard.locale import LANGUAGES

__all__ = ["COMMANDS"]


@click.group(help=_("Manage the fields of a business's client card."))
def schema() -> None:
    pass


def _change_schema(
    obj: Context, business_id: str, change: Callable[[FieldSchema], FieldSchema]
) -> int:
    """Store a schema change; return the new schema revision."""
    with obj.book() as book:
        business = book.business(business_id).cards.change_schema(change)
    return business.schema.revision


@schema.command(name="show", help=_("List the fields with their type and flags."))
@business_option
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    help=_("Language of the labels (the business's by default)."),
)
@click.pass_obj
def schema_show(obj: Context, business_id: str, lang: str | None) -> None:
    with obj.book() as book:
        business = book.get_business(business_id)
    language = lang or business.language
    table = Table(
        _("key"),
        _("label"),
        _("type"),
        _("required"),
        _("booking"),
        _("online"),
        _("keep asking"),
        _("sensitive"),
        _("status"),
        title=_("schema revision {revision}").format(revision=business.schema.revision),
    )
    for d in business.schema.fields:
        status = _("retired") if d.retired else (_("built-in") if d.builtin else _("custom"))
        table.add_row(
            d.key,
            Text(d.label(language)),
            d.type.value,
            *(
                _("yes") if flag else ""
                for flag in (
                    d.required,
                    d.collect_during_booking,
                    d.collect_online,
                    d.keep_asking,
                    d.sensitive,
                )
            ),
            status,
        )
    console.print(table)


def _labels(items: Sequence[str]) -> dict[str, str]:
    labels = pairs(items, "--label")
    return {lang: str(text) for lang, text in labels.items()}


@schema.command(
    name="export",
    help=_("Print the field schema as a JSON document (for `init --schema` or a host)."),
)
@business_option
@click.pass_obj
def schema_export(obj: Context, business_id: str) -> None:
    with obj.book() as book:
        business = book.get_business(business_id)
    click.echo(json.dumps(schema_to_dict(business.schema), indent=2, ensure_ascii=False))


@schema.command(name="add", help=_("Add a custom field."))
@business_option
@click.argument("key")
@click.option(
    "--type",
    "type_",
    required=True,
    type=click.Choice([t.value for t in FieldType]),
    help=_("What the field holds."),
)
@click.option("--label", "labels", multiple=True, required=True, help=_("LANG=TEXT, repeatable."))
@click.option("--choice", "choices", multiple=True, help=_("VALUE=LABEL, repeatable."))
@click.option("--required", is_flag=True, help=_("A value is required."))
@click.option("--booking", is_flag=True, help=_("Collect during booking."))
@click.option("--online", is_flag=True, help=_("Collect in the client portal."))
@click.option("--keep-asking", is_flag=True, help=_("Ask at each booking while empty."))
@click.option("--sensitive", is_flag=True, help=_("Special-category (health) data."))
@click.option("--mobile-only", is_flag=True, help=_("Phone fields: numbers that take SMS only."))
@click.pass_obj
def schema_add(
    obj: Context,
    business_id: str,
    key: str,
    type_: str,
    labels: tuple[str, ...],
    choices: tuple[str, ...],
    required: bool,
    booking: bool,
    online: bool,
    keep_asking: bool,
    sensitive: bool,
    mobile_only: bool,
) -> None:
    definition = FieldDefinition(
        key=key,
        type=FieldType(type_),
        labels=_labels(labels),
        choices=tuple(
            Choice(value, {"en": str(label)}) for value, label in pairs(choices, "--choice").items()
        ),
        required=required,
        collect_during_booking=booking,
        collect_online=online,
        keep_asking=keep_asking,
        sensitive=sensitive,
        mobile_only=mobile_only,
    )
    revision = _change_schema(obj, business_id, lambda s: s.add(definition))
    console.print(_("added {key}; schema revision {revision}").format(key=key, revision=revision))


@schema.command(name="set", help=_("Change a field's flags or labels."))
@business_option
@click.argument("key")
@click.option("--required/--not-required", default=None, help=_("A value is required."))
@click.option("--booking/--no-booking", default=None, help=_("Collect during booking."))
@click.option("--online/--no-online", default=None, help=_("Collect in the client portal."))
@click.option(
    "--keep-asking/--no-keep-asking", default=None, help=_("Ask at each booking while empty.")
)
@click.option(
    "--sensitive/--not-sensitive", default=None, help=_("Special-category (health) data.")
)
@click.option("--mobile-only/--any-phone", default=None, help=_("Phone fields: SMS-capable only."))
@click.option("--label", "labels", multiple=True, help=_("LANG=TEXT, repeatable."))
@click.pass_obj
def schema_set(
    obj: Context,
    business_id: str,
    key: str,
    required: bool | None,
    booking: bool | None,
    online: bool | None,
    keep_asking: bool | None,
    sensitive: bool | None,
    mobile_only: bool | None,
    labels: tuple[str, ...],
) -> None:
    def change(current: FieldSchema) -> FieldSchema:
        changed = current.configure(
            key,
            required=required,
            collect_during_booking=booking,
            collect_online=online,
            keep_asking=keep_asking,
            sensitive=sensitive,
            mobile_only=mobile_only,
        )
        return changed.relabel(key, _labels(labels)) if labels else changed

    revision = _change_schema(obj, business_id, change)
    console.print(_("changed {key}; schema revision {revision}").format(key=key, revision=revision))


@schema.command(name="retire", help=_("Retire a field: it leaves forms; stored values stay."))
@business_option
@click.argument("key")
@click.pass_obj
def schema_retire(obj: Context, business_id: str, key: str) -> None:
    revision = _change_schema(obj, business_id, lambda s: s.retire(key))
    console.print(_("retired {key}; schema revision {revision}").format(key=key, revision=revision))


@schema.command(name="restore", help=_("Bring a retired field back."))
@business_option
@click.argument("key")
@click.pass_obj
def schema_restore(obj: Context, business_id: str, key: str) -> None:
    revision = _change_schema(obj, business_id, lambda s: s.restore(key))
    console.print(
        _("restored {key}; schema revision {revision}").format(key=key, revision=revision)
    )


@schema.command(name="order", help=_("Put the given fields first, in this order."))
@business_option
@click.argument("keys", nargs=-1, required=True)
@click.pass_obj
def schema_order(obj: Context, business_id: str, keys: tuple[str, ...]) -> None:
    revision = _change_schema(obj, business_id, lambda s: s.reorder(keys))
    console.print(_("reordered; schema revision {revision}").format(revision=revision))


COMMANDS: tuple[click.Command, ...] = (schema,)
"""This module's commands, for :mod:`clientcard.cli._app` to put on the group."""
