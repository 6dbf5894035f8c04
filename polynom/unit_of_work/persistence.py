"""Writing a flush plan through an executor, in one transaction.

Inserts go out as multi-row statements; each update batch is one statement whose conflict
check makes a concurrent change a :class:`~polynom.errors.ConflictError` rather than a lost
update; deletes are checked the same way. Where the store keeps no keys itself, the
mapper checks them after each write (:mod:`.integrity`). This module never sees a session:
it gets a :class:`~polynom.unit_of_work.ordering.FlushPlan` and an
:class:`~polynom.unit_of_work.executor.Executor`.

How an update batch is checked depends on what the store can be trusted with
(:class:`~polynom.stores.base.Capabilities`):

* counts per row (the embedded store): one ``UPDATE ... WHERE "_entry_id" = ? AND "c" = ?``
  per entry, sent as a batch, whose total count must be the number of entries -- every
  changed field compared with the value it replaced, as the store holds it;
* one count for the whole batch, but reads that lock (Polypheny: strict two-phase locking,
  and a batch answered with the number of rows sent, not matched -- Polypheny-DB's
  ``plugins/jdbc-adapter-framework/.../ResultSetEnumerable.java``): the entries are read
  first, each changed field compared in Python with the value it replaced (exact for every
  type, ``Json`` and ``File`` included), and the read keeps them locked until the commit;
  then the batch writes them;
* neither: one statement per entry, each count checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from polynom.errors import ConflictError
from polynom.schema.schema import ENTRY_ID
from polynom.sql import dml
from polynom.sql import select as sql_select
from polynom.sql.names import quote, schema_entity
from polynom.unit_of_work.integrity import (
    PendingReferences,
    check_deleted,
    check_written,
    needs_checks,
)

if TYPE_CHECKING:
    from polynom.model.mapper import ModelMapper
    from polynom.model.model import BaseModel
    from polynom.schema.schema import BaseSchema, Field
    from polynom.stores.base import Capabilities
    from polynom.unit_of_work.executor import Executor
    from polynom.unit_of_work.ordering import FlushPlan, UpdateBatch

__all__ = ["insert_models", "insert_rows", "rows_per_statement", "write_changes"]

_MAX_ROWS_PER_STATEMENT = 1000
#: How many statements a mapper's cache keeps before it starts again.
_MAX_CACHED = 64


def rows_per_statement(max_params: int, columns: int) -> int:
    """How many rows of ``columns`` values one multi-row statement may carry."""
    return max(1, min(_MAX_ROWS_PER_STATEMENT, max_params // columns))


def write_changes(
    plan: FlushPlan,
    executor: Executor,
    schemas: Sequence[type[BaseSchema]] = (),
    pending: PendingReferences | None = None,
) -> None:
    """Write a flush plan: inserts, then updates, then deletes, each in the plan's order.

    ``schemas`` are the entities that may reference the deleted ones (checked where the
    store does not enforce foreign keys); such foreign-key checks are left in ``pending``
    for the commit when it is given, and run at once otherwise."""
    for _schema, models in plan.inserts:
        insert_models(executor, models, pending)
    for batch in plan.updates:
        _update(executor, batch, schemas, pending)
    for schema, models in plan.deletes:
        _delete(executor, schema, models, schemas, pending)


def insert_models(
    executor: Executor, models: list[BaseModel], pending: PendingReferences | None = None
) -> None:
    """Insert models of one class with multi-row INSERTs.

    A row's values are read in one step and only the columns whose polytype converts on
    the way to the store are converted (``ModelMapper.to_db_columns``); what the inserts
    of a model class look like on this executor is worked out once (:func:`_insert_layout`)."""
    mapper = type(models[0]).__mapper__
    layout = _insert_layout(mapper, executor)
    names = mapper.names
    width = len(names)
    converts = mapper.to_db_columns
    per_statement = layout.per_statement
    checked = layout.checked
    written: list[list[Any]] = []
    for start in range(0, len(models), per_statement):
        chunk = models[start : start + per_statement] if len(models) > per_statement else models
        params: list[Any] = []
        extend = params.extend
        for model in chunk:
            extend(map(model.__dict__.get, names))
        if converts:
            for row in range(0, len(params), width):
                for i, to_db in converts:
                    value = params[row + i]
                    if value is not None:
                        params[row + i] = to_db(value)
        executor.execute(_insert_statement(mapper, layout.table, len(chunk)), params)
        if checked:
            written += [params[i : i + width] for i in range(0, len(params), width)]
    if checked:
        check_written(executor, mapper.schema, layout.fields, written, pending)


class _InsertLayout(NamedTuple):
    """What inserting a model class's entries on one executor needs, worked out once."""

    capabilities: Capabilities  # (the executor's: the key holds only its id)
    table: str
    fields: tuple[Field, ...]
    per_statement: int
    #: Whether :func:`check_written` must look at the rows (a store that lacks a check).
    checked: bool


