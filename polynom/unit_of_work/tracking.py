"""``UnitOfWork``: what a session holds and has changed, until it flushes.

The session owns one. It keeps the identity map and the models to insert, update and
delete, adopts store rows as models, notices in-place changes of mutable fields, and
refuses a flush that would write a required field as NULL. It writes nothing itself:
:mod:`polynom.unit_of_work.ordering` orders the changes and
:mod:`polynom.unit_of_work.persistence` writes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from polynom.errors import ValidationError
from polynom.model.state import (
    DELETED,
    PENDING,
    PERSISTENT,
    InstanceState,
    SharedState,
    Tracker,
    make_state,
)
from polynom.schema.schema import ENTRY_ID
from polynom.schema.validation import INVALID
from polynom.unit_of_work.identity import IdentityMap
from polynom.unit_of_work.integrity import PendingReferences

if TYPE_CHECKING:
    from polynom.model.mapper import FieldAttribute
    from polynom.model.model import BaseModel

__all__ = ["UnitOfWork", "Update", "snapshot_columns"]


def snapshot_columns(cls: type[BaseModel]) -> tuple[tuple[int, FieldAttribute], ...]:
    """The fields of ``cls`` whose value as the store holds it is kept while a session holds
    a model (``ModelMapper.kept_columns``): those that can change in place (a dict in a
    ``Json`` field), to find such changes, and those without an exact SQL equality (``Json``,
    ``File``, ``Geometry``), so the conflict check compares the stored value itself -- text
    another program formatted otherwise than we would still matches."""
    return cls.__mapper__.kept_columns


M = TypeVar("M", bound="BaseModel")

#: A model with pending changes and the old value of each changed field.
Update = tuple["BaseModel", dict[str, Any]]


class UnitOfWork:
    """The identity map and pending changes of one session (its ``tracker``)."""

    __slots__ = (
        "_adding",
        "deleted",
        "dirty",
        "identity_map",
        "loaded",
        "new",
        "references",
        "tracker",
        "watched",
    )

    def __init__(self, tracker: Tracker) -> None:
        #: The session: what the models' states point at (None once it ended: see :meth:`end`).
        self.tracker: Tracker | None = tracker
        self.identity_map = IdentityMap()
        #: Models by ``id()``: to insert, to delete.
        self.new: dict[int, BaseModel] = {}
        self.deleted: dict[int, BaseModel] = {}
        #: Persistent models with changed fields by ``id()``: each with ``{field: value
        #: before its first change}`` (kept here, not on the model's state, which a loaded
        #: model shares with the others: an update makes no object per model but that dict).
        self.dirty: dict[int, Update] = {}
        #: Persistent models with mutable fields, checked for in-place changes on flush.
        self.watched: dict[int, BaseModel] = {}
        #: The state the clean models this session loads share (see ``SharedState``).
        self.loaded: SharedState | None = make_state(SharedState, tracker, PERSISTENT)
        #: The one the models added to it share until they are written (see :meth:`adding`).
        self._adding: SharedState | None = None
        #: Foreign keys the flushes wrote or took away, checked when the session commits.
        self.references = PendingReferences()

    # -- what is pending -------------------------------------------------------------------

    def has_pending(self) -> bool:
        """True when a flush may have something to write (cheap: four dict checks)."""
        return bool(self.new or self.dirty or self.deleted or self.watched)

    def has_changes(self) -> bool:
        """True when inserts, updates or deletes are pending (after collecting mutations)."""
        return bool(self.new or self.dirty or self.deleted)

    # -- registering (``Session.add`` registers new models itself: see there) ---------------

    def adding(self) -> SharedState:
        """The state for a model added (with tracking): PENDING, shared by all such models
        until written; made on the first add (most sessions only read)."""
        state = self._adding
        if state is None:
            state = self._adding = make_state(SharedState, self.tracker, PENDING)
        return state

    def record_change(self, model: BaseModel, name: str, old: Any) -> None:
        """A persistent model's field ``name`` is about to change from ``old``: the first
        old value of each field since the last flush is the one kept."""
        dirty = self.dirty
        update = dirty.get(id(model))
        if update is None:
            dirty[id(model)] = (model, {name: old})
        elif name not in update[1]:
            update[1][name] = old

    def changes_of(self, model: BaseModel) -> dict[str, Any] | None:
        """The model's changed fields with their old values, or None (the dict itself)."""
        update = self.dirty.get(id(model))
        return None if update is None else update[1]

    def mark_deleted(self, model: BaseModel) -> None:
        """Delete a model on the next flush (a pending one is simply forgotten)."""
        state = model.__polynom_state__
        assert state is not None  # (every model a unit of work holds has a state)
        if state.status is PENDING:
            self.expunge(model)
            return
        state.own(model).status = DELETED
        self.deleted[id(model)] = model
        self.dirty.pop(id(model), None)

    def expunge(self, model: BaseModel) -> None:
        """Forget a model: it becomes transient again."""
        self.new.pop(id(model), None)
        self.dirty.pop(id(model), None)
        self.watched.pop(id(model), None)
        self.identity_map.discard(model)
        model.__polynom_state__ = None

    # -- loading ---------------------------------------------------------------------------

    def model_for_row(self, cls: type[M], row: tuple[Any, ...]) -> M:
        """The model for one store row whose entry the identity map does not hold yet."""
        mapper = cls.__mapper__
        model: M = mapper.build(row, self.loaded)
        self.identity_map.of(mapper.schema)[row[0]] = model
        kept = mapper.kept_columns
        if kept:  # a snapshot of its own: a state of its own
            state = model.__polynom_state__ = make_state(InstanceState, self.tracker, PERSISTENT)
            self._keep(model, state, kept, row)
        return model

    def models_for_rows(self, cls: type[M], rows: list[tuple[Any, ...]]) -> list[M]:
        """Models for store rows, reusing the objects the identity map holds.

        The hot path of every query: :meth:`model_for_row` inlined, lookups hoisted; a new
        model is built by the class's ``ModelMapper.build``."""
        mapper = cls.__mapper__
        build = mapper.build
        kept = mapper.kept_columns
        held = self.identity_map.of(mapper.schema)
        find = held.get
        tracker = self.tracker
        loaded = self.loaded
        out: list[M] = []
        append = out.append
        for row in rows:
            model = find(row[0])
            if model is None:
                model = held[row[0]] = build(row, loaded)
                if kept:  # a snapshot of its own: a state of its own
                    state = model.__polynom_state__ = make_state(InstanceState, tracker, PERSISTENT)
                    self._keep(model, state, kept, row)
            elif model.__polynom_state__.status is DELETED:  # type: ignore[union-attr]
                continue
            append(model)  # type: ignore[arg-type]
        return out

    def _keep(
        self,
        model: BaseModel,
        state: InstanceState,
        kept: tuple[tuple[int, FieldAttribute], ...],
        row: tuple[Any, ...],
    ) -> None:
        """Keep the store values of a model's :func:`snapshot_columns`, as read."""
        state.mutable = {a.name: row[i] for i, a in kept}
        if type(model).__mapper__.mutable_columns:
            self.watched[id(model)] = model

    def watch(self, model: BaseModel) -> None:
        """Keep the store values of the :func:`snapshot_columns` (what was just written),
        and watch the fields that can change in place."""
        kept = type(model).__mapper__.kept_columns
        if kept:
            d = model.__dict__
            state = model.__polynom_state__
            assert state is not None
            state = state.own(model)  # a snapshot of its own: a state of its own
            state.mutable = {a.name: a.polytype.to_db(d.get(a.name)) for _, a in kept}
            if type(model).__mapper__.mutable_columns:
                self.watched[id(model)] = model

    # -- before a flush ----------------------------------------------------------------------

    def collect_mutations(self) -> None:
        """Record in-place changes of mutable fields (a dict in a ``Json`` field)."""
        for model in self.watched.values():
            d = model.__dict__
            state = model.__polynom_state__
            assert state is not None
            if state.status is not PERSISTENT or not state.tracking or state.mutable is None:
                continue
            attributes = type(model).__mapper__.attributes
            for name, stored in state.mutable.items():
                attribute = attributes[name]
                polytype = attribute.polytype
                if not polytype.mutable:
                    continue  # kept for the conflict check only (Geometry, File)
                try:
                    same = polytype.to_db(d.get(name)) == stored
                except INVALID:  # changed in place into something no store holds
                    same = False
                if not same:
                    attribute.check_in_place(model)  # ValidationError, or held as stored
                    self.record_change(model, name, polytype.from_db(stored))

    def pending_updates(self) -> list[Update]:
        """The dirty models whose fields really differ, each with its old values."""
        updates: list[Update] = []
        append = updates.append
        for update in self.dirty.values():
            model, changes = update
            get = model.__dict__.get
            for k, old in changes.items():
                if old == get(k):  # set back to what it was: not a change
                    changes = {k: old for k, old in changes.items() if old != get(k)}
                    if changes:  # those that still differ
                        append((model, changes))
                    break
            else:
                if changes:  # (empty once ``_update_snapshot`` forgot them)
                    append(update)
        return updates

    def check_required(self, updates: list[Update]) -> None:
        """Refuse, before anything reaches the store, a required field without a value."""
        for model in self.new.values():
            mapper = type(model).__mapper__
            _check_required(model, mapper.required)
            for attribute in mapper.mutable_columns:  # changed in place since assignment?
                attribute.check_in_place(model)
        if not updates:
            return
        cls: type[BaseModel] | None = None
        required: frozenset[str] = frozenset()
        for model, changes in updates:
            if type(model) is not cls:  # updates come in runs of one class
                cls = type(model)
                required = cls.__mapper__.required_names
            if required and not required.isdisjoint(changes):
                attributes = type(model).__mapper__.attributes
                _check_required(model, [attributes[k] for k in changes if k in required])

    # -- after -------------------------------------------------------------------------------

    def after_flush(self) -> None:
        """What was written is now the stored state."""
        adding, loaded = self._adding, self.loaded
        for model in self.new.values():
            state = model.__polynom_state__
            if state is adding:  # added and written: now one of the clean stored models
                model.__polynom_state__ = loaded
            else:
                assert state is not None
                state.status = PERSISTENT
            if type(model).__mapper__.kept_columns:
                self.watch(model)
        cls: type[BaseModel] | None = None
        kept: Any = ()
        for model, _ in self.dirty.values():
            if type(model) is not cls:  # dirty models come in runs of one class
                cls = type(model)
                kept = cls.__mapper__.kept_columns
            if kept:
                self.watch(model)  # what was written is the new reference for in-place changes
        identity = self.identity_map
        for model in self.deleted.values():
            identity.discard(model)
            self.watched.pop(id(model), None)
        self.new.clear()
        self.dirty.clear()
        self.deleted.clear()

    def clear(self) -> None:
        """Forget everything (the session ended): its models are detached."""
        self.identity_map.clear()  # (one dict's clear(): no cheaper to test first)
        if self.new:  # each checked first: most sessions hold little
            self.new.clear()
        if self.dirty:
            self.dirty.clear()
        if self.deleted:
            self.deleted.clear()
        if self.watched:
            self.watched.clear()
        if self.references:
            self.references.clear()

    def end(self) -> None:
        """Forget everything and the tracker too: its session ended for good.

        The session holds this unit of work and it held the session (directly, and through
        the shared state of the loaded models): dropping those references frees both by
        reference counting when the session goes, instead of leaving a cycle to the cyclic
        garbage collector for every session. The models keep their states, which still
        point at the ended session (so they read as detached)."""
        self.clear()
        self.tracker = None
        self.loaded = self._adding = None


def _check_required(model: BaseModel, attributes: Iterable[FieldAttribute]) -> None:
    d = model.__dict__
    for attribute in attributes:
        if d.get(attribute.name) is None and not attribute.field.nullable:
            raise ValidationError(
                f"{type(model).__name__}.{attribute.name} is required (not nullable) "
                f"but has no value (entry {d.get(ENTRY_ID)})",
                model=type(model).__name__,
                field=attribute.name,
                value=None,
            )
