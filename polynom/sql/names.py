"""Names in Polypheny SQL: identifiers validated and double-quoted, entities qualified."""

from __future__ import annotations

from functools import lru_cache
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
    if type(namespace) is str and type(name) is str:
        return _entity(namespace, name)
    return f"{quote(namespace)}.{quote(name)}"  # refused with its SchemaError


@lru_cache(maxsize=1024)
def _entity(namespace: str, name: str) -> str:
    """:func:`entity` of two strings, validated and quoted once: every write and get by id
    names its entity, and there are few entities (a refused name raises, and is not kept)."""
    return f"{quote(namespace)}.{quote(name)}"


def schema_entity(schema: type[BaseSchema]) -> str:
    """The qualified, quoted name of a schema's entity."""
    return entity(schema.namespace(), schema.entity_name)
