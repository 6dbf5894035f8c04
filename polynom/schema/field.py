"""Fields: the columns of a schema, with their polytype and constraints."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from polynom.errors import SchemaError
from polynom.schema.polytypes import PolyType

if TYPE_CHECKING:
    from polynom.schema.schema import BaseSchema

__all__ = ["Field", "ForeignKeyField", "PrimaryKeyField"]


class Field:
    """A column of an entity.

    ``default`` may be a value or a zero-argument callable; a plain value also becomes the
    column's DEFAULT in the store. ``previous_name`` renames the column on migration.
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
        self.nullable = nullable
        self.unique = unique
        self.previous_name = previous_name
        self.default = default
        if default is not None and not callable(default):
            try:
                self.default = polytype.validate(default)
            except (TypeError, ValueError) as exc:
                raise SchemaError(f"field {db_field_name!r}: default {default!r} {exc}") from None

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

    def make_default(self) -> Any:
        """The value a new model gets when the field is not given."""
        default = self.default
        if callable(default):
            value = default()
            return None if value is None else self.polytype.validate(value)
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
        from polynom.schema.schema import schema_class

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
