"""The entities polynom keeps for itself in ``polynom_internal``: the changelog and snapshots.

They are declared here, low in the layers, because several layers use them: the unit of
work writes changelog rows, the changelog reads them back, migration keeps the snapshot,
dump copies both.
"""

from __future__ import annotations

import threading
import time

from polynom import config
from polynom.schema.polytypes import BigInt, Json, Text, Timestamp, VarChar
from polynom.schema.schema import BaseSchema, Field

__all__ = ["ChangeLogSchema", "SchemaSnapshotSchema", "internal_schemas", "next_change_seq"]


class ChangeLogSchema(BaseSchema):
    """``polynom_internal.change_log``: one row per changed entry (PolyNOM's 7 columns + 2)."""

    entity_name = config.get(config.CHANGE_LOG_TABLE)
    namespace_name = config.get(config.INTERNAL_NAMESPACE)
    fields = [
        Field("app_uuid", Text(), nullable=False),
        Field("modified_entry_id", Text(), nullable=False),
        Field("modified_entity_namespace", Text(), nullable=False),
        Field("modified_entity_name", Text(), nullable=False),
        Field("modified_by", Text(), nullable=False),
        Field("date_of_change", Timestamp(3), nullable=False),
        Field("changes", Json(), nullable=False),
        Field("change_type", VarChar(8)),
        Field("change_seq", BigInt()),
    ]


class SchemaSnapshotSchema(BaseSchema):
    """``polynom_internal.snapshot``: the schemas of each application (``_entry_id`` = uuid)."""

    entity_name = config.get(config.SNAPSHOT_TABLE)
    namespace_name = config.get(config.INTERNAL_NAMESPACE)
    fields = [Field("snapshot", Json(), nullable=False)]


def internal_schemas() -> list[type[BaseSchema]]:
    """The internal entities, created when an application starts."""
    return [SchemaSnapshotSchema, ChangeLogSchema]


_seq_lock = threading.Lock()
_previous = [0]


def next_change_seq() -> int:
    """A process-wide increasing number, so changelog rows of one instant keep their order."""
    with _seq_lock:
        value = max(time.time_ns() // 1000, _previous[0] + 1)
        _previous[0] = value
        return value
