"""PolyNOM 0.3's value encodings: the private codec its polytypes had, with its exact results.

PolyNOM's polytypes carry a codec of their own, which its users and its test suite call:
``_to_json_serializable`` (the form its changelog stores: a ``Decimal`` as a float, a
``Json`` value as a JSON *string*, a geometry as compact GeoJSON...), ``_to_prism_serializable``
and ``_from_prism_serializable`` (to and from the driver), ``_to_sql_expression`` (a SQL
literal, for DDL defaults) and ``_type_string``. :class:`PolyNOMCodec` -- PolyNOM's
``_BaseType``, the base of every polytype of ours -- gives each of them these methods.

They sit beside our own codec (``validate``, ``to_db``/``from_db``, ``to_json``/``from_json``),
which stays exact: nothing of ours writes PolyNOM's lossy forms except a PolyNOM-format dump.
:func:`from_polynom03_json` reads PolyNOM's changelog encoding back into our values.

The kind of a polytype is found by its class names (this module sits below the polytypes, so
it cannot import them); a subclass of ``Decimal`` is a decimal.
"""

from __future__ import annotations

import base64
import datetime as _dt
import decimal as _decimal
import json
from typing import Any

__all__ = ["PolyNOMCodec", "TemporalCodec", "from_polynom03_json", "polynom03_kind"]

#: class name -> (kind, the Python types PolyNOM's codec accepts for it)
_KINDS: dict[str, tuple[str, tuple[type, ...]]] = {
    "Text": ("text", (str,)),
    "VarChar": ("text", (str,)),
    "TinyInt": ("number", (int,)),
    "SmallInt": ("number", (int,)),
    "Integer": ("number", (int,)),
    "BigInt": ("number", (int,)),
    "Double": ("number", (float,)),
    "Real": ("number", (float,)),
    "Decimal": ("decimal", (_decimal.Decimal,)),
    "Boolean": ("boolean", (bool,)),
    "Date": ("temporal", (_dt.date,)),
    "Time": ("temporal", (_dt.time,)),
    "Timestamp": ("temporal", (_dt.datetime,)),
    "TemporalCodec": ("temporal", ()),
    "Json": ("json", (dict,)),
    "PolyEnum": ("enum", ()),
    "File": ("file", (bytes,)),
    "Geometry": ("geometry", ()),
}


def polynom03_kind(polytype: object) -> str:
    """What kind of value a polytype holds, for PolyNOM's encodings (``"other"`` if unknown)."""
    for cls in type(polytype).__mro__:
        found = _KINDS.get(cls.__name__)
        if found is not None:
            return found[0]
    return "other"


def _compact_geojson(value: Any) -> str:
    import shapely.geometry  # the geo extra; a Geometry value exists only with it

    return json.dumps(shapely.geometry.mapping(value), separators=(",", ":"))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class PolyNOMCodec:
    """PolyNOM 0.3's ``_BaseType``: its codec methods, on every polytype of ours.

    ``PolyNOMCodec(int)`` (as ``_BaseType(int)``) is a codec for plain values of that type.
    """

    def __init__(self, python_type: type | None = None) -> None:
        self._python_type = python_type

    def _python_types(self) -> tuple[type, ...]:
        given = getattr(self, "_python_type", None)
        if given is not None:
            return (given,)
        enum = getattr(self, "python_enum", None)
        if enum is not None:
            return (enum,)
        if polynom03_kind(self) == "geometry":
            import shapely.geometry.base

            return (shapely.geometry.base.BaseGeometry,)
        for cls in type(self).__mro__:
            found = _KINDS.get(cls.__name__)
            if found is not None:
                return found[1]
        return ()

    @property
    def _type_string(self) -> str:
        """The SQL type (PolyNOM's name for :attr:`~polynom.schema.polytypes.PolyType.sql_type`)."""
        sql_type: str = getattr(self, "sql_type", type(self).__name__.upper())
        return sql_type

    def _to_json_serializable(self, value: Any) -> Any:
        """``value`` as PolyNOM's changelog stored it; ``TypeError`` for a wrong type."""
        if value is None:
            return None
        expected = self._python_types()
        if expected and not isinstance(value, expected):
            names = " or ".join(t.__name__ for t in expected)
            raise TypeError(
                f"Cannot serialize {value!r} of type {type(value).__name__}. "
                f"Expected type is {names}."
            )
        kind = polynom03_kind(self)
        if kind == "decimal":
            return float(value)
        if kind == "temporal":
            return value.isoformat()
        if kind == "json":
            return json.dumps(value)
        if kind == "enum":
            return value.name
        if kind == "file":
            return base64.b64encode(value).decode("ascii")
        if kind == "geometry":
            return _compact_geojson(value)
        return value

    def _to_prism_serializable(self, value: Any) -> Any:
        """``value`` as PolyNOM handed it to the driver."""
        if value is None:
            return None
        kind = polynom03_kind(self)
        if kind == "json":
            return json.dumps(value)
        if kind == "enum":
            return value.name
        if kind == "geometry":
            return _compact_geojson(value)
        return value

    def _from_prism_serializable(self, value: Any) -> Any:
        """The Python value for what the driver returned; ``ValueError`` when it cannot be."""
        if value is None:
            return None
        from_db = getattr(self, "from_db", None)
        if from_db is None:
            return value
        try:
            return from_db(value)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            if polynom03_kind(self) == "enum":
                raise ValueError(f"Invalid enum name: {value}") from None
            raise ValueError(f"cannot read {value!r} as {type(self).__name__}: {exc}") from None

    def _to_sql_expression(self, value: Any) -> str:
        """``value`` as PolyNOM's SQL literal: numbers bare, ``TRUE``/``FALSE``, the rest quoted."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float | _decimal.Decimal):
            return str(value)
        serialised = self._to_json_serializable(value)
        if isinstance(serialised, str):
            return _quote(serialised)
        raise NotImplementedError(f"SQL expression serialization not implemented for {value!r}")


class TemporalCodec(PolyNOMCodec):
    """PolyNOM 0.3's ``_TemporalBaseType``: dates, times and timestamps as ISO text."""

    def __init__(self, python_type: type | None = None, precision: int = 0) -> None:
        super().__init__(python_type)
        self.precision = precision


def from_polynom03_json(polytype: Any, value: Any) -> Any:
    """A value PolyNOM's changelog stored (``_to_json_serializable``), as our polytype's value.

    Decimals come back from their float quantized to the field's scale, Json and Geometry
    from their JSON text, timestamps (PolyNOM wrote its host's local time, unmarked) are taken
    as UTC. A value that cannot be read is returned as stored.
    """
    if value is None:
        return None
    try:
        if polynom03_kind(polytype) == "file":
            return polytype.from_json(value)
        return polytype.from_db(value)
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError):
        return value
