"""The order a flush writes in: :func:`plan_flush` turns pending changes into a FlushPlan.

Inserts go parents before children (so foreign keys point at stored entries), updates are
grouped into batches of one shape (same model, same changed fields, same NULL checks: one
statement each), deletes go children first. Nothing here touches a store, so the order is
tested directly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from polynom.model.state import STATE_KEY
from polynom.schema.schema import ENTRY_ID
from polynom.schema.schema_registry import sort_by_dependency

if TYPE_CHECKING:
    from polynom.model.mapper import FieldAttribute
    from polynom.model.model import BaseModel
    from polynom.schema.schema import BaseSchema
    from polynom.unit_of_work.tracking import Update

__all__ = ["FlushPlan", "UpdateBatch", "plan_flush"]


@dataclass(slots=True)
class UpdateBatch:
    """Updates of one shape: one ``UPDATE`` statement, run once per row of ``params``.

    ``null_checks`` holds, for each attribute the conflict check compares (every changed
    one, whatever its type), whether its old value was NULL (checked with ``IS NULL``, no
    parameter) or not (``= ?``). A row of ``params`` is the new values, the entry id, then
    the old value of each non-NULL check in the form the store holds it; ``entries`` are the
    models and their old values, row for row (for a store that compares in Python).
    """

    model: type[BaseModel]
    attributes: tuple[FieldAttribute, ...]
    null_checks: tuple[tuple[FieldAttribute, bool], ...]
    params: list[list[Any]] = field(default_factory=list)
    entries: list[Update] = field(default_factory=list)


@dataclass(slots=True)
class FlushPlan:
    """Everything one flush writes, in the order it writes it."""

    #: ``(schema, models)``, referenced entities first.
    inserts: list[tuple[type[BaseSchema], list[BaseModel]]]
    updates: list[UpdateBatch]
    #: ``(schema, models)``, referencing entities first.
    deletes: list[tuple[type[BaseSchema], list[BaseModel]]]
    #: The updated models and their old values (for the changelog).
    updated: list[Update]

    @property
    def empty(self) -> bool:
        return not (self.inserts or self.updates or self.deletes)


def plan_flush(
    new: Iterable[BaseModel], updates: list[Update], deleted: Iterable[BaseModel]
) -> FlushPlan:
    """Order pending inserts, updates and deletes for writing."""
    inserted: dict[type[BaseSchema], list[BaseModel]] = defaultdict(list)
    for model in new:
        inserted[type(model).__mapper__.schema].append(model)
    removed: dict[type[BaseSchema], list[BaseModel]] = defaultdict(list)
    for model in deleted:
        removed[type(model).__mapper__.schema].append(model)
    schemas = [*inserted, *removed]
    # one entity (most flushes): nothing to order
    order = schemas if len(schemas) == 1 else sort_by_dependency(schemas)
    return FlushPlan(
        inserts=[(s, inserted[s]) for s in order if s in inserted],
        updates=batch_updates(updates),
        deletes=[(s, removed[s]) for s in reversed(order) if s in removed],
        updated=updates,
    )


def batch_updates(updates: list[Update]) -> list[UpdateBatch]:
    """Group updates by model, changed fields and NULL-ness of the old values."""
    groups: dict[tuple[type, tuple[str, ...]], list[Update]] = defaultdict(list)
    for model, changes in updates:
        groups[(type(model), tuple(sorted(changes)))].append((model, changes))
    batches: list[UpdateBatch] = []
    for (cls, names), items in groups.items():
        attributes = tuple(cls.__mapper__.attributes[n] for n in names)  # type: ignore[attr-defined]
        shapes: dict[tuple[bool, ...], UpdateBatch] = {}
        for model, changes in items:
            d = model.__dict__
            params = [
                None if d.get(a.name) is None else a.polytype.to_db(d.get(a.name))
                for a in attributes
            ]
            params.append(d[ENTRY_ID])
            state = d.get(STATE_KEY)
            stored = (state.mutable if state is not None else None) or {}
            shape = []
            for a in attributes:
                old = changes[a.name]
                shape.append(old is None)
                if old is not None:
                    # the value as the store holds it: as read where a snapshot was kept
                    # (JSON text may be formatted otherwise than we would), else converted
                    params.append(stored[a.name] if a.name in stored else a.polytype.to_db(old))
            key = tuple(shape)
            batch = shapes.get(key)
            if batch is None:
                checks = tuple(zip(attributes, key, strict=True))
                batch = shapes[key] = UpdateBatch(cls, attributes, checks)
                batches.append(batch)
            batch.params.append(params)
            batch.entries.append((model, changes))
    return batches
