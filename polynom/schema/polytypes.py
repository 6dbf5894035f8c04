"""Polytypes: the value types a field can hold, as Polypheny declares them.

A polytype knows three things about its values: what Python accepts and how it is
normalised on assignment (:meth:`PolyType.validate`), how it crosses the store interface
(:meth:`to_db` / :meth:`from_db`), and how it is written into JSON for the changelog and
dumps (:meth:`to_json` / :meth:`from_json`). Normalising on assignment is what makes a round
trip exact: what a model holds after assignment is what it reads back from any store.

The rule every polytype keeps: ``validate`` returns the value exactly as every store will
store and return it, or raises ``TypeError``/``ValueError`` -- never another exception, and
never a message that repeats the value (the caller shows it, shortened:
:func:`~polynom.schema.validation.invalid_value`).
Values already of the right type take the shortest path. ``docs/guide/models.md`` lists what
each type accepts and why.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import decimal as _decimal
import enum as _enum
import json as _json
import math
import struct
from typing import Any, ClassVar

from polynom.errors import PolytypeArgumentError, SchemaError, StoredValueError
from polynom.schema.polynom03_values import PolyNOMCodec, TemporalCodec
from polynom.schema.polytype import PolyType, StoreForm

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
    "StoreForm",
    "Text",
    "Time",
    "Timestamp",
    "TinyInt",
    "VarChar",
]

_UTC = _dt.UTC
#: Significant digits every decimal of which a double tells apart (``DBL_DIG``).
_DOUBLE_DIGITS = 15
#: Room for any stored decimal, so reading one never rounds it (``quantize`` only pads),
#: whatever the thread's decimal context says.
_WIDE = _decimal.Context(prec=1000)
_MULTIPLY = _WIDE.multiply
#: The texts a boolean may be stored as when written by hand (the store writes 0 and 1).
_BOOLEAN_WORDS = {"1": True, "0": False, "true": True, "false": False}


#: PolyNOM 0.3's names for the bases of its polytypes (its users and tests import them).
_BaseType = PolyNOMCodec
_TemporalBaseType = TemporalCodec


def _type_error(expected: str, value: Any) -> TypeError:
    return TypeError(f"expected {expected}, got {type(value).__name__}")


# -- text ----------------------------------------------------------------------------------


def _check_text(value: Any) -> str:
    """``value`` as a plain ``str`` that every store can hold: no lone surrogate.

    A lone surrogate (``"\\ud800"``) has no UTF-8 form, so neither SQLite nor the Prism wire
    can carry it; it is refused here instead of failing at commit.
    """
    if type(value) is not str:
        if not isinstance(value, str):
            raise _type_error("str", value)
        value = str.__str__(value)  # a str subclass (a StrEnum member): its text
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"contains a lone surrogate ({value[exc.start]!r} at index {exc.start}), "
                "which is not text any store can hold"
            ) from None
    return value


def _utf16_length(value: str) -> int:
    """The length Polypheny measures a string in: UTF-16 code units (Java's
    ``String.length()``, ``DataContextImpl.check``); a character beyond U+FFFF counts two."""
    if value.isascii():
        return len(value)
    return len(value.encode("utf-16-le", "surrogatepass")) // 2


class Text(PolyType):
    """Unbounded text (any ``str`` without lone surrogates)."""

    native = str

    @property
    def sql_type(self) -> str:
        return "TEXT"

    def validate(self, value: Any) -> Any:
        if type(value) is str and value.isascii():
            return value
        return _check_text(value)

    def valid_form(self) -> StoreForm | None:
        return StoreForm(str, "v.isascii()", {})


class VarChar(Text):
    """Text of at most ``length`` characters, counted as Polypheny counts them.

    Polypheny measures a ``VARCHAR(n)`` value in UTF-16 code units, so a character beyond
    U+FFFF (most emoji) counts two: ``VarChar(2)`` holds ``"😀"`` but not ``"😀😀"``.
    """

    def __init__(self, length: int) -> None:
        if not isinstance(length, int) or length < 1:
            raise PolytypeArgumentError(f"VarChar length must be a positive int, got {length!r}")
        self.length = length

    @property
    def sql_type(self) -> str:
        return f"VARCHAR({self.length})"

    def validate(self, value: Any) -> Any:
        if type(value) is str and value.isascii():
            if len(value) <= self.length:
                return value
        else:
            value = _check_text(value)
        if len(value) > self.length or (
            2 * len(value) > self.length and _utf16_length(value) > self.length
        ):
            raise ValueError(f"is longer than VarChar({self.length}) allows ({self._size(value)})")
        return value

    def valid_form(self) -> StoreForm | None:
        return StoreForm(str, "v.isascii() and len(v) <= {length}", {"length": self.length})

    @staticmethod
    def _size(value: str) -> str:
        units = _utf16_length(value)
        if units == len(value):
            return f"{len(value):,} characters"
        return f"{len(value):,} characters, {units:,} UTF-16 code units as Polypheny counts"

    def describe(self) -> dict[str, Any]:
        return {"type": "VarChar", "length": self.length}


# -- numbers -------------------------------------------------------------------------------


class _Int(PolyType):
    native: ClassVar[type[Any] | None] = int
    _bits: ClassVar[int] = 32
    _name: ClassVar[str] = "INTEGER"
    #: ``2 ** (bits - 1)``: values run from ``-_limit`` to ``_limit - 1``.
    _limit: ClassVar[int] = 1 << 31

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._limit = 1 << (cls._bits - 1)  # once per class, not per value

    @property
    def sql_type(self) -> str:
        return self._name

    def validate(self, value: Any) -> Any:
        # Polypheny binds INTEGER, SMALLINT and TINYINT parameters with setInt(intValue()),
        # so 2**31 would be stored as -2**31 without a word (ResultSetEnumerable.java,
        # setDynamicParam): every range is checked here, before the store.
        if type(value) is not int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise _type_error("int", value)
            value = int(value)  # an int subclass (an IntEnum member): its number
        limit = self._limit
        if not -limit <= value < limit:
            raise ValueError(f"is out of range for {type(self).__name__} ({-limit} to {limit - 1})")
        return value

    def valid_form(self) -> StoreForm | None:
        return StoreForm(int, "{low} <= v < {limit}", {"low": -self._limit, "limit": self._limit})

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


def _to_float(value: Any, type_name: str) -> float:
    """A float for ``value`` (a float or an int it holds exactly), refusing NaN."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _type_error("float", value)
    if isinstance(value, int):
        try:
            number = float(value)
        except OverflowError:
            raise ValueError(f"is out of range for {type_name}") from None
        if number != value:
            raise ValueError(
                f"cannot be held exactly by {type_name}; the nearest it holds is {number!r}"
            )
        return number
    number = float(value)  # a float subclass: its number
    if number != number:
        raise ValueError(_NAN)
    return 0.0 if number == 0.0 else number


