"""``ModelService``: the get/create/update/delete/list/history service of one model class."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

from polydatum import Service

from polynom.changelog import ChangeRecord, history
from polynom.errors import NotFound, SessionError, ValidationError
from polynom.model.model import BaseModel, model_for_schema
from polynom.query import Query, get_by_id
from polynom.resources.context_state import open_resource
from polynom.schema.schema import ENTRY_ID, ForeignKeyField
from polynom.schema.validation import short_repr
from polynom.session import Session
from polynom.sql.expression import Column, Expr, Ordering

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

#: What ``order_by`` accepts: a field name (``"-price"`` descends), a column, an ordering
#: (``Bike.price.desc()``), or a sequence of those.
OrderBy: TypeAlias = str | Column | Ordering | Sequence[str | Column | Ordering] | None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing, with the total number of matching entries."""

    items: list[T]
    total: int
    limit: int | None
    offset: int

    @property
    def has_next(self) -> bool:
        """True when more entries follow this page."""
        return self.offset + len(self.items) < self.total


class ModelService(Service, Generic[M]):
    """Data access for one model class inside a polydatum context.

    Use it as is (``dm.register_services(bikes=ModelService(Bike))``) or subclass it to add
    business methods, which reach the context's session as ``self.session`` (the same
    object as ``self._ctx.session``) and build queries with :meth:`query`::

        class BikeService(ModelService[Bike]):
            model = Bike

            def cheaper_than(self, price: int) -> list[Bike]:
                return self.query().filter(Bike.price < price).all()

    Following Polydatum's conventions, ``get`` returns ``None`` for a missing entry and the
    methods that need an entry to exist raise :class:`polynom.errors.NotFound`.
    Nothing here commits: the transaction middleware commits when the context ends.
    """

    #: The model class the service serves; set it on a subclass or pass it to ``__init__``.
    model: type[M]

    def __init__(self, model: type[M] | None = None) -> None:
        super().__init__()
        if model is not None:
            self.model = model
        if not (
            isinstance(getattr(self, "model", None), type) and issubclass(self.model, BaseModel)
        ):
            raise TypeError(
                f"{type(self).__name__} needs a model class: pass it (ModelService(Bike)) "
                "or set 'model = Bike' on the subclass"
            )

    def __getattr__(self, name: str) -> Any:
        # Polydatum looks nested services up here and raises KeyError for anything else;
        # an AttributeError keeps hasattr(), copy and mocks working.
        if name.startswith("__") or name == "_services":
            raise AttributeError(name)
        try:
            return self._services[name]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__!r} has no attribute or sub-service {name!r}"
            ) from None

    # -- context ----------------------------------------------------------------------------

    @property
    def session(self) -> Session:
        """The active context's ``Session`` (opened on first use)."""
        dm = self._data_manager
        ctx = dm.ctx_stack.top if dm is not None else None
        if ctx is None:
            raise SessionError(
                f"{type(self).__name__} was used outside a data access context: call it "
                "inside 'with dm.context(...) as ctx:' as ctx.dal.<service>.<method>(...)"
            )
        session: Session = open_resource(ctx, "session")
        return session

    def query(self) -> Query[M]:
        """A query over the model in the context's session."""
        return Query(self.model, self.session)

    # -- reading ----------------------------------------------------------------------------

    def get(self, entry_id: str) -> M | None:
        """The entry with ``entry_id``, or ``None`` when there is none."""
        return get_by_id(self.model, self.session, entry_id)

    def get_or_raise(self, entry_id: str) -> M:
        """The entry with ``entry_id``; raises ``NotFound`` naming the model and the id."""
        obj = get_by_id(self.model, self.session, entry_id)
        if obj is None:
            raise NotFound(f"{self.model.__name__} with entry id {entry_id!r} does not exist")
        return obj

    def exists(self, *criteria: Expr, **filters: Any) -> bool:
        """True when an entry matches ``criteria`` (expressions) and ``filters``."""
        return self._filtered(criteria, filters).exists()

    def count(self, *criteria: Expr, **filters: Any) -> int:
        """How many entries match ``criteria`` (``Bike.price > 100``) and ``filters``."""
        return self._filtered(criteria, filters).count()

    def list(
        self,
        *criteria: Expr,
        filters: Mapping[str, Any] | None = None,
        order_by: OrderBy = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> builtins.list[M]:
        """Entries matching ``criteria`` and ``filters``, ordered, at most ``limit`` of them.

        ``criteria`` are query expressions (``Bike.price > 100``); ``filters`` are
        field=value equalities; ``order_by`` takes ``"name"``, ``"-name"`` (descending),
        ``Bike.name.desc()`` or a list of them. Without ``order_by`` the order is the
        store's: give one whenever you page.
        """
        q = self._filtered(criteria, filters or {})
        if order_by is not None:
            terms = order_by if isinstance(order_by, builtins.list | tuple) else (order_by,)
            q = q.order_by(*terms)
        if limit is not None:
            q = q.limit(limit)
        if offset:
            q = q.offset(offset)
        return q.all()

    def page(
        self,
        *criteria: Expr,
        filters: Mapping[str, Any] | None = None,
        order_by: OrderBy = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Page[M]:
        """Like :meth:`list`, plus the total number of matching entries (for pagers)."""
        items = self.list(*criteria, filters=filters, order_by=order_by, limit=limit, offset=offset)
        if limit is None or (len(items) < limit and (items or offset == 0)):
            total = offset + len(items)  # this is the last page: no second query needed
        else:
            total = self.count(*criteria, **(filters or {}))
        return Page(items=items, total=total, limit=limit, offset=offset)

    def history(self, entry_id: str) -> builtins.list[ChangeRecord]:
        """The entry's changelog, oldest first: who changed which fields, when, old and new.

        Deleted entries keep their history; an id that never existed gives ``[]``.
        """
        schema = self.model.__mapper__.schema
        return [
            record
            for record in history(self.session, entry_id)
            if record.entity == schema.entity_name and record.namespace == schema.namespace()
        ]

    # -- writing ----------------------------------------------------------------------------

    def create(self, **fields: Any) -> M:
        """Create an entry from ``fields`` and write it in the context's transaction.

        A foreign key naming no entry is ``NotFound`` (naming the parent model and id),
        before anything is written. The entry is flushed at once so that a constraint
        violation surfaces here, at the call, not when the context commits. Like any failed
        flush, that ends the context's session: nothing of the context is committed.
        """
        obj = self.model(**fields)
        self._require_parents(obj, self._foreign_keys_held(obj))
        session = self.session
        session.add(obj)
        session.flush()
        return obj

    def update(self, entry_id: str, **changes: Any) -> M:
        """Set fields of the entry and write them; raises ``NotFound`` when it is missing.

        Unknown field names and bad values are refused (``ValidationError`` naming model and
        field), and a foreign key naming no entry is ``NotFound`` naming the parent model and
        id, before anything changes.
        """
        model = self.model
        mapper = model.__mapper__
        for name in changes:
            if name == "_entry_id" or (
                name not in mapper.attributes and name not in mapper.relationships
            ):
                raise ValidationError(
                    f"{model.__name__} has no field {name!r} to update",
                    model=model.__name__,
                    field=name,
                    value=changes[name],
                )
        obj = self.get_or_raise(entry_id)
        foreign_keys = {
            name: attribute.check(value, model)
            for name, value in changes.items()
            if (attribute := mapper.attributes.get(name)) is not None
            and attribute.field.is_foreign_key
            and value is not None
        }
        current = obj.__dict__
        self._require_parents(obj, {k: v for k, v in foreign_keys.items() if v != current.get(k)})
        for name, value in changes.items():
            setattr(obj, name, value)
        self.session.flush()
        return obj

    def delete(self, entry_id: str) -> None:
        """Delete the entry (cascades apply); raises ``NotFound`` when it is missing."""
        obj = self.get_or_raise(entry_id)
        session = self.session
        session.delete(obj)
        session.flush()

    # -- parents ----------------------------------------------------------------------------

    @staticmethod
    def _foreign_keys_held(obj: BaseModel) -> dict[str, Any]:
        """The foreign key values of a new model that name a parent by id alone (not the
        ones set from a related model in memory, which the flush writes first)."""
        mapper = type(obj).__mapper__
        d = obj.__dict__
        values = {
            a.name: d[a.name]
            for a in mapper.columns
            if a.field.is_foreign_key and d.get(a.name) is not None
        }
        for rel in mapper.relationships.values():
            if values and rel.scalar and rel.peek(obj) is not None:
                values.pop(rel.foreign_key.python_field_name, None)
        return values

    def _require_parents(self, obj: BaseModel, foreign_keys: Mapping[str, Any]) -> None:
        """``NotFound`` naming the parent model and id when a foreign key names no entry.

        Checked before the change reaches the session, so the store is never asked to write
        a dangling reference (Polypheny does not enforce foreign keys by default); a parent
        added earlier in the same context counts.
        """
        model = type(obj)
        mapper = model.__mapper__
        # the parent as the model names it: its relationship's target, else the schema's model
        targets = {
            rel.foreign_key.python_field_name: rel.target
            for rel in mapper.relationships.values()
            if foreign_keys and rel.scalar
        }
        for name, value in foreign_keys.items():
            field = mapper.attributes[name].field
            assert isinstance(field, ForeignKeyField)
            parent = targets.get(name) or model_for_schema(field.referenced_schema)
            if parent is None:  # no model class maps the parent: the store's constraint decides
                continue
            key = field.referenced_db_field_name
            if key == ENTRY_ID:
                if parent is model and value == obj.__dict__[ENTRY_ID]:
                    continue  # an entry that is its own parent
                found = get_by_id(parent, self.session, value) is not None
                what = "entry id"
            else:
                ref = parent.__mapper__.schema.field_by_db_name(key)
                assert ref is not None  # ForeignKeyField checked it at declaration
                column = parent.__mapper__.attributes[ref.python_field_name].column
                found = Query(parent, self.session).filter(column == value).exists()
                what = ref.python_field_name
            if not found:
                raise NotFound(
                    f"{parent.__name__} with {what} {short_repr(value)} does not exist "
                    f"({model.__name__}.{name} refers to it)"
                )

    # -- helpers for subclasses -------------------------------------------------------------

    def _filtered(self, criteria: Sequence[Expr], filters: Mapping[str, Any]) -> Query[M]:
        q = self.query()
        if filters:
            q = q.filter_by(**filters)
        if criteria:
            q = q.filter(*criteria)
        return q

    def __repr__(self) -> str:
        model = getattr(self, "model", None)
        return f"<{type(self).__name__} of {getattr(model, '__name__', model)}>"
