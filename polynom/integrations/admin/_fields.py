"""The admin's fields for a polynom model: one starlette-admin field per schema field.

Each polytype gets the field that edits it (``VarChar(n)`` a text input of at most ``n``
characters, ``Decimal`` a decimal input, ``PolyEnum`` a select...); a foreign key that a
``Relationship`` of the model uses becomes that relationship's select, and a one-to-many
relationship a list of links on the detail page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette_admin.fields import (
    BaseField,
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    EnumField,
    FloatField,
    HasMany,
    HasOne,
    IntegerField,
    JSONField,
    StringField,
    TextAreaField,
    TimeField,
)

from polynom.integrations.admin._rows import ENTRY_ID
from polynom.model.relationship import Relationship
from polynom.schema import polytypes as pt
from polynom.schema.schema import schema_class

__all__ = ["FieldPlan", "plan_fields", "relationships_of"]


@dataclass(frozen=True)
class FieldPlan:
    """An admin field and what it stands for: a model field, or a relationship."""

    field: BaseField
    model_field: str | None  # the model's field it edits (the foreign key of a relation)
    relationship: Any = None  # the Relationship it stands for (a descriptor: typed loosely)


def relationships_of(model: type) -> dict[str, Relationship]:
    """The model's relationships by attribute name (inherited ones included)."""
    found: dict[str, Relationship] = {}
    for cls in reversed(model.__mro__):
        found.update({k: v for k, v in vars(cls).items() if isinstance(v, Relationship)})
    return found


def plan_fields(model: type, view_key_of: Callable[[type], str | None]) -> list[FieldPlan]:
    """The admin fields of ``model``: its entry id, its fields, its relationships.

    ``view_key_of(target_model)`` names the admin view of a related model (``None`` when
    it has none: the foreign key is then shown as a plain id).
    """
    schema = schema_class(model.schema)  # type: ignore[attr-defined]
    relations = relationships_of(model)
    scalar_by_fk = {
        rel.foreign_key.python_field_name: (name, rel)
        for name, rel in relations.items()
        if rel.scalar and view_key_of(rel.target) is not None
    }
    plans = [
        FieldPlan(
            StringField(
                ENTRY_ID,
                label="Entry id",
                read_only=True,
                exclude_from_create=True,
                exclude_from_edit=True,
                exclude_from_list=True,
                copy_to_clipboard=True,
            ),
            ENTRY_ID,
        )
    ]
    for field in schema.all_fields():
        name = field.python_field_name
        if name == ENTRY_ID:
            continue
        if name in scalar_by_fk:
            rel_name, rel = scalar_by_fk[name]
            required = not field.nullable
            target_key = view_key_of(rel.target)
            plans.append(FieldPlan(HasOne(rel_name, key=target_key, required=required), name, rel))
            continue
        plans.append(FieldPlan(_field_for(field), name))
    for rel_name, rel in relations.items():
        target_key = view_key_of(rel.target)
        if not rel.scalar and target_key is not None:
            many = HasMany(
                rel_name, key=target_key, read_only=True, exclude_from_create=True,
                exclude_from_edit=True, exclude_from_list=True, searchable=False,
                orderable=False,
            )  # fmt: skip
            plans.append(FieldPlan(many, None, rel))
    return plans


def _field_for(field: Any) -> BaseField:
    """The starlette-admin field editing one schema field."""
    polytype = field.polytype
    name = field.python_field_name
    common: dict[str, Any] = {
        "required": not field.nullable and field.default is None,
        "help_text": f"{polytype.sql_type}{'' if field.nullable else ', required'}",
    }
    default = field.static_default
    if default is not None:
        common["default"] = default
    if isinstance(polytype, pt.VarChar):
        return StringField(name, maxlength=polytype.length, **common)
    if isinstance(polytype, pt.Text):
        return TextAreaField(name, **common)
    if isinstance(polytype, pt.Boolean):
        common.pop("required")
        return BooleanField(name, **common)
    if isinstance(polytype, pt.PolyEnum):
        return EnumField(name, enum=polytype.python_enum, **common)
    if isinstance(polytype, pt.Decimal):
        return DecimalField(name, **common)
    if isinstance(polytype, pt.Double):
        return FloatField(name, **common)
    if isinstance(polytype, pt.BigInt | pt.Integer | pt.SmallInt | pt.TinyInt):
        return IntegerField(name, **common)
    if isinstance(polytype, pt.Timestamp):
        return DateTimeField(name, **common)
    if isinstance(polytype, pt.Date):
        return DateField(name, **common)
    if isinstance(polytype, pt.Time):
        return TimeField(name, **common)
    if isinstance(polytype, pt.Json):
        return JSONField(name, **common)
    # File, Geometry and anything new: shown, not edited
    return StringField(
        name, read_only=True, exclude_from_create=True, exclude_from_edit=True,
        searchable=False, orderable=False, help_text=polytype.sql_type,
    )  # fmt: skip
