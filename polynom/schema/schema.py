"""Declarations of entities: ``BaseSchema`` (a table) and its fields (its columns).

Both live in this one module because they refer to each other: a schema holds fields, and
a foreign key field names the schema it references. :mod:`polynom.schema.field` is the
path PolyNOM imports the fields from.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from enum import Enum
from typing import Any, ClassVar

from polynom import config
from polynom.errors import SchemaError
from polynom.schema.polytypes import PolyType, VarChar
from polynom.schema.validation import INVALID, short_repr

__all__ = [
    "ENTRY_ID",
    "BaseField",
    "BaseSchema",
    "DataModel",
    "Field",
    "ForeignKeyField",
    "PrimaryKeyField",
    "new_entry_id",
    "schema_class",
]

#: The hidden primary key every entity has: a UUID4 string made on the client.
ENTRY_ID = "_entry_id"


def new_entry_id() -> str:
    """A new entry id: a random (version 4) UUID as its 36-character text, as
    ``str(uuid.uuid4())`` makes it but without building a ``UUID`` object (a third of the
    cost; every new model makes one): 16 random bytes in hex, with the version digit set to
    4 and the variant digit to one of 8, 9, a, b (by the two low bits of its random one)."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


#: A random hex digit as the RFC 4122 variant digit (``10xx`` in binary) keeping its two
#: low bits.
_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


# -- fields -------------------------------------------------------------------------------


class BaseField:
    """What every field has: its names and its polytype (PolyNOM 0.3's ``_BaseField``).

    ``previous_name`` renames the column on migration.
    """

    def __init__(
        self,
        db_field_name: str,
        polytype: PolyType,
        python_field_name: str | None = None,
        previous_name: str | None = None,
    ) -> None:
        if isinstance(polytype, type) and issubclass(polytype, PolyType):
            polytype = polytype()  # Text and friends may be passed uninstantiated
        if not isinstance(polytype, PolyType):
            raise SchemaError(
                f"field {db_field_name!r}: {polytype!r} is not a polytype "
                "(use one from polynom.schema.polytypes)"
            )
        if not isinstance(db_field_name, str) or not db_field_name:
            raise SchemaError(f"a field needs a non-empty name, got {db_field_name!r}")
        self.db_field_name = db_field_name
        self.python_field_name = python_field_name or db_field_name
        self.polytype = polytype
        self.previous_name = previous_name

    # PolyNOM spells these with a leading underscore; keep both working.
    @property
    def _db_field_name(self) -> str:
        return self.db_field_name

    @property
    def _python_field_name(self) -> str:
        return self.python_field_name

    @property
    def _polytype(self) -> PolyType:
        return self.polytype

    @property
    def _previous_name(self) -> str | None:
        return self.previous_name

    def _to_dict(self) -> dict[str, Any]:
        """The field as PolyNOM 0.3's schema snapshots list it (its type by class name only)."""
        return {
            "name": self.python_field_name,
            "db_name": self.db_field_name,
            "type": type(self.polytype).__name__,
            "previous_name": self.previous_name,
        }