_NAN = (
    "NaN is not a value any store keeps or compares: SQLite stores it as NULL, and SQL "
    "equality never matches it (use None for no value)"
)


class Double(PolyType):
    """64-bit float. NaN is refused, -0.0 is held as 0.0, infinities are kept.

    An int is accepted when the float holds it exactly (2**53 + 1 is refused).
    """

    native: ClassVar[type[Any] | None] = float

    @property
    def sql_type(self) -> str:
        return "DOUBLE"

    def validate(self, value: Any) -> Any:
        if type(value) is float:
            if value != value:
                raise ValueError(_NAN)
            return 0.0 if value == 0.0 else value  # SQLite keeps no sign on zero
        return _to_float(value, "Double")

    def valid_form(self) -> StoreForm | None:
        return StoreForm(float, "v == v and v != 0.0", {})  # not NaN, not a signed zero

    def from_db(self, value: Any) -> Any:
        return None if value is None else float(value)

    def to_json(self, value: Any) -> Any:
        # JSON has no infinity: it is written as the string JavaScript and Python spell it
        if value is None or math.isfinite(value):
            return value
        return "Infinity" if value > 0 else "-Infinity"

    def from_json(self, value: Any) -> Any:
        if isinstance(value, str) and value in ("Infinity", "-Infinity"):
            return float(value)
        return value

    def sql_literal(self, value: Any) -> str:
        if value is not None and not math.isfinite(value):
            raise TypeError("an infinite float has no SQL literal and cannot be a DEFAULT")
        return super().sql_literal(value)


