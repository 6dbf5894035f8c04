"""Prism ``ProtoValue`` encoding for the stand-in server (a test double).

This module is the *server* side of the value mapping, written from Polypheny's own
serializer and deserializer (``PolyValueSerializer`` / ``PrismValueDeserializer``), not from
the Python driver: the stand-in must not share code with the client it is testing, or a bug
on both sides would cancel out.

- :func:`decode_param` turns a ``ProtoValue`` sent by a client into the plain Python value the
  store interface takes (``None, bool, int, float, str, bytes, Decimal, date, time``,
  timezone-aware UTC ``datetime``, lists).
- :func:`encode_result` turns a value read from the embedded store into the ``ProtoValue``
  Polypheny would send for a column of the given SQL type (``"DECIMAL(10, 2)"``,
  ``"TIMESTAMP(3)"``, ``"VARCHAR(20)"``...). Without a type the value's Python type decides,
  as for expressions such as ``COUNT(*)``.

Wire formats (Polypheny's): date = days since 1970-01-01, time = milliseconds of the day,
timestamp = milliseconds since the epoch (UTC), big decimal = two's complement big-endian
unscaled bytes + scale, REAL/FLOAT = 32-bit float, DOUBLE = 64-bit float, TINYINT/SMALLINT/
INTEGER = int32, BIGINT = int64, FILE/BINARY = bytes.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import re
from dataclasses import dataclass
from typing import Any

from org.polypheny.prism import value_pb2

from polynom.errors import StoreError
from polynom.stores.polypheny.values import (
    datetime_to_ms,
    encode_into,
    set_big_decimal,
    time_to_ms,
)

__all__ = [
    "PrismValueError",
    "SqlType",
    "decode_param",
    "encode_result",
    "parse_type",
]

_EPOCH_DATE = _dt.date(1970, 1, 1)
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
_MS = _dt.timedelta(milliseconds=1)
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


class PrismValueError(ValueError):
    """A value cannot be carried over Prism (sent back to the client as an error response)."""


# -- SQL types -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SqlType:
    """A declared column type, parsed: ``DECIMAL(10, 2)`` -> name DECIMAL, precision 10, scale 2."""

    name: str
    precision: int = 0
    scale: int = 0

    @property
    def proto_type(self) -> int:
        """The ``ProtoPolyType`` enum number for column meta (UNSPECIFIED when unknown)."""
        name = _TYPE_ALIASES.get(self.name, self.name)
        try:
            return int(value_pb2.ProtoPolyType.Value(name))
        except ValueError:
            return int(value_pb2.ProtoPolyType.Value("UNSPECIFIED"))


_TYPE_ALIASES = {
    "INT": "INTEGER",
    "BOOL": "BOOLEAN",
    "STRING": "VARCHAR",
    "CHARACTER VARYING": "VARCHAR",
    "DOUBLE PRECISION": "DOUBLE",
    "NUMERIC": "DECIMAL",
    "BLOB": "FILE",
    "BYTEA": "BINARY",
}

_TYPE_RE = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\))?\s*$")


def parse_type(declared: str | None) -> SqlType | None:
    """Parse a declared SQL type; ``None`` (or something unparsable) means "unknown"."""
    if not declared:
        return None
    m = _TYPE_RE.match(declared)
    if m is None:
        return None
    name = " ".join(m.group(1).upper().split())
    name = _TYPE_ALIASES.get(name, name)
    precision = int(m.group(2)) if m.group(2) else 0
    scale = int(m.group(3)) if m.group(3) else 0
    return SqlType(name, precision, scale)


# -- client -> store -----------------------------------------------------------------------


def decode_param(value: value_pb2.ProtoValue) -> Any:
    """A parameter from the wire as a store-interface Python value."""
    kind = value.WhichOneof("value")
    if kind is None or kind == "null":
        return None
    if kind == "boolean":
        return value.boolean.boolean
    if kind == "integer":
        return value.integer.integer
    if kind == "long":
        return value.long.long
    if kind == "big_decimal":
        return _decode_big_decimal(value.big_decimal)
    if kind == "float":
        return float(value.float.float)
    if kind == "double":
        return value.double.double
    if kind == "date":
        return _EPOCH_DATE + _dt.timedelta(days=value.date.date)
    if kind == "time":
        return _time_from_ms(value.time.time)
    if kind == "timestamp":
        return _EPOCH + _MS * value.timestamp.timestamp
    if kind == "string":
        return value.string.string
    if kind == "binary":
        return bytes(value.binary.binary)
    if kind == "file":
        return bytes(value.file.binary)
    if kind == "list":
        return [decode_param(v) for v in value.list.values]
    raise PrismValueError(f"the Prism stand-in cannot bind a parameter of kind {kind!r}")


def _decode_big_decimal(value: value_pb2.ProtoBigDecimal) -> decimal.Decimal:
    unscaled = int.from_bytes(value.unscaled_value, "big", signed=True)
    digits = tuple(int(d) for d in str(abs(unscaled)))
    # Built from its parts: arithmetic (scaleb...) would round to the context's 28 digits.
    return decimal.Decimal((1 if unscaled < 0 else 0, digits, -value.scale))


def _time_from_ms(ms: int) -> _dt.time:
    if not 0 <= ms < 86_400_000:
        raise PrismValueError(f"time of day out of range: {ms} ms")
    seconds, millis = divmod(ms, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return _dt.time(hour, minute, second, millis * 1000)


# -- store -> client -----------------------------------------------------------------------

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER"}
_TEXT_TYPES = {"VARCHAR", "CHAR", "TEXT", "JSON"}
_BINARY_TYPES = {"FILE", "BINARY", "VARBINARY", "IMAGE", "VIDEO", "AUDIO"}


def encode_result(value: Any, column_type: SqlType | None = None) -> value_pb2.ProtoValue:
    """A value read from the store as the ``ProtoValue`` Polypheny sends for ``column_type``."""
    out = value_pb2.ProtoValue()
    if value is None:
        out.null.SetInParent()
        return out
    name = column_type.name if column_type is not None else None
    try:
        if name == "BOOLEAN":
            out.boolean.boolean = _to_bool(value)
        elif name in _INTEGER_TYPES:
            out.integer.integer = _to_int(value, _INT32, name)
        elif name == "BIGINT":
            out.long.long = _to_int(value, _INT64, name)
        elif name == "DECIMAL":
            set_big_decimal(out, _to_decimal(value, column_type))
        elif name in ("REAL", "FLOAT"):
            out.float.float = float(value)
        elif name == "DOUBLE":
            out.double.double = float(value)
        elif name == "DATE":
            out.date.date = (_to_date(value) - _EPOCH_DATE).days
        elif name == "TIME":
            out.time.time = time_to_ms(_to_time(value))
        elif name == "TIMESTAMP":
            out.timestamp.timestamp = datetime_to_ms(_to_datetime(value))
        elif name in _TEXT_TYPES:
            out.string.string = value if isinstance(value, str) else str(value)
        elif name in _BINARY_TYPES:
            out.binary.binary = _to_bytes(value)
        else:
            encode_into(out, value)
    except PrismValueError:
        raise
    except (TypeError, ValueError, ArithmeticError, StoreError) as exc:
        raise PrismValueError(
            f"cannot send {value!r} as {name or type(value).__name__}: {exc}"
        ) from exc
    return out


def _to_bool(value: Any) -> bool:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "t"):
            return True
        if lowered in ("0", "false", "f"):
            return False
        raise PrismValueError(f"not a boolean: {value!r}")
    return bool(value)


def _to_int(value: Any, bounds: tuple[int, int], name: str) -> int:
    if isinstance(value, float) and not value.is_integer():
        raise PrismValueError(f"{value!r} is not an integer")
    number = int(value)
    if not bounds[0] <= number <= bounds[1]:
        raise PrismValueError(f"{number} does not fit {name}")
    return number


def _to_decimal(value: Any, column_type: SqlType | None) -> decimal.Decimal:
    if isinstance(value, decimal.Decimal):
        number = value
    elif isinstance(value, float):
        number = decimal.Decimal(repr(value))
    elif isinstance(value, bool):
        number = decimal.Decimal(int(value))
    else:
        number = decimal.Decimal(str(value).strip())
    # Polypheny answers a DECIMAL(p, s) column with a BigDecimal of scale s.
    if column_type is not None and column_type.precision and number.is_finite():
        scale = column_type.scale
        context = decimal.Context(prec=max(column_type.precision, 1) + 40)
        number = number.quantize(decimal.Decimal(1).scaleb(-scale), context=context)
    return number


def _to_date(value: Any) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        return _dt.date.fromisoformat(value.strip()[:10])
    if isinstance(value, int):  # days since the epoch
        return _EPOCH_DATE + _dt.timedelta(days=value)
    raise PrismValueError(f"not a date: {value!r}")


def _to_time(value: Any) -> _dt.time:
    if isinstance(value, _dt.time):
        return value
    if isinstance(value, _dt.datetime):
        return value.time()
    if isinstance(value, str):
        return _dt.time.fromisoformat(value.strip())
    if isinstance(value, int):  # milliseconds of the day
        return _time_from_ms(value)
    raise PrismValueError(f"not a time: {value!r}")


def _to_datetime(value: Any) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day, tzinfo=_dt.UTC)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        return _dt.datetime.fromisoformat(text)
    if isinstance(value, int):  # milliseconds since the epoch
        return _EPOCH + _MS * value
    raise PrismValueError(f"not a timestamp: {value!r}")


def _to_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    raise PrismValueError(f"not binary data: {value!r}")
