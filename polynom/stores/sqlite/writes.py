"""What the values of a write bind to, checked and fitted before SQLite stores them.

SQLite keeps whatever it is given; Polypheny fits a value to its column. Two things follow,
for the values an INSERT's rows or an UPDATE's ``column = ?`` items bind to:

* a ``TIMESTAMP(p)`` or ``TIME(p)`` value keeps ``p`` fractional digits, the rest cut off
  (Polypheny sends and stores milliseconds at most: ``PolyTimestamp.millisSinceEpoch``,
  ``core/.../type/PolyType.java`` ``MAX_DATETIME_PRECISION = 3``; the embedded store keeps
  ``p`` digits up to microseconds), so ``TIMESTAMP(0)`` keeps no milliseconds anywhere;
* with Polypheny's semantics, where NOT NULL is no SQLite constraint (see
  :mod:`.ddl_polypheny`), a NULL for a NOT NULL column is refused as Polypheny's planner
  refuses it (``dbms/.../processing/shuttles/ParameterValueValidator.java``: "Null in not
  nullable column"), and an INSERT that leaves such a column out as its SQL processor does
  (``plugins/sql-language/.../SqlProcessor.java``, ``addDefaultValues``).

:func:`write_plan` works out, once per statement and table layout, which parameters need
that; :func:`fit` applies it to one call's parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from polynom.stores.sqlite.refusals import PLAN, VALIDATION, PolyphenyRefusal
from polynom.stores.sqlite.translate.translation import Translation
from polynom.stores.sqlite.translate.types import ColumnType

__all__ = ["Column", "WritePlan", "fit", "write_plan"]

#: The fractional digits Polypheny keeps at most (``PolyType.MAX_DATETIME_PRECISION``).
_POLYPHENY_DIGITS = 3


@dataclass(frozen=True, slots=True)
class Column:
    """What a write needs to know of a column."""

    type: ColumnType
    not_null: bool
    has_default: bool


@dataclass(frozen=True, slots=True)
class WritePlan:
    """For each parameter slot of one row: its position, its column, the fractional digits
    it keeps (None: any value) and whether it may be NULL (``not_null`` only where checked)."""

    width: int  # parameters per row of an INSERT; 0 for an UPDATE (one "row")
    slots: tuple[tuple[int, str, int | None, bool], ...]


def write_plan(tr: Translation, columns: dict[str, Column], *, polypheny: bool) -> WritePlan | None:
    """The plan for a write on a table whose columns (lower-cased names) are ``columns``;
    None when no parameter needs fitting or checking."""
    if tr.insert_columns:
        bound = list(enumerate(tr.insert_columns))
        if polypheny:
            named = {c.lower() for c in tr.insert_columns}
            for name, column in columns.items():
                if column.not_null and not column.has_default and name not in named:
                    raise PolyphenyRefusal(
                        f"The not nullable field '{name}' is missing in the insert statement "
                        "and has no default value defined.",
                        VALIDATION,
                    )
        width = len(tr.insert_columns)
    elif tr.set_params:
        bound, width = list(tr.set_params), 0
    else:
        return None
    slots = []
    for position, name in bound:
        found = columns.get(name.lower())
        if found is None:
            continue
        column = found
        digits = None
        if column.type.name in ("TIMESTAMP", "TIME") and column.type.args:
            digits = column.type.args[0]
            if polypheny:
                digits = min(digits, _POLYPHENY_DIGITS)
        if digits is not None and digits >= 6:
            digits = None
        not_null = polypheny and column.not_null
        if digits is not None or not_null:
            slots.append((position, name, digits, not_null))
    return WritePlan(width, tuple(slots)) if slots else None


def _cut(value: Any, digits: int) -> Any:
    if isinstance(value, datetime | time):
        step = 10 ** (6 - digits)
        micro = value.microsecond - value.microsecond % step
        if micro != value.microsecond:
            return value.replace(microsecond=micro)
    return value


def fit(plan: WritePlan, params: Sequence[Any]) -> Sequence[Any]:
    """``params`` fitted to the plan (the input itself when nothing changes)."""
    out: list[Any] | None = None
    rows = len(params) // plan.width if plan.width else 1
    for row in range(rows):
        base = row * plan.width
        for position, _name, digits, not_null in plan.slots:
            index = base + position
            if index >= len(params):
                continue
            value = params[index]
            if value is None:
                if not_null:
                    raise PolyphenyRefusal("Null in not nullable column", PLAN)
                continue
            if digits is not None:
                cut = _cut(value, digits)
                if cut is not value:
                    if out is None:
                        out = list(params)
                    out[index] = cut
    return params if out is None else out
