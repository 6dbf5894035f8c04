"""PolyNOM 0.3's ``polynom.schema.migration`` (a face over :mod:`polynom.migration`).

PolyNOM's ``Migrator`` turned its own snapshot comparison into DDL when an application
started with ``migrate=True``; in polynom, ``Application(migrate=True)`` (or ``polynom
migrate``) does it, from :func:`plan`.
"""

from polynom.migration import (
    Plan,
    SchemaSnapshot,
    SchemaSnapshotSchema,
    check_schemas,
    plan,
    read_snapshot,
    snapshot_of,
)

__all__ = [
    "Plan",
    "SchemaSnapshot",
    "SchemaSnapshotSchema",
    "check_schemas",
    "plan",
    "read_snapshot",
    "snapshot_of",
]