class Real(Double):
    """32-bit float: values are rounded to single precision on assignment, as stored.

    Like ``Double``: NaN refused, -0.0 held as 0.0, infinities kept; a finite value beyond
    the 32-bit range (about 3.4e38) is refused rather than rounded to infinity.
    """

    native = None

    @property
    def sql_type(self) -> str:
        return "REAL"

    def validate(self, value: Any) -> Any:
        value = super().validate(value)
        single: float = struct.unpack("f", struct.pack("f", value))[0]
        if math.isinf(single) and not math.isinf(value):
            raise ValueError("is out of range for Real (32-bit float, at most about 3.4e38)")
        return single

    def from_db(self, value: Any) -> Any:
        return None if value is None else self.validate(float(value))


class Decimal(PolyType):
    """Exact decimal with ``precision`` digits, ``scale`` of them after the point.

    Values are quantized to ``scale`` on assignment (``1.5`` in ``Decimal(10, 2)`` becomes
    ``Decimal('1.50')``), which is what the store keeps and returns. A value with more
    digits after the point, or more than ``precision - scale`` before it, is refused, never
    rounded; so are NaN and infinities. -0 is held as 0.
    """

    native: ClassVar[type[Any] | None] = _decimal.Decimal  # stores return the stored digits

    def __init__(self, precision: int = 64, scale: int = 32) -> None:
        if not (isinstance(precision, int) and 1 <= precision <= 64):
            raise PolytypeArgumentError(f"Decimal precision must be 1..64, got {precision!r}")
        if not (isinstance(scale, int) and 0 <= scale <= precision):
            raise PolytypeArgumentError(
                f"Decimal scale must be 0..precision ({precision}), got {scale!r}"
            )
        self.precision = precision
        self.scale = scale
        self._quantum = _decimal.Decimal(1).scaleb(-scale)
        #: Digits a value may have before the point.
        self._whole = precision - scale
        # room for every digit a value in range has, so quantize never needs to round
        self._context = _decimal.Context(prec=precision + 2)
        # A double read back for a DECIMAL(p <= 15, s) is so close to the digits written
        # (``n / 10**s``, |n| < 10**15) that ``round(double * 10**s)`` is exactly ``n``.
        self._shift = 10.0**scale if precision <= _DOUBLE_DIGITS else None

    @property
    def sql_type(self) -> str:
        return f"DECIMAL({self.precision}, {self.scale})"

    def _name(self) -> str:
        return f"Decimal({self.precision}, {self.scale})"

    def validate(self, value: Any) -> Any:
        if (
            type(value) is _decimal.Decimal
            and value.same_quantum(self._quantum)  # finite, with the scale's digits
            and not value.is_signed()  # (-0.00 becomes 0.00; DECIMAL(p, p) refuses "-")
            and value.adjusted() < self._whole
        ):
            return value  # the usual value: as the field holds it already
        if type(value) is not _decimal.Decimal:
            value = self._as_decimal(value)
        if not value.is_finite():
            raise ValueError(f"is not a finite number; {self._name()} holds only those")
        if value.is_zero():
            return self._quantize(value.copy_abs())  # 0E+100 and -0.00 alike: 0.00
        whole = self._whole
        if value.adjusted() >= whole:
            raise ValueError(
                f"is out of range for {self._name()}: at most {whole} digits before the point"
            )
        if self.precision == self.scale and value.is_signed():
            # Polypheny counts the "-0" of "-0.05" as a digit (DataContextImpl.check strips
            # only a leading "0"), so it refuses every negative value of DECIMAL(p, p)
            raise ValueError(
                f"is negative; Polypheny refuses negative values in {self._name()} "
                "(declare a precision above the scale)"
            )
        # as_tuple() builds a named tuple of every digit: ten times same_quantum, which
        # compares the exponents alone (the usual value has the scale's digits already)
        if value.same_quantum(self._quantum):
            return value
        exponent = value.as_tuple().exponent
        rounded = self._quantize(value)
        if exponent < -self.scale and rounded != value:
            raise ValueError(
                f"has more than {self.scale} digits after the point ({self._name()}); "
                "round it first"
            )
        return rounded

    def _as_decimal(self, value: Any) -> _decimal.Decimal:
        if isinstance(value, bool):
            raise _type_error("Decimal", value)
        if isinstance(value, _decimal.Decimal):
            return _decimal.Decimal(value)  # a subclass: its number
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"is not a finite number; {self._name()} holds only those")
            return _decimal.Decimal(repr(value))  # the digits the float is written with
        if isinstance(value, int):
            return _decimal.Decimal(value)
        if isinstance(value, str):
            try:
                return _decimal.Decimal(value)
            except _decimal.InvalidOperation:
                raise ValueError("is not a decimal number") from None
        raise _type_error("Decimal", value)

    def _quantize(self, value: _decimal.Decimal) -> _decimal.Decimal:
        try:
            return value.quantize(self._quantum, context=self._context)
        except _decimal.InvalidOperation:  # not reached for values in range; kept safe
            raise ValueError(f"does not fit {self._name()}") from None

    def from_db(self, value: Any) -> Any:
        if value is None:
            return None
        kind = type(value)
        if kind is float:
            if self._shift is not None:  # round() refuses an infinity, as it should
                return _MULTIPLY(round(value * self._shift), self._quantum)
            value = repr(value)
        elif kind is _decimal.Decimal and value.same_quantum(self._quantum):
            return value
        return _decimal.Decimal(value).quantize(self._quantum, context=_WIDE)

    def valid_form(self) -> StoreForm | None:
        return StoreForm(  # the usual value, as validate() checks it first
            _decimal.Decimal,
            "v.same_quantum({quantum}) and not v.is_signed() and v.adjusted() < {whole}",
            {"quantum": self._quantum, "whole": self._whole},
        )

    def store_form(self) -> StoreForm | None:
        if self._shift is None:  # wider than a double: stores return text or Decimals
            return None
        return StoreForm(
            float,
            "{multiply}(round(v * {shift}), {quantum})",
            {
                "multiply": _MULTIPLY,
                "shift": self._shift,
                "quantum": self._quantum,
            },
        )

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

    def valid_form(self) -> StoreForm | None:
        return StoreForm(bool, "True", {})

    def from_db(self, value: Any) -> Any:
        if type(value) is int:  # how stores without a boolean type hold one
            return value != 0
        if value is None or type(value) is bool:
            return value
        if isinstance(value, str | bytes):  # written by hand: 'true', '0'
            word = _BOOLEAN_WORDS.get(value.lower() if isinstance(value, str) else value.decode())
            if word is None:
                raise ValueError("is not a boolean")
            return word
        return bool(value)

    def store_form(self) -> StoreForm | None:
        return StoreForm(int, "v != 0", {})  # SQLite's 0 and 1


