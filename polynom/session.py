"""``Session``: an isolated, transactional unit of work within an application.

A session keeps an identity map (one object per entry), tracks changes to the models it
holds, and writes them on ``flush``: inserts as multi-row statements, parents before
children; updates of just the changed fields, batched, each checked against the value it
replaced so a concurrent change is a :class:`~polynom.errors.ConflictError`, never a lost
update; deletes children first. ``commit`` makes it all durable in one transaction;
leaving the ``with`` block without it rolls back. Afterwards the models are detached:
they can be read, and writing to one raises :class:`~polynom.errors.DetachedModelError`.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Sequence
from enum import Enum, auto
from typing import TYPE_CHECKING, Any, TypeVar

from polynom.errors import (
    DetachedModelError,
    PolynomError,
    SessionError,
    StoreError,
    ValidationError,
)
from polynom.flush import write
from polynom.model.model import DELETED, PENDING, PERSISTENT, TRANSIENT, BaseModel, FieldAttribute
from polynom.schema.schema import ENTRY_ID, BaseSchema
from polynom.stores.base import Result, StoreConnection

if TYPE_CHECKING:
    from types import TracebackType

    from polynom.application import Application

__all__ = ["Session"]

M = TypeVar("M", bound=BaseModel)


class _SessionState(Enum):
    INITIALIZED = auto()
    ACTIVE = auto()
    COMPLETED = auto()


# module globals: one lookup on the hot paths instead of a global plus an attribute
_INITIALIZED = _SessionState.INITIALIZED
_ACTIVE = _SessionState.ACTIVE
_COMPLETED = _SessionState.COMPLETED


class Session:
    """A unit of work. Use it as a context manager: ``with Session(app) as session:``.

    ``log_user`` names who makes the changes; when set, every committed insert, update and
    delete is recorded in the changelog in the same transaction. ``connection`` lets an
    owner (the DAL's resource) hand in a pooled connection it will return itself.
    """

    def __init__(
        self,
        application: Application,
        log_user: str | None = None,
        connection: StoreConnection | None = None,
    ) -> None:
        if not application.is_active:
            raise SessionError(
                "the application must be active (inside `with app:`) to open a session"
            )
        self._app = application
        self.log_user = log_user
        self._session_id: str | None = None
        self._state = _INITIALIZED
        self._conn = connection
        self._owns_connection = connection is None
        self._identity: dict[tuple[type[BaseSchema], str], BaseModel] = {}
        self._new: dict[int, BaseModel] = {}
        self._dirty: dict[int, BaseModel] = {}
        self._deleted: dict[int, BaseModel] = {}
        self._watched: dict[int, BaseModel] = {}  # persistent models with mutable fields
        self._outcome = ""

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> Session:
        if self._state is _COMPLETED:
            raise SessionError("this session has ended; open a new Session")
        self._state = _ACTIVE
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._state is _ACTIVE:
            self.rollback()

    @property
    def session_id(self) -> str:
        """A unique id for this session (for logs)."""
        if self._session_id is None:
            self._session_id = str(uuid.uuid4())
        return self._session_id

    @property
    def application(self) -> Application:
        return self._app

    @property
    def is_active(self) -> bool:
        """True between ``__enter__`` and commit/rollback."""
        return self._state is _ACTIVE

    def get_session_state(self) -> _SessionState:
        """``INITIALIZED``, ``ACTIVE`` or ``COMPLETED``."""
        return self._state

    def _require_active(self) -> None:
        if self._state is _ACTIVE:
            return
        if self._state is _INITIALIZED:
            raise SessionError('the session must be activated with a "with" block first')
        if self._state is _COMPLETED:
            raise SessionError(f"the session has ended ({self._outcome}); open a new Session")

    @property
    def connection(self) -> StoreConnection:
        """The session's store connection, checked out of the pool on first use."""
        self._require_active()
        if self._conn is None:
            self._conn = self._app.store.acquire()
        return self._conn

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Result:
        """Run a Polypheny SQL statement in the session's transaction (values bound)."""
        app = self._app
        if app.log_statements:
            app._log_statement(statement, params)
        conn = self._conn
        if conn is None or self._state is not _ACTIVE:
            conn = self.connection
        return conn.execute(statement, params)

    def _execute_many(self, statement: str, rows: Sequence[Sequence[Any]]) -> int:
        self._app._log_statement(statement, rows[0] if rows else ())
        return self.connection.execute_many(statement, rows)

    def _autoflush(self) -> None:
        """Flush when anything is pending: before queries and commit (cheap when not)."""
        if self._new or self._dirty or self._deleted or self._watched:
            self.flush()

    def commit(self) -> None:
        """Flush, then make the transaction durable; the session ends."""
        if self._state is not _ACTIVE:
            self._require_active()
        self._autoflush()
        conn = self._conn
        if conn is not None:
            try:
                conn.commit()
            except BaseException:
                self._finish("rolled back after a failed commit", True)
                raise
        self._finish("committed", False)

    def rollback(self) -> None:
        """Discard everything since the session began; the session ends."""
        if self._state is _COMPLETED:
            return
        self._finish("rolled back", rollback=True)

    def _finish(self, outcome: str, rollback: bool) -> None:
        self._state = _COMPLETED
        self._outcome = outcome
        # The models are detached now, whatever happens to the connection below.
        if self._identity:
            self._identity.clear()
        if self._new:
            self._new.clear()
        if self._dirty:
            self._dirty.clear()
        if self._deleted:
            self._deleted.clear()
        if self._watched:
            self._watched.clear()
        conn = self._conn
        if conn is None:
            return
        self._conn = None
        try:
            if rollback:
                with contextlib.suppress(StoreError):  # the pool discards a broken connection
                    conn.rollback()
        finally:
            if self._owns_connection:
                self._app.store.release(conn)

    # -- tracking ------------------------------------------------------------------------

    def add(self, model: BaseModel, tracking: bool = True) -> None:
        """Add a new model: it is inserted on the next flush.

        With ``tracking`` (the default), later changes to it are written too.
        """
        self._require_active()
        if not isinstance(model, BaseModel):
            raise SessionError(f"only models can be added to a session, got {model!r}")
        d = model.__dict__
        owner = d.get("_pn_session")
        if owner is self:
            d["_pn_tracking"] = tracking
            return
        if owner is not None:
            raise DetachedModelError(self._foreign_message(model, owner))
        key = (type(model)._pn_schema, d[ENTRY_ID])
        if key in self._identity:
            raise SessionError(
                f"{type(model).__name__} {key[1]} is already in this session as another object"
            )
        d["_pn_session"] = self
        d["_pn_state"] = PENDING
        d["_pn_tracking"] = tracking
        self._identity[key] = model
        self._new[id(model)] = model
        relationships = type(model)._pn_relationships
        if relationships:
            for rel in relationships.values():
                if "save-update" in rel.cascade and rel.loaded(model):
                    value = rel.peek(model)
                    for related in [value] if rel.scalar else list(value):
                        if related is not None:
                            self._cascade_add(related)

    def add_all(self, models: Iterable[BaseModel], tracking: bool = True) -> None:
        """Add several models."""
        for model in models:
            self.add(model, tracking)

    def _cascade_add(self, model: BaseModel) -> None:
        if model.__dict__.get("_pn_session") is not self:
            self.add(model)

    def delete(self, model: BaseModel) -> None:
        """Mark a model for deletion on the next flush (cascading where configured)."""
        self._require_active()
        d = model.__dict__
        owner = d.get("_pn_session")
        if owner is not self:
            if owner is None:
                raise SessionError(
                    f"{type(model).__name__} {d.get(ENTRY_ID)} is not in this session; "
                    "query it in this session before deleting it"
                )
            raise DetachedModelError(self._foreign_message(model, owner))
        # Load everything the delete cascades to first: loading may flush, and nothing may be
        # marked deleted (and so written) before its children are known.
        for target in self._delete_closure(model):
            if target._pn_state == PENDING:
                self._expunge(target)
            else:
                target.__dict__["_pn_state"] = DELETED
                self._deleted[id(target)] = target
                self._dirty.pop(id(target), None)

    def _delete_closure(self, model: BaseModel) -> list[BaseModel]:
        """``model`` and every model a ``delete`` cascade reaches from it, not yet deleted."""
        found: dict[int, BaseModel] = {}
        stack = [model]
        while stack:
            current = stack.pop()
            if id(current) in found or current._pn_state == DELETED:
                continue
            found[id(current)] = current
            for rel in type(current)._pn_relationships.values():
                if "delete" in rel.cascade:
                    value = getattr(current, rel.name)
                    stack.extend(
                        related
                        for related in ([value] if rel.scalar else list(value))
                        if related is not None and related.__dict__.get("_pn_session") is self
                    )
        return list(found.values())

    def delete_all(self, models: Iterable[BaseModel]) -> None:
        """Delete several models."""
        for model in list(models):
            self.delete(model)

    def _orphan(self, model: BaseModel) -> None:
        if model.__dict__.get("_pn_session") is self and model._pn_state in (PENDING, PERSISTENT):
            self.delete(model)

    def _expunge(self, model: BaseModel) -> None:
        d = model.__dict__
        self._new.pop(id(model), None)
        self._identity.pop((type(model)._pn_schema, d[ENTRY_ID]), None)
        d["_pn_session"] = None
        d["_pn_state"] = TRANSIENT

    def detach_child(self, parent: BaseModel, attr_name: str) -> None:
        """Detach the related model(s) held in ``parent.<attr_name>``.

        With the ``delete-orphan`` cascade the detached models are deleted.
        """
        self._require_active()
        rel = type(parent)._pn_relationships.get(attr_name)
        if rel is None:
            raise SessionError(f"{type(parent).__name__} has no relationship {attr_name!r}")
        if rel.scalar:
            setattr(parent, attr_name, None)
        else:
            getattr(parent, attr_name).clear()

    def _foreign_message(self, model: BaseModel, owner: Session) -> str:
        name = f"{type(model).__name__} {model.__dict__.get(ENTRY_ID)}"
        if owner.is_active:
            return f"{name} belongs to another active session"
        return (
            f"{name} is detached: its session has {owner._outcome or 'ended'}; "
            "query it again in this session"
        )

    def _before_write(self, model: BaseModel, name: str, old: Any, new: Any) -> None:
        """Called by field attributes before a value changes."""
        if self._state is not _ACTIVE:
            raise DetachedModelError(
                f"cannot set {type(model).__name__}.{name}: the model is detached (its session "
                f"has {self._outcome or 'not started'}); query it again in an active session"
            )
        d = model.__dict__
        state = d.get("_pn_state")
        if state == PERSISTENT:
            if d.get("_pn_tracking", True):
                changes = d.get("_pn_changes")
                if changes is None:
                    d["_pn_changes"] = {name: old}
                    self._dirty[id(model)] = model
                elif name not in changes:
                    changes[name] = old
        elif state == DELETED:
            raise SessionError(
                f"cannot set {type(model).__name__}.{name}: the model is deleted in this session"
            )

    # -- loading -------------------------------------------------------------------------

    def _adopt(self, cls: type[M], rows: list[tuple[Any, ...]]) -> list[M]:
        """Models for store rows, reusing objects already in the identity map."""
        schema = cls._pn_schema
        identity = self._identity
        out: list[M] = []
        for row in rows:
            model = identity.get((schema, row[0]))
            if model is None:
                model = self._adopt_new(cls, row)
            elif model.__dict__.get("_pn_state") == DELETED:
                continue
            out.append(model)  # type: ignore[arg-type]
        return out

    def _adopt_new(self, cls: type[M], row: tuple[Any, ...]) -> M:
        """The model for one store row whose entry the identity map does not hold yet."""
        model = cls._from_row(row)
        d = model.__dict__
        d["_pn_session"] = self
        d["_pn_state"] = PERSISTENT
        self._identity[(cls._pn_schema, row[0])] = model
        self._watch(model)
        return model

    def _watch(self, model: BaseModel) -> None:
        """Snapshot the fields whose values can change in place, to find such changes."""
        mutable = type(model)._pn_mutable_columns
        if mutable:
            d = model.__dict__
            d["_pn_mutable"] = {a.name: a.polytype.to_db(d.get(a.name)) for a in mutable}
            self._watched[id(model)] = model

    # -- flush ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Write pending inserts, updates and deletes without committing."""
        self._require_active()
        self._collect_mutations()
        if not (self._new or self._dirty or self._deleted):
            return
        updates = self._pending_updates()
        self._validate(updates)
        try:
            write(self, updates)
        except PolynomError:
            self._finish("rolled back after a failed flush", rollback=True)
            raise
        self._after_flush()

    def _collect_mutations(self) -> None:
        for model in self._watched.values():
            d = model.__dict__
            if d.get("_pn_state") != PERSISTENT or not d.get("_pn_tracking", True):
                continue
            snapshot = d["_pn_mutable"]
            attributes = type(model)._pn_attributes
            for name, stored in snapshot.items():
                polytype = attributes[name].polytype
                if polytype.to_db(d.get(name)) != stored:
                    changes = d.get("_pn_changes")
                    if changes is None:
                        changes = d["_pn_changes"] = {}
                        self._dirty[id(model)] = model
                    changes.setdefault(name, polytype.from_db(stored))

    def _pending_updates(self) -> list[tuple[BaseModel, dict[str, Any]]]:
        updates = []
        for model in self._dirty.values():
            d = model.__dict__
            changes = d.get("_pn_changes") or {}
            real = {k: old for k, old in changes.items() if old != d.get(k)}
            if real:
                updates.append((model, real))
            else:
                d["_pn_changes"] = None
        return updates

    def _validate(self, updates: list[tuple[BaseModel, dict[str, Any]]]) -> None:
        for model in self._new.values():
            self._check_required(model, type(model)._pn_attributes.values())
        for model, changes in updates:
            attrs = type(model)._pn_attributes
            self._check_required(model, [attrs[k] for k in changes])

    @staticmethod
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

    def _after_flush(self) -> None:
        for model in self._new.values():
            model.__dict__["_pn_state"] = PERSISTENT
            self._watch(model)
        for model in self._dirty.values():
            model.__dict__["_pn_changes"] = None
            self._watch(model)  # what was written is the new reference for in-place changes
        for model in self._deleted.values():
            self._identity.pop((type(model)._pn_schema, model.__dict__[ENTRY_ID]), None)
            self._watched.pop(id(model), None)
        self._new.clear()
        self._dirty.clear()
        self._deleted.clear()
