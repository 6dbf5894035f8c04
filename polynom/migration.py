"""Schema snapshots and migration.

On start an application compares its registered schemas with the snapshot stored for its
``app_uuid`` in ``polynom_internal.snapshot``. New entities are simply created. Any other
difference (added, dropped or renamed fields, renamed entities, nullability, default or
type changes) is applied, keeping the data, when the application was opened with
``migrate=True``; otherwise the application refuses to start and lists the differences.

A migration never changes data without a word: every change is checked against the data
before anything is changed (a type change that would alter a stored value is refused unless
the field asks for the conversion with ``convert=``), and it is applied as undoable steps
(:mod:`polynom.migration_steps`): if one fails, those before it are undone and the schema,
data and snapshot are as they were, on every store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from polynom import migration_steps as steps
from polynom.errors import MigrationError, SchemaError
from polynom.migration_steps import Runner, Step
from polynom.model.model import BaseModel
from polynom.schema.internal import SchemaSnapshotSchema
from polynom.schema.polynom03_snapshot import polynom03_schemas, stored_entities
from polynom.schema.schema import ENTRY_ID, BaseSchema, Field
from polynom.sql import ddl
from polynom.sql import select as sql_select
from polynom.sql.names import entity, quote, schema_entity
from polynom.unit_of_work.executor import Statements

__all__ = [
    "Change",
    "Plan",
    "SchemaSnapshot",
    "SchemaSnapshotSchema",
    "check_schemas",
    "plan",
    "read_snapshot",
    "snapshot_of",
]

SNAPSHOT_VERSION = 1


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
    """What it takes to bring the store in line with the registered schemas.

    ``changes`` are the changes to existing entities, in the order they are applied. Each
    first looks at the data (:meth:`Change.prepare`: refusing what would lose or silently
    change data, reading what its undo needs) -- all of them before anything is changed --
    and then gives the :class:`~polynom.migration_steps.Step` s that apply it.
    """

    creations: list[type[BaseSchema]] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def needs_migration(self) -> bool:
        return bool(self.differences)

    def prepare(self, runner: Runner) -> list[Step]:
        """Check every change against the data and return all their steps, in order; raises
        :class:`MigrationError` (having changed nothing) when one is refused."""
        steps: list[Step] = []
        for change in self.changes:
            steps.extend(change.prepare(runner))
        return steps


class Change:
    """One change of an existing entity (see :class:`Plan`)."""

    def prepare(self, runner: Runner) -> list[Step]:
        raise NotImplementedError


@dataclass
class _Ddl(Change):
    """A DDL statement that needs no look at the data, and its inverse."""

    statement: str
    undo: str | None

    def prepare(self, runner: Runner) -> list[Step]:
        return [steps.ddl_step(self.statement, self.undo)]


@dataclass
class _AddColumn(Change):
    """A new field: added nullable, filled with its default, then given its default and
    made required -- the only way Polypheny takes a required field (it refuses ``ADD COLUMN
    ... NOT NULL`` without a default, even on an empty entity, and the defaults of most
    types: ``DdlManagerImpl.createColumn``, ``AbstractJdbcStore.java``)."""

    name: str
    old_table: str
    table: str
    field: Field

    def prepare(self, runner: Runner) -> list[Step]:
        f, column = self.field, self.field.db_field_name
        default = f.static_default
        if not f.nullable and default is None:
            count = runner.dml(sql_select.count(self.old_table)).rows[0][0]
            if count:
                raise MigrationError(
                    f"{self.name}: the new required field {column} needs a default, since the "
                    f"entity already has {count} entries"
                )
        found = [steps.add_column_step(self.table, column, f.polytype.sql_type)]
        if default is not None:
            found.append(steps.fill_step(self.table, column, f.polytype.to_db(default), None))
            literal = f.polytype.sql_literal(default)
            found.append(
                steps.ddl_step(
                    ddl.set_column_default(self.table, column, literal),
                    ddl.drop_column_default(self.table, column),
                )
            )
        if not f.nullable:
            found.append(
                steps.ddl_step(
                    ddl.set_not_null(self.table, column), ddl.drop_not_null(self.table, column)
                )
            )
        return found


@dataclass
class _Required(Change):
    """A field that becomes required: its NULLs filled from its default, or refused when
    it has none -- checked here, since Polypheny's ``SET NOT NULL`` never looks at the data
    (``DdlManagerImpl.setColumnNullable``)."""

    label: str
    old_table: str
    old_column: str
    table: str
    field: Field

    def prepare(self, runner: Runner) -> list[Step]:
        column = self.field.db_field_name
        nulls = [
            entry
            for entry, value in steps.read_column(runner, self.old_table, self.old_column)
            if value is None
        ]
        default = self.field.static_default
        found = []
        if nulls:
            if default is None:
                raise MigrationError(
                    f"{self.label} cannot become NOT NULL: {len(nulls)} entries have no value; "
                    "give the field a default or fill the values first"
                )
            value = self.field.polytype.to_db(default)
            found.append(steps.fill_step(self.table, column, value, nulls))
        found.append(
            steps.ddl_step(
                ddl.set_not_null(self.table, column), ddl.drop_not_null(self.table, column)
            )
        )
        return found


@dataclass
class _TypeChange(Change):
    """A field's type changes. Every stored value is converted in Python first; a value
    that would change (``Decimal(10, 2)`` -> ``Decimal(10, 1)`` turns 1.25 into 1.3) refuses
    the migration, naming the field and the value, unless the field says ``convert=`` (see
    :func:`~polynom.migration_steps.conversion`). After ``SET TYPE`` the converted values are
    written, so the store holds exactly what the model reads (no later update then finds a
    stored value it did not expect)."""

    label: str
    old_table: str
    old_column: str
    table: str
    field: Field
    old_sql_type: str
    old_polytype: Any
    set_type: bool

    def prepare(self, runner: Runner) -> list[Step]:
        f, column = self.field, self.field.db_field_name
        convert = getattr(f, "convert", None)
        converter = steps.conversion(self.old_polytype, f.polytype, convert)
        saved = steps.read_column(runner, self.old_table, self.old_column)
        converted: list[tuple[str, Any]] = []
        before: list[tuple[str, Any]] = []  # changed values the old type holds too
        for entry, raw in saved:
            if raw is None:
                continue
            try:
                value, changed = converter(raw)
            except (ValueError, TypeError, ArithmeticError) as exc:
                if convert is None:
                    raise self._would_change(entry, raw, str(exc)) from None
                raise MigrationError(
                    f"{self.label}: entry {entry}: {exc}; the migration was not applied"
                ) from None
            if changed and convert is None:
                raise self._would_change(entry, raw, f"it would read {_short(value)}")
            converted.append((entry, value))
            if changed and self._old_holds(value):
                before.append((entry, value))
        found = []
        if before:
            found.append(
                steps.rewrite_step(
                    self.old_table,
                    self.old_column,
                    before,
                    f"write the {len(before)} converted values of {column}",
                    undo=saved,
                )
            )
        if self.set_type:
            found.append(
                steps.set_type_step(
                    self.table, column, self.old_sql_type, f.polytype.sql_type, saved
                )
            )
        found.append(steps.settle_step(self.table, column, converted))
        return found

    def _old_holds(self, store_value: Any) -> bool:
        """Whether the old type takes a converted value (it is written before the type
        changes, so the store's own conversion cannot refuse it)."""
        old = self.old_polytype
        if old is None:
            return False
        try:
            old.validate(self.field.polytype.from_db(store_value))
        except (TypeError, ValueError, ArithmeticError):
            return False
        return True

    def _would_change(self, entry: str, raw: Any, why: str) -> MigrationError:
        return MigrationError(
            f"{self.label}: changing the type would change stored values, e.g. {_short(raw)} "
            f"of entry {entry} ({why}); the migration was not applied. Declare the field with "
            "convert=True (or a function) to convert them"
        )


@dataclass
class _DropColumn(Change):
    """A field removed: its values are read first, so that undoing the migration can put
    the column back as it was."""

    old_table: str
    table: str
    column: str
    before: dict[str, Any]

    def prepare(self, runner: Runner) -> list[Step]:
        saved = steps.read_column(runner, self.old_table, self.column)
        return [steps.drop_column_step(self.table, self.column, self.before, saved)]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _literal(polytype: Any, description: dict[str, Any]) -> str | None:
    """The SQL literal of a snapshot's default (``description["default"]``), or None."""
    default = description.get("default")
    if default is None or polytype is None:
        return None
    try:
        return str(polytype.sql_literal(polytype.from_json(default)))
    except (TypeError, ValueError):
        return None


def plan(stored: dict[str, Any] | None, schemas: Sequence[type[BaseSchema]]) -> Plan:
    """Compare a stored snapshot with the schemas and plan the changes."""
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
            result.changes.append(
                _Ddl(
                    ddl.rename_table(old_table, schema.entity_name),
                    ddl.rename_table(schema_entity(schema), schema.previous_name or ""),
                )
            )
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
    """Plan field changes; what a change reads first uses the old names (nothing has been
    renamed then), what it changes the new ones."""
    table = schema_entity(schema)
    old_table = old_table or table
    name = schema.qualified_name()
    old_fields = {f["name"]: f for f in old["fields"]}
    renames: list[Change] = []
    adds: list[Change] = []
    alters: list[Change] = []
    drops: list[Change] = []
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
                _Ddl(
                    ddl.rename_column(table, current.previous_name, current.db_field_name),
                    ddl.rename_column(table, current.db_field_name, current.previous_name),
                )
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
            adds.append(_AddColumn(name, old_table, table, current))
            continue
        alters.extend(
            _plan_alter(result, table, name, current, desc, before, old_table, old_column)
        )
    for gone, before in old_fields.items():
        result.differences.append(f"{name}: field {gone} dropped (its data is deleted)")
        described = dict(before)
        described["default_literal"] = _literal(steps.polytype_of(before.get("polytype")), before)
        drops.append(_DropColumn(old_table, table, gone, described))
    result.changes.extend([*renames, *adds, *alters, *drops])


def _plan_alter(
    result: Plan,
    table: str,
    name: str,
    current: Field,
    desc: dict[str, Any],
    before: dict[str, Any],
    old_table: str,
    old_column: str,
) -> list[Change]:
    column = current.db_field_name
    label = f"{name}: field {current.db_field_name}"
    changes: list[Change] = []
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
        changes.append(
            _TypeChange(
                label,
                old_table,
                old_column,
                table,
                current,
                str(before.get("sql_type")),
                steps.polytype_of(before.get("polytype")),
                desc["sql_type"] != before.get("sql_type"),
            )
        )
    if desc["default"] != before.get("default"):
        result.differences.append(
            f"{label} default changed {before.get('default')!r} -> {desc['default']!r}"
        )
        old_literal = _literal(steps.polytype_of(before.get("polytype")), before)
        undo = (
            ddl.drop_column_default(table, column)
            if old_literal is None
            else ddl.set_column_default(table, column, old_literal)
        )
        if current.static_default is None:
            changes.append(_Ddl(ddl.drop_column_default(table, column), undo))
        else:
            literal = current.polytype.sql_literal(current.static_default)
            changes.append(_Ddl(ddl.set_column_default(table, column, literal), undo))
    if desc["nullable"] != before.get("nullable"):
        result.differences.append(
            f"{label} {'became nullable' if desc['nullable'] else 'became required (NOT NULL)'}"
        )
        if desc["nullable"]:
            changes.append(_Ddl(ddl.drop_not_null(table, column), ddl.set_not_null(table, column)))
        else:
            changes.append(_Required(label, old_table, old_column, table, current))
    return changes


#: Namespace names Polypheny refuses (Polypheny-DB's ``core/.../ddl/DdlManager.java``,
#: ``blockedNamespaceNames``).
BLOCKED_NAMESPACES = frozenset({"namespace", "db", "schema", "graph", "database"})


def check_schemas(schemas: Sequence[type[BaseSchema]]) -> None:
    """Reject two schemas mapping the same entity, and names Polypheny cannot keep apart.

    Polypheny lower-cases namespace names, and table and column names in its (always
    case-insensitive) relational namespaces, even when quoted (Polypheny-DB's
    ``dbms/.../ddl/DdlManagerImpl.java``, ``adjustNameIfNeeded``): ``Bike`` and ``bike`` are
    one entity there, on every store here too."""
    seen: dict[str, type[BaseSchema]] = {}
    for schema in schemas:
        key = schema.qualified_name()
        if key in seen and seen[key] is not schema:
            raise SchemaError(
                f"{seen[key].__name__} and {schema.__name__} both map the entity {key}; pass the "
                "application the schemas it manages with schemas=[...]"
            )
        seen[key] = schema
        if schema.namespace().lower() in BLOCKED_NAMESPACES:
            raise SchemaError(
                f"{schema.__name__}: Polypheny does not allow a namespace named "
                f"{schema.namespace()!r}; choose another namespace_name"
            )
        columns: dict[str, str] = {}
        for f in schema.all_fields():
            other = columns.setdefault(f.db_field_name.lower(), f.db_field_name)
            if other != f.db_field_name:
                raise SchemaError(
                    f"{schema.__name__}: the fields {other!r} and {f.db_field_name!r} differ only "
                    "in case, which Polypheny does not tell apart"
                )
    folded: dict[str, str] = {}
    for key in seen:
        other = folded.setdefault(key.lower(), key)
        if other != key:
            raise SchemaError(
                f"the entities {other} and {key} differ only in case, which Polypheny does not "
                "tell apart (it lower-cases names)"
            )
