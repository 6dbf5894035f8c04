"""The identity map: one object per entry within a session.

It is a plain ``dict`` of :data:`Key` to model -- lookups on the hot paths (every row a
query adopts, every get) stay one C call -- with the few helpers that name its keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from polynom.schema.schema import ENTRY_ID

if TYPE_CHECKING:
    from polynom.model.model import BaseModel
    from polynom.schema.schema import BaseSchema

__all__ = ["IdentityMap", "Key", "find", "key_of"]

#: An entry's identity: its schema and its ``_entry_id``.
Key: TypeAlias = "tuple[type[BaseSchema], str]"
#: ``(schema, entry id) -> model``.
IdentityMap: TypeAlias = "dict[Key, BaseModel]"


def key_of(model: BaseModel) -> Key:
    """The identity of a model."""
    return (type(model).__mapper__.schema, model.__dict__[ENTRY_ID])


def find(identity: IdentityMap, model: type[BaseModel], entry_id: str) -> BaseModel | None:
    """The object ``identity`` holds for an entry of ``model``, if any."""
    return identity.get((model.__mapper__.schema, entry_id))
