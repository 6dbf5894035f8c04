"""The changelog rows a flush produces, as data: one row per inserted, updated or deleted entry.

The session writes them (with :func:`~polynom.unit_of_work.persistence.insert_rows`) in the
same transaction as the changes, so the log never disagrees with the data. Reading them
back is :mod:`polynom.changelog`'s job.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from polynom.schema.internal import ChangeLogSchema, next_change_seq
from polynom.schema.schema import ENTRY_ID, new_entry_id

if TYPE_CHECKING:
    from polynom.model.model import BaseModel
    from polynom.unit_of_work.ordering import FlushPlan

__all__ = ["changelog_rows", "json_changes"]


def changelog_rows(
    plan: FlushPlan, app_uuid: str, user: str, now: _dt.datetime | None = None
) -> list[list[Any]]:
    """The ``change_log`` rows (store values, in the schema's column order) for a plan."""
    now = now or _dt.datetime.now(_dt.UTC)
    rows: list[list[Any]] = []

    def record(model: BaseModel, change_type: str, changes: dict[str, list[Any]]) -> None:
        schema = type(model).__mapper__.schema
        values = {
            ENTRY_ID: new_entry_id(),
            "app_uuid": app_uuid,
            "modified_entry_id": model.__dict__[ENTRY_ID],
            "modified_entity_namespace": schema.namespace(),
            "modified_entity_name": schema.entity_name,
            "modified_by": user,
            "date_of_change": now,
            "changes": changes,
            "change_type": change_type,
            "change_seq": next_change_seq(),
        }
        rows.append(
            [
                None
                if (v := values[f.db_field_name]) is None
                else f.polytype.to_db(f.polytype.validate(v))
                for f in ChangeLogSchema.all_fields()
            ]
        )

    for _schema, models in plan.inserts:
        for model in models:
            record(model, "insert", json_changes(model, None))
    for model, changes in plan.updated:
        record(model, "update", json_changes(model, changes))
    for _schema, models in plan.deletes:
        for model in models:
            record(model, "delete", json_changes(model, "delete"))
    return rows


def json_changes(model: BaseModel, changes: dict[str, Any] | str | None) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` in JSON form: every value of an insert (``changes=None``) or
    a delete (``"delete"``), the changed fields of an update."""
    d = model.__dict__
    out: dict[str, list[Any]] = {}
    for name, attribute in type(model).__mapper__.attributes.items():
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