# -- time ----------------------------------------------------------------------------------


def _check_precision(precision: int) -> int:
    if not (isinstance(precision, int) and 0 <= precision <= 3):
        raise PolytypeArgumentError(
            "precision must be 0..3 (fractional second digits, as Polypheny keeps at most "
            f"milliseconds), got {precision!r}"
        )
    return precision


class Date(PolyType):
    """A calendar date."""

    native = _dt.date

    @property
    def sql_type(self) -> str:
        return "DATE"

    def validate(self, value: Any) -> Any:
        if type(value) is _dt.date:
            return value
        if isinstance(value, _dt.datetime) or not isinstance(value, _dt.date):
            raise _type_error("datetime.date", value)
        return _dt.date(value.year, value.month, value.day)  # a date subclass: its date

    def from_db(self, value: Any) -> Any:
        if value is None or type(value) is _dt.date:
            return value
        if isinstance(value, _dt.datetime):
            return value.date()
        if isinstance(value, int):
            return _dt.date(1970, 1, 1) + _dt.timedelta(days=value)
        text = str(value)
        try:
            return _dt.date.fromisoformat(text)
        except ValueError:
            return _dt.datetime.fromisoformat(text).date()  # a timestamp's text: its date

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
        self._step = 10 ** (6 - self.precision)

    @property
    def sql_type(self) -> str:
        return f"TIME({self.precision})"

    def validate(self, value: Any) -> Any:
        if not isinstance(value, _dt.time):
            raise _type_error("datetime.time", value)
        if value.tzinfo is not None:
            raise ValueError("Time fields hold times without timezone; got an aware time")
        micro = value.microsecond
        if micro % self._step or value.fold or type(value) is not _dt.time:
            value = _dt.time(value.hour, value.minute, value.second, micro - micro % self._step)
        return value

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


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)
#: How far below a multiple of the precision a read timestamp may be and still be taken as
#: that multiple: the driver's float error, at most ~16 µs in years 1-9999.
_FLOAT_SLACK_US = 64

