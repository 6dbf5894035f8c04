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
from typing import TYPE_CHECKING, Any

from polynom import config, sql
from polynom.errors import MigrationError, SchemaError
from polynom.model.model import BaseModel
from polynom.schema.field import Field
from polynom.schema.polytypes import Json
from polynom.schema.schema import BaseSchema

if TYPE_CHECKING:
    from polynom.session import Session

__all__ = ["Plan", "SchemaSnapshot", "plan", "snapshot_of"]

SNAPSHOT_VERSION = 1


class SchemaSnapshotSchema(BaseSchema):
    entity_name = config.get(config.SNAPSHOT_TABLE)
    namespace_name = config.get(config.INTERNAL_NAMESPACE)
    fields = [Field("snapshot", Json(), nullable=False)]


class SchemaSnapshot(BaseModel):
    """The stored snapshot of an application's schemas (``_entry_id`` is the app uuid)."""

    schema = SchemaSnapshotSchema
    snapshot: Any


def snapshot_of(schemas: Sequence[type[BaseSchema]]) -> dict[str, Any]:
    """The snapshot of a list of schemas, as stored."""
    return {
        "version": SNAPSHOT_VERSION,
        "entities": {s.qualified_name(): s.describe() for s in schemas},
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
    checks: list[Callable[[Session], None]] = field(default_factory=list)

    @property
    def needs_migration(self) -> bool:
        return bool(self.differences)


def plan(stored: dict[str, Any] | None, schemas: Sequence[type[BaseSchema]]) -> Plan:
    """Compare a stored snapshot with the schemas and plan the DDL."""
    result = Plan()
    old_entities: dict[str, Any] = dict((stored or {}).get("entities", {}))
    for schema in schemas:
        key = schema.qualified_name()
        if key in old_entities:
            _plan_fields(result, schema, old_entities.pop(key))
            continue
        previous = f"{schema.namespace()}.{schema.previous_name}" if schema.previous_name else None
        if previous and previous in old_entities:
            result.differences.append(f"entity {previous} renamed to {key}")
            result.ddl.append(
                f"ALTER TABLE {sql.entity(schema.namespace(), schema.previous_name or '')} "
                f"RENAME TO {sql.quote(schema.entity_name)}"
            )
            old_table = sql.entity(schema.namespace(), schema.previous_name or "")
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
    table = sql.schema_entity(schema)
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
            renames.append(
                f"ALTER TABLE {table} RENAME COLUMN {sql.quote(current.previous_name)} "
                f"TO {sql.quote(current.db_field_name)}"
            )
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
            adds.append(sql.add_column(table, current))
            if not current.nullable and current.static_default is None:
                result.checks.append(_must_be_empty(old_table, name, current.db_field_name))
            continue
        alters.extend(
            _plan_alter(result, table, name, current, desc, before, old_table, old_column)
        )
    for gone in old_fields:
        result.differences.append(f"{name}: field {gone} dropped (its data is deleted)")
        drops.append(f"ALTER TABLE {table} DROP COLUMN {sql.quote(gone)}")
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
    column = f"ALTER TABLE {table} MODIFY COLUMN {sql.quote(current.db_field_name)}"
    label = f"{name}: field {current.db_field_name}"
    ddl: list[str] = []
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
            ddl.append(f"{column} SET TYPE {current.polytype.sql_type}")
    if desc["default"] != before.get("default"):
        result.differences.append(
            f"{label} default changed {before.get('default')!r} -> {desc['default']!r}"
        )
        if current.static_default is None:
            ddl.append(f"{column} DROP DEFAULT")
        else:
            ddl.append(
                f"{column} SET DEFAULT {current.polytype.sql_literal(current.static_default)}"
            )
    if desc["nullable"] != before.get("nullable"):
        result.differences.append(
            f"{label} {'became nullable' if desc['nullable'] else 'became required (NOT NULL)'}"
        )
        if desc["nullable"]:
            ddl.append(f"{column} DROP NOT NULL")
        else:
            quoted = sql.quote(old_column)
            if current.static_default is not None:
                result.fixes.append(
                    (
                        f"UPDATE {old_table} SET {quoted} = ? WHERE {quoted} IS NULL",
                        [current.polytype.to_db(current.static_default)],
                    )
                )
            else:
                result.checks.append(_no_nulls(old_table, label, quoted))
            ddl.append(f"{column} SET NOT NULL")
    return ddl


def _no_nulls(table: str, label: str, quoted: str) -> Callable[[Session], None]:
    def check(session: Session) -> None:
        rows = session.execute(f"SELECT COUNT(*) FROM {table} WHERE {quoted} IS NULL").rows
        if rows[0][0]:
            raise MigrationError(
                f"{label} cannot become NOT NULL: {rows[0][0]} entries have no value; give the "
                "field a default or fill the values first"
            )

    return check


def _must_be_empty(table: str, name: str, column: str) -> Callable[[Session], None]:
    def check(session: Session) -> None:
        rows = session.execute(f"SELECT COUNT(*) FROM {table}").rows
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
