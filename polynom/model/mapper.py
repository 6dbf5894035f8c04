"""How a model class maps onto its schema: its :class:`ModelMapper` and field attributes.

``BaseModel`` subclasses get a ``__mapper__`` (as in SQLAlchemy) when they name a schema:
the schema, one :class:`FieldAttribute` per field, the relationships. The layers above
(unit of work, queries, services) read a model class through it, never through private
names.
"""

from __future__ import annotations

import decimal as _decimal
from typing import TYPE_CHECKING, Any

from polynom.errors import DetachedModelError, SchemaError, StoredValueError, ValidationError
from polynom.model.row_builder import row_builder
from polynom.model.state import PERSISTENT, STATE_KEY, TRANSIENT, InstanceState, state_of
from polynom.schema.polytypes import PolyType
from polynom.schema.schema import ENTRY_ID
from polynom.schema.validation import INVALID, invalid_value, short_repr
from polynom.sql.expression import Column

if TYPE_CHECKING:
    from polynom.schema.schema import BaseSchema, Field, ForeignKeyField

_NONE = type(None)
#: Types no model can be (no class attribute can be added to a built-in type): a value of
#: one is compared as it is, without looking for a ``__mapper__`` on its type, which for
#: them raises and swallows an AttributeError (two thirds of binding a compared value).
_PLAIN = frozenset({str, int, float, bool, bytes, _decimal.Decimal, _NONE})
#: ``PolyType.from_db``: values of a polytype that keeps it need no conversion.
_IDENTITY = PolyType.from_db
#: ``PolyType.to_db``: values of a polytype that keeps it cross to a store as they are.
_TO_DB = PolyType.to_db

__all__ = [
    "EntryIdAttribute",
    "FieldAttribute",
    "ModelColumn",
    "ModelMapper",
    "RelationshipAttribute",
    "mapper_of",
]


class ModelColumn(Column):
    """A model field used in a query; a model compared with it stands for its entry id."""

    __slots__ = ()

    def coerce(self, value: Any) -> Any:
        if type(value) in _PLAIN:
            return value
        if getattr(type(value), "__mapper__", None) is not None:  # a foreign key vs a model
            return value.__dict__[ENTRY_ID]
        return value


