"""``BaseModel``: a Python object standing for one entry of an entity.

A model class names its schema (``schema = BikeSchema`` or an instance of it). Each field
becomes an attribute that validates on assignment and, on a model a session tracks, records
the change so the session writes just that field. Used on the class, the same attribute is
a query column: ``Bike.price > 100``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from polynom.errors import DetachedModelError, SchemaError, ValidationError
from polynom.expression import Column
from polynom.schema.schema import ENTRY_ID, BaseSchema, schema_class
from polynom.schema.schema_registry import polynom_schema

if TYPE_CHECKING:
    from polynom.model.relationship import Relationship
    from polynom.query import Query
    from polynom.schema.field import Field
    from polynom.session import Session

__all__ = ["BaseModel", "FlexModel", "model_for_schema"]

M = TypeVar("M", bound="BaseModel")

# Lifecycle of a model within a session.
TRANSIENT, PENDING, PERSISTENT, DELETED = 0, 1, 2, 3

_models_by_schema: dict[type[BaseSchema], type[BaseModel]] = {}


def model_for_schema(schema: type[BaseSchema]) -> type[BaseModel] | None:
    """The model class mapped to a schema, if any."""
    return _models_by_schema.get(schema)


class FieldAttribute:
    """A schema field on a model class: validates writes and records changes."""

    __slots__ = ("column", "field", "name", "owner", "polytype")

    def __init__(self, owner: type[BaseModel], field: Field) -> None:
        self.owner = owner
        self.field = field
        self.name = field.python_field_name
        self.polytype = field.polytype
        self.column = Column(owner, field)

    def __get__(self, obj: BaseModel | None, owner: type | None = None) -> Any:
        if obj is None:
            return self.column
        return obj.__dict__.get(self.name)

    def __set__(self, obj: BaseModel, value: Any) -> None:
        if value is not None:
            try:
                value = self.polytype.validate(value)
            except (TypeError, ValueError) as exc:
                raise ValidationError(
                    f"{type(obj).__name__}.{self.name}: invalid value {value!r}: {exc}",
                    model=type(obj).__name__,
                    field=self.name,
                    value=value,
                ) from None
        d = obj.__dict__
        session = d.get("_pn_session")
        if session is not None:
            session._before_write(obj, self.name, d.get(self.name), value)
        d[self.name] = value


class _EntryIdAttribute(FieldAttribute):
    """``_entry_id``: set once, before the model is written."""

    __slots__ = ()

    def __set__(self, obj: BaseModel, value: Any) -> None:
        d = obj.__dict__
        if d.get("_pn_state", TRANSIENT) not in (TRANSIENT,) and d.get(ENTRY_ID) != value:
            raise DetachedModelError(
                f"{type(obj).__name__}: _entry_id cannot change once the model is in a session"
            )
        if not isinstance(value, str) or not 0 < len(value) <= 36:
            raise ValidationError(
                f"{type(obj).__name__}._entry_id must be a string of 1-36 characters, "
                f"got {value!r}",
                model=type(obj).__name__,
                field=ENTRY_ID,
                value=value,
            )
        d[ENTRY_ID] = value


class BaseModel:
    """Base class of mapped models. Subclass it and set ``schema``.

    Construct with keyword fields (``Bike(brand="Giant", price=1200)``) or write your own
    ``__init__`` that sets attributes and calls ``super().__init__(_entry_id)``, as in
    PolyNOM. Fields not given get their default (or None).
    """

    schema: ClassVar[type[BaseSchema] | BaseSchema]
    _pn_schema: ClassVar[type[BaseSchema]]
    _pn_attributes: ClassVar[dict[str, FieldAttribute]]
    _pn_columns: ClassVar[list[FieldAttribute]]
    _pn_mutable_columns: ClassVar[list[FieldAttribute]]  # values that can change in place
    _pn_relationships: ClassVar[dict[str, Relationship]]

    # per-instance bookkeeping lives in the instance __dict__; these are the defaults
    _pn_session: Session | None = None
    _pn_state: int = TRANSIENT
    _pn_tracking: bool = True
    _pn_changes: dict[str, Any] | None = None
    _pn_mutable: dict[str, Any] | None = None

    _entry_id: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        from polynom.model.relationship import Relationship

        relationships = dict(getattr(cls, "_pn_relationships", {}))
        relationships.update({k: v for k, v in cls.__dict__.items() if isinstance(v, Relationship)})
        cls._pn_relationships = relationships
        if "schema" not in cls.__dict__:
            return
        schema = schema_class(cls.__dict__["schema"])
        cls._pn_schema = schema
        attributes: dict[str, FieldAttribute] = {}
        for field in schema.all_fields():
            name = field.python_field_name
            if name in relationships:
                raise SchemaError(f"{cls.__name__}.{name} is both a field and a relationship")
            kind = _EntryIdAttribute if name == ENTRY_ID else FieldAttribute
            attribute = kind(cls, field)
            attributes[name] = attribute
            setattr(cls, name, attribute)
        cls._pn_attributes = attributes
        cls._pn_columns = list(attributes.values())
        cls._pn_mutable_columns = [a for a in cls._pn_columns if a.polytype.mutable]
        if not issubclass(cls, FlexModel):  # run-time models do not register their schema
            _models_by_schema[schema] = cls
            polynom_schema(schema)
        else:
            _models_by_schema.setdefault(schema, cls)

    def __init__(self, _entry_id: str | None = None, **fields: Any) -> None:
        cls = type(self)
        if not hasattr(cls, "_pn_schema"):
            raise SchemaError(f"{cls.__name__} has no schema; set `schema = YourSchema`")
        d = self.__dict__
        if _entry_id is not None:
            self._entry_id = _entry_id
        elif ENTRY_ID not in d:
            d[ENTRY_ID] = str(uuid.uuid4())
        attributes = cls._pn_attributes
        relationships = cls._pn_relationships
        for name, value in fields.items():
            if name in attributes or name in relationships:
                setattr(self, name, value)
            else:
                known = ", ".join(n for n in attributes if n != ENTRY_ID)
                raise ValidationError(
                    f"{cls.__name__} has no field {name!r} (fields: {known})",
                    model=cls.__name__,
                    field=name,
                    value=value,
                )
        for name, attribute in attributes.items():
            if name not in d:
                d[name] = attribute.field.make_default()

    # -- loading -------------------------------------------------------------------------

    @classmethod
    def _from_row(cls: type[M], row: tuple[Any, ...]) -> M:
        """Build a model from a store row without validation (the store's values are ours)."""
        obj = cls.__new__(cls)
        d = obj.__dict__
        for attribute, raw in zip(cls._pn_columns, row, strict=False):
            if raw is None or type(raw) is attribute.polytype.native:
                d[attribute.name] = raw
            else:
                d[attribute.name] = attribute.polytype.from_db(raw)
        return obj

    # -- API -----------------------------------------------------------------------------

    @classmethod
    def query(cls: type[M], session: Session) -> Query[M]:
        """A query for entries of this model in ``session``."""
        from polynom.query import Query

        return Query(cls, session)

    def to_dict(self) -> dict[str, Any]:
        """The field values by Python name (``_entry_id`` included)."""
        d = self.__dict__
        return {name: d.get(name) for name in type(self)._pn_attributes}

    def _diff(self) -> dict[str, tuple[Any, Any]]:
        """Changed fields since load or last flush: ``{name: (old, new)}``."""
        changes = self.__dict__.get("_pn_changes") or {}
        d = self.__dict__
        return {k: (old, d.get(k)) for k, old in changes.items() if old != d.get(k)}

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != ENTRY_ID)
        return f"<{type(self).__name__} {self.__dict__.get(ENTRY_ID)} {values}>"


class FlexModel(BaseModel):
    """A model made from a schema at run time (``FlexModel.from_schema(SomeSchema)``)."""

    @classmethod
    def from_schema(cls, schema: type[BaseSchema] | BaseSchema) -> type[FlexModel]:
        schema = schema_class(schema)
        existing = _models_by_schema.get(schema)
        if existing is not None and issubclass(existing, FlexModel):
            return existing
        return type(f"Flex{schema.__name__}", (FlexModel,), {"schema": schema})
