"""The order a flush writes in: :func:`plan_flush` turns pending changes into a FlushPlan.

Inserts go parents before children (so foreign keys point at stored entries), updates are
grouped into batches of one shape (same model, same changed fields, same NULL checks: one
statement each), deletes go children first. Nothing here touches a store, so the order is
tested directly.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from polynom.schema.polytypes import PolyType
from polynom.schema.schema import ENTRY_ID
from polynom.schema.schema_registry import sort_by_dependency

if TYPE_CHECKING:
    from polynom.model.mapper import FieldAttribute
    from polynom.model.model import BaseModel
    from polynom.schema.schema import BaseSchema
    from polynom.unit_of_work.tracking import Update

__all__ = ["FlushPlan", "UpdateBatch", "plan_flush"]

#: ``PolyType.to_db``: values of a polytype that keeps it cross to a store as they are.
_TO_DB = PolyType.to_db


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
    params: list[Sequence[Any]] = field(default_factory=list)
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
    new: Collection[BaseModel], updates: list[Update], deleted: Collection[BaseModel]
) -> FlushPlan:
    """Order pending inserts, updates and deletes for writing."""
    if len(new) == 1 and not (updates or deleted):
        (model,) = new  # one new model (a create request, a one-row transaction)
        return FlushPlan([(type(model).__mapper__.schema, [model])], [], [], updates)
    inserted = _by_schema(new)
    removed = _by_schema(deleted) if deleted else {}
    batches = batch_updates(updates) if updates else []
    if not removed and len(inserted) <= 1:  # one entity (most flushes): nothing to order
        return FlushPlan(list(inserted.items()), batches, [], updates)
    schemas = [*inserted, *removed]
    order = schemas if len(schemas) == 1 else sort_by_dependency(schemas)
    return FlushPlan(
        inserts=[(s, inserted[s]) for s in order if s in inserted],
        updates=batches,
        deletes=[(s, removed[s]) for s in reversed(order) if s in removed],
        updated=updates,
    )


def _by_schema(models: Iterable[BaseModel]) -> dict[type[BaseSchema], list[BaseModel]]:
    """The models grouped by their schema, in the order each schema first occurs."""
    groups: dict[type[BaseSchema], list[BaseModel]] = {}
    for model in models:
        schema = type(model).__mapper__.schema
        group = groups.get(schema)
        if group is None:
            groups[schema] = [model]
        else:
            group.append(model)
    return groups


def batch_updates(updates: list[Update]) -> list[UpdateBatch]:
    """Group updates by model, changed fields and NULL-ness of the old values.

    Per group the attributes, their conversions and whether any keeps a snapshot are
    worked out once; a row then reads the new and old values in one step each."""
    groups: dict[tuple[type, tuple[str, ...]], list[Update]] = {}
    find = groups.get
    # updates come in runs of one shape (a loop that sets one field): a row of the same
    # class and changed fields as the one before joins its group without a key being built
    last_cls: type | None = None
    last_changed: Any = None
    group: list[Update] = []
    for update in updates:
        model, changes = update
        cls = type(model)
        changed = changes.keys()
        if cls is last_cls and changed == last_changed:
            group.append(update)
            continue
        key = (cls, tuple(changes) if len(changes) == 1 else tuple(sorted(changes)))
        found = find(key)
        if found is None:
            group = groups[key] = [update]
        else:
            group = found
            group.append(update)
        last_cls, last_changed = cls, changed
    batches: list[UpdateBatch] = []
    for (cls, names), items in groups.items():
        mapper = cls.__mapper__
        attributes = tuple(mapper.attributes[n] for n in names)
        to_db = tuple(a.polytype.to_db for a in attributes)
        converts = tuple(
            (i, f) for i, f in enumerate(to_db) if getattr(f, "__func__", None) is not _TO_DB
        )
        kept = {a.name for _, a in mapper.kept_columns}.intersection(names)
        if len(names) == 1 and not converts and not kept:
            _batch_one_field(cls, attributes[0], items, batches)
            continue
        plain = (False,) * len(names)  # no old value was NULL: the usual shape
        shapes: dict[tuple[bool, ...], UpdateBatch] = {}
        for update in items:
            model, changes = update
            d = model.__dict__
            params = list(map(d.get, names))
            for i, convert in converts:
                if params[i] is not None:
                    params[i] = convert(params[i])
            params.append(d[ENTRY_ID])
            olds = list(map(changes.__getitem__, names))
            shape = plain
            for old in olds:
                if old is None:
                    shape = tuple(o is None for o in olds)
                    break
            if shape is plain and not converts and not kept:
                params += olds  # the old values as they are: what the store holds
            else:
                state = model.__polynom_state__
                stored = (state.mutable if state is not None and kept else None) or {}
                for name, old, convert in zip(names, olds, to_db, strict=True):
                    if old is not None:
                        # the value as the store holds it: as read where a snapshot was
                        # kept (JSON text may be formatted otherwise than we would), else
                        # converted
                        params.append(stored[name] if name in stored else convert(old))
            batch = shapes.get(shape)
            if batch is None:
                checks = tuple(zip(attributes, shape, strict=True))
                batch = shapes[shape] = UpdateBatch(cls, attributes, checks)
                batches.append(batch)
            batch.params.append(params)
            batch.entries.append(update)
    return batches


def _batch_one_field(
    cls: type[BaseModel], attribute: FieldAttribute, items: list[Update], out: list[UpdateBatch]
) -> None:
    """:func:`batch_updates` for the usual group: one changed field whose values cross to
    the store as they are and keep no snapshot. A row is the new value, the entry id and
    the old value; an old NULL has no parameter (``IS NULL``), so such rows make a batch of
    their own. Batches go to ``out`` in the order their shape first occurs."""
    name = attribute.name
    attributes = (attribute,)
    plain: UpdateBatch | None = None
    nulls: UpdateBatch | None = None
    for update in items:
        model, changes = update
        d = model.__dict__
        old = changes[name]
        if old is not None:
            if plain is None:
                plain = UpdateBatch(cls, attributes, ((attribute, False),))
                out.append(plain)
                rows = plain.params.append
                entries = plain.entries.append
            rows((d.get(name), d[ENTRY_ID], old))  # a tuple: the GC stops tracking it
            entries(update)
        else:
            if nulls is None:
                nulls = UpdateBatch(cls, attributes, ((attribute, True),))
                out.append(nulls)
            nulls.params.append((d.get(name), d[ENTRY_ID]))
            nulls.entries.append(update)
