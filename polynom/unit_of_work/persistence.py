"""Writing a flush plan through an executor, in one transaction.

Inserts go out as multi-row statements; each update batch is one statement whose conflict
check makes a concurrent change a :class:`~polynom.errors.ConflictError` rather than a lost
update; deletes are checked the same way. This module never sees a session: it gets a
:class:`~polynom.unit_of_work.ordering.FlushPlan` and an
:class:`~polynom.unit_of_work.executor.Executor`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from polynom.errors import ConflictError
from polynom.schema.schema import ENTRY_ID
from polynom.sql import dml
from polynom.sql.names import schema_entity

if TYPE_CHECKING:
    from polynom.model.model import BaseModel
    from polynom.schema.schema import BaseSchema
    from polynom.unit_of_work.executor import Executor
    from polynom.unit_of_work.ordering import FlushPlan, UpdateBatch

__all__ = ["insert_models", "insert_rows", "rows_per_statement", "write_changes"]

_MAX_ROWS_PER_STATEMENT = 1000


def rows_per_statement(max_params: int, columns: int) -> int:
    """How many rows of ``columns`` values one multi-row statement may carry."""
    return max(1, min(_MAX_ROWS_PER_STATEMENT, max_params // columns))


def write_changes(plan: FlushPlan, executor: Executor) -> None:
    """Write a flush plan: inserts, then updates, then deletes, each in the plan's order."""
    for _schema, models in plan.inserts:
        insert_models(executor, models)
    for batch in plan.updates:
        _update(executor, batch)
    for schema, models in plan.deletes:
        _delete(executor, schema, models)


def insert_models(executor: Executor, models: list[BaseModel]) -> None:
    """Insert models of one class with multi-row INSERTs."""
    mapper = type(models[0]).__mapper__
    table = schema_entity(mapper.schema)
    columns = [a.field.db_field_name for a in mapper.columns]
    convert = [(a.name, a.polytype.to_db) for a in mapper.columns]
    per_statement = rows_per_statement(executor.max_params, len(columns))
    statement = dml.insert_rows(table, columns, per_statement)
    for start in range(0, len(models), per_statement):
        chunk = models[start : start + per_statement]
        params: list[Any] = []
        for model in chunk:
            d = model.__dict__
            for name, to_db in convert:
                value = d.get(name)
                params.append(None if value is None else to_db(value))
        text = (
            statement
            if len(chunk) == per_statement
            else dml.insert_rows(table, columns, len(chunk))
        )
        executor.execute(text, params)


def insert_rows(
    executor: Executor, schema: type[BaseSchema], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert rows of store values (every field of ``schema``, in order), in chunks."""
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


def _update(executor: Executor, batch: UpdateBatch) -> None:
    table = schema_entity(batch.model.__mapper__.schema)
    statement = dml.update_checked(
        table,
        [a.field.db_field_name for a in batch.attributes],
        [(a.field.db_field_name, is_null) for a, is_null in batch.null_checks],
    )
    rows = batch.params
    if len(rows) == 1:
        matched = executor.execute(statement, rows[0]).rowcount
    else:
        matched = executor.execute_many(statement, rows)
    if matched < len(rows):
        raise ConflictError(
            f"{batch.model.__name__}: {len(rows) - matched} of {len(rows)} updated entries "
            "were changed or deleted by another session since they were read; nothing "
            "was written -- reload them and apply your change again"
        )


def _delete(executor: Executor, schema: type[BaseSchema], models: list[BaseModel]) -> None:
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
