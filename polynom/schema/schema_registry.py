"""The registry of schemas an application manages, in foreign-key order."""

from __future__ import annotations

import graphlib
from collections.abc import Iterable
from typing import Any

from polynom import config
from polynom.errors import SchemaError
from polynom.schema.polynom03_snapshot import polynom03_snapshot
from polynom.schema.schema import BaseSchema, schema_class

__all__ = ["polynom_schema", "registered_schemas", "restore", "snapshot", "sort_by_dependency"]

_registered: dict[type[BaseSchema], None] = {}


def polynom_schema(cls: type[BaseSchema]) -> type[BaseSchema]:
    """Class decorator: register a schema so applications create and migrate its entity."""
    _registered[schema_class(cls)] = None
    return cls


def registered_schemas() -> list[type[BaseSchema]]:
    """Every registered user schema (explicitly, or through a model using it)."""
    internal = config.get(config.INTERNAL_NAMESPACE)
    return [s for s in _registered if s.namespace() != internal]


def snapshot() -> dict[type[BaseSchema], None]:
    """A copy of the registry, for :func:`restore` (``polynom.testing.isolated_registry``)."""
    return dict(_registered)


def restore(saved: dict[type[BaseSchema], None]) -> None:
    """Make the registry what ``saved`` holds, in place (the dict is shared)."""
    _registered.clear()
    _registered.update(saved)


def sort_by_dependency(schemas: Iterable[type[BaseSchema]]) -> list[type[BaseSchema]]:
    """Order schemas so that referenced entities come before the ones referencing them."""
    schemas = list(dict.fromkeys(schemas))
    present = set(schemas)
    sorter: graphlib.TopologicalSorter[type[BaseSchema]] = graphlib.TopologicalSorter()
    for schema in schemas:
        deps = [
            fk.referenced_schema
            for fk in schema.foreign_keys()
            if fk.referenced_schema in present and fk.referenced_schema is not schema
        ]
        sorter.add(schema, *deps)
    try:
        return list(sorter.static_order())
    except graphlib.CycleError as exc:
        names = " -> ".join(s.qualified_name() for s in exc.args[1])
        raise SchemaError(f"foreign keys form a cycle: {names}") from None


# -- PolyNOM 0.3's names ---------------------------------------------------------------------


def _get_ordered_schemas() -> list[type[BaseSchema]]:
    """The registered schemas, referenced ones first."""
    return sort_by_dependency(registered_schemas())


_sort_by_foreign_key = sort_by_dependency


def _to_dict() -> dict[str, Any]:
    """The registered schemas as PolyNOM 0.3's snapshot (``{"version", "schemas"}``)."""
    return polynom03_snapshot(_get_ordered_schemas())
