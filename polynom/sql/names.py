"""Names in Polypheny SQL: identifiers validated and double-quoted, entities qualified."""

from __future__ import annotations

from typing import TYPE_CHECKING

from polynom.errors import SchemaError

if TYPE_CHECKING:
    from polynom.schema.schema import BaseSchema

__all__ = ["entity", "quote", "schema_entity"]


def quote(name: str) -> str:
    """A validated, double-quoted identifier."""
    if (
        not isinstance(name, str)
        or not name
        or len(name) > 128
        or '"' in name
        or "\x00" in name
        or not name.isprintable()
    ):
        raise SchemaError(
            f"{name!r} cannot be used as a name: use 1-128 printable characters without '\"'"
        )
    return f'"{name}"'


def entity(namespace: str, name: str) -> str:
    """``"namespace"."entity"``."""
    return f"{quote(namespace)}.{quote(name)}"


def schema_entity(schema: type[BaseSchema]) -> str:
    """The qualified, quoted name of a schema's entity."""
    return entity(schema.namespace(), schema.entity_name)
