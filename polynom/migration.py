"""Schema snapshots and migration.

On start an application compares its registered schemas with the snapshot stored for its
``app_uuid`` in ``polynom_internal.snapshot``. New entities are simply created. Any other
difference (added, dropped or renamed fields, renamed entities, nullability, default or
type changes) is applied, keeping the data, when the application was opened with
``migrate=True``; otherwise the application refuses to start and lists the differences.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from polynom.errors import MigrationError, SchemaError
from polynom.model.model import BaseModel
from polynom.schema.internal import SchemaSnapshotSchema
from polynom.schema.polynom03_snapshot import polynom03_schemas, stored_entities
from polynom.schema.schema import ENTRY_ID, BaseSchema, Field
from polynom.sql import ddl, dml
from polynom.sql import select as sql_select
from polynom.sql.names import entity, quote, schema_entity
from polynom.unit_of_work.executor import Statements

__all__ = [
    "Plan",
    "SchemaSnapshot",
    "SchemaSnapshotSchema",
    "check_schemas",
    "plan",
    "read_snapshot",
    "snapshot_of",
]

SNAPSHOT_VERSION = 1

#: A check run before a migration is applied; it raises MigrationError.
Check = Callable[[Statements], None]


class SchemaSnapshot(BaseModel):
    """The stored snapshot of an application's schemas (``_entry_id`` is the app uuid)."""

    schema = SchemaSnapshotSchema
    snapshot: Any


def read_snapshot(statements: Statements, app_uuid: str) -> dict[str, Any] | None:
    """The snapshot stored for ``app_uuid``, read with a plain statement, or None."""
    statement = sql_select.select(
        quote("snapshot"), schema_entity(SchemaSnapshotSchema), [f"{quote(ENTRY_ID)} = ?"]
    )
    rows = statements.execute(statement, [app_uuid]).rows
    field = SchemaSnapshotSchema.field_by_db_name("snapshot")
    assert field is not None
    stored: dict[str, Any] | None = field.polytype.from_db(rows[0][0]) if rows else None
    return stored


def snapshot_of(schemas: Sequence[type[BaseSchema]]) -> dict[str, Any]:
    """The snapshot of a list of schemas, as stored: ours under ``entities``, and PolyNOM
    0.3's under ``schemas`` so that PolyNOM can still open the database
    (:mod:`polynom.schema.polynom03_snapshot`)."""
    return {
        "version": SNAPSHOT_VERSION,
        "entities": {s.qualified_name(): s.describe() for s in schemas},
        "schemas": polynom03_schemas(schemas),
    }


@dataclass
class Plan:
    """What it takes to bring the store in line with the registered schemas."""

    creations: list[type[BaseSchema]] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    #: DML run before the DDL (filling NULLs before SET NOT NULL), as (sql, params)
    fixes: list[tuple[str, list[Any]]] = field(default_factory=list)
    ddl: list[str] = field(default_factory=list)
    #: checks run before anything is applied; each raises MigrationError
    checks: list[Check] = field(default_factory=list)

    @property
    def needs_migration(self) -> bool:
        return bool(self.differences)


def plan(stored: dict[str, Any] | None, schemas: Sequence[type[BaseSchema]]) -> Plan:
    """Compare a stored snapshot with the schemas and plan the DDL."""
    result = Plan()
    try:  # ours, or one PolyNOM 0.3 wrote (read in its own format)
        old_entities: dict[str, Any] = dict(stored_entities(stored, schemas))
    except ValueError as exc:
        raise MigrationError(f"the stored schema snapshot cannot be read: {exc}") from None
    for schema in schemas:
        key = schema.qualified_name()
        if key in old_entities:
            _plan_fields(result, schema, old_entities.pop(key))
            continue
        previous = f"{schema.namespace()}.{schema.previous_name}" if schema.previous_name else None
        if previous and previous in old_entities:
            result.differences.append(f"entity {previous} renamed to {key}")
            old_table = entity(schema.namespace(), schema.previous_name or "")
            result.ddl.append(ddl.rename_table(old_table, schema.entity_name))
            _plan_fields(result, schema, old_entities.pop(previous), old_table)
            continue
        result.creations.append(schema)
    for key in old_entities:
        result.differences.append(
            f"entity {key} is no longer registered (its table and data are kept)"
        )
    return result


