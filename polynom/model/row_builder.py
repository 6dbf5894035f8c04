"""The function that turns a store row into a new model, made once per model class.

Every model a query, a get or a lazy load returns is built here, so this is the mapper's
hottest code. A loop over the columns pays, per value, for the loop itself and for looking
up what to do; the function made here does the same work written out column by column (as
``dataclasses`` writes ``__init__``): fill the model's ``__dict__`` from the row, convert
the values of the columns whose polytype converts at all (``ModelMapper.conversions``)
when they are not of the polytype's native type already -- the form a store usually returns
written out too (``PolyType.store_form``: a Decimal from a double, a boolean from 0 or 1),
the rest through ``from_db`` -- and set the model's state (in its slot ``state_key``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from polynom.schema.polytypes import PolyType
from polynom.schema.validation import INVALID

__all__ = ["RowBuilder", "row_builder"]

#: ``build(row, state)``: a new model of the class, its fields from ``row`` (store values in
#: column order), its state ``state``; a value the field's polytype cannot read raises what
#: ``unreadable(name, value, exc)`` returns.
RowBuilder = Callable[[Sequence[Any], Any], Any]


def row_builder(
    model: type,
    names: Sequence[str],
    conversions: Sequence[tuple[int, str, PolyType]],
    state_key: str,
    unreadable: Callable[[str, Any, Exception], Exception],
) -> RowBuilder:
    """The builder of ``model``'s objects from rows of the columns ``names``, converting the
    values of ``conversions`` (``(index, name, polytype)``)."""
    scope: dict[str, Any] = {
        "_new": model.__new__,
        "_cls": model,
        "_INVALID": INVALID,
        "_unreadable": unreadable,
    }
    converting = {index: polytype for index, _, polytype in conversions}
    lines = ["def build(row, state):", "    obj = _new(_cls)", "    d = obj.__dict__"]
    for index, name in enumerate(names):
        key = repr(name)
        polytype = converting.get(index)
        if polytype is None:
            lines.append(f"    d[{key}] = row[{index}]")
            continue
        scope[f"_native{index}"] = polytype.native
        scope[f"_read{index}"] = polytype.from_db
        lines += [f"    v = row[{index}]", "    try:"]
        read_if = "if"
        form = polytype.store_form()
        if form is not None:  # the usual store form, written out; anything else: from_db
            scope[f"_form{index}"] = form.kind
            local = {n: f"_{n}{index}" for n in form.names}
            scope.update({local[n]: value for n, value in form.names.items()})
            lines += [
                f"        if type(v) is _form{index}:",
                f"            v = {form.expression.format(**local)}",
            ]
            read_if = "elif"
        lines += [
            f"        {read_if} v is not None and type(v) is not _native{index}:",
            f"            v = _read{index}(v)",
            "    except _INVALID as exc:",
            f"        raise _unreadable({key}, v, exc) from None",
            f"    d[{key}] = v",
        ]
    lines += [f"    obj.{state_key} = state", "    return obj"]
    exec("\n".join(lines), scope)
    build: RowBuilder = scope["build"]
    return build
