"""The changelog: who changed which entry, when, and how (``polynom_internal.change_log``).

A session with a ``log_user`` writes one row per inserted, updated or deleted entry in the
same transaction as the change itself, so the log never disagrees with the data. Read it
back with :func:`history`.

The table is PolyNOM 0.3's, with two columns more (``change_type``, ``change_seq``). A
database PolyNOM 0.3 wrote has only its 7 (+ ``_entry_id``): :func:`upgrade_statements` adds
ours in place -- nullable, so the old rows stay as they are -- and :func:`history` reads
those old rows too, decoding PolyNOM's value encoding (decimals as floats, Json as JSON text).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from polynom.model.model import BaseModel, model_for_schema
from polynom.schema.internal import ChangeLogSchema
from polynom.schema.polynom03_values import from_polynom03_json
from polynom.schema.schema import ENTRY_ID, BaseSchema
from polynom.session import Session
from polynom.sql import ddl
from polynom.sql import select as sql_select
from polynom.sql.names import schema_entity
from polynom.unit_of_work.executor import Statements

__all__ = ["ChangeLog", "ChangeLogSchema", "ChangeRecord", "history", "upgrade_statements"]


class ChangeLog(BaseModel):
    """One changelog row, as a model (for reading it back)."""

    schema = ChangeLogSchema


@dataclass(frozen=True)
class ChangeRecord:
    """One change of one entry.

    ``change_type`` is ``"insert"``, ``"update"`` or ``"delete"``, or None for a change
    PolyNOM 0.3 recorded (it did not say which, and never recorded deletes).
    """

    entry_id: str
    namespace: str
    entity: str
    user: str
    date: _dt.datetime
    change_type: str | None
    changes: dict[str, tuple[Any, Any]]


def upgrade_statements(statements: Statements) -> list[str]:
    """The DDL that brings an existing ``change_log`` up to ours: the columns it lacks.

    ``statements`` reads one row of the table (any connection); the columns come from the
    result's labels, compared case-insensitively (Polypheny lower-cases them).
    """
    table = schema_entity(ChangeLogSchema)
    result = statements.execute(sql_select.select("*", table, limit=1))
    present = {c.lower() for c in result.columns}
    if not present:
        return []
    return [
        ddl.add_column(table, f)
        for f in ChangeLogSchema.all_fields()
        if f.db_field_name.lower() not in present
    ]


def history(session: Session, entry: BaseModel | str) -> list[ChangeRecord]:
    """The recorded changes of an entry (a model or its ``_entry_id``), oldest first.

    Values are decoded exactly with the polytypes of ``session``'s application's schemas.
    """
    entry_id = entry.__dict__[ENTRY_ID] if isinstance(entry, BaseModel) else entry
    rows = (
        ChangeLog.query(session)
        .filter_by(app_uuid=session.application.app_uuid, modified_entry_id=entry_id)
        .all()
    )
    # Oldest first: by time, then (within one instant) by our sequence number; PolyNOM's rows
    # have none and come first within their (whole) second.
    rows.sort(key=lambda r: (r.date_of_change, r.change_seq is not None, r.change_seq or 0))
    schemas = session.application.schemas
    return [_record(row, schemas) for row in rows]


def _record(row: Any, schemas: list[type[BaseSchema]]) -> ChangeRecord:
    model = _model_for(schemas, row.modified_entity_namespace, row.modified_entity_name)
    changes: dict[str, tuple[Any, Any]] = {}
    attributes = model.__mapper__.attributes if model is not None else {}
    written_by_polynom03 = row.change_seq is None and row.change_type is None
    raw = row.changes if isinstance(row.changes, dict) else {}
    for name, pair in raw.items():
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        attribute = attributes.get(name)
        if attribute is not None:
            polytype = attribute.polytype
            if written_by_polynom03:
                old, new = from_polynom03_json(polytype, old), from_polynom03_json(polytype, new)
            else:
                old = None if old is None else polytype.from_json(old)
                new = None if new is None else polytype.from_json(new)
        changes[name] = (old, new)
    return ChangeRecord(
        entry_id=row.modified_entry_id,
        namespace=row.modified_entity_namespace,
        entity=row.modified_entity_name,
        user=row.modified_by,
        date=row.date_of_change,
        change_type=row.change_type,
        changes=changes,
    )


def _model_for(
    schemas: list[type[BaseSchema]], namespace: str, entity: str
) -> type[BaseModel] | None:
    """The model of the application's schema for an entity, to decode values exactly."""
    for schema in schemas:
        if schema.entity_name == entity and schema.namespace() == namespace:
            return model_for_schema(schema)
    return None