class Field(BaseField):
    """A column of an entity.

    ``default`` may be a value or a zero-argument callable; a plain value also becomes the
    column's DEFAULT in the store. ``previous_name`` renames the column on migration.
    ``convert`` lets a migration that changes the field's type change stored values: ``True``
    for the standard conversion, or a function of one value (see ``docs/guide/migration.md``);
    without it such a migration is refused.
    """

    is_primary_key = False
    is_foreign_key = False

    def __init__(
        self,
        db_field_name: str,
        polytype: PolyType,
        nullable: bool = True,
        default: Any = None,
        unique: bool = False,
        python_field_name: str | None = None,
        previous_name: str | None = None,
        convert: bool | Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(db_field_name, polytype, python_field_name, previous_name)
        polytype = self.polytype
        self.nullable = nullable
        self.unique = unique
        #: How a migration that changes the type converts stored values (not in snapshots).
        self.convert = convert
        self.default = default
        if default is not None and not callable(default):
            try:
                self.default = polytype.validate(default)
                polytype.sql_literal(self.default)  # it becomes the column's DEFAULT
            except INVALID as exc:
                raise SchemaError(
                    f"field {db_field_name!r}: default {short_repr(default)} {exc}"
                ) from None

    def make_default(self) -> Any:
        """The value a new model gets when the field is not given."""
        default = self.default
        if callable(default):
            value = default()
            if value is None:
                return None
            try:
                return self.polytype.validate(value)
            except INVALID as exc:
                raise SchemaError(
                    f"field {self.python_field_name!r}: its default {short_repr(default)} "
                    f"returned {short_repr(value)}: {exc}"
                ) from None
        return default

    @property
    def static_default(self) -> Any:
        """The default as a store-side DEFAULT, or None when it is computed in Python."""
        default: Callable[[], Any] | Any = self.default
        return None if callable(default) else default

    def describe(self) -> dict[str, Any]:
        """The field as stored in schema snapshots."""
        return {
            "name": self.db_field_name,
            "python_name": self.python_field_name,
            "polytype": self.polytype.describe(),
            "sql_type": self.polytype.sql_type,
            "nullable": self.nullable,
            "unique": self.unique,
            "default": self.polytype.to_json(self.static_default),
            "primary_key": self.is_primary_key,
            "references": None,
        }

    def _to_dict(self) -> dict[str, Any]:
        data = super()._to_dict()
        default = self.static_default
        if not (default is None or isinstance(default, str | int | float | bool)):
            default = self.polytype.to_json(default)  # PolyNOM kept only JSON-native defaults
        data.update(
            {
                "nullable": self.nullable,
                "unique": self.unique,
                "default": default,
                "is_primary_key": self.is_primary_key,
                "is_foreign_key": False,
            }
        )
        return data

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.db_field_name} {self.polytype!r}>"


class PrimaryKeyField(Field):
    """The primary key column (every entity has the hidden ``_entry_id`` one)."""

    is_primary_key = True

    def __init__(
        self,
        db_field_name: str,
        polytype: PolyType,
        unique: bool = False,
        python_field_name: str | None = None,
        previous_name: str | None = None,
    ) -> None:
        super().__init__(
            db_field_name,
            polytype,
            nullable=False,
            unique=unique,
            python_field_name=python_field_name,
            previous_name=previous_name,
        )


class ForeignKeyField(Field):
    """A column that references another schema's entry (its ``_entry_id`` by default)."""

    is_foreign_key = True

    def __init__(
        self,
        db_field_name: str,
        referenced_schema: type[BaseSchema] | BaseSchema,
        referenced_db_field_name: str = "_entry_id",
        nullable: bool = True,
        unique: bool = False,
        python_field_name: str | None = None,
        previous_name: str | None = None,
    ) -> None:
        target = schema_class(referenced_schema)
        referenced = target.field_by_db_name(referenced_db_field_name)
        if referenced is None:
            raise SchemaError(
                f"foreign key {db_field_name!r}: {target.__name__} has no field "
                f"{referenced_db_field_name!r}"
            )
        super().__init__(
            db_field_name,
            referenced.polytype,
            nullable=nullable,
            unique=unique,
            python_field_name=python_field_name,
            previous_name=previous_name,
        )
        self.referenced_schema = target
        self.referenced_db_field_name = referenced_db_field_name

    @property
    def referenced_namespace_name(self) -> str:
        return self.referenced_schema.namespace()

    @property
    def referenced_entity_name(self) -> str:
        return self.referenced_schema.entity_name

    def describe(self) -> dict[str, Any]:
        data = super().describe()
        data["references"] = [
            self.referenced_namespace_name,
            self.referenced_entity_name,
            self.referenced_db_field_name,
        ]
        return data

    def _to_dict(self) -> dict[str, Any]:
        data = super()._to_dict()
        # PolyNOM 0.3's ForeignKeyField passed its arguments to Field by position, one place
        # off: its snapshots show the db name as "name", "unique" as the python name it was
        # given (None), and "default" as the unique flag. They are written as PolyNOM writes
        # them, so PolyNOM finds no difference in a snapshot of ours.
        given = None if self.python_field_name == self.db_field_name else self.python_field_name
        data.update(
            {
                "name": self.db_field_name,
                "unique": given,
                "default": self.unique,
                "is_foreign_key": True,
                "references_namespace": self.referenced_namespace_name,
                "references_entity": self.referenced_entity_name,
                "references_field": self.referenced_db_field_name,
            }
        )
        return data


# -- schemas ------------------------------------------------------------------------------


class DataModel(Enum):
    """The kind of namespace an entity lives in (only relational entities are mapped)."""

    RELATIONAL = "RELATIONAL"
    DOCUMENT = "DOCUMENT"
    GRAPH = "GRAPH"


