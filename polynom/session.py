"""``Session``: an isolated, transactional unit of work within an application.

A session keeps an identity map (one object per entry), tracks changes to the models it
holds, and writes them on ``flush``: inserts as multi-row statements, parents before
children; updates of just the changed fields, batched, each checked against the value it
replaced so a concurrent change is a :class:`~polynom.errors.ConflictError`, never a lost
update; deletes children first. ``commit`` makes it all durable in one transaction;
leaving the ``with`` block without it rolls back. Afterwards the models are detached:
they can be read, and writing to one raises :class:`~polynom.errors.DetachedModelError`.

The session hands narrow objects down: its :class:`~polynom.unit_of_work.UnitOfWork` to
queries, a flush plan and an executor to persistence. It needs of its application only
what :class:`SessionApplication` names.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from enum import Enum, auto
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from polynom.errors import (
    ApplicationStateError,
    ForeignModelError,
    PolynomError,
    RelationshipTypeError,
    SessionError,
    StoreError,
)
from polynom.model.model import BaseModel
from polynom.model.state import (
    DELETED,
    PENDING,
    PERSISTENT,
    STATE_KEY,
    InstanceState,
    Tracker,
    make_state,
    state_of,
)
from polynom.query import Query, get_by_id
from polynom.schema.internal import ChangeLogSchema
from polynom.schema.schema import ENTRY_ID, BaseSchema
from polynom.unit_of_work.changes import changelog_rows
from polynom.unit_of_work.executor import ConnectionExecutor
from polynom.unit_of_work.ordering import plan_flush
from polynom.unit_of_work.persistence import insert_rows, write_changes
from polynom.unit_of_work.tracking import UnitOfWork

if TYPE_CHECKING:
    from types import TracebackType

    from polynom.stores.base import Result, Store, StoreConnection

__all__ = ["Session", "SessionApplication", "SessionState"]

M = TypeVar("M", bound=BaseModel)


class SessionState(Enum):
    """Where a session is in its life."""

    INITIALIZED = auto()
    ACTIVE = auto()
    COMPLETED = auto()


#: PolyNOM's name for it.
_SessionState = SessionState

# module globals: one lookup on the hot paths instead of a global plus an attribute
_INITIALIZED = SessionState.INITIALIZED
_ACTIVE = SessionState.ACTIVE
_COMPLETED = SessionState.COMPLETED


class SessionApplication(Protocol):
    """What a session needs of its application (``polynom.application.Application`` is one)."""

    @property
    def app_uuid(self) -> str: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def store(self) -> Store:
        """The store whose pool lends the session its connection."""
        ...

    @property
    def schemas(self) -> list[type[BaseSchema]]:
        """The schemas the application manages (the changelog decodes values with them)."""
        ...

    @property
    def log_statements(self) -> bool: ...

    def log_statement(self, statement: str, params: Sequence[Any] = ()) -> None:
        """Log a statement about to run (when statement logging is on)."""
        ...


class Session:
    """A unit of work. Use it as a context manager: ``with Session(app) as session:``.

    ``log_user`` names who makes the changes; when set, every committed insert, update and
    delete is recorded in the changelog in the same transaction. ``connection`` lets an
    owner (the DAL's resource) hand in a pooled connection it will return itself.
    """

    #: True between ``__enter__`` and commit/rollback (a plain attribute: read on every write).
    is_active: bool
    #: Called by the model layer before a persistent model's field changes (``Tracker``):
    #: the unit of work's own method, called on every tracked write without a hop through
    #: the session.
    record_change: Callable[[BaseModel, str, Any], None]

    def __init__(
        self,
        application: SessionApplication,
        log_user: str | None = None,
        connection: StoreConnection | None = None,
    ) -> None:
        if not application.is_active:
            raise ApplicationStateError(
                "the application must be active (inside `with app:`) to open a session"
            )
        self._app = application
        self.log_user = log_user
        self._session_id: str | None = None
        self._state = _INITIALIZED
        self.is_active = False
        self._conn = connection
        self._owns_connection = connection is None
        self._executor: ConnectionExecutor | None = None
        #: The identity map and pending changes (what queries adopt rows through).
        self.unit_of_work = UnitOfWork(self)
        self.record_change = self.unit_of_work.record_change
        self._outcome = ""

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> Session:
        if self._state is _COMPLETED:
            raise SessionError(
                f"the completed Session {self.session_id} ({self._outcome}) cannot be entered "
                "again; open a new Session"
            )
        self._state = _ACTIVE
        self.is_active = True
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
    def application(self) -> SessionApplication:
        return self._app

    @property
    def outcome(self) -> str:
        """How the session ended (``"committed"``, ``"rolled back"``...); ``""`` until then."""
        return self._outcome

    def get_session_state(self) -> SessionState:
        """``INITIALIZED``, ``ACTIVE`` or ``COMPLETED``."""
        return self._state

    def _require_active(self) -> None:
        if self._state is _ACTIVE:
            return
        # The wording keeps PolyNOM 0.3's phrases ("must first be activated", "completed
        # Session"), which its users' tests match; ours adds how the session ended.
        if self._state is _INITIALIZED:
            raise SessionError(
                f'Session {self.session_id} must first be activated by using it in a "with" block'
            )
        if self._state is _COMPLETED:
            raise SessionError(
                f"this operation cannot be performed by the completed Session {self.session_id} "
                f"({self._outcome}); open a new Session"
            )

    @property
    def connection(self) -> StoreConnection:
        """The session's store connection, checked out of the pool on first use."""
        if self._state is not _ACTIVE:
            self._require_active()
        conn = self._conn
        if conn is None:
            conn = self._conn = self._app.store.acquire()
        return conn

    @property
    def executor(self) -> ConnectionExecutor:
        """The session's connection as an executor (what persistence, dump and load use)."""
        executor = self._executor
        if executor is None or self._state is not _ACTIVE:
            app = self._app
            store = app.store
            executor = ConnectionExecutor(
                self.connection, store.max_params, app.log_statement, store.capabilities
            )
            self._executor = executor
        return executor

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Result:
        """Run a Polypheny SQL statement in the session's transaction (values bound)."""
        return self._connection_for(statement, params).execute(statement, params)

    def fetch_rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a query in the session's transaction, values in the store's own forms
        (``StoreConnection.fetch_rows``): what queries and relationship loads read through,
        converting by polytype; ``execute(...).rows`` gives Python values."""
        return self._connection_for(statement, params).fetch_rows(statement, params)

    def _connection_for(self, statement: str, params: Sequence[Any]) -> StoreConnection:
        """The connection a statement runs on (checked out on first use), after logging it."""
        app = self._app
        if app.log_statements:
            app.log_statement(statement, params)
        conn = self._conn
        if conn is None or self._state is not _ACTIVE:
            conn = self.connection
        return conn

    def commit(self) -> None:
        """Flush, then make the transaction durable; the session ends."""
        if self._state is not _ACTIVE:
            self._require_active()
        uow = self.unit_of_work
        if uow.new or uow.dirty or uow.deleted or uow.watched:  # has_pending(), inlined
            self.flush()
        conn = self._conn
        if conn is not None:
            try:
                if uow.references:  # foreign keys the store does not keep, as it commits
                    uow.references.check(self.executor)
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
        self.is_active = False
        self._outcome = outcome
        # The models are detached now, whatever happens to the connection below.
        self.unit_of_work.end()
        self._executor = None
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

    # -- what the session holds ------------------------------------------------------------

    @property
    def new(self) -> list[BaseModel]:
        """The models added and not yet flushed."""
        return list(self.unit_of_work.new.values())

    @property
    def dirty(self) -> list[BaseModel]:
        """The persistent models with field changes not yet flushed."""
        return [model for model, _ in self.unit_of_work.dirty.values()]

    @property
    def deleted(self) -> list[BaseModel]:
        """The models marked for deletion and not yet flushed."""
        return list(self.unit_of_work.deleted.values())

    def query(self, model: type[M]) -> Query[M]:
        """A query over ``model`` in this session (``Model.query(session)`` says the same)."""
        return Query(model, self)

    def get(self, model: type[M], entry_id: str) -> M | None:
        """The entry of ``model`` with this ``_entry_id``, or None (the identity map first)."""
        return get_by_id(model, self, entry_id)

    # -- tracking ------------------------------------------------------------------------

    def add(self, model: BaseModel, tracking: bool = True) -> None:
        """Add a new model: it is inserted on the next flush.

        With ``tracking`` (the default), later changes to it are written too.
        """
        if self._state is not _ACTIVE:
            self._require_active()
        if not isinstance(model, BaseModel):
            raise SessionError(f"only models can be added to a session, got {model!r}")
        state: InstanceState | None = getattr(model, STATE_KEY, None)
        owner = None if state is None else state.tracker
        if owner is self:
            assert state is not None
            if state.tracking is not tracking:
                state.own(model).tracking = tracking
            return
        if owner is not None:
            raise ForeignModelError(self._foreign_message(model, owner))
        uow = self.unit_of_work
        mapper = type(model).__mapper__
        entry_id = model.__dict__[ENTRY_ID]
        held = uow.identity_map.of(mapper.schema)
        if entry_id in held:
            raise SessionError(
                f"{type(model).__name__} {entry_id} is already in this session as another object"
            )
        model.__polynom_state__ = (
            uow.adding() if tracking else make_state(InstanceState, self, PENDING, False)
        )
        held[entry_id] = model
        uow.new[id(model)] = model
        relationships = mapper.relationships
        if relationships:
            for rel in relationships.values():
                if "save-update" in rel.cascade:
                    for related in rel.related(model):
                        self._cascade_add(related)

    def add_all(self, models: Iterable[BaseModel], tracking: bool = True) -> None:
        """Add several models."""
        for model in models:
            self.add(model, tracking)

    def _cascade_add(self, model: BaseModel) -> None:
        state = state_of(model)
        if state is None or state.tracker is not self:
            self.add(model)

    def delete(self, model: BaseModel) -> None:
        """Mark a model for deletion on the next flush (cascading where configured).

        A stored model whose session has ended is taken into this one first (as PolyNOM 0.3
        and SQLAlchemy allow); the delete is then checked like any other, so an entry that is
        gone already is a ``ConflictError``.
        """
        self._require_active()
        state = state_of(model)
        owner = None if state is None else state.tracker
        if owner is not self:
            if owner is None:
                raise SessionError(
                    f"{type(model).__name__} {model.__dict__.get(ENTRY_ID)} is not in this "
                    "session; query it in this session before deleting it"
                )
            if owner.is_active or state is None or state.status is not PERSISTENT:
                raise ForeignModelError(self._foreign_message(model, owner))
            model = self._adopt_detached(model)
        # Load everything the delete cascades to first: loading may flush, and nothing may be
        # marked deleted (and so written) before its children are known.
        uow = self.unit_of_work
        for target in self._delete_closure(model):
            uow.mark_deleted(target)

    def _adopt_detached(self, model: BaseModel) -> BaseModel:
        """A stored model of an ended session as this session's (its held object, if any)."""
        uow = self.unit_of_work
        held = uow.identity_map.held_as(model)
        if held is not None:
            return held
        model.__polynom_state__ = make_state(InstanceState, self, PERSISTENT)
        uow.identity_map.add(model)
        if type(model).__mapper__.mutable_columns:
            uow.watch(model)
        return model

    def _delete_closure(self, model: BaseModel) -> list[BaseModel]:
        """``model`` and every model a ``delete`` cascade reaches from it, not yet deleted."""
        found: dict[int, BaseModel] = {}
        stack = [model]
        while stack:
            current = stack.pop()
            state = current.__polynom_state__
            if id(current) in found or (state is not None and state.status is DELETED):
                continue
            found[id(current)] = current
            for rel in type(current).__mapper__.relationships.values():
                if "delete" in rel.cascade:
                    value = getattr(current, rel.name)
                    stack.extend(
                        related
                        for related in ([value] if rel.scalar else list(value))
                        if related is not None and self._holds(related)
                    )
        return list(found.values())

    def _holds(self, model: BaseModel) -> bool:
        state = state_of(model)
        return state is not None and state.tracker is self

    def delete_all(self, models: Iterable[BaseModel]) -> None:
        """Delete several models."""
        for model in list(models):
            self.delete(model)

    def expunge(self, model: BaseModel) -> None:
        """Forget a model this session holds: it is not written, and becomes transient."""
        if not self._holds(model):
            raise SessionError(
                f"{type(model).__name__} {model.__dict__.get(ENTRY_ID)} is not in this session"
            )
        self.unit_of_work.expunge(model)

    def detach_child(self, parent: BaseModel, attr_name: str) -> None:
        """Detach the related model(s) held in ``parent.<attr_name>``.

        With the ``delete-orphan`` cascade the detached models are deleted.
        """
        self._require_active()
        rel = type(parent).__mapper__.relationships.get(attr_name)
        if rel is None:
            raise RelationshipTypeError(
                f"{type(parent).__name__}.{attr_name} is not a Relationship field"
            )
        if rel.scalar:
            setattr(parent, attr_name, None)
        else:
            getattr(parent, attr_name).clear()

    def changes_of(self, model: BaseModel) -> dict[str, Any] | None:
        """The model's changed fields with their old values since the last flush."""
        return self.unit_of_work.changes_of(model)

    def _foreign_message(self, model: BaseModel, owner: Tracker) -> str:
        name = f"{type(model).__name__} {model.__dict__.get(ENTRY_ID)}"
        if owner.is_active:
            return f"{name} belongs to another active session"
        return (
            f"{name} is detached: its session has {owner.outcome or 'ended'}; "
            "query it again in this session"
        )

    # -- flush ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Write pending inserts, updates and deletes without committing."""
        if self._state is not _ACTIVE:
            self._require_active()
        uow = self.unit_of_work
        if uow.watched:
            uow.collect_mutations()
        if not uow.has_changes():
            return
        updates = uow.pending_updates() if uow.dirty else []
        uow.check_required(updates)
        plan = plan_flush(uow.new.values(), updates, uow.deleted.values())
        if not plan.empty:
            try:
                executor = self.executor
                # what may reference the entries a flush deletes or re-keys (inserts need none)
                schemas = self._app.schemas if plan.updates or plan.deletes else ()
                write_changes(plan, executor, schemas, uow.references)
                if self.log_user is not None:
                    rows = changelog_rows(plan, self._app.app_uuid, self.log_user)
                    insert_rows(executor, ChangeLogSchema, rows, check=False)
            except PolynomError:
                self._finish("rolled back after a failed flush", rollback=True)
                raise
        uow.after_flush()
