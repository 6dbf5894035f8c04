"""PolyNOM 0.3's ``polynom.schema.cascade`` (a face).

polynom's cascades are words of a relationship (``Relationship(..., cascade="all,
delete-orphan")``, :data:`CASCADES`), carried out by the session. ``Cascade`` is PolyNOM's
small helper that remembers a model's list attributes and tells which members were removed.
"""

from __future__ import annotations

from typing import Any

from polynom.model.relationship import CASCADES

__all__ = ["CASCADES", "Cascade"]


class Cascade:
    """Remembers the list attributes of an object and finds the members removed since."""

    def __init__(self) -> None:
        self._original_relations: dict[str, Any] = {}

    def track_initial_state(self) -> None:
        """Remember the current value of every attribute (lists copied)."""
        for name, value in vars(self).items():
            if name != "_original_relations":
                self._original_relations[name] = list(value) if isinstance(value, list) else value

    def detect_orphans(self) -> list[Any]:
        """The members of remembered lists that are no longer in them."""
        orphans: list[Any] = []
        for name, old in self._original_relations.items():
            current = getattr(self, name, None)
            if isinstance(old, list) and isinstance(current, list):
                orphans.extend(x for x in old if x not in current)
        return orphans
