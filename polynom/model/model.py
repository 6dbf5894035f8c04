"""``BaseModel``: a Python object standing for one entry of an entity.

A model class names its schema (``schema = BikeSchema`` or an instance of it). Each field
becomes an attribute that validates on assignment and, on a model a session tracks, records
the change so the session writes just that field. Used on the class, the same attribute is
a query column: ``Bike.price > 100``.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar, TypeVar

from polynom.errors import DetachedModelError, SchemaError, ValidationTypeError
from polynom.model.initializer import model_initializer
from polynom.model.mapper import (
    EntryIdAttribute,
    FieldAttribute,
    ModelMapper,
    RelationshipAttribute,
)
from polynom.model.state import (
    DELETED,
    PENDING,
    PERSISTENT,
    STATE_KEY,
    TRANSIENT,
    InstanceState,
    Tracker,
    state_of,
)
from polynom.schema.schema import ENTRY_ID, BaseSchema, new_entry_id, schema_class
from polynom.schema.schema_registry import polynom_schema
from polynom.schema.validation import INVALID, invalid_value

__all__ = ["BaseModel", "FlexModel", "model_for_schema", "models_by_schema"]

M = TypeVar("M", bound="BaseModel")

#: The model class mapped to each schema (``polynom.testing.isolated_registry`` restores it).
models_by_schema: dict[type[BaseSchema], type[BaseModel]] = {}


def model_for_schema(schema: type[BaseSchema]) -> type[BaseModel] | None:
    """The model class mapped to a schema, if any."""
    return models_by_schema.get(schema)


class BaseModel:
    """Base class of mapped models. Subclass it and set ``schema``.

    Construct with keyword fields (``Bike(brand="Giant", price=1200)``) or write your own
    ``__init__`` that sets attributes and calls ``super().__init__(_entry_id)``, as in
    PolyNOM. Fields not given get their default (or None).
    """

    __slots__ = (STATE_KEY, "__dict__", "__weakref__")

    schema: ClassVar[type[BaseSchema] | BaseSchema]
    #: How the class maps onto its schema (set for every class that names a schema).
    __mapper__: ClassVar[ModelMapper]
    #: The model's bookkeeping (``polynom.model.state``): None while no session tracks it.
    __polynom_state__: InstanceState | None

    _entry_id: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        inherited: ModelMapper | None = getattr(cls, "__mapper__", None)
        relationships = dict(inherited.relationships) if inherited is not None else {}
        relationships.update(
            {k: v for k, v in cls.__dict__.items() if isinstance(v, RelationshipAttribute)}
        )
        if "schema" not in cls.__dict__:
            if inherited is not None:
                cls.__mapper__ = ModelMapper(
                    cls, inherited.schema, inherited.attributes, relationships
                )
                _write_init(cls)
            return
        schema = schema_class(cls.__dict__["schema"])
        attributes: dict[str, FieldAttribute] = {}
        for field in schema.all_fields():
            name = field.python_field_name
            if name in relationships:
                raise SchemaError(f"{cls.__name__}.{name} is both a field and a relationship")
            kind = EntryIdAttribute if name == ENTRY_ID else FieldAttribute
            attribute = kind(cls, field)
            attributes[name] = attribute
            setattr(cls, name, attribute)
        cls.__mapper__ = ModelMapper(cls, schema, attributes, relationships)
        _write_init(cls)
        if not issubclass(cls, FlexModel):  # run-time models do not register their schema
            models_by_schema[schema] = cls
            polynom_schema(schema)
        else:
            models_by_schema.setdefault(schema, cls)

    def __init__(self, _entry_id: str | None = None, **fields: Any) -> None:
        cls = type(self)
        mapper: ModelMapper | None = getattr(cls, "__mapper__", None)
        if mapper is None:
            raise SchemaError(f"{cls.__name__} has no schema; set `schema = YourSchema`")
        d = self.__dict__
        if d:  # a PolyNOM-style __init__ set fields before calling this one: keep them
            held = state_of(self)
            defaults = {k: v for k, v in mapper.defaults.items() if k not in d}
        else:  # a new object, as a model is made: the hot path (its slot is unset so far)
            held = None
            defaults = mapper.defaults
        if held is None:
            self.__polynom_state__ = None
        d.update(defaults)  # the fixed defaults; the fields given replace theirs below
        if _entry_id is not None:
            self._entry_id = _entry_id
        elif ENTRY_ID not in d:
            d[ENTRY_ID] = new_entry_id()
        attributes = mapper.attributes
        relationships = mapper.relationships
        # a model no session holds yet: a plain field's value is validated and stored as
        # assigning it would, without the descriptor call (the hot path of every new model)
        validators = mapper.validators if held is None else {}
        for name, value in fields.items():
            validate = validators.get(name)
            if validate is not None:
                if value is not None:
                    try:
                        value = validate(value)
                    except INVALID as exc:
                        raise invalid_value(cls.__name__, name, value, exc) from None
                d[name] = value
            elif name in attributes or name in relationships:
                setattr(self, name, value)
            else:
                known = ", ".join(mapper.field_names())
                raise ValidationTypeError(
                    f"{cls.__name__} has no field {name!r} (fields: {known})",
                    model=cls.__name__,
                    field=name,
                    value=value,
                )
        for name, field in mapper.computed_defaults:  # every other field has a value now
            if name not in d:
                d[name] = field.make_default()

    # -- API -----------------------------------------------------------------------------

    @classmethod
    def query(cls, session: Tracker) -> Any:
        """A :class:`~polynom.query.Query` for entries of this model in ``session``."""
        return session.query(cls)

    def to_dict(self) -> dict[str, Any]:
        """The field values by Python name (``_entry_id`` included)."""
        d = self.__dict__
        return {name: d.get(name) for name in type(self).__mapper__.attributes}

    # -- PolyNOM 0.3's bookkeeping names (its users and tests read them) -------------------

    @property
    def _is_active(self) -> bool:
        """False once the model is detached (its session ended) or deleted in its session."""
        state = state_of(self)
        if state is None:
            return True
        tracker = state.tracker
        if tracker is not None and not tracker.is_active:
            return False
        return state.status is not DELETED

    def _baseline(self) -> dict[str, Any]:
        """The field values the model is compared with: as stored (loaded or last flushed) for
        a persistent model, "nothing stored yet" (all None) for a new one unless
        ``_update_snapshot()`` was called."""
        d = self.__dict__
        attributes = type(self).__mapper__.attributes
        state = state_of(self)
        if state is None or state.status is PENDING:
            return {name: d.get(name) if name == ENTRY_ID else None for name in attributes}
        if state.status is TRANSIENT:  # _update_snapshot() was called on a new model
            return dict(state.baseline or {})
        baseline = {name: d.get(name) for name in attributes}
        if state.mutable:  # fields changed in place (a dict in a Json field) since then
            for name, stored in state.mutable.items():
                baseline[name] = attributes[name].polytype.from_db(stored)
        tracker = state.tracker
        changes = tracker.changes_of(self) if tracker is not None else None
        baseline.update(changes or {})
        return baseline

    @property
    def _snapshot(self) -> dict[str, Any]:
        """A copy of the values :meth:`_diff` compares with, by Python name."""
        return copy.deepcopy(self._baseline())

    def _diff(self) -> dict[str, tuple[Any, Any]]:
        """The fields that differ from :attr:`_snapshot`: ``{name: (old, new)}``.

        For a new model that is every field with a value; for a stored one, what changed
        since it was loaded or last flushed. Raises ``DetachedModelError`` (an
        ``AttributeError``) once the model is no longer mapped, as PolyNOM does.
        """
        if not self._is_active:
            raise DetachedModelError(
                f"{type(self).__name__} {self.__dict__.get(ENTRY_ID)} is no longer mapped: its "
                "session has ended or it was deleted"
            )
        d = self.__dict__
        return {
            name: (old, d.get(name))
            for name, old in self._baseline().items()
            if old != d.get(name) and name != ENTRY_ID
        }

    def _update_snapshot(self) -> None:
        """Make the current values the ones :meth:`_diff` compares with.

        On a stored model in a session this forgets the pending changes (the session will not
        write them), as in PolyNOM; on a model added but not yet written it does nothing (the
        insert writes every field).
        """
        d = self.__dict__
        state = state_of(self)
        mapper = type(self).__mapper__
        if state is None or (state.status is TRANSIENT and state.tracker is None):
            state = state or InstanceState(None, TRANSIENT)
            state.baseline = {name: copy.deepcopy(d.get(name)) for name in mapper.attributes}
            self.__polynom_state__ = state
        elif state.status is PERSISTENT and self._is_active:
            assert state.tracker is not None  # (an active model has its session)
            changes = state.tracker.changes_of(self)
            if changes:  # forgotten: the session will not write them
                changes.clear()
            if state.mutable is not None:
                state.mutable = {
                    a.name: a.polytype.to_db(d.get(a.name))
                    for a in mapper.columns
                    if a.name in state.mutable
                }

    def _to_dict(self) -> dict[str, Any]:
        """The fields by db name, as PolyNOM 0.3 handed them to the driver."""
        d = self.__dict__
        return {
            a.field.db_field_name: a.polytype._to_prism_serializable(d.get(a.name))
            for a in type(self).__mapper__.columns
        }

    @classmethod
    def _from_dict(cls: type[M], row: dict[str, Any]) -> M:
        """A model from a row by db name, through the class's own ``__init__`` (PolyNOM 0.3's
        way of building models; polynom's queries build them without ``__init__``)."""
        values = {
            a.name: a.polytype._from_prism_serializable(row[a.field.db_field_name])
            for a in cls.__mapper__.columns
            if a.field.db_field_name in row
        }
        return cls(**values)

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != ENTRY_ID)
        return f"<{type(self).__name__} {self.__dict__.get(ENTRY_ID)} {values}>"


