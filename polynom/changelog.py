"""The changelog: who changed which entry, when, and how (``polynom_internal.change_log``).

A session with a ``log_user`` writes one row per inserted, updated or deleted entry in the
same transaction as the change itself, so the log never disagrees with the data. Read it
back with :func:`history`.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from polynom.model.model import BaseModel, model_for_schema
from polynom.schema.internal import ChangeLogSchema
from polynom.schema.schema import ENTRY_ID, BaseSchema
from polynom.session import Session

__all__ = ["ChangeLog", "ChangeLogSchema", "ChangeRecord", "history"]


class ChangeLog(BaseModel):
    """One changelog row, as a model (for reading it back)."""

    schema = ChangeLogSchema


@dataclass(frozen=True)
class ChangeRecord:
    """One change of one entry."""

    entry_id: str
    namespace: str
    entity: str
    user: str
    date: _dt.datetime
    change_type: str | None
    changes: dict[str, tuple[Any, Any]]


def history(session: Session, entry: BaseModel | str) -> list[ChangeRecord]:
    """The recorded changes of an entry (a model or its ``_entry_id``), oldest first.

    Values are decoded exactly with the polytypes of ``session``'s application's schemas.
    """
    entry_id = entry.__dict__[ENTRY_ID] if isinstance(entry, BaseModel) else entry
    rows = (
        ChangeLog.query(session)
        .filter_by(app_uuid=session.application.app_uuid, modified_entry_id=entry_id)
        .order_by("change_seq", "date_of_change")
        .all()
    )
    schemas = session.application.schemas
    return [_record(row, schemas) for row in rows]


def _record(row: Any, schemas: list[type[BaseSchema]]) -> ChangeRecord:
    model = _model_for(schemas, row.modified_entity_namespace, row.modified_entity_name)
    changes: dict[str, tuple[Any, Any]] = {}
    attributes = model.__mapper__.attributes if model is not None else {}
    for name, (old, new) in row.changes.items():
        attribute = attributes.get(name)
        if attribute is not None:
            from_json = attribute.polytype.from_json
            old = None if old is None else from_json(old)
            new = None if new is None else from_json(new)
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