_TIMESTAMP_RANGE = (
    "is outside the instants a Timestamp holds (0001-01-01 00:00 to 9999-12-31 23:59:59.999 "
    "UTC, the range of Python's datetime and of Polypheny's TIMESTAMP)"
)


class Timestamp(PolyType):
    """An instant, held as an aware UTC ``datetime`` to ``precision`` fractional digits.

    A naive datetime is taken as UTC; an aware one is converted to UTC. Sub-precision digits
    are truncated on assignment, so the model holds what the store returns. An aware value
    whose UTC instant falls outside year 1 to 9999 (``datetime(1, 1, 1, tzinfo=+05:00)``)
    is refused.
    """

    def __init__(self, precision: int = 0) -> None:
        self.precision = _check_precision(precision)
        self._step = 10 ** (6 - self.precision)

    @property
    def sql_type(self) -> str:
        return f"TIMESTAMP({self.precision})"

    def validate(self, value: Any) -> Any:
        if not isinstance(value, _dt.datetime):
            raise _type_error("datetime.datetime", value)
        tzinfo = value.tzinfo
        if tzinfo is not _UTC:
            if tzinfo is None or value.utcoffset() is None:  # naive: taken as UTC
                value = value.replace(tzinfo=_UTC)
            else:
                try:
                    value = value.astimezone(_UTC)
                except OverflowError:
                    raise ValueError(_TIMESTAMP_RANGE) from None
        micro = value.microsecond
        if micro % self._step or value.fold or type(value) is not _dt.datetime:
            value = _dt.datetime(
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                micro - micro % self._step,
                tzinfo=_UTC,
            )
        return value

    def from_db(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, int):  # epoch milliseconds, exact
            value = _EPOCH + _dt.timedelta(milliseconds=value)
        elif isinstance(value, float):
            value = _dt.datetime.fromtimestamp(value / 1000, _UTC)
        elif not isinstance(value, _dt.datetime):
            value = _dt.datetime.fromisoformat(str(value))
        short = self._step - value.microsecond % self._step
        if short < _FLOAT_SLACK_US:
            # The driver (1.0.0) reads a timestamp through a float of seconds
            # (``fromtimestamp(ms / 1000)``), up to ~16 µs short outside 1697-2242; what we
            # write is a whole multiple of the precision, so such a value is that multiple.
            with contextlib.suppress(OverflowError):
                value += _dt.timedelta(microseconds=short)
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


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key that occurs twice (``{1: "a", "1": "b"}`` in Python)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(
            f"has two keys that are both {twice!r} in JSON, where every key is a string; "
            "one would be lost"
        )
    return obj


