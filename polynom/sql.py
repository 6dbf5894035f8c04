"""The one place that writes Polypheny SQL.

Identifiers are validated and double-quoted; values are always bound as ``?`` parameters,
except DEFAULT literals in DDL, which polytypes render and escape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from polynom.errors import SchemaError

if TYPE_CHECKING:
    from polynom.schema.field import Field
    from polynom.schema.schema import BaseSchema

__all__ = [
    "add_column",
    "create_namespace",
    "create_table",
    "delete_where_ids",
    "entity",
    "insert_rows",
    "quote",
]


def quote(name: str) -> str:
    """A validated, double-quoted identifier."""
    if (
        not isinstance(name, str)
        or not name
        or len(name) > 128
        or '"' in name
        or "\x00" in name
        or not name.isprintable()
    ):
        raise SchemaError(
            f"{name!r} cannot be used as a name: use 1-128 printable characters without '\"'"
        )
    return f'"{name}"'


def entity(namespace: str, name: str) -> str:
    """``"namespace"."entity"``."""
    return f"{quote(namespace)}.{quote(name)}"


def schema_entity(schema: type[BaseSchema]) -> str:
    return entity(schema.namespace(), schema.entity_name)


# -- DDL -----------------------------------------------------------------------------------


def create_namespace(namespace: str) -> str:
    return f"CREATE RELATIONAL NAMESPACE IF NOT EXISTS {quote(namespace)}"


def column_definition(field: Field) -> str:
    parts = [quote(field.db_field_name), field.polytype.sql_type]
    if not field.nullable:
        parts.append("NOT NULL")
    default = field.static_default
    if default is not None:
        parts.append("DEFAULT " + field.polytype.sql_literal(default))
    return " ".join(parts)


def create_table(schema: type[BaseSchema]) -> str:
    fields = schema.all_fields()
    items = [column_definition(f) for f in fields]
    keys = [quote(f.db_field_name) for f in fields if f.is_primary_key]
    items.append(f"PRIMARY KEY ({', '.join(keys)})")
    items.extend(
        f"UNIQUE ({quote(f.db_field_name)})" for f in fields if f.unique and not f.is_primary_key
    )
    for fk in schema.foreign_keys():
        target = entity(fk.referenced_namespace_name, fk.referenced_entity_name)
        items.append(
            f"FOREIGN KEY ({quote(fk.db_field_name)}) REFERENCES {target} "
            f"({quote(fk.referenced_db_field_name)})"
        )
    return f"CREATE TABLE IF NOT EXISTS {schema_entity(schema)} ({', '.join(items)})"


def add_column(table: str, field: Field) -> str:
    return f"ALTER TABLE {table} ADD COLUMN {column_definition(field)}"


# -- DML -----------------------------------------------------------------------------------


def insert_rows(table: str, columns: Sequence[str], row_count: int) -> str:
    """A multi-row ``INSERT`` for ``row_count`` rows of ``columns``."""
    cols = ", ".join(quote(c) for c in columns)
    row = "(" + ", ".join("?" * len(columns)) + ")"
    return f"INSERT INTO {table} ({cols}) VALUES " + ", ".join([row] * row_count)


def delete_where_ids(table: str, count: int) -> str:
    marks = ", ".join("?" * count)
    return f'DELETE FROM {table} WHERE "_entry_id" IN ({marks})'