class FieldAttribute:
    """A schema field on a model class: validates writes and records changes."""

    __slots__ = ("column", "field", "name", "owner", "polytype")

    def __init__(self, owner: type, field: Field) -> None:
        self.owner = owner
        self.field = field
        self.name = field.python_field_name
        self.polytype: PolyType = field.polytype
        self.column = ModelColumn(owner, field)

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self.column
        return obj.__dict__.get(self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        if value is not None:
            try:
                value = self.polytype.validate(value)
            except INVALID as exc:
                raise invalid_value(type(obj).__name__, self.name, value, exc) from None
        d = obj.__dict__
        try:
            state: InstanceState | None = obj.__polynom_state__
        except AttributeError:  # before BaseModel.__init__ (fields set first, as in PolyNOM)
            state = None
        if state is not None:
            tracker = state.tracker
            if tracker is not None:
                name = self.name
                if state.status is PERSISTENT and state.tracking and tracker.is_active:
                    tracker.record_change(obj, name, d.get(name))  # before_write, inlined
                else:
                    state.before_write(obj, name, d.get(name))
        d[self.name] = value

    def check(self, value: Any, model: type | None = None) -> Any:
        """``value`` as this field holds it, or a ``ValidationError`` naming the model
        (``model``, by default the class that declares the field) and the field; changes
        nothing (a service checks a value before it touches a model)."""
        if value is None:
            return None
        try:
            return self.polytype.validate(value)
        except INVALID as exc:
            name = (model or self.owner).__name__
            raise invalid_value(name, self.name, value, exc) from None

    def check_in_place(self, obj: Any) -> None:
        """Validate a value that may have changed in place (a dict in a ``Json`` field) and
        hold it as the store will return it; ``ValidationError`` when no store can hold it."""
        d = obj.__dict__
        value = d.get(self.name)
        if value is None:
            return
        try:
            normal = self.polytype.validate(value)
        except INVALID as exc:
            raise invalid_value(type(obj).__name__, self.name, value, exc) from None
        if normal != value:  # a tuple that became a list: keep the user's object otherwise
            d[self.name] = normal


class EntryIdAttribute(FieldAttribute):
    """``_entry_id``: set once, before the model is written."""

    __slots__ = ()

    def __set__(self, obj: Any, value: Any) -> None:
        d = obj.__dict__
        state = state_of(obj)
        if state is not None and state.status is not TRANSIENT and d.get(ENTRY_ID) != value:
            raise DetachedModelError(
                f"{type(obj).__name__}: _entry_id cannot change once the model is in a session"
            )
        if not isinstance(value, str) or not value:
            raise ValidationError(
                f"{type(obj).__name__}._entry_id must be a string of 1-36 characters, "
                f"got {short_repr(value)}",
                model=type(obj).__name__,
                field=ENTRY_ID,
                value=value,
            )
        d[ENTRY_ID] = self.check(value, type(obj))  # VarChar(36): the rules of any field


class RelationshipAttribute:
    """What every relationship attribute offers the layers above (``Relationship`` is one).

    Its value lives in the instance ``__dict__`` under its own name once loaded or set.
    """

    name: str
    owner: type | None
    cascade: frozenset[str]

    @property
    def scalar(self) -> bool:
        """True for a many-to-one attribute (one model), False for a list."""
        raise NotImplementedError

    @property
    def target(self) -> type[Any]:
        """The related model class."""
        raise NotImplementedError

    @property
    def foreign_key(self) -> ForeignKeyField:
        """The foreign key field that implements the relationship."""
        raise NotImplementedError

    def set_loaded(self, obj: Any, value: Any) -> None:
        """Store an eagerly loaded value (no change tracking)."""
        raise NotImplementedError

    def loaded(self, obj: Any) -> bool:
        """True when the value is in memory (loading it needs no statement)."""
        return self.name in obj.__dict__

    def peek(self, obj: Any) -> Any:
        """The loaded value, without loading (None / [] when not loaded)."""
        return obj.__dict__.get(self.name, None if self.scalar else [])

    def related(self, obj: Any) -> list[Any]:
        """The loaded related models, as a list (empty when not loaded)."""
        value = obj.__dict__.get(self.name)
        if value is None:
            return []
        return [value] if self.scalar else list(value)


class ModelMapper:
    """A model class's mapping: its schema, field attributes and relationships."""

    __slots__ = (
        "attributes",
        "build",
        "columns",
        "computed_defaults",
        "conversions",
        "defaults",
        "kept_columns",
        "model",
        "mutable_columns",
        "names",
        "relationships",
        "required",
        "required_names",
        "schema",
        "statement_cache",
        "to_db_columns",
        "validators",
    )

    def __init__(
        self,
        model: type[Any],
        schema: type[BaseSchema],
        attributes: dict[str, FieldAttribute],
        relationships: dict[str, RelationshipAttribute],
    ) -> None:
        self.model: Any = model
        self.schema = schema
        #: Field attributes by Python name, ``_entry_id`` first (the schema's column order).
        self.attributes = attributes
        self.columns = tuple(attributes.values())
        #: The Python names of the columns, in column order (what a row's values become).
        self.names = tuple(a.name for a in self.columns)
        #: The attributes of the fields that must hold a value (not nullable), and their names.
        self.required = tuple(a for a in self.columns if not a.field.nullable)
        self.required_names = frozenset(a.name for a in self.required)
        #: ``validate`` of each field the class sets through the plain :class:`FieldAttribute`
        #: (not overridden on the class or a subclass): what ``BaseModel.__init__`` may call
        #: directly on a model no session holds yet, with the same result as assigning.
        self.validators = {
            name: a.polytype.validate
            for name, a in attributes.items()
            if type(a) is FieldAttribute and _class_attribute(model, name) is a
        }
        #: The defaults a new model gets for the fields it is not given: the fixed ones, by
        #: name (``_entry_id``'s is made per model), and the fields whose default is computed.
        self.defaults = {
            name: a.field.default
            for name, a in attributes.items()
            if name != ENTRY_ID and not callable(a.field.default)
        }
        self.computed_defaults = tuple(
            (name, a.field)
            for name, a in attributes.items()
            if name != ENTRY_ID and callable(a.field.default)
        )
        #: The columns whose values can change in place, and so need snapshots.
        self.mutable_columns = tuple(a for a in self.columns if a.polytype.mutable)
        #: ``(row index, attribute)`` of the fields whose store value is kept while a session
        #: holds a model: those that can change in place (a dict in a ``Json`` field), to find
        #: such changes, and those without an exact SQL equality (``Json``, ``File``,
        #: ``Geometry``), so the conflict check compares the stored value itself.
        self.kept_columns = tuple(
            (i, a)
            for i, a in enumerate(self.columns)
            if a.polytype.mutable or not a.polytype.comparable
        )
        #: ``(index, to_db)`` of the columns whose polytype changes a value on its way to a
        #: store (``Json`` to text...): writing a row converts only those.
        self.to_db_columns = tuple(
            (i, a.polytype.to_db)
            for i, a in enumerate(self.columns)
            if getattr(a.polytype.to_db, "__func__", None) is not _TO_DB
        )
        #: ``(index, name, polytype)`` of the columns whose polytype's ``from_db`` does
        #: something (text's never does): building a model from a row takes the row's
        #: values as they are and converts only these, where needed.
        self.conversions = tuple(
            (i, a.name, a.polytype)
            for i, a in enumerate(self.columns)
            if getattr(a.polytype.from_db, "__func__", None) is not _IDENTITY
        )
        #: ``build(row, state)``: a model for a store row (values in column order) with
        #: ``state``, without validation -- the store's values are the model's own, converted
        #: by polytype where they are not of its native type (a ``StoredValueError`` where
        #: they cannot be); a function written out for these columns (:mod:`.row_builder`).
        self.build = row_builder(model, self.names, self.conversions, STATE_KEY, self.unreadable)
        self.relationships = relationships
        #: Statements that are the same for every use (a get by id, an insert of ``n`` rows)
        #: and an insert's layout, built once, by what they are and the entity's quoted name
        #: (the default namespace is a setting, which may differ between applications).
        self.statement_cache: dict[tuple[Any, ...], Any] = {}

    def unreadable(self, name: str, raw: Any, exc: Exception) -> StoredValueError:
        """The error for a stored value that field ``name``'s polytype cannot read (written
        outside this schema): names the model, the field and the value."""
        if isinstance(exc, StoredValueError):
            return exc  # says what is wrong already (an enum member removed)
        polytype = self.attributes[name].polytype
        return StoredValueError(
            f"{self.model.__name__}.{name}: the store holds {short_repr(raw)}, which is not "
            f"a {type(polytype).__name__} value ({exc}); it was written outside this schema, "
            "so correct it in the store"
        )

    def attribute(self, name: str) -> FieldAttribute | None:
        return self.attributes.get(name)

    def field_names(self) -> list[str]:
        """The Python names of the fields a user sets (``_entry_id`` left out)."""
        return [n for n in self.attributes if n != ENTRY_ID]

    def __repr__(self) -> str:
        return f"<ModelMapper {self.model.__name__} -> {self.schema.qualified_name()}>"


def _class_attribute(cls: type, name: str) -> Any:
    """What ``cls`` holds under ``name`` itself (no descriptor called), or None."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


def mapper_of(model: type | object) -> ModelMapper:
    """The mapper of a model class (or of a model's class)."""
    cls = model if isinstance(model, type) else type(model)
    mapper: ModelMapper | None = getattr(cls, "__mapper__", None)
    if mapper is None:
        raise SchemaError(f"{cls.__name__} has no schema; set `schema = YourSchema`")
    return mapper
