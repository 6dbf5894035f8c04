"""``Relationship``: a model attribute that holds related models.

The direction comes from the foreign keys: when the owner's schema has a foreign key to the
target, the attribute holds one model (``bike.owner``); when the target's schema has a
foreign key to the owner, it holds a list (``owner.bikes``). A self-reference has both
sides in one schema: ``uselist=True`` declares the list side (``node.children``), as in
SQLAlchemy. ``back_populates`` keeps the other side in step in memory. Cascades (comma separated):

- ``save-update`` (the default): adding a model to a session adds its related models.
- ``delete``: deleting a model deletes its related models (loading them if needed).
- ``all``: ``save-update`` and ``delete``.
- ``delete-orphan``: a model removed from its parent (or replaced) is deleted.

Anything else (SQLAlchemy's ``merge``, ``refresh-expire``...) is refused: polynom has no
merge or expiry to cascade.

Between classes that are not both mapped -- a plain class, or a model without a schema --
a relationship is PolyNOM 0.3's in-memory link: it holds one object (None until set), checks
its class, and keeps the ``back_populates`` attribute of the other object in step (appending
to it when it is a list, setting it otherwise). The same in-memory backref is used when a
mapped target has a plain attribute, not a relationship, of that name.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, SupportsIndex

from polynom.errors import (
    DetachedModelError,
    MissingBackrefError,
    RelationshipError,
    RelationshipTypeError,
)
from polynom.model.mapper import RelationshipAttribute
from polynom.model.model import BaseModel
from polynom.model.model_registry import resolve_model
from polynom.model.state import (
    DELETED,
    PENDING,
    PERSISTENT,
    TRANSIENT,
    ModelState,
    Tracker,
    state_of,
)
from polynom.schema.schema import ENTRY_ID

if TYPE_CHECKING:
    from polynom.schema.schema import ForeignKeyField

__all__ = ["CASCADES", "Relationship"]

#: The cascades a relationship accepts.
CASCADES = frozenset({"save-update", "delete", "all", "delete-orphan"})


def _status(model: BaseModel) -> ModelState:
    state = state_of(model)
    return TRANSIENT if state is None else state.status


def _tracker(model: BaseModel) -> Tracker | None:
    state = state_of(model)
    return None if state is None else state.tracker


def _cascade_add(tracker: Tracker, model: BaseModel) -> None:
    """Add ``model`` to ``tracker`` unless it tracks it already."""
    if _tracker(model) is not tracker:
        tracker.add(model)


def _orphan(tracker: Tracker, model: BaseModel) -> None:
    """Delete a model its parent let go of (``delete-orphan``), if ``tracker`` holds it."""
    if _tracker(model) is tracker and _status(model) in (PENDING, PERSISTENT):
        tracker.delete(model)


class Relationship(RelationshipAttribute):
    """Related models, by class or by dotted name of a ``@polynom_model`` class."""

    def __init__(
        self,
        target_model: type[BaseModel] | str,
        back_populates: str | None = None,
        cascade: str | None = None,
        foreign_key: str | None = None,
        uselist: bool | None = None,
    ) -> None:
        if target_model is None:
            raise RelationshipError("Relationship needs a target model (class or dotted name)")
        self._target = target_model
        self.back_populates = back_populates
        self.foreign_key_name = foreign_key
        self.uselist = uselist
        words = {w.strip() for w in (cascade or "save-update").split(",") if w.strip()}
        unknown = words - CASCADES
        if unknown:
            raise RelationshipError(
                f"unsupported cascade {', '.join(sorted(unknown))}; the supported cascades are "
                f"{', '.join(sorted(CASCADES))}"
            )
        if "all" in words:
            words |= {"save-update", "delete"}
        self.cascade = frozenset(words)
        self.name = ""
        self.owner: type[BaseModel] | None = None
        self._fk: ForeignKeyField | None = None
        self._scalar: bool | None = None
        self._plain: bool | None = None

    def __set_name__(self, owner: type[BaseModel], name: str) -> None:
        self.owner = owner
        self.name = name

    # -- resolution ----------------------------------------------------------------------

    @property
    def target(self) -> type[BaseModel]:
        """The related model class (a dotted name is resolved on first use)."""
        if isinstance(self._target, str):
            self._target = resolve_model(self._target, f"relationship {self}")
        target: type[BaseModel] = self._target
        return target

    #: PolyNOM 0.3's name for :attr:`target`.
    target_model = target

    @property
    def plain(self) -> bool:
        """True when owner or target is not a mapped model: an in-memory link only."""
        if self._plain is None:
            self._plain = not (
                hasattr(self.owner, "__mapper__") and hasattr(self.target, "__mapper__")
            )
        return self._plain

    def _resolve(self) -> None:
        owner, target = self.owner, self.target
        assert owner is not None
        owner_schema = owner.__mapper__.schema
        target_schema = target.__mapper__.schema
        mine = [fk for fk in owner_schema.foreign_keys() if fk.referenced_schema is target_schema]
        theirs = [fk for fk in target_schema.foreign_keys() if fk.referenced_schema is owner_schema]
        if self.foreign_key_name:
            mine = [
                f for f in mine if self.foreign_key_name in (f.db_field_name, f.python_field_name)
            ]
            theirs = [
                f for f in theirs if self.foreign_key_name in (f.db_field_name, f.python_field_name)
            ]
        if self.uselist is None:  # the side holding the foreign key holds one model
            candidates, scalar = (mine, True) if mine else (theirs, False)
        else:  # a self-reference has both sides in one schema: the user says which
            candidates, scalar = (theirs, False) if self.uselist else (mine, True)
        if not candidates:
            raise RelationshipError(
                f"{self}: neither {owner.__name__} nor {target.__name__} has a ForeignKeyField "
                "referencing the other"
            )
        if len(candidates) > 1:
            names = ", ".join(f.db_field_name for f in candidates)
            raise RelationshipError(
                f"{self}: several foreign keys fit ({names}); pass foreign_key="
            )
        self._fk, self._scalar = candidates[0], scalar

    @property
    def foreign_key(self) -> ForeignKeyField:
        """The foreign key field that implements the relationship."""
        if self._fk is None:
            self._resolve()
        assert self._fk is not None
        return self._fk

    @property
    def scalar(self) -> bool:
        """True for a many-to-one attribute (one model), False for a list."""
        if self._scalar is None:
            self._resolve()
        return bool(self._scalar)

    def _back(self) -> Relationship | None:
        """The relationship on the other side (None without one: see :meth:`_plain_back`)."""
        if not self.back_populates:
            return None
        back = self.target.__mapper__.relationships.get(self.back_populates)
        return back if isinstance(back, Relationship) else None

    def _plain_back(self, obj: Any, old: Any, value: Any) -> None:
        """PolyNOM's in-memory backref: take ``obj`` out of ``old``'s back attribute and put
        it into ``value``'s (a list is appended to, anything else is set)."""
        back = self.back_populates
        if not back:
            return
        if old is not None:
            current = getattr(old, back, None)
            if isinstance(current, list):
                if obj in current:
                    current.remove(obj)
            elif current is obj:
                setattr(old, back, None)
        if value is not None:
            if not hasattr(value, back):
                raise MissingBackrefError(
                    f"Backref attribute '{back}' not found on {type(value).__name__} "
                    f"(back_populates of {self})"
                )
            current = getattr(value, back)
            if isinstance(current, list):
                if obj not in current:
                    current.append(obj)
            elif current is not obj:
                setattr(value, back, obj)

    def __repr__(self) -> str:
        owner = self.owner.__name__ if self.owner else "?"
        return f"{owner}.{self.name}"

    # -- access --------------------------------------------------------------------------

    def __get__(self, obj: BaseModel | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        d = obj.__dict__
        name = self.name
        if name in d:
            return d[name]
        if self.plain:
            return None
        value = self._load(obj)
        d[name] = value
        return value

    def _load(self, obj: BaseModel) -> Any:
        d = obj.__dict__
        state = _status(obj)
        if self.scalar:
            ref = d.get(self.foreign_key.python_field_name)
            if ref is None:
                return None
        elif state in (TRANSIENT, PENDING):
            return _related_list(self, obj, ())
        session = _tracker(obj)
        if session is None or not session.is_active:
            if state == TRANSIENT:
                return None if self.scalar else _related_list(self, obj, ())
            raise DetachedModelError(
                f"{self} was not loaded before the session ended; access it inside the "
                f"session or load it with .options(joinedload({self}))"
            )
        if self.scalar:
            fk = self.foreign_key
            if fk.referenced_db_field_name == ENTRY_ID:
                return session.query(self.target).get(str(ref))  # the identity map first
            referenced = fk.referenced_schema.field_by_db_name(fk.referenced_db_field_name)
            assert referenced is not None
            column = getattr(self.target, referenced.python_field_name)
            return session.query(self.target).filter(column == ref).first()
        children = session.query(self.target).load_by(
            self.foreign_key.python_field_name, obj._entry_id
        )
        return _related_list(self, obj, children)

    def set_loaded(self, obj: BaseModel, value: Any) -> None:
        """Store an eagerly loaded value (no change tracking)."""
        obj.__dict__[self.name] = value if self.scalar else _related_list(self, obj, value)

    def __set__(self, obj: BaseModel, value: Any) -> None:
        if self.plain:
            self._set_plain(obj, value)
        elif self.scalar:
            self._set_scalar(obj, value)
        else:
            if isinstance(value, BaseModel) or not isinstance(value, Iterable):
                raise RelationshipError(f"{self} holds a list of {self.target.__name__}")
            current = self.__get__(obj)
            current[:] = list(value)

    def _check(self, value: Any) -> None:
        if value is not None and not isinstance(value, self.target):
            raise RelationshipTypeError(
                f"{self} holds {self.target.__name__} models, got {type(value).__name__}"
            )

    def _set_plain(self, obj: Any, value: Any) -> None:
        self._check(value)
        d = obj.__dict__
        old = d.get(self.name)
        if old is value and self.name in d:
            return
        d[self.name] = value
        self._plain_back(obj, old, value)

    def _set_scalar(
        self, obj: BaseModel, value: BaseModel | None, *, from_back: bool = False
    ) -> None:
        self._check(value)
        d = obj.__dict__
        name = self.name
        old = d.get(name)
        if old is None and name not in d and _status(obj) is PERSISTENT:
            old = self.__get__(obj)
        if old is value and name in d:
            return
        d[name] = value
        setattr(obj, self.foreign_key.python_field_name, None if value is None else value._entry_id)
        back = self._back()
        if back is None and not from_back:
            self._plain_back(obj, old, value)
        if back is not None and not from_back:
            if old is not None and obj in back.peek(old):
                list.remove(old.__dict__[back.name], obj)
            if value is not None and (back.loaded(value) or _status(value) in (TRANSIENT, PENDING)):
                children = back.__get__(value)
                if obj not in children:
                    list.append(children, obj)
        session = _tracker(obj)
        if session is not None:
            if value is not None and "save-update" in self.cascade:
                _cascade_add(session, value)
            if old is not None and "delete-orphan" in self.cascade:
                _orphan(session, old)


class _RelatedList(list[BaseModel]):
    """The list behind a one-to-many relationship; keeps foreign keys and backrefs in step.

    It holds its parent weakly: the parent holds the list (in its ``__dict__``), and a list
    holding it back would make every parent a lazy or eager load fills a reference cycle,
    freed with its children only by the cyclic garbage collector long after the session
    ended. The parent is alive whenever its session is (the identity map holds it).
    Slotted: a load makes one per parent, and without a ``__dict__`` it is one object for
    the garbage collector instead of two. Made by :func:`_related_list`, with list's own
    ``__init__`` (a Python one doubled the cost of making it)."""

    __slots__ = ("_parent_ref", "_rel")

    if TYPE_CHECKING:  # the slots' types; at run time list's own __init__ runs

        def __init__(self, items: Iterable[BaseModel] = ()) -> None:
            self._rel: Relationship
            self._parent_ref: Callable[[], BaseModel | None]

    @property
    def _parent(self) -> BaseModel:
        """The model whose list this is, which changing the list changes (foreign keys,
        backrefs and cascades are its): refused, before any change, when it is gone or
        detached."""
        parent = self._parent_ref()
        if parent is None:
            rel = self._rel
            owner = rel.owner.__name__ if rel.owner else "parent"
            raise RelationshipError(
                f"cannot change {rel}: the {owner} this list belongs to no longer exists "
                f"(nothing referenced it); keep the {owner} while you change its {rel.name}"
            )
        tracker = _tracker(parent)
        if tracker is not None and not tracker.is_active:
            raise DetachedModelError(
                f"cannot change {self._rel}: the {type(parent).__name__} is detached, no longer "
                f"mapped (its session has {tracker.outcome or 'not started'}); query it again "
                "in an active session"
            )
        return parent

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        """Pickled and deep-copied with its parent (a weak reference is neither), and made
        again holding its items without linking them: they are linked already."""
        rel = self._rel
        return _restore_related, (rel.owner, rel.name, self._parent_ref(), list(self))

    def _link(self, parent: BaseModel, child: BaseModel) -> None:
        rel = self._rel
        rel._check(child)
        if _status(child) is DELETED:
            raise RelationshipError(f"{rel}: cannot add a deleted {type(child).__name__}")
        setattr(child, rel.foreign_key.python_field_name, parent._entry_id)
        back = rel._back()
        if back is not None:
            child.__dict__[back.name] = parent
        session = _tracker(parent)
        if session is not None and "save-update" in rel.cascade:
            _cascade_add(session, child)

    def _unlink(self, parent: BaseModel, child: BaseModel) -> None:
        rel = self._rel
        back = rel._back()
        if back is not None and child.__dict__.get(back.name) is parent:
            child.__dict__[back.name] = None
        session = _tracker(parent)
        if "delete-orphan" in rel.cascade and session is not None:
            _orphan(session, child)
        elif _status(child) is not DELETED:
            setattr(child, rel.foreign_key.python_field_name, None)

    # Each change takes the parent first: a list whose parent is gone refuses the change
    # before making any of it.

    def append(self, child: BaseModel) -> None:
        parent = self._parent
        if child in self:
            return
        self._link(parent, child)
        super().append(child)

    def extend(self, children: Iterable[BaseModel]) -> None:
        for child in children:
            self.append(child)

    def __iadd__(self, children: Iterable[BaseModel]) -> _RelatedList:  # type: ignore[override,misc]
        self.extend(children)
        return self

    def insert(self, index: SupportsIndex, child: BaseModel) -> None:
        parent = self._parent
        if child in self:
            return
        self._link(parent, child)
        super().insert(index, child)

    def remove(self, child: BaseModel) -> None:
        parent = self._parent
        super().remove(child)
        self._unlink(parent, child)

    def pop(self, index: SupportsIndex = -1) -> BaseModel:
        parent = self._parent
        child = super().pop(index)
        self._unlink(parent, child)
        return child

    def clear(self) -> None:
        parent = self._parent
        children = list(self)
        super().clear()
        for child in children:
            self._unlink(parent, child)

    def __setitem__(self, index: Any, value: Any) -> None:
        parent = self._parent
        old = self[index]
        old_list = old if isinstance(index, slice) else [old]
        new_list = list(value) if isinstance(index, slice) else [value]
        super().__setitem__(index, value if not isinstance(index, slice) else new_list)
        for child in old_list:
            if child not in self:
                self._unlink(parent, child)
        for child in new_list:
            self._link(parent, child)

    def __delitem__(self, index: Any) -> None:
        parent = self._parent
        old = self[index]
        super().__delitem__(index)
        for child in old if isinstance(index, slice) else [old]:
            if child not in self:
                self._unlink(parent, child)


def _related_list(
    relationship: Relationship, parent: BaseModel | None, items: Iterable[BaseModel]
) -> _RelatedList:
    """The list behind ``parent``'s ``relationship``, holding ``items`` (None: a list
    restored after its parent was gone)."""
    related = _RelatedList(items)
    related._rel = relationship
    related._parent_ref = _no_parent if parent is None else weakref.ref(parent)
    return related


def _no_parent() -> None:
    """The parent reference of a list restored after its parent was gone."""
    return None


def _restore_related(
    owner: type[BaseModel], name: str, parent: BaseModel | None, items: list[BaseModel]
) -> _RelatedList:
    """A pickled or deep-copied list, made again (see ``_RelatedList.__reduce_ex__``)."""
    return _related_list(getattr(owner, name), parent, items)
