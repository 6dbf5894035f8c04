"""DDL: namespaces, tables and the column changes a migration makes.

DDL cannot bind parameters, so DEFAULT values are rendered as literals by their polytype
(which escapes them); every name goes through :func:`~polynom.sql.names.quote`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from polynom.sql.names import entity, quote, schema_entity

if TYPE_CHECKING:
    from polynom.schema.field import Field
    from polynom.schema.schema import BaseSchema

__all__ = [
    "add_column",
    "column_definition",
    "create_namespace",
    "create_table",
    "drop_column",
    "drop_column_default",
    "drop_namespace",
    "drop_not_null",
    "drop_table",
    "rename_column",
    "rename_table",
    "set_column_default",
    "set_column_type",
    "set_not_null",
]


def create_namespace(namespace: str) -> str:
    return f"CREATE RELATIONAL NAMESPACE IF NOT EXISTS {quote(namespace)}"


def drop_namespace(namespace: str) -> str:
    return f"DROP NAMESPACE IF EXISTS {quote(namespace)}"


def column_definition(field: Field) -> str:
    """``"name" TYPE [NOT NULL] [DEFAULT literal]``."""
    parts = [quote(field.db_field_name), field.polytype.sql_type]
    if not field.nullable:
        parts.append("NOT NULL")
    default = field.static_default
    if default is not None:
        parts.append("DEFAULT " + field.polytype.sql_literal(default))
    return " ".join(parts)


def create_table(schema: type[BaseSchema], *, self_references: bool = True) -> str:
    """The entity with its columns, primary key, unique columns and foreign keys.

    Without ``self_references`` a foreign key to the entity's own table is left out (the
    store refuses it -- Polypheny: ``RelationalCatalog.java``, ``addForeignKey`` -- and the
    mapper keeps it instead)."""
    fields = schema.all_fields()
    items = [column_definition(f) for f in fields]
    keys = [quote(f.db_field_name) for f in fields if f.is_primary_key]
    items.append(f"PRIMARY KEY ({', '.join(keys)})")
    items.extend(
        f"UNIQUE ({quote(f.db_field_name)})" for f in fields if f.unique and not f.is_primary_key
    )
    for fk in schema.foreign_keys():
        if not self_references and fk.referenced_schema is schema:
            continue
        target = entity(fk.referenced_namespace_name, fk.referenced_entity_name)
        items.append(
            f"FOREIGN KEY ({quote(fk.db_field_name)}) REFERENCES {target} "
            f"({quote(fk.referenced_db_field_name)})"
        )
    return f"CREATE TABLE IF NOT EXISTS {schema_entity(schema)} ({', '.join(items)})"


def drop_table(table: str) -> str:
    return f"DROP TABLE IF EXISTS {table}"


def rename_table(table: str, new_name: str) -> str:
    return f"ALTER TABLE {table} RENAME TO {quote(new_name)}"


def add_column(table: str, field: Field) -> str:
    return f"ALTER TABLE {table} ADD COLUMN {column_definition(field)}"


def rename_column(table: str, old: str, new: str) -> str:
    return f"ALTER TABLE {table} RENAME COLUMN {quote(old)} TO {quote(new)}"


def drop_column(table: str, column: str) -> str:
    return f"ALTER TABLE {table} DROP COLUMN {quote(column)}"


def _modify_column(table: str, column: str, change: str) -> str:
    return f"ALTER TABLE {table} MODIFY COLUMN {quote(column)} {change}"


def set_column_type(table: str, column: str, sql_type: str) -> str:
    return _modify_column(table, column, f"SET TYPE {sql_type}")


def set_column_default(table: str, column: str, literal: str) -> str:
    """``SET DEFAULT literal`` (``literal`` rendered by the column's polytype)."""
    return _modify_column(table, column, f"SET DEFAULT {literal}")


def drop_column_default(table: str, column: str) -> str:
    return _modify_column(table, column, "DROP DEFAULT")


def set_not_null(table: str, column: str) -> str:
    return _modify_column(table, column, "SET NOT NULL")


def drop_not_null(table: str, column: str) -> str:
    return _modify_column(table, column, "DROP NOT NULL")
