"""What the admin's pages show: plain rows copied out of a context, and display values.

The admin reads inside a DAL context and renders after it has ended, so it never hands a
model to a page: each entry becomes a :class:`Row`, its field values copied and its related
entries (the ones a page shows) copied as rows of their own.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ENTRY_ID", "Row", "display", "row_of"]

#: The hidden primary key of every entity, and the admin's ``pk_attr``.
ENTRY_ID = "_entry_id"


class Row:
    """One entry as the admin shows it: its field values as attributes.

    ``label`` is what the admin calls the entry (a link text, a page title); ``history``
    is the entry's changelog when the page shows it.
    """

    def __init__(self, values: Mapping[str, Any], label: str) -> None:
        self.__dict__.update(values)
        self.label = label
        self.history: list[dict[str, Any]] | None = None

    def __getattr__(self, name: str) -> Any:
        # A related entry's row carries its fields only: its own relations read as empty.
        if name.startswith("__"):
            raise AttributeError(name)
        return None

    def __admin_repr__(self, request: Any) -> str:
        return self.label

    def __admin_select2_repr__(self, request: Any) -> str:
        from markupsafe import escape

        return f"<span>{escape(self.label)}</span>"

    def __repr__(self) -> str:
        return f"<Row {self.label!r}>"


def row_of(model: Any, label_fields: Iterable[str], relations: Mapping[str, Any]) -> Row:
    """The row of one model (read inside its context); ``relations`` maps a relationship
    name to the function turning the related model(s) into rows."""
    values = model.to_dict()
    for name, convert in relations.items():
        related = getattr(model, name)
        if related is None:
            values[name] = None
        elif isinstance(related, list):
            values[name] = [convert(item) for item in related]
        else:
            values[name] = convert(related)
    parts = [str(values[f]) for f in label_fields if values.get(f) not in (None, "")]
    return Row(values, " ".join(parts) or str(values[ENTRY_ID]))


def display(value: Any) -> str:
    """A value as one short line of text (the changelog's old and new values)."""
    if value is None:
        return "∅"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time | decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"