def _plan_fields(
    result: Plan, schema: type[BaseSchema], old: dict[str, Any], old_table: str | None = None
) -> None:
    """Plan field changes; checks and fixes run before the DDL, so they use the old names."""
    table = schema_entity(schema)
    old_table = old_table or table
    name = schema.qualified_name()
    old_fields = {f["name"]: f for f in old["fields"]}
    renames, adds, alters, drops = [], [], [], []
    for current in schema.all_fields():
        desc = current.describe()
        before = old_fields.pop(current.db_field_name, None)
        old_column = current.db_field_name
        if before is None and current.previous_name and current.previous_name in old_fields:
            old_column = current.previous_name
            before = old_fields.pop(current.previous_name)
            result.differences.append(
                f"{name}: field {current.previous_name} renamed to {current.db_field_name}"
            )
            renames.append(ddl.rename_column(table, current.previous_name, current.db_field_name))
        if before is None:
            if current.is_foreign_key:
                raise MigrationError(
                    f"{name}: adding the foreign key field {current.db_field_name} to an existing "
                    "entity is not supported by automatic migration; add it as a new entity or "
                    "migrate by hand"
                )
            result.differences.append(
                f"{name}: field {current.db_field_name} added ({current.polytype.sql_type})"
            )
            adds.append(ddl.add_column(table, current))
            if not current.nullable and current.static_default is None:
                result.checks.append(_must_be_empty(old_table, name, current.db_field_name))
            continue
        alters.extend(
            _plan_alter(result, table, name, current, desc, before, old_table, old_column)
        )
    for gone in old_fields:
        result.differences.append(f"{name}: field {gone} dropped (its data is deleted)")
        drops.append(ddl.drop_column(table, gone))
    result.ddl.extend([*renames, *adds, *alters, *drops])


def _plan_alter(
    result: Plan,
    table: str,
    name: str,
    current: Field,
    desc: dict[str, Any],
    before: dict[str, Any],
    old_table: str,
    old_column: str,
) -> list[str]:
    column = current.db_field_name
    label = f"{name}: field {current.db_field_name}"
    changes: list[str] = []
    if desc["references"] != before.get("references"):
        raise MigrationError(
            f"{label}: its foreign key changed ({before.get('references')} -> "
            f"{desc['references']}); automatic migration cannot change foreign keys"
        )
    if desc["unique"] != before.get("unique"):
        raise MigrationError(
            f"{label}: unique changed to {desc['unique']}; automatic migration cannot change "
            "unique constraints"
        )
    if desc["sql_type"] != before.get("sql_type") or desc["polytype"] != before.get("polytype"):
        result.differences.append(
            f"{label} type changed {before.get('sql_type')} -> {desc['sql_type']}"
        )
        if desc["sql_type"] != before.get("sql_type"):
            changes.append(ddl.set_column_type(table, column, current.polytype.sql_type))
    if desc["default"] != before.get("default"):
        result.differences.append(
            f"{label} default changed {before.get('default')!r} -> {desc['default']!r}"
        )
        if current.static_default is None:
            changes.append(ddl.drop_column_default(table, column))
        else:
            literal = current.polytype.sql_literal(current.static_default)
            changes.append(ddl.set_column_default(table, column, literal))
    if desc["nullable"] != before.get("nullable"):
        result.differences.append(
            f"{label} {'became nullable' if desc['nullable'] else 'became required (NOT NULL)'}"
        )
        if desc["nullable"]:
            changes.append(ddl.drop_not_null(table, column))
        else:
            if current.static_default is not None:
                result.fixes.append(
                    (
                        dml.fill_nulls(old_table, old_column),
                        [current.polytype.to_db(current.static_default)],
                    )
                )
            else:
                result.checks.append(_no_nulls(old_table, label, old_column))
            changes.append(ddl.set_not_null(table, column))
    return changes


def _no_nulls(table: str, label: str, column: str) -> Check:
    def check(statements: Statements) -> None:
        rows = statements.execute(sql_select.count(table, [f"{quote(column)} IS NULL"])).rows
        if rows[0][0]:
            raise MigrationError(
                f"{label} cannot become NOT NULL: {rows[0][0]} entries have no value; give the "
                "field a default or fill the values first"
            )

    return check


def _must_be_empty(table: str, name: str, column: str) -> Check:
    def check(statements: Statements) -> None:
        rows = statements.execute(sql_select.count(table)).rows
        if rows[0][0]:
            raise MigrationError(
                f"{name}: the new required field {column} needs a default, since the entity "
                f"already has {rows[0][0]} entries"
            )

    return check


def check_schemas(schemas: Sequence[type[BaseSchema]]) -> None:
    """Reject two schemas mapping the same entity."""
    seen: dict[str, type[BaseSchema]] = {}
    for schema in schemas:
        key = schema.qualified_name()
        if key in seen and seen[key] is not schema:
            raise SchemaError(
                f"{seen[key].__name__} and {schema.__name__} both map the entity {key}; pass the "
                "application the schemas it manages with schemas=[...]"
            )
        seen[key] = schema
