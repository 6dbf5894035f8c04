"""``BaseModel``: a Python object standing for one entry of an entity.

A model class names its schema (``schema = BikeSchema`` or an instance of it). Each field
becomes an attribute that validates on assignment and, on a model a session tracks, records
the change so the session writes just that field. Used on the class, the same attribute is
a query column: ``Bike.price > 100``.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, TypeVar

from polynom.errors import SchemaError, ValidationTypeError
from polynom.model.mapper import (
    EntryIdAttribute,
    FieldAttribute,
    ModelMapper,
    RelationshipAttribute,
)
from polynom.model.state import STATE_KEY, Tracker
from polynom.schema.schema import ENTRY_ID, BaseSchema, schema_class
from polynom.schema.schema_registry import polynom_schema

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

    schema: ClassVar[type[BaseSchema] | BaseSchema]
    #: How the class maps onto its schema (set for every class that names a schema).
    __mapper__: ClassVar[ModelMapper]

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
        if _entry_id is not None:
            self._entry_id = _entry_id
        elif ENTRY_ID not in d:
            d[ENTRY_ID] = str(uuid.uuid4())
        attributes = mapper.attributes
        relationships = mapper.relationships
        for name, value in fields.items():
            if name in attributes or name in relationships:
                setattr(self, name, value)
            else:
                known = ", ".join(mapper.field_names())
                raise ValidationTypeError(
                    f"{cls.__name__} has no field {name!r} (fields: {known})",
                    model=cls.__name__,
                    field=name,
                    value=value,
                )
        for name, attribute in attributes.items():
            if name not in d:
                d[name] = attribute.field.make_default()

    # -- API -----------------------------------------------------------------------------

    @classmethod
    def query(cls, session: Tracker) -> Any:
        """A :class:`~polynom.query.Query` for entries of this model in ``session``."""
        return session.query(cls)

    def to_dict(self) -> dict[str, Any]:
        """The field values by Python name (``_entry_id`` included)."""
        d = self.__dict__
        return {name: d.get(name) for name in type(self).__mapper__.attributes}

    def _diff(self) -> dict[str, tuple[Any, Any]]:
        """Changed fields since load or last flush: ``{name: (old, new)}`` (PolyNOM's name)."""
        d = self.__dict__
        state = d.get(STATE_KEY)
        changes = (state.changes if state is not None else None) or {}
        return {k: (old, d.get(k)) for k, old in changes.items() if old != d.get(k)}

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != ENTRY_ID)
        return f"<{type(self).__name__} {self.__dict__.get(ENTRY_ID)} {values}>"


class FlexModel(BaseModel):
    """A model made from a schema at run time (``FlexModel.from_schema(SomeSchema)``)."""

    @classmethod
    def from_schema(cls, schema: type[BaseSchema] | BaseSchema) -> type[FlexModel]:
        schema = schema_class(schema)
        existing = models_by_schema.get(schema)
        if existing is not None and issubclass(existing, FlexModel):
            return existing
        return type(f"Flex{schema.__name__}", (FlexModel,), {"schema": schema})
