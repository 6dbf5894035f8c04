"""Values between Python and Polypheny's ``ProtoValue``, both ways exact.

Results are decoded here too (:func:`decode_value`), per connection, instead of by the
driver's ``proto2py``, which reads a timestamp as ``datetime.fromtimestamp(ms / 1000)`` -- a
float, off by a microsecond for instants after 2242-03-16 -- and cannot read ``file``.

Bound values as the ``ProtoValue`` Polypheny expects, encoded exactly.

The driver alone (1.0.0) does not: it sends a ``datetime`` as ``int(value.timestamp() *
1000)``, which reads a naive value as *local* time and loses a millisecond on about one value
in 200 to float rounding, and a ``time`` as ``microsecond * 10`` milliseconds. Here a naive
datetime is UTC (the architecture's rule), an aware one is converted to UTC, and the
milliseconds are computed in integers (sub-millisecond digits are truncated); a ``time`` is
sent as the milliseconds of its day. ``Decimal`` travels as a big decimal (exact); ``int`` as
32/64-bit or big decimal; ``bool``, ``float``, ``str``, ``bytes``, ``date`` (days since
1970-01-01), ``None``, lists.
"""

from __future__ import annotations

import datetime as _dt
import decimal
from typing import Any

from org.polypheny.prism import value_pb2

from polynom.errors import StoreError

__all__ = [
    "datetime_to_ms",
    "decode_value",
    "encode_into",
    "encode_param",
    "set_big_decimal",
    "time_to_ms",
]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
_EPOCH_DATE = _dt.date(1970, 1, 1)
_MS = _dt.timedelta(milliseconds=1)
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


# -- parameters ----------------------------------------------------------------------------


def encode_param(value: Any) -> value_pb2.ProtoValue:
    """One bound value as the ``ProtoValue`` Polypheny expects (see the module docstring)."""
    out = value_pb2.ProtoValue()
    encode_into(out, value)
    return out


def encode_into(out: value_pb2.ProtoValue, value: Any) -> None:
    """Set ``out`` to ``value`` by its Python type, exactly: the one encoding of values on
    Prism, used for parameters here and for results by the Prism stand-in."""
    if value is None:
        out.null.SetInParent()
    elif isinstance(value, bool):
        out.boolean.boolean = value
    elif isinstance(value, int):
        if _INT32[0] <= value <= _INT32[1]:
            out.integer.integer = value
        elif _INT64[0] <= value <= _INT64[1]:
            out.long.long = value
        else:
            set_big_decimal(out, decimal.Decimal(value))
    elif isinstance(value, float):
        out.double.double = value
    elif isinstance(value, decimal.Decimal):
        set_big_decimal(out, value)
    elif isinstance(value, str):
        out.string.string = value
    elif isinstance(value, bytes | bytearray | memoryview):
        out.binary.binary = bytes(value)
    elif isinstance(value, _dt.datetime):
        out.timestamp.timestamp = datetime_to_ms(value)
    elif isinstance(value, _dt.date):
        out.date.date = (value - _EPOCH_DATE).days
    elif isinstance(value, _dt.time):
        out.time.time = time_to_ms(value)
    elif isinstance(value, list | tuple):
        for element in value:
            encode_into(out.list.values.add(), element)
    else:
        raise StoreError(
            f"cannot send a value of type {type(value).__name__} to Polypheny: {value!r}"
        )


def datetime_to_ms(value: _dt.datetime) -> int:
    """Milliseconds since the epoch, in integers; a naive datetime is UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    return (value - _EPOCH) // _MS


def time_to_ms(value: _dt.time) -> int:
    """The milliseconds of the day (sub-millisecond digits truncated)."""
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000


def set_big_decimal(out: value_pb2.ProtoValue, value: decimal.Decimal) -> None:
    """Set ``out`` to ``value`` as a big decimal: Java's ``BigInteger.toByteArray()`` of the
    unscaled value (minimal two's complement) and the scale."""
    if not value.is_finite():
        raise StoreError(f"Polypheny cannot store the decimal {value}")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    unscaled = int("".join(map(str, digits)) or "0")
    if sign:
        unscaled = -unscaled
    out.big_decimal.unscaled_value = unscaled.to_bytes(
        unscaled.bit_length() // 8 + 1, "big", signed=True
    )
    out.big_decimal.scale = -exponent


# -- results -------------------------------------------------------------------------------


def decode_value(value: value_pb2.ProtoValue) -> Any:
    """One result value as the Python value it stands for, exactly: a timestamp as an aware
    UTC datetime of its milliseconds (integer arithmetic), a time from the milliseconds of
    its day, a big decimal from its unscaled bytes and scale, ``file`` and ``binary`` as
    bytes (Polypheny-DB's ``plugins/prism-interface/.../utils/PolyValueSerializer.java``)."""
    kind = value.WhichOneof("value")
    if kind is None or kind == "null":
        return None
    if kind == "string":
        return value.string.string
    if kind == "integer":
        return value.integer.integer
    if kind == "long":
        return value.long.long
    if kind == "boolean":
        return value.boolean.boolean
    if kind == "double":
        return value.double.double
    if kind == "float":
        return value.float.float
    if kind == "big_decimal":
        unscaled = int.from_bytes(value.big_decimal.unscaled_value, "big", signed=True)
        digits = tuple(map(int, str(abs(unscaled))))
        return decimal.Decimal((int(unscaled < 0), digits, -value.big_decimal.scale))
    if kind == "timestamp":
        return _EPOCH + value.timestamp.timestamp * _MS
    if kind == "date":
        return _EPOCH_DATE + _dt.timedelta(days=value.date.date)
    if kind == "time":
        ms = value.time.time
        seconds, millis = divmod(ms, 1000)
        minutes, second = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        return _dt.time(hour % 24, minute, second, millis * 1000)
    if kind == "binary":
        return value.binary.binary
    if kind == "file":
        return value.file.binary
    if kind == "list":
        return [decode_value(v) for v in value.list.values]
    if kind == "document":
        return {decode_value(e.key): decode_value(e.value) for e in value.document.entries}
    raise StoreError(f"Polypheny sent a value polynom cannot read ({kind})")
