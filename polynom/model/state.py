"""The bookkeeping of one model instance: :class:`InstanceState`, and who tracks it.

Every model a session holds carries one ``InstanceState`` (in the slot :data:`STATE_KEY`
that ``BaseModel`` declares, outside the instance ``__dict__``): its lifecycle state, the
session tracking it, and whether it is tracked at all. The old values of its changed fields
are kept by the session (its unit of work), not here, so the many models a query loads
share one state even while an update changes them. A model nobody tracks yet has None
there.

The model layer never imports the session: it talks to a :class:`Tracker`, the protocol a
session implements (dependency inversion), to record changes, cascade adds and deletes,
and load relationships.
"""

from __future__ import annotations

from enum import Enum, auto
from typing import Any, ClassVar, Protocol, TypeVar

from polynom.errors import DetachedModelError

__all__ = [
    "STATE_KEY",
    "InstanceState",
    "ModelState",
    "SharedState",
    "Tracker",
    "make_state",
    "model_state",
    "state_of",
]

_new = object.__new__

S = TypeVar("S", bound="InstanceState")

#: The slot a model keeps its ``InstanceState`` in. A slot, not a key of the ``__dict__``:
#: a dict holding only field values (strings, numbers, Decimals) is one the cyclic garbage
#: collector does not track, so a model a session loads is one tracked object, not two.
STATE_KEY = "__polynom_state__"


class ModelState(Enum):
    """Where a model is in its life (the same kind of enum as the session's state)."""

    #: Made in Python, in no session.
    TRANSIENT = auto()
    #: Added to a session; inserted on its next flush.
    PENDING = auto()
    #: Stored, and held by an active session.
    PERSISTENT = auto()
    #: Marked for deletion (or deleted by a flush) in its active session.
    DELETED = auto()
    #: Its session has ended: it can be read, not written.
    DETACHED = auto()


TRANSIENT = ModelState.TRANSIENT
PENDING = ModelState.PENDING
PERSISTENT = ModelState.PERSISTENT
DELETED = ModelState.DELETED
DETACHED = ModelState.DETACHED


class Tracker(Protocol):
    """What the model layer needs from the session tracking a model."""

    @property
    def is_active(self) -> bool:
        """True while the tracker's transaction is open."""
        ...

    @property
    def outcome(self) -> str:
        """How the tracker ended (``"committed"``, ``"rolled back"``...), for messages."""
        ...

    def add(self, model: Any) -> None:
        """Track a new model (a ``save-update`` cascade)."""
        ...

    def delete(self, model: Any) -> None:
        """Delete a tracked model (a ``delete-orphan`` cascade)."""
        ...

    def record_change(self, model: Any, name: str, old: Any) -> None:
        """A persistent model's field ``name`` is about to change from ``old``."""
        ...

    def changes_of(self, model: Any) -> dict[str, Any] | None:
        """``{field: value before its first change}`` since the last flush, or None; the
        dict itself, so clearing it forgets the changes (``_update_snapshot``)."""
        ...

    def query(self, model: type[Any]) -> Any:
        """A query over ``model`` (relationships load through it)."""
        ...


class InstanceState:
    """The bookkeeping of one model instance (like SQLAlchemy's ``InstanceState``)."""

    __slots__ = ("baseline", "mutable", "status", "tracker", "tracking")

    #: True for a :class:`SharedState`, which must not change: see :meth:`own`.
    shared: ClassVar[bool] = False

    def __init__(self, tracker: Tracker | None, status: ModelState) -> None:
        #: The session tracking the model (kept after it ends, to say why writes fail).
        self.tracker = tracker
        #: The stored lifecycle state; :attr:`state` adds DETACHED once the tracker ended.
        self.status = status
        #: False when the model was added with ``tracking=False``: later writes are ignored.
        self.tracking = True
        #: The values a transient model's ``_update_snapshot()`` took (PolyNOM's), or None.
        self.baseline: dict[str, Any] | None = None
        #: Stored forms of the fields that can change in place (``Json``), to find changes.
        self.mutable: dict[str, Any] | None = None

    @property
    def state(self) -> ModelState:
        """The model's lifecycle state, DETACHED once its session has ended."""
        tracker = self.tracker
        if tracker is not None and not tracker.is_active:
            return DETACHED
        return self.status

    def own(self, model: Any) -> InstanceState:
        """The state to change for ``model``: this one, or for a :class:`SharedState` a
        private copy, which becomes the model's."""
        if not self.shared:
            return self
        state = model.__polynom_state__ = make_state(
            InstanceState, self.tracker, self.status, self.tracking
        )
        return state

    def before_write(self, model: Any, name: str, old: Any) -> None:
        """Called by a field attribute before the field of a model with a tracker changes;
        records the old value through ``Tracker.record_change`` or refuses the write. The
        attribute makes the usual call itself (persistent, tracked, its session active),
        one call less on every tracked write: this is the rest, and what decides them all."""
        tracker = self.tracker
        if tracker is None:
            return
        if not tracker.is_active:
            raise DetachedModelError(
                f"cannot set {type(model).__name__}.{name}: the model is detached, no longer "
                f"mapped (its session has {tracker.outcome or 'not started'}); query it again "
                "in an active session"
            )
        status = self.status
        if status is PERSISTENT:
            if self.tracking:
                tracker.record_change(model, name, old)
        elif status is DELETED:
            raise DetachedModelError(
                f"cannot set {type(model).__name__}.{name}: the model is deleted in this "
                "session, no longer mapped"
            )

    def __repr__(self) -> str:
        return f"<InstanceState {self.state.name}>"


class SharedState(InstanceState):
    """The one state a session's persistent models share from the moment it loads or
    writes them (a model fewer objects per row): PERSISTENT, tracked, no snapshot -- and the
    one the models added to it share until they are written (PENDING). Field changes do not
    touch it (the unit of work keeps them). Nothing changes it; whatever changes a model's
    state takes a copy of its own first (:meth:`InstanceState.own`): a delete,
    ``add(tracking=...)``, a snapshot of its stored values."""

    __slots__ = ()

    shared = True


def make_state(
    kind: type[S],
    tracker: Tracker | None,
    status: ModelState,
    tracking: bool = True,
) -> S:
    """``kind(tracker, status)`` with ``tracking`` set, made at half the cost of the class
    call: the hot paths (a model added untracked, or loaded with a snapshot) make one per
    model."""
    state = _new(kind)
    state.tracker = tracker
    state.status = status
    state.tracking = tracking
    state.baseline = None
    state.mutable = None
    return state


def state_of(model: Any) -> InstanceState | None:
    """The model's ``InstanceState``, or None while no session has tracked it (also before
    ``BaseModel.__init__`` ran: a PolyNOM-style ``__init__`` sets fields first)."""
    state: InstanceState | None = getattr(model, STATE_KEY, None)
    return state


def model_state(model: Any) -> ModelState:
    """Where ``model`` is in its life: TRANSIENT, PENDING, PERSISTENT, DELETED or DETACHED."""
    state = state_of(model)
    return TRANSIENT if state is None else state.state
