"""Declarative schemas: entities, fields and polytypes."""

from polynom.schema.field import Field, ForeignKeyField, PrimaryKeyField
from polynom.schema.schema import BaseSchema, DataModel
from polynom.schema.schema_registry import polynom_schema

__all__ = [
    "BaseSchema",
    "DataModel",
    "Field",
    "ForeignKeyField",
    "PrimaryKeyField",
    "polynom_schema",
]