#: Marks the ``__init__`` functions :func:`_write_init` made.
_WRITTEN = "__polynom_written__"


def _write_init(cls: type[BaseModel]) -> None:
    """Give a model class an ``__init__`` written out for its fields (:mod:`.initializer`),
    unless the class or a base between it and ``BaseModel`` has its own."""
    if cls.__init__ is not BaseModel.__init__ and not getattr(cls.__init__, _WRITTEN, False):
        return
    mapper = cls.__mapper__
    attributes = mapper.attributes
    init = model_initializer(
        cls,
        ENTRY_ID,
        new_entry_id,
        {name: attributes[name].polytype for name in mapper.validators},
        [a.field for name, a in attributes.items() if name != ENTRY_ID],
        BaseModel.__init__,
    )
    setattr(init, _WRITTEN, True)
    type.__setattr__(cls, "__init__", init)


class FlexModel(BaseModel):
    """A model made from a schema at run time (``FlexModel.from_schema(SomeSchema)``)."""

    @classmethod
    def from_schema(cls, schema: type[BaseSchema] | BaseSchema) -> type[FlexModel]:
        schema = schema_class(schema)
        existing = models_by_schema.get(schema)
        if existing is not None and issubclass(existing, FlexModel):
            return existing
        return type(f"Flex{schema.__name__}", (FlexModel,), {"schema": schema})
