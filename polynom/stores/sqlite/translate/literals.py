"""Values as a column's type wants them: coercion, SQLite literals and DEFAULT clauses.

Used for DEFAULT literals in DDL and for ``SET TYPE``, where a stored value is read with its
old type and converted to the new one.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from polynom.errors import StoreError
from polynom.stores.sqlite.translate.types import INT_RANGES, ColumnType
from polynom.stores.sqlite.translate.values import adapt_value

_BIG = Context(prec=1000)


def _parse_timestamp(s: str) -> datetime:
    v = datetime.fromisoformat(s.strip().replace("Z", "+00:00"))
    return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)


def coerce(value: Any, ptype: ColumnType) -> Any:
    """``value`` as the canonical Python value of ``ptype``; ValueError if it cannot be.

    Used for DEFAULT literals and for ``SET TYPE`` (where it first reads the stored value
    with the old type, then converts it to the new one).
    """
    if value is None:
        return None
    name = ptype.name
    if name in ("VARCHAR", "TEXT"):
        if isinstance(value, bool):
            s = "true" if value else "false"
        elif isinstance(value, Decimal):
            s = format(value, "f")
        elif isinstance(value, (datetime, time)):
            s = adapt_value(value)
        elif isinstance(value, (bytes, bytearray)):
            s = bytes(value).decode()
        else:
            s = str(value)
        if ptype.args and len(s) > ptype.args[0]:
            raise ValueError(f"{s[:30]!r} is longer than {ptype.args[0]} characters")
        return s
    if name in INT_RANGES:
        if isinstance(value, (bool, int)):
            i = int(value)
        elif isinstance(value, (float, Decimal, str)):
            try:
                d = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
            except InvalidOperation:
                raise ValueError(f"{value!r} is not a number") from None
            if not d.is_finite() or d != d.to_integral_value():
                raise ValueError(f"{value!r} is not a whole number")
            i = int(d)
        else:
            raise ValueError(f"{type(value).__name__} is not a number")
        low, high = INT_RANGES[name]
        if not low <= i <= high:
            raise ValueError(f"{i} is out of range for {name}")
        return i
    if name in ("DOUBLE", "REAL"):
        if isinstance(value, (bool, int, float, Decimal)):
            return float(value)
        if isinstance(value, str):
            return float(value.strip())
        raise ValueError(f"{type(value).__name__} is not a number")
    if name == "DECIMAL":
        if isinstance(value, Decimal):
            d = value
        elif isinstance(value, (bool, int)):
            d = Decimal(int(value))
        elif isinstance(value, float):
            d = Decimal(repr(value))
        elif isinstance(value, str):
            try:
                d = Decimal(value.strip())
            except InvalidOperation:
                raise ValueError(f"{value!r} is not a number") from None
        else:
            raise ValueError(f"{type(value).__name__} is not a number")
        if not d.is_finite():
            raise ValueError(f"{d} is not a finite number")
        if ptype.args:
            precision = ptype.args[0]
            scale = ptype.scale
            d = d.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP, context=_BIG)
            if d and d.adjusted() + 1 > precision - scale:
                raise ValueError(f"{d} does not fit DECIMAL({precision}, {scale})")
        return d
    if name == "BOOLEAN":
        if isinstance(value, (bool, int)):
            if value in (0, 1):
                return bool(value)
            raise ValueError(f"{value} is not a boolean (0 or 1)")
        if isinstance(value, str):
            word = value.strip().lower()
            if word in ("true", "t", "1"):
                return True
            if word in ("false", "f", "0"):
                return False
        raise ValueError(f"{value!r} is not a boolean")
    if name == "DATE":
        if isinstance(value, datetime):
            return value.astimezone(UTC).date() if value.tzinfo else value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            s = value.strip()
            return date.fromisoformat(s) if len(s) == 10 else _parse_timestamp(s).date()
        raise ValueError(f"{type(value).__name__} is not a date")
    if name == "TIME":
        if isinstance(value, datetime):
            return (value.astimezone(UTC) if value.tzinfo else value).time()
        if isinstance(value, str):
            value = time.fromisoformat(value.strip())
        if isinstance(value, time):
            return time.fromisoformat(adapt_value(value)) if value.tzinfo else value
        raise ValueError(f"{type(value).__name__} is not a time")
    if name == "TIMESTAMP":
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        if isinstance(value, str):
            return _parse_timestamp(value)
        raise ValueError(f"{type(value).__name__} is not a timestamp")
    if name == "FILE":
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        if isinstance(value, str):
            return value.encode()
        raise ValueError(f"{type(value).__name__} is not binary data")
    raise ValueError(f"no conversion to {ptype}")  # pragma: no cover - all types handled


def convert_stored(raw: Any, old: ColumnType | None, new: ColumnType) -> Any:
    """A value stored for type ``old`` converted to storage for type ``new`` (SET TYPE)."""
    value = coerce(raw, old) if old is not None else raw
    return adapt_value(coerce(value, new))


def sql_literal(value: Any) -> str:
    """An SQLite literal for a stored value (None, int, float, str or bytes)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "NULL"
        if abs(value) == float("inf"):
            return "9e999" if value > 0 else "-9e999"
        return _float_literal(value)
    if isinstance(value, str):
        if "\x00" in value:
            raise StoreError("a text literal may not contain NUL")
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "X'" + bytes(value).hex().upper() + "'"
    return sql_literal(adapt_value(value))


_parser_lock = threading.Lock()
_parser: sqlite3.Connection | None = None


def _sqlite_reads(text: str) -> float:
    """The double SQLite makes of the numeric literal ``text``."""
    global _parser
    with _parser_lock:
        if _parser is None:
            _parser = sqlite3.connect(":memory:", check_same_thread=False)
        return float(_parser.execute(f"SELECT {text}").fetchone()[0])


def _float_literal(value: float) -> str:
    """A literal SQLite reads as exactly ``value``.

    SQLite's text-to-double conversion is off by one unit in the last place for about one
    literal in 20,000, and a DEFAULT must store the double the same value is bound as (a
    DECIMAL_REAL column compares them with ``=``). Among the 17-digit numerals that round
    correctly to ``value`` there is one SQLite also reads as ``value``.
    """
    text = repr(value)
    if _sqlite_reads(text) == value:
        return text
    mantissa, exponent = f"{value:.16e}".split("e")
    digits = int(mantissa.replace(".", ""))
    for step in (1, -1, 2, -2, 3, -3, 4, -4):
        candidate = f"{digits + step}e{int(exponent) - 16}"
        if float(candidate) == value and _sqlite_reads(candidate) == value:
            return candidate
    return text  # not reached for finite doubles; SQLite's value is then one unit off


class RawSql(str):
    """A DEFAULT that is an expression SQLite evaluates itself (``CURRENT_TIMESTAMP``)."""


#: The DEFAULT expressions SQLite evaluates itself (kept as :class:`RawSql`).
SQL_NOW = frozenset({"CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME"})


def default_sql(value: Any, ptype: ColumnType) -> str | None:
    """The SQLite DEFAULT text for a parsed literal in a column of ``ptype``."""
    if isinstance(value, RawSql):
        return str(value)
    if value is None:
        return None
    try:
        return sql_literal(adapt_value(coerce(value, ptype)))
    except (ValueError, ArithmeticError) as exc:
        raise StoreError(f"the default {value!r} does not fit {ptype}: {exc}") from None
