"""The identity map: one object per entry within a session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from polynom.schema.schema import ENTRY_ID

if TYPE_CHECKING:
    from polynom.model.model import BaseModel
    from polynom.schema.schema import BaseSchema

__all__ = ["IdentityMap", "Key"]

#: An entry's identity: its schema and its ``_entry_id``.
Key = tuple["type[BaseSchema]", str]


class IdentityMap(dict[Key, "BaseModel"]):
    """``(schema, entry id) -> model``: a dict, so lookups on hot paths stay one call."""

    __slots__ = ()

    @staticmethod
    def key_of(model: BaseModel) -> Key:
        return (type(model).__mapper__.schema, model.__dict__[ENTRY_ID])

    def add(self, model: BaseModel) -> None:
        self[self.key_of(model)] = model

    def discard(self, model: BaseModel) -> None:
        self.pop(self.key_of(model), None)

    def find(self, model: type[BaseModel], entry_id: str) -> BaseModel | None:
        """The object held for an entry of ``model``, if any."""
        return self.get((model.__mapper__.schema, entry_id))
