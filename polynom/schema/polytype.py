"""``PolyType``: what every polytype offers (the concrete ones are in
:mod:`polynom.schema.polytypes`, which also exports this one).

A polytype validates and normalises values on assignment, moves them across the store
interface (``to_db`` / ``from_db``), and writes them as JSON for the changelog and dumps. For
the hottest paths, reading rows and making models, it also gives the usual store form and
the usual valid value as expressions (:class:`StoreForm`).
"""

from __future__ import annotations

import decimal as _decimal
import json as _json
from typing import Any, ClassVar, NamedTuple

from polynom.schema.polynom03_values import PolyNOMCodec

__all__ = ["PolyType", "StoreForm"]


class StoreForm(NamedTuple):
    """One step of a polytype on its usual kind of value, written out as a Python expression
    over the value ``v`` (``{name}`` stands for ``names[name]``), so the functions made per
    model class do it without a call: for a value of type ``kind``,

    * :meth:`PolyType.store_form`: what ``from_db(v)`` returns, for the form a store usually
      returns values in (``polynom.model.row_builder`` builds models from rows with it);
    * :meth:`PolyType.valid_form`: True when ``validate(v)`` would return ``v`` as it is
      (``polynom.model.initializer`` makes new models with it)."""

    kind: type[Any]
    expression: str
    names: dict[str, Any]


class PolyType(PolyNOMCodec):
    """Base class of every polytype (with PolyNOM 0.3's private codec methods too)."""

    #: True when values can change in place (a dict in a Json field) and so need snapshots.
    mutable: ClassVar[bool] = False
    #: True when stored values compare exactly with ``=`` (used for conflict checks).
    comparable: ClassVar[bool] = True
    #: A type whose store values are already the Python value (loading skips ``from_db``).
    native: ClassVar[type[Any] | None] = None

    @property
    def sql_type(self) -> str:
        """The Polypheny SQL type this polytype is declared as."""
        raise NotImplementedError

    def validate(self, value: Any) -> Any:
        """Return ``value`` normalised for this type; raise ``TypeError``/``ValueError``.

        ``value`` is never None (None is "no value", checked by the field's ``nullable``).
        """
        return value

    def to_db(self, value: Any) -> Any:
        """The value as it crosses the store interface."""
        return value

    def from_db(self, value: Any) -> Any:
        """The Python value for what a store returned."""
        return value

    def store_form(self) -> StoreForm | None:
        """``from_db`` for the store form its values usually come in, as an expression
        (None: loading calls ``from_db`` for a value that is not of the :attr:`native`
        type). Reading the rows of a query is the hottest loop there is."""
        return None

    def valid_form(self) -> StoreForm | None:
        """When :meth:`validate` returns a value of the usual kind as it is, as an expression
        (None: a new model's value is always validated by the call). Making a model is the
        hottest path of every insert."""
        return None

    def to_json(self, value: Any) -> Any:
        """A JSON-compatible form, exact (used by the changelog and dumps)."""
        return value

    def from_json(self, value: Any) -> Any:
        """The inverse of :meth:`to_json`."""
        return value

    def sql_literal(self, value: Any) -> str:
        """``value`` as a SQL literal, for DEFAULT clauses (DDL cannot bind parameters)."""
        db = self.to_db(value)
        if db is None:
            return "NULL"
        if isinstance(db, bool):
            return "TRUE" if db else "FALSE"
        if isinstance(db, int | float | _decimal.Decimal):
            return str(db)
        if isinstance(db, str):
            return "'" + db.replace("'", "''") + "'"
        raise TypeError(f"{type(self).__name__} values cannot be used as a DEFAULT")

    def describe(self) -> dict[str, Any]:
        """A JSON description of the type, stored in schema snapshots."""
        return {"type": type(self).__name__}

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, PolyType)
            and type(other) is type(self)
            and other.describe() == self.describe()
        )

    def __hash__(self) -> int:
        return hash(_json.dumps(self.describe(), sort_keys=True))

    def __repr__(self) -> str:
        args = {k: v for k, v in self.describe().items() if k != "type"}
        inner = ", ".join(f"{k}={v!r}" for k, v in args.items())
        return f"{type(self).__name__}({inner})"