class BaseSchema:
    """Subclass and set ``entity_name``, ``fields`` and optionally ``namespace_name``.

    ``previous_name`` renames the entity on migration. The hidden ``_entry_id`` primary key
    is added for you.
    """

    entity_name: ClassVar[str]
    namespace_name: ClassVar[str | None] = None
    previous_name: ClassVar[str | None] = None
    data_model: ClassVar[DataModel] = DataModel.RELATIONAL
    fields: ClassVar[list[Field]] = []

    _pn_fields: ClassVar[tuple[Field, ...]]
    _pn_source: ClassVar[list[Field] | None] = None
    _pn_by_db: ClassVar[dict[str, Field]]
    _pn_by_py: ClassVar[dict[str, Field]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._pn_fields = ()

    @classmethod
    def namespace(cls) -> str:
        """The namespace the entity lives in (``config`` default when not set)."""
        return cls.namespace_name or config.get(config.DEFAULT_NAMESPACE)

    @classmethod
    def all_fields(cls) -> tuple[Field, ...]:
        """Every field, the hidden ``_entry_id`` first (read again when ``fields`` was set
        anew: a self-referencing schema sets them after the class exists, since a
        ``ForeignKeyField`` needs the schema it references)."""
        if not cls._pn_fields or cls._pn_source is not cls.fields:
            cls._prepare()
        return cls._pn_fields

    @classmethod
    def field_by_db_name(cls, name: str) -> Field | None:
        cls.all_fields()
        return cls._pn_by_db.get(name)

    @classmethod
    def field_by_python_name(cls, name: str) -> Field | None:
        cls.all_fields()
        return cls._pn_by_py.get(name)

    @classmethod
    def foreign_keys(cls) -> list[ForeignKeyField]:
        return [f for f in cls.all_fields() if isinstance(f, ForeignKeyField)]

    @classmethod
    def qualified_name(cls) -> str:
        return f"{cls.namespace()}.{cls.entity_name}"

    @classmethod
    def _prepare(cls) -> None:
        name = getattr(cls, "entity_name", None)
        if not isinstance(name, str) or not name:
            raise SchemaError(f"{cls.__name__} needs an entity_name")
        if cls.data_model is not DataModel.RELATIONAL:
            raise SchemaError(f"{cls.__name__}: only relational entities can be mapped")
        fields = [PrimaryKeyField(ENTRY_ID, VarChar(36)), *cls.fields]
        by_db: dict[str, Field] = {}
        by_py: dict[str, Field] = {}
        for field in fields:
            if not isinstance(field, Field):
                raise SchemaError(f"{cls.__name__}.fields holds {field!r}, which is not a Field")
            if field.db_field_name in by_db or field.python_field_name in by_py:
                raise SchemaError(f"{cls.__name__} declares field {field.db_field_name!r} twice")
            by_db[field.db_field_name] = field
            by_py[field.python_field_name] = field
        cls._pn_by_db, cls._pn_by_py = by_db, by_py
        cls._pn_fields = tuple(fields)
        cls._pn_source = cls.fields

    # PolyNOM 0.3 names
    @classmethod
    def _get_fields(cls) -> tuple[Field, ...]:
        return cls.all_fields()

    @classmethod
    def _get_field_map(cls) -> dict[str, Field]:
        cls.all_fields()
        return dict(cls._pn_by_py)

    @classmethod
    def _to_dict(cls) -> dict[str, Any]:
        """The entity as PolyNOM 0.3's schema snapshots list it."""
        fields = [f._to_dict() for f in cls.all_fields()]
        fields[0]["unique"] = True  # PolyNOM declares its _entry_id key unique as well
        return {
            "entity_name": cls.entity_name,
            "namespace_name": cls.namespace(),
            "data_model": cls.data_model.name,
            "fields": fields,
        }

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The entity as stored in schema snapshots."""
        return {
            "namespace": cls.namespace(),
            "entity": cls.entity_name,
            "fields": [f.describe() for f in cls.all_fields()],
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.qualified_name()}>"


def schema_class(schema: type[BaseSchema] | BaseSchema) -> type[BaseSchema]:
    """Accept a schema class or an instance of one (PolyNOM allows both)."""
    cls = schema if isinstance(schema, type) else type(schema)
    if not issubclass(cls, BaseSchema):
        raise SchemaError(f"{schema!r} is not a BaseSchema subclass")
    return cls
