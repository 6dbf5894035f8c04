"""``BaseSchema``: the declaration of an entity (a table) and its fields."""

from __future__ import annotations

from enum import Enum
from typing import Any, ClassVar

from polynom import config
from polynom.errors import SchemaError
from polynom.schema.field import Field, ForeignKeyField, PrimaryKeyField
from polynom.schema.polytypes import VarChar

__all__ = ["ENTRY_ID", "BaseSchema", "DataModel", "schema_class"]

#: The hidden primary key every entity has: a UUID4 string made on the client.
ENTRY_ID = "_entry_id"


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
        """Every field, the hidden ``_entry_id`` first."""
        if not cls._pn_fields:
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

    # PolyNOM 0.3 names
    @classmethod
    def _get_fields(cls) -> tuple[Field, ...]:
        return cls.all_fields()

    @classmethod
    def _get_field_map(cls) -> dict[str, Field]:
        cls.all_fields()
        return dict(cls._pn_by_py)

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
