"""Polytypes: the value types a field can hold, as Polypheny declares them.

A polytype knows three things about its values: what Python accepts and how it is
normalised on assignment (:meth:`PolyType.validate`), how it crosses the store interface
(:meth:`to_db` / :meth:`from_db`), and how it is written into JSON for the changelog and
dumps (:meth:`to_json` / :meth:`from_json`). Normalising on assignment is what makes a round
trip exact: what a model holds after assignment is what it reads back from any store.
"""

from __future__ import annotations

import base64
import datetime as _dt
import decimal as _decimal
import enum as _enum
import json as _json
import struct
from typing import Any, ClassVar

from polynom.schema.polynom03_values import PolyNOMCodec, TemporalCodec

__all__ = [
    "BigInt",
    "Boolean",
    "Date",
    "Decimal",
    "Double",
    "File",
    "Geometry",
    "Integer",
    "Json",
    "PolyEnum",
    "PolyType",
    "Real",
    "SmallInt",
    "Text",
    "Time",
    "Timestamp",
    "TinyInt",
    "VarChar",
]

_UTC = _dt.UTC


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
        """Return ``value`` normalised for this type; raise ``TypeError``/``ValueError``."""
        return value

    def to_db(self, value: Any) -> Any:
        """The value as it crosses the store interface."""
        return value

    def from_db(self, value: Any) -> Any:
        """The Python value for what a store returned."""
        return value

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


#: PolyNOM 0.3's names for the bases of its polytypes (its users and tests import them).
_BaseType = PolyNOMCodec
_TemporalBaseType = TemporalCodec


def _type_error(expected: str, value: Any) -> TypeError:
    return TypeError(f"expected {expected}, got {type(value).__name__} {value!r}")


# -- text ----------------------------------------------------------------------------------