def _insert_layout(mapper: ModelMapper, executor: Executor) -> _InsertLayout:
    schema = mapper.schema
    caps = executor.capabilities
    # the entity's name depends on the default namespace (a setting), the statement's size
    # on the executor's parameter limit, the checks on what its store enforces
    key = ("insert layout", schema.namespace(), executor.max_params, id(caps))
    cache = mapper.statement_cache
    layout = cache.get(key)
    if layout is None or layout.capabilities is not caps:
        if len(cache) >= _MAX_CACHED:
            cache.clear()
        table = schema_entity(schema)
        fields = schema.all_fields()
        layout = cache[key] = _InsertLayout(
            caps,
            table,
            fields,
            rows_per_statement(executor.max_params, len(mapper.names)),
            needs_checks(executor, schema, fields),
        )
    return layout


def _insert_statement(mapper: ModelMapper, table: str, rows: int) -> str:
    """The INSERT of ``rows`` rows of ``mapper``'s columns into ``table``, built once."""
    key = ("insert", table, rows)
    cache = mapper.statement_cache
    text = cache.get(key)
    if text is None:
        if len(cache) >= _MAX_CACHED:  # flushes of many different sizes
            cache.clear()
        columns = [a.field.db_field_name for a in mapper.columns]
        text = cache[key] = dml.insert_rows(table, columns, rows)
    return text


def insert_rows(
    executor: Executor,
    schema: type[BaseSchema],
    rows: Sequence[Sequence[Any]],
    *,
    check: bool = True,
) -> None:
    """Insert rows of store values (every field of ``schema``, in order), in chunks.

    ``check=False`` skips the key checks a store without them needs (for rows whose keys
    are fresh UUIDs, such as changelog rows made by this flush)."""
    if not rows:
        return
    table = schema_entity(schema)
    columns = [f.db_field_name for f in schema.all_fields()]
    per_statement = rows_per_statement(executor.max_params, len(columns))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        executor.execute(
            dml.insert_rows(table, columns, len(chunk)), [v for row in chunk for v in row]
        )
    if check and needs_checks(executor, schema, schema.all_fields()):
        check_written(executor, schema, schema.all_fields(), rows)


def _conflict(batch: UpdateBatch, lost: int) -> ConflictError:
    total = len(batch.params)
    return ConflictError(
        f"{batch.model.__name__}: {lost} of {total} updated entries were changed or deleted "
        "by another session since they were read; nothing was written -- reload them and "
        "apply your change again"
    )


def _update(
    executor: Executor,
    batch: UpdateBatch,
    schemas: Sequence[type[BaseSchema]],
    pending: PendingReferences | None,
) -> None:
    schema = batch.model.__mapper__.schema
    table = schema_entity(schema)
    columns = [a.field.db_field_name for a in batch.attributes]
    caps = executor.capabilities
    rows = batch.params
    exact = all(caps.compares_exactly(a.polytype.sql_type) for a, _ in batch.null_checks)
    if caps.exact_batch_counts and exact:
        statement = dml.update_checked(
            table, columns, [(a.field.db_field_name, is_null) for a, is_null in batch.null_checks]
        )
        if len(rows) == 1:
            matched = executor.execute(statement, rows[0]).rowcount
        else:
            matched = executor.execute_many(statement, rows)
        if matched < len(rows):
            raise _conflict(batch, len(rows) - matched)
    elif caps.reads_lock:
        _verify_read(executor, batch)
        plain = [row[: len(columns) + 1] for row in rows]
        statement = dml.update_checked(table, columns, [])
        if len(plain) == 1:
            executor.execute(statement, plain[0])
        else:
            executor.execute_many(statement, plain)
    else:  # counts of single statements can be trusted on every store
        statement = dml.update_checked(
            table, columns, [(a.field.db_field_name, is_null) for a, is_null in batch.null_checks]
        )
        lost = sum(1 for row in rows if executor.execute(statement, row).rowcount < 1)
        if lost:
            raise _conflict(batch, lost)
    _check_updated(executor, batch, schemas, pending)


