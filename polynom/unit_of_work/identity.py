"""The identity map: one object per entry within a session.

Models are held per schema, by entry id: ``{schema: {entry id: model}}``. The hot paths
(every row a query adopts, every get) take the dict of one schema once and then look rows
up by their id string -- one C call per row, with no key tuple made per row (a tuple that
names a class is one more object the cyclic garbage collector tracks for as long as the
session holds the model).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from polynom.schema.schema import ENTRY_ID

if TYPE_CHECKING:
    from polynom.model.model import BaseModel
    from polynom.schema.schema import BaseSchema

__all__ = ["IdentityMap"]


class IdentityMap:
    """The models one session holds, one per entry (its schema and ``_entry_id``)."""

    __slots__ = ("_by_schema",)

    def __init__(self) -> None:
        self._by_schema: dict[type[BaseSchema], dict[str, BaseModel]] = {}

    def of(self, schema: type[BaseSchema]) -> dict[str, BaseModel]:
        """The models held for ``schema``'s entries, by entry id: the dict itself, for
        loops that look up or add many."""
        held = self._by_schema.get(schema)
        if held is None:
            held = self._by_schema[schema] = {}
        return held

    def get(self, model: type[BaseModel], entry_id: str) -> BaseModel | None:
        """The object held for an entry of ``model``, if any."""
        held = self._by_schema.get(model.__mapper__.schema)
        return None if held is None else held.get(entry_id)

    def held_as(self, model: BaseModel) -> BaseModel | None:
        """The object held for ``model``'s entry (``model`` itself, another, or None)."""
        return self.get(type(model), model.__dict__[ENTRY_ID])

    def add(self, model: BaseModel) -> None:
        """Hold ``model`` for its entry."""
        self.of(type(model).__mapper__.schema)[model.__dict__[ENTRY_ID]] = model

    def discard(self, model: BaseModel) -> None:
        """Stop holding ``model``'s entry."""
        held = self._by_schema.get(type(model).__mapper__.schema)
        if held is not None:
            held.pop(model.__dict__[ENTRY_ID], None)

    def clear(self) -> None:
        """Hold nothing."""
        self._by_schema.clear()