#: Strict JSON: no NaN or infinities; non-ASCII kept, so a lone surrogate shows (made once:
#: ``json.dumps`` with options builds an encoder per call).
_JSON_ENCODER = _json.JSONEncoder(ensure_ascii=False, allow_nan=False)


def _json_text(value: Any) -> str:
    """``value`` as JSON text that every store holds, or ``TypeError``/``ValueError``."""
    try:
        text = _JSON_ENCODER.encode(value)
    except RecursionError:
        raise ValueError("is nested too deeply to be written as JSON") from None
    except ValueError as exc:
        if "JSON compliant" in str(exc):
            raise ValueError("holds a NaN or an infinity, which JSON has no form for") from None
        raise ValueError(f"cannot be written as JSON: {exc}") from None
    except TypeError as exc:
        raise TypeError(f"is not JSON-serialisable: {exc}") from None
    if not text.isascii():
        _check_text(text)  # a lone surrogate in a string or a key
    return text


class Json(PolyType):
    """A JSON value: dicts with string keys, lists, strings, numbers, booleans, None.

    A value is normalised on assignment to what the store returns -- a copy, with tuples as
    lists and int, float, bool or None keys as the strings JSON writes them as -- and refused
    when JSON cannot hold it: other types, NaN and infinities, lone surrogates, two keys
    that become the same string, circular or too deeply nested values.
    """

    mutable = True
    comparable = False

    @property
    def sql_type(self) -> str:
        return "TEXT"

    def validate(self, value: Any) -> Any:
        text = _json_text(value)
        try:
            normal = _json.loads(text)
            if normal != value:  # normalised (tuples, keys): look for keys that collided
                normal = _json.loads(text, object_pairs_hook=_json_object)
        except RecursionError:
            raise ValueError("is nested too deeply to be read back from JSON") from None
        return normal

    def to_db(self, value: Any) -> Any:
        return None if value is None else _json.dumps(value)

    def from_db(self, value: Any) -> Any:
        return None if value is None else _json.loads(value)


class PolyEnum(PolyType):
    """A member of a Python ``Enum``, stored as TEXT holding the member's name."""

    def __init__(self, python_enum: type[_enum.Enum]) -> None:
        if not (isinstance(python_enum, type) and issubclass(python_enum, _enum.Enum)):
            raise SchemaError(f"PolyEnum needs an Enum class, got {python_enum!r}")
        self.python_enum = python_enum

    @property
    def sql_type(self) -> str:
        return "TEXT"

    def validate(self, value: Any) -> Any:
        if isinstance(value, self.python_enum):
            return value
        if isinstance(value, str) and value in self.python_enum.__members__:
            return self.python_enum[value]
        members = list(self.python_enum.__members__)
        names = ", ".join(members[:12]) + (", ..." if len(members) > 12 else "")
        raise ValueError(f"is not a member of {self.python_enum.__name__} ({names})")

    def to_db(self, value: Any) -> Any:
        return None if value is None else value.name

    def from_db(self, value: Any) -> Any:
        if value is None:
            return None
        try:
            return self.python_enum[value]
        except KeyError:
            members = ", ".join(self.python_enum.__members__)
            raise StoredValueError(
                f"PolyEnum({self.python_enum.__name__}): the store holds {value!r}, which is not "
                f"a member ({members}); add the member back, or update those entries first"
            ) from None

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
        try:  # held as it reads back from its GeoJSON (refusing NaN coordinates)
            text = _json.dumps(geometry.mapping(value), allow_nan=False)
            return geometry.shape(_json.loads(text))
        except Exception as exc:  # shapely's own errors have no common base
            raise ValueError(f"cannot be written as GeoJSON: {exc}") from None

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