def _verify_read(executor: Executor, batch: UpdateBatch) -> None:
    """Read the entries of ``batch`` and compare each changed field with the value it
    replaced (see the module docstring): a difference, or an entry gone, is a conflict."""
    schema = batch.model.__mapper__.schema
    attributes = batch.attributes
    columns = [quote(ENTRY_ID), *(quote(a.field.db_field_name) for a in attributes)]
    ids = [model.__dict__[ENTRY_ID] for model, _ in batch.entries]
    size = max(1, executor.max_params)
    current: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        found = executor.execute(
            sql_select.select(
                ", ".join(columns),
                schema_entity(schema),
                [sql_select.in_list(quote(ENTRY_ID), len(chunk))],
            ),
            chunk,
        ).rows
        current.update((row[0], row[1:]) for row in found)
    lost = 0
    for model, changes in batch.entries:
        stored = current.get(model.__dict__[ENTRY_ID])
        if stored is None or any(
            _differs(a.polytype, raw, changes[a.name])
            for a, raw in zip(attributes, stored, strict=True)
        ):
            lost += 1
    if lost:
        raise _conflict(batch, lost)


def _differs(polytype: Any, raw: Any, old: Any) -> bool:
    """True when the store's value is not the one a change replaced (compared as values of
    the field's type: JSON by structure, decimals by value, bytes by byte)."""
    if raw is None or old is None:
        return (raw is None) != (old is None)
    return bool(polytype.from_db(raw) != old)


def _check_updated(
    executor: Executor,
    batch: UpdateBatch,
    schemas: Sequence[type[BaseSchema]],
    pending: PendingReferences | None,
) -> None:
    """Keys set by an update: held twice? pointing nowhere? a referenced key changed?"""
    caps = executor.capabilities
    if caps.enforces_unique and caps.enforces_foreign_keys and caps.self_referencing_fk:
        return
    schema = batch.model.__mapper__.schema
    fields = [a.field for a in batch.attributes]
    width = len(fields)
    if needs_checks(executor, schema, fields):
        check_written(executor, schema, fields, [row[:width] for row in batch.params], pending)
    referenced = {
        fk.referenced_db_field_name
        for other in schemas
        for fk in other.foreign_keys()
        if fk.referenced_schema is schema
    } & {f.db_field_name for f in fields}
    if referenced:
        old_rows = []
        for _model, changes in batch.entries:
            row = {}
            for a in batch.attributes:
                if a.field.db_field_name in referenced and changes[a.name] is not None:
                    row[a.field.db_field_name] = a.polytype.to_db(changes[a.name])
            old_rows.append(row)
        check_deleted(executor, schema, old_rows, schemas, pending)


def _delete(
    executor: Executor,
    schema: type[BaseSchema],
    models: list[BaseModel],
    schemas: Sequence[type[BaseSchema]],
    pending: PendingReferences | None,
) -> None:
    table = schema_entity(schema)
    per_statement = rows_per_statement(executor.max_params, 1)
    for start in range(0, len(models), per_statement):
        ids = [m.__dict__[ENTRY_ID] for m in models[start : start + per_statement]]
        matched = executor.execute(dml.delete_where_ids(table, len(ids)), ids).rowcount
        if 0 <= matched < len(ids):
            raise ConflictError(
                f"{schema.qualified_name()}: {len(ids) - matched} of {len(ids)} entries to "
                "delete were already deleted by another session; nothing was written"
            )
    caps = executor.capabilities
    if schemas and not (caps.enforces_foreign_keys and caps.self_referencing_fk):
        keys = {fk.referenced_db_field_name for s in schemas for fk in s.foreign_keys()}
        fields = [f for f in schema.all_fields() if f.db_field_name in keys]
        if fields:
            rows = [
                {
                    f.db_field_name: None
                    if (v := m.__dict__.get(f.python_field_name)) is None
                    else f.polytype.to_db(v)
                    for f in fields
                }
                for m in models
            ]
            check_deleted(executor, schema, rows, schemas, pending)