class Text(PolyType):
    """Unbounded text."""

    native = str

    @property
    def sql_type(self) -> str:
        return "TEXT"

    def validate(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise _type_error("str", value)
        return value


class VarChar(Text):
    """Text of at most ``length`` characters."""

    def __init__(self, length: int) -> None:
        if not isinstance(length, int) or length < 1:
            raise ValueError(f"VarChar length must be a positive int, got {length!r}")
        self.length = length

    @property
    def sql_type(self) -> str:
        return f"VARCHAR({self.length})"

    def validate(self, value: Any) -> Any:
        value = super().validate(value)
        if len(value) > self.length:
            raise ValueError(
                f"is {len(value)} characters long, longer than VarChar({self.length}) allows"
            )
        return value

    def describe(self) -> dict[str, Any]:
        return {"type": "VarChar", "length": self.length}


# -- numbers -------------------------------------------------------------------------------


class _Int(PolyType):
    native: ClassVar[type[Any] | None] = int
    _bits: ClassVar[int] = 32
    _name: ClassVar[str] = "INTEGER"

    @property
    def sql_type(self) -> str:
        return self._name

    def validate(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error("int", value)
        limit = 1 << (self._bits - 1)
        if not -limit <= value < limit:
            raise ValueError(
                f"{value} is out of range for {type(self).__name__} ({-limit} to {limit - 1})"
            )
        return value

    def from_db(self, value: Any) -> Any:
        return None if value is None else int(value)


class TinyInt(_Int):
    """8-bit integer."""

    _bits, _name = 8, "TINYINT"


class SmallInt(_Int):
    """16-bit integer."""

    _bits, _name = 16, "SMALLINT"


class Integer(_Int):
    """32-bit integer."""

    _bits, _name = 32, "INTEGER"


class BigInt(_Int):
    """64-bit integer."""

    _bits, _name = 64, "BIGINT"


class Double(PolyType):
    """64-bit float."""

    native: ClassVar[type[Any] | None] = float

    @property
    def sql_type(self) -> str:
        return "DOUBLE"

    def validate(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error("float", value)
        return float(value)

    def from_db(self, value: Any) -> Any:
        return None if value is None else float(value)


class Real(Double):
    """32-bit float: values are rounded to single precision on assignment, as stored."""

    native = None

    @property
    def sql_type(self) -> str:
        return "REAL"

    def validate(self, value: Any) -> Any:
        value = super().validate(value)
        try:
            return struct.unpack("f", struct.pack("f", value))[0]
        except OverflowError:
            raise ValueError(f"{value} is out of range for Real (32-bit float)") from None

    def from_db(self, value: Any) -> Any:
        return None if value is None else self.validate(float(value))


class Decimal(PolyType):
    """Exact decimal with ``precision`` digits, ``scale`` of them after the point.

    Values are quantized to ``scale`` on assignment (``1.5`` in ``Decimal(10, 2)`` becomes
    ``Decimal('1.50')``), which is what the store keeps and returns.
    """

    native: ClassVar[type[Any] | None] = _decimal.Decimal  # stores return the stored digits

    def __init__(self, precision: int = 64, scale: int = 32) -> None:
        if not (isinstance(precision, int) and 1 <= precision <= 64):
            raise ValueError(f"Decimal precision must be 1..64, got {precision!r}")
        if not (isinstance(scale, int) and 0 <= scale <= precision):
            raise ValueError(f"Decimal scale must be 0..precision ({precision}), got {scale!r}")
        self.precision = precision
        self.scale = scale
        self._quantum = _decimal.Decimal(1).scaleb(-scale)
        self._context = _decimal.Context(prec=precision + 2)

    @property
    def sql_type(self) -> str:
        return f"DECIMAL({self.precision}, {self.scale})"

    def validate(self, value: Any) -> Any:
        if isinstance(value, bool):
            raise _type_error("Decimal", value)
        if isinstance(value, float):
            value = _decimal.Decimal(repr(value))
        elif isinstance(value, int | str):
            try:
                value = _decimal.Decimal(value)
            except _decimal.InvalidOperation:
                raise ValueError(f"{value!r} is not a decimal number") from None
        elif not isinstance(value, _decimal.Decimal):
            raise _type_error("Decimal", value)
        if not value.is_finite():
            raise ValueError(f"{value} is not a finite decimal")
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > self.scale:
            rounded = value.quantize(self._quantum, context=self._context)
            if rounded != value:
                raise ValueError(
                    f"{value} has more than {self.scale} digits after the point "
                    f"(Decimal({self.precision}, {self.scale}))"
                )
        value = value.quantize(self._quantum, context=self._context)
        digits = len(value.as_tuple().digits)
        if digits > self.precision:
            raise ValueError(
                f"{value} has more than {self.precision} digits "
                f"(Decimal({self.precision}, {self.scale}))"
            )
        return value

    def from_db(self, value: Any) -> Any:
        if value is None:
            return None
        if type(value) is _decimal.Decimal and value.as_tuple().exponent == -self.scale:
            return value
        if isinstance(value, float):
            value = repr(value)
        return _decimal.Decimal(value).quantize(self._quantum, context=self._context)

    def to_json(self, value: Any) -> Any:
        return None if value is None else str(value)

    def from_json(self, value: Any) -> Any:
        return None if value is None else _decimal.Decimal(value)

    def describe(self) -> dict[str, Any]:
        return {"type": "Decimal", "precision": self.precision, "scale": self.scale}


class Boolean(PolyType):
    """True or False."""

    native = bool

    @property
    def sql_type(self) -> str:
        return "BOOLEAN"

    def validate(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise _type_error("bool", value)
        return value

    def from_db(self, value: Any) -> Any:
        return None if value is None else bool(value)


# -- time ----------------------------------------------------------------------------------


def _check_precision(precision: int) -> int:
    if not (isinstance(precision, int) and 0 <= precision <= 3):
        raise ValueError(f"precision must be 0..3 (fractional second digits), got {precision!r}")
    return precision


def _truncate_micros(micro: int, precision: int) -> int:
    step = 10 ** (6 - precision)
    return micro - micro % step


class Date(PolyType):
    """A calendar date."""

    native = _dt.date

    @property
    def sql_type(self) -> str:
        return "DATE"

    def validate(self, value: Any) -> Any:
        if isinstance(value, _dt.datetime) or not isinstance(value, _dt.date):
            raise _type_error("datetime.date", value)
        return value

    def from_db(self, value: Any) -> Any:
        if value is None or type(value) is _dt.date:
            return value
        if isinstance(value, _dt.datetime):
            return value.date()
        if isinstance(value, int):
            return _dt.date(1970, 1, 1) + _dt.timedelta(days=value)
        return _dt.date.fromisoformat(str(value))

    def to_json(self, value: Any) -> Any:
        return None if value is None else value.isoformat()

    def from_json(self, value: Any) -> Any:
        return None if value is None else _dt.date.fromisoformat(value)

    def sql_literal(self, value: Any) -> str:
        return "NULL" if value is None else f"DATE '{value.isoformat()}'"


class Time(PolyType):
    """A time of day without timezone, to ``precision`` fractional digits (0-3)."""

    def __init__(self, precision: int = 0) -> None:
        self.precision = _check_precision(precision)

    @property
    def sql_type(self) -> str:
        return f"TIME({self.precision})"

    def validate(self, value: Any) -> Any:
        if not isinstance(value, _dt.time):
            raise _type_error("datetime.time", value)
        if value.tzinfo is not None:
            raise ValueError("Time fields hold times without timezone; got an aware time")
        return value.replace(microsecond=_truncate_micros(value.microsecond, self.precision))

    def from_db(self, value: Any) -> Any:
        if value is None or isinstance(value, _dt.time):
            return value
        if isinstance(value, int):  # milliseconds of the day
            return (_dt.datetime(1970, 1, 1) + _dt.timedelta(milliseconds=value)).time()
        return _dt.time.fromisoformat(str(value))

    def to_json(self, value: Any) -> Any:
        return None if value is None else value.isoformat()

    def from_json(self, value: Any) -> Any:
        return None if value is None else _dt.time.fromisoformat(value)

    def sql_literal(self, value: Any) -> str:
        return "NULL" if value is None else f"TIME '{value.isoformat()}'"

    def describe(self) -> dict[str, Any]:
        return {"type": "Time", "precision": self.precision}


class Timestamp(PolyType):
    """An instant, held as an aware UTC ``datetime`` to ``precision`` fractional digits.

    A naive datetime is taken as UTC; an aware one is converted to UTC. Sub-precision digits
    are truncated on assignment, so the model holds what the store returns.
    """

    def __init__(self, precision: int = 0) -> None:
        self.precision = _check_precision(precision)

    @property
    def sql_type(self) -> str:
        return f"TIMESTAMP({self.precision})"

    def validate(self, value: Any) -> Any:
        if not isinstance(value, _dt.datetime):
            raise _type_error("datetime.datetime", value)
        value = value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)
        return value.replace(microsecond=_truncate_micros(value.microsecond, self.precision))

    def from_db(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, int | float):  # epoch milliseconds
            value = _dt.datetime.fromtimestamp(value / 1000, _UTC)
        elif not isinstance(value, _dt.datetime):
            value = _dt.datetime.fromisoformat(str(value))
        return self.validate(value)

    def to_json(self, value: Any) -> Any:
        return None if value is None else value.isoformat()

    def from_json(self, value: Any) -> Any:
        return None if value is None else _dt.datetime.fromisoformat(value)

    def sql_literal(self, value: Any) -> str:
        if value is None:
            return "NULL"
        text = value.astimezone(_UTC).replace(tzinfo=None).isoformat(sep=" ")
        return f"TIMESTAMP '{text}'"

    def describe(self) -> dict[str, Any]:
        return {"type": "Timestamp", "precision": self.precision}


# -- structured values stored as text or bytes ---------------------------------------------


class Json(PolyType):
    """Any JSON-serialisable value, stored as TEXT."""

    mutable = True
    comparable = False

    @property
    def sql_type(self) -> str:
        return "TEXT"

    def validate(self, value: Any) -> Any:
        try:
            _json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"is not JSON-serialisable: {exc}") from None
        return value

    def to_db(self, value: Any) -> Any:
        return None if value is None else _json.dumps(value)

    def from_db(self, value: Any) -> Any:
        return None if value is None else _json.loads(value)


class PolyEnum(PolyType):
    """A member of a Python ``Enum``, stored as TEXT holding the member's name."""

    def __init__(self, python_enum: type[_enum.Enum]) -> None:
        if not (isinstance(python_enum, type) and issubclass(python_enum, _enum.Enum)):
            raise TypeError(f"PolyEnum needs an Enum class, got {python_enum!r}")
        self.python_enum = python_enum

    @property
    def sql_type(self) -> str:
        return "TEXT"

    def validate(self, value: Any) -> Any:
        if isinstance(value, self.python_enum):
            return value
        if isinstance(value, str) and value in self.python_enum.__members__:
            return self.python_enum[value]
        names = ", ".join(self.python_enum.__members__)
        raise ValueError(f"{value!r} is not a member of {self.python_enum.__name__} ({names})")

    def to_db(self, value: Any) -> Any:
        return None if value is None else value.name

    def from_db(self, value: Any) -> Any:
        return None if value is None else self.python_enum[value]

    to_json = to_db
    from_json = from_db

    def describe(self) -> dict[str, Any]:
        members = list(self.python_enum.__members__)
        return {"type": "PolyEnum", "enum": self.python_enum.__name__, "members": members}


class File(PolyType):
    """Binary content (``bytes``)."""

    native = bytes

    comparable = False

    @property
    def sql_type(self) -> str:
        return "FILE"

    def validate(self, value: Any) -> Any:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise _type_error("bytes", value)
        return bytes(value)

    def from_db(self, value: Any) -> Any:
        return None if value is None else bytes(value)

    def to_json(self, value: Any) -> Any:
        return None if value is None else base64.b64encode(value).decode("ascii")

    def from_json(self, value: Any) -> Any:
        return None if value is None else base64.b64decode(value)

    def sql_literal(self, value: Any) -> str:
        if value is None:
            return "NULL"
        raise TypeError("File fields cannot have a DEFAULT")


class Geometry(PolyType):
    """A shapely geometry, stored as GeoJSON TEXT (needs the ``geo`` extra: shapely)."""

    comparable = False

    @property
    def sql_type(self) -> str:
        return "TEXT"

    @staticmethod
    def _shapely() -> Any:
        try:
            import shapely.geometry
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError(
                "Geometry fields need shapely: pip install 'polynom-dal[geo]'"
            ) from None
        return shapely.geometry

    def validate(self, value: Any) -> Any:
        geometry = self._shapely()
        if not isinstance(value, geometry.base.BaseGeometry):
            raise _type_error("a shapely geometry", value)
        return value

    def to_db(self, value: Any) -> Any:
        if value is None:
            return None
        return _json.dumps(self._shapely().mapping(value))

    def from_db(self, value: Any) -> Any:
        if value is None:
            return None
        return self._shapely().shape(_json.loads(value))

    to_json = to_db
    from_json = from_db
