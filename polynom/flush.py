"""Writing a session's changes to its store, in one transaction.

Inserts go out as multi-row statements, parents before children; updates write only the
changed fields, batched per shape, each checked against the value it replaces so that a
concurrent change is a :class:`~polynom.errors.ConflictError` rather than a lost update;
deletes go children first; with a ``log_user``, the changelog rows follow in the same
transaction.
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from polynom import sql
from polynom.errors import ConflictError
from polynom.model.model import BaseModel
from polynom.schema.schema import ENTRY_ID, BaseSchema
from polynom.schema.schema_registry import sort_by_dependency

if TYPE_CHECKING:
    from polynom.session import Session

__all__ = ["insert_models", "rows_per_statement", "write"]

_MAX_ROWS_PER_STATEMENT = 1000


def rows_per_statement(session: Session, columns: int) -> int:
    """How many rows of ``columns`` values one multi-row statement may carry on the store."""
    return max(1, min(_MAX_ROWS_PER_STATEMENT, session.application.store.max_params // columns))


def write(session: Session, updates: list[tuple[BaseModel, dict[str, Any]]]) -> None:
    """Write the session's pending inserts, the given updates and its deletes, in order."""
    by_schema: dict[type[BaseSchema], list[BaseModel]] = defaultdict(list)
    for model in session._new.values():
        by_schema[type(model)._pn_schema].append(model)
    deleted: dict[type[BaseSchema], list[BaseModel]] = defaultdict(list)
    for model in session._deleted.values():
        deleted[type(model)._pn_schema].append(model)
    order = sort_by_dependency([*by_schema, *deleted])
    for schema in order:
        if schema in by_schema:
            insert_models(session, by_schema[schema])
    _update(session, updates)
    for schema in reversed(order):
        if schema in deleted:
            _delete(session, schema, deleted[schema])
    if session.log_user is not None:
        _write_changelog(session, by_schema, updates, deleted)


def insert_models(session: Session, models: list[BaseModel]) -> None:
    """Insert models of one class with multi-row INSERTs."""
    cls = type(models[0])
    attributes = list(cls._pn_attributes.values())
    table = sql.schema_entity(cls._pn_schema)
    columns = [a.field.db_field_name for a in attributes]
    convert = [(a.name, a.polytype.to_db) for a in attributes]
    per_statement = rows_per_statement(session, len(columns))
    statement = sql.insert_rows(table, columns, per_statement)
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
            else sql.insert_rows(table, columns, len(chunk))
        )
        session.execute(text, params)


def _update(session: Session, updates: list[tuple[BaseModel, dict[str, Any]]]) -> None:
    groups: dict[tuple[type, tuple[str, ...]], list[tuple[BaseModel, dict[str, Any]]]] = (
        defaultdict(list)
    )
    for model, changes in updates:
        groups[(type(model), tuple(sorted(changes)))].append((model, changes))
    for (cls, names), items in groups.items():
        attrs = [cls._pn_attributes[n] for n in names]  # type: ignore[attr-defined]
        table = sql.schema_entity(cls._pn_schema)  # type: ignore[attr-defined]
        sets = ", ".join(f"{sql.quote(a.field.db_field_name)} = ?" for a in attrs)
        # rows whose old value is NULL need "IS NULL"; group them by that shape
        shapes: dict[tuple[bool, ...], list[list[Any]]] = defaultdict(list)
        for model, changes in items:
            d = model.__dict__
            params = [
                None if d.get(a.name) is None else a.polytype.to_db(d.get(a.name)) for a in attrs
            ]
            params.append(d[ENTRY_ID])
            shape = []
            for a in attrs:
                if not a.polytype.comparable:
                    shape.append(False)
                    continue
                old = changes[a.name]
                shape.append(old is None)
                if old is not None:
                    params.append(a.polytype.to_db(old))
            shapes[tuple(shape)].append(params)
        for null_shape, rows in shapes.items():
            checks = [
                f"{sql.quote(a.field.db_field_name)} IS NULL"
                if is_null
                else f"{sql.quote(a.field.db_field_name)} = ?"
                for a, is_null in zip(attrs, null_shape, strict=True)
                if a.polytype.comparable
            ]
            where = " AND ".join([f'"{ENTRY_ID}" = ?', *checks])
            statement = f"UPDATE {table} SET {sets} WHERE {where}"
            if len(rows) == 1:
                matched = session.execute(statement, rows[0]).rowcount
            else:
                matched = session._execute_many(statement, rows)
            if matched < len(rows):
                raise ConflictError(
                    f"{cls.__name__}: {len(rows) - matched} of {len(rows)} updated entries "
                    "were changed or deleted by another session since they were read; nothing "
                    "was written -- reload them and apply your change again"
                )


def _delete(session: Session, schema: type[BaseSchema], models: list[BaseModel]) -> None:
    table = sql.schema_entity(schema)
    per_statement = rows_per_statement(session, 1)
    for start in range(0, len(models), per_statement):
        ids = [m.__dict__[ENTRY_ID] for m in models[start : start + per_statement]]
        matched = session.execute(sql.delete_where_ids(table, len(ids)), ids).rowcount
        if 0 <= matched < len(ids):
            raise ConflictError(
                f"{schema.qualified_name()}: {len(ids) - matched} of {len(ids)} entries to "
                "delete were already deleted by another session; nothing was written"
            )


def _write_changelog(
    session: Session,
    inserted: dict[type[BaseSchema], list[BaseModel]],
    updates: list[tuple[BaseModel, dict[str, Any]]],
    deleted: dict[type[BaseSchema], list[BaseModel]],
) -> None:
    from polynom.changelog import ChangeLog

    now = _dt.datetime.now(_dt.UTC)
    entries: list[BaseModel] = []

    def record(model: BaseModel, change_type: str, changes: dict[str, list[Any]]) -> None:
        schema = type(model)._pn_schema
        entries.append(
            ChangeLog(
                app_uuid=session.application.app_uuid,
                modified_entry_id=model.__dict__[ENTRY_ID],
                modified_entity_namespace=schema.namespace(),
                modified_entity_name=schema.entity_name,
                modified_by=session.log_user,
                date_of_change=now,
                change_type=change_type,
                changes=changes,
            )
        )

    for models in inserted.values():
        for model in models:
            record(model, "insert", _json_changes(model, None))
    for model, changes in updates:
        record(model, "update", _json_changes(model, changes))
    for models in deleted.values():
        for model in models:
            record(model, "delete", _json_changes(model, "delete"))
    if entries:
        insert_models(session, entries)


def _json_changes(model: BaseModel, changes: dict[str, Any] | str | None) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` in JSON form for the changelog."""
    d = model.__dict__
    out: dict[str, list[Any]] = {}
    for name, attribute in type(model)._pn_attributes.items():
        if name == ENTRY_ID:
            continue
        to_json = attribute.polytype.to_json
        value = d.get(name)
        if changes is None:
            if value is not None:
                out[name] = [None, to_json(value)]
        elif changes == "delete":
            if value is not None:
                out[name] = [to_json(value), None]
        elif isinstance(changes, dict) and name in changes:
            old = changes[name]
            out[name] = [
                None if old is None else to_json(old),
                None if value is None else to_json(value),
            ]
    return out
