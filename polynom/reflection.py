"""PolyNOM 0.3's ``polynom.reflection``: the models of polynom's own tables (a face).

``ChangeLog`` and ``ChangeLogSchema`` live in :mod:`polynom.changelog`, ``SchemaSnapshot``
and ``SchemaSnapshotSchema`` in :mod:`polynom.migration`.
"""

from polynom.changelog import ChangeLog, ChangeLogSchema
from polynom.migration import SchemaSnapshot, SchemaSnapshotSchema

__all__ = ["ChangeLog", "ChangeLogSchema", "SchemaSnapshot", "SchemaSnapshotSchema"]
