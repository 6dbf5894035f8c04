"""PolyNOM 0.3's schema snapshots, written and read.

PolyNOM keeps, per application, ``{"version": "<%Y%m%dT%H%M%S>", "schemas": [<entity>...]}``
in ``polynom_internal.snapshot``: each entity as :meth:`BaseSchema._to_dict` renders it, its
fields' types by class name only (``VarChar`` without its length, ``Decimal`` without
precision), and its own ``snapshot`` and ``change_log`` entities among them.

Our snapshots keep our exact description under ``"entities"`` *and* PolyNOM's under
``"schemas"``, so PolyNOM 0.3 still opens a database that polynom opened (it reads only
``"schemas"``, and finds no difference when the declarations are the same). Reading a
snapshot PolyNOM wrote, :func:`stored_entities` turns it into our description: what PolyNOM
recorded (fields, names, types by class, nullability, uniqueness, defaults, foreign keys) is
compared for real; what it did not record (a ``VarChar``'s length, a ``Decimal``'s
precision) is taken from the current schema, as PolyNOM itself could not tell.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

from polynom import config
from polynom.schema.internal import ChangeLogSchema, SchemaSnapshotSchema
from polynom.schema.schema import ENTRY_ID, BaseSchema, Field

__all__ = [
    "POLYNOM03_CHANGE_LOG_COLUMNS",
    "Polynom03ChangeLogSchema",
    "is_polynom03",
    "polynom03_schemas",
    "polynom03_snapshot",
    "stored_entities",
]

#: The columns of PolyNOM 0.3's ``change_log`` (``_entry_id`` and its 7).
POLYNOM03_CHANGE_LOG_COLUMNS = tuple(f.db_field_name for f in ChangeLogSchema.all_fields()[:8])


class Polynom03ChangeLogSchema(BaseSchema):
    """``polynom_internal.change_log`` as PolyNOM 0.3 declared it (without our 2 columns)."""

    entity_name = ChangeLogSchema.entity_name
    namespace_name = ChangeLogSchema.namespace_name
    fields = [f for f in ChangeLogSchema.fields if f.db_field_name in POLYNOM03_CHANGE_LOG_COLUMNS]


#: The SQL type PolyNOM's DDL gave a polytype class; ``None`` where it has parameters the
#: snapshot does not keep.
_SQL_TYPES = {
    "Text": "TEXT",
    "Json": "TEXT",
    "PolyEnum": "TEXT",
    "Geometry": "TEXT",
    "Integer": "INTEGER",
    "SmallInt": "SMALLINT",
    "TinyInt": "TINYINT",
    "BigInt": "BIGINT",
    "Double": "DOUBLE",
    "Real": "REAL",
    "Boolean": "BOOLEAN",
    "Date": "DATE",
    "File": "FILE",
}


def polynom03_schemas(schemas: Sequence[type[BaseSchema]]) -> list[dict[str, Any]]:
    """The ``"schemas"`` list PolyNOM 0.3 would write for these schemas (its internal
    entities included)."""
    return [s._to_dict() for s in schemas] + [
        SchemaSnapshotSchema._to_dict(),
        Polynom03ChangeLogSchema._to_dict(),
    ]


def polynom03_snapshot(
    schemas: Sequence[type[BaseSchema]], now: _dt.datetime | None = None
) -> dict[str, Any]:
    """A whole snapshot in PolyNOM 0.3's own form (the ``@snapshot`` of its dump header)."""
    moment = now or _dt.datetime.now()
    return {"version": moment.strftime("%Y%m%dT%H%M%S"), "schemas": polynom03_schemas(schemas)}


def is_polynom03(snapshot: Any) -> bool:
    """True for a snapshot only PolyNOM 0.3 wrote (no description of ours in it)."""
    return isinstance(snapshot, dict) and "schemas" in snapshot and "entities" not in snapshot


def stored_entities(
    snapshot: dict[str, Any] | None, schemas: Sequence[type[BaseSchema]]
) -> dict[str, Any]:
    """The entities a stored snapshot describes, in our form, whoever wrote it.

    Raises ``ValueError`` naming what is wrong when a PolyNOM snapshot is malformed.
    """
    if not snapshot:
        return {}
    if not is_polynom03(snapshot):
        entities: dict[str, Any] = snapshot.get("entities", {})
        return entities
    listed = snapshot["schemas"]
    if not isinstance(listed, list):
        raise ValueError("the PolyNOM snapshot's 'schemas' is not a list")
    internal = config.get(config.INTERNAL_NAMESPACE)
    current = {s.qualified_name(): s for s in schemas}
    out: dict[str, Any] = {}
    for entry in listed:
        if not isinstance(entry, dict) or not isinstance(entry.get("entity_name"), str):
            raise ValueError(f"the PolyNOM snapshot lists an entity without a name: {entry!r}")
        namespace = entry.get("namespace_name") or config.get(config.DEFAULT_NAMESPACE)
        if namespace == internal:
            continue
        key = f"{namespace}.{entry['entity_name']}"
        schema = current.get(key)
        fields = entry.get("fields")
        if not isinstance(fields, list):
            raise ValueError(f"the PolyNOM snapshot's entity {key} has no field list")
        out[key] = {
            "namespace": namespace,
            "entity": entry["entity_name"],
            "fields": [_field(key, f, schema) for f in fields],
        }
    return out


def _field(key: str, data: Any, schema: type[BaseSchema] | None) -> dict[str, Any]:
    """One field PolyNOM described, as our snapshot describes it."""
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ValueError(f"the PolyNOM snapshot's entity {key} has a malformed field: {data!r}")
    db_name = data.get("db_name") or data.get("name")
    if not isinstance(db_name, str):
        raise ValueError(f"the PolyNOM snapshot's entity {key} has a field without a name")
    current: Field | None = schema.field_by_db_name(db_name) if schema is not None else None
    same_type = current is not None and type(current.polytype).__name__ == data["type"]
    if current is not None and (same_type or db_name == ENTRY_ID):
        desc = current.describe()
        if db_name == ENTRY_ID:
            return desc  # PolyNOM's key is ours, only declared unique besides
    else:
        sql_type = _SQL_TYPES.get(data["type"]) or data["type"].upper()
        desc = {
            "name": db_name,
            "python_name": data.get("name") or db_name,
            "polytype": {"type": data["type"]},
            "sql_type": sql_type,
            "primary_key": False,
            "references": None,
        }
    is_fk = bool(data.get("is_foreign_key"))
    desc["nullable"] = bool(data.get("nullable", True))
    desc["primary_key"] = bool(data.get("is_primary_key"))
    if is_fk:
        # PolyNOM's ForeignKeyField put its unique flag where the default goes, and kept no
        # default (see Field._to_dict); read them from there.
        desc["unique"] = data.get("default") is True
        desc["default"] = None
        desc["references"] = [
            data.get("references_namespace"),
            data.get("references_entity"),
            data.get("references_field", ENTRY_ID),
        ]
    else:
        desc["unique"] = bool(data.get("unique"))
        desc["default"] = _default(current if same_type else None, data.get("default"))
        desc["references"] = None
    return desc


def _default(current: Field | None, raw: Any) -> Any:
    """PolyNOM kept the raw Python default; ours is the polytype's exact JSON form."""
    if raw is None or current is None:
        return raw
    polytype = current.polytype
    try:
        return polytype.to_json(polytype.validate(raw))
    except (TypeError, ValueError, ArithmeticError):
        return raw
