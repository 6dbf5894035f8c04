"""Values between Python and SQLite's storage.

:func:`adapt_params` turns Python values into what SQLite stores (per call, never through
``sqlite3.register_adapter``): decimals of up to 15 significant digits as their nearest
double, wider ones as exact text, datetimes as fixed-width UTC text that sorts as time sorts,
booleans as 0/1. :func:`register_converters` turns columns of our
declared types back into exact Python values on the way out of ``execute`` (a user's SQL);
the mapper's own reads skip them (``SqliteConnection.fetch_rows``) and convert by polytype,
as cheaply as a converter can be called. :func:`decimal_collation` makes decimal text
compare by value.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from polynom.errors import StoreError
from polynom.stores.sqlite.translate.types import DECIMAL_REAL, DECIMAL_TEXT, MAX_SCALE, REAL_DIGITS


def _adapt_datetime(v: datetime) -> str:
    if v.tzinfo is not None:
        v = v.astimezone(UTC).replace(tzinfo=None)
    return v.isoformat(" ", "microseconds")


def _adapt_time(v: time) -> str:
    if v.tzinfo is not None:
        offset = v.utcoffset()
        if offset:
            v = (datetime.combine(date(2000, 1, 1), v.replace(tzinfo=None)) - offset).time()
        v = v.replace(tzinfo=None)
    return v.isoformat("microseconds")


_REAL_CONTEXT = Context(prec=REAL_DIGITS)


def _adapt_decimal(v: Decimal) -> float | str:
    """A decimal of up to 15 significant digits as its nearest double, computed here rather
    than by SQLite: SQLite's own text-to-double conversion is off by one unit in the last
    place for about one value in 20,000, and the double a value is stored as must be the one
    it is later compared with. A DECIMAL_TEXT column turns the double back into the same
    digits (SQLite prints 15 significant digits); wider decimals stay exact text."""
    if not v.is_finite():
        raise StoreError(f"cannot store the decimal {v}: only finite decimals can be stored")
    text = str(v)
    # no more characters than a double's digits: no more significant digits either (the
    # usual case, decided without arithmetic); float() of the text is float() of the value
    if len(text) <= REAL_DIGITS or _REAL_CONTEXT.plus(v) == v:
        return float(text)
    return format(v, "f")


def _adapt_date(v: date) -> str:
    return v.isoformat()


# Exact-type dispatch: one dict lookup per value. ``None`` means "SQLite takes it as is".
_ADAPTERS: dict[type, Any] = {
    str: None,
    int: None,
    float: None,
    bytes: None,
    type(None): None,
    bool: None,  # sqlite3 binds it as the integer it is (0 or 1)
    Decimal: _adapt_decimal,
    datetime: _adapt_datetime,
    date: _adapt_date,
    time: _adapt_time,
    bytearray: bytes,
    memoryview: bytes,
}

#: The types SQLite binds as they are (values ``adapt_params`` leaves alone).
AS_IS = frozenset(t for t, adapter in _ADAPTERS.items() if adapter is None)

_BY_BASE: tuple[tuple[type, Callable[[Any], Any]], ...] = (
    (int, int),
    (float, float),
    (str, str.__str__),  # the text itself, also for (str, Enum) members
    (bytes, bytes),
    (Decimal, _adapt_decimal),
    (datetime, _adapt_datetime),
    (date, _adapt_date),
    (time, _adapt_time),
)


def _adapt_other(v: Any) -> Any:
    """Values of subclasses (IntEnum, a datetime subclass...) map like their base type."""
    for base, adapter in _BY_BASE:
        if isinstance(v, base):
            return adapter(v)
    return v  # sqlite3 refuses it with a clear "type is not supported" error


def adapt_value(v: Any) -> Any:
    """One Python value as SQLite stores it (see the module docstring for the forms)."""
    f = _ADAPTERS.get(type(v), _adapt_other)
    return v if f is None else f(v)


def adapt_params(params: Sequence[Any]) -> Sequence[Any]:
    """Bound parameters as SQLite stores them; the input itself when nothing needs changing.

    A mapping (for ``:name`` placeholders) is adapted value by value."""
    if isinstance(params, dict):
        return {k: adapt_value(v) for k, v in params.items()}  # type: ignore[return-value]
    if AS_IS.issuperset(map(type, params)):  # (a scan in C: most parameters need nothing)
        return params
    get, other = _ADAPTERS.get, _adapt_other
    return [v if (f := get(type(v), other)) is None else f(v) for v in params]


def _conv_decimal(b: bytes) -> Any:
    try:
        return Decimal(b.decode())
    except (InvalidOperation, UnicodeDecodeError):
        return b.decode(errors="replace")


_WIDE = Context(prec=1000)


def _decimal_reader(scale: int) -> Callable[[bytes], Any]:
    """The converter of a ``DECIMAL_REAL_<scale>`` or ``DECIMAL_TEXT_<scale>`` column: SQLite
    hands over the stored digits, or a double as 15-digit text (``b'999.5'``, ``b'1.0e-05'``);
    the reader returns them with the column's scale (``Decimal('999.50')``), as Polypheny
    returns a DECIMAL(p, s)."""
    quantum = Decimal(1).scaleb(-scale)

    def read(b: bytes) -> Any:
        text = b.decode(errors="replace")
        point = text.find(".")
        try:
            if point > 0 and "e" not in text:
                missing = scale - (len(text) - point - 1)
                if missing >= 0:
                    return Decimal(text + "0" * missing)
                if scale == 0 and text.endswith(".0"):
                    return Decimal(text[:point])
            return Decimal(text).quantize(quantum, context=_WIDE)
        except InvalidOperation:
            return text  # not a number (written by hand): returned as it is, like DECIMAL_TEXT

    return read


_BOOLS = {b"1": True, b"0": False, b"true": True, b"false": False}


def _conv_bool(b: bytes) -> Any:
    v = _BOOLS.get(b)
    if v is None:
        v = _BOOLS.get(b.lower())
    return b.decode(errors="replace") if v is None else v


def _conv_date(b: bytes) -> Any:
    s = b.decode(errors="replace")
    try:
        return date.fromisoformat(s)
    except ValueError:
        try:
            return datetime.fromisoformat(s).date()
        except ValueError:
            return s


def _conv_time(b: bytes) -> Any:
    s = b.decode(errors="replace")
    try:
        return time.fromisoformat(s)
    except ValueError:
        return s


def _conv_timestamp(b: bytes) -> Any:
    s = b.decode(errors="replace")
    try:
        v = datetime.fromisoformat(s)
    except ValueError:
        return s
    return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)


def register_converters() -> None:
    """Register the converters for our declared types with ``sqlite3``.

    The registry is process-wide, but these names (``DECIMAL_TEXT[_<s>]``, ``DECIMAL_REAL_<s>``,
    ``BOOLEAN_INT``, ``DATE_TEXT``, ``TIME_TEXT``, ``TIMESTAMP_TEXT``) are ours alone: they
    only change what columns declared with them return, and only on connections opened
    with ``detect_types=PARSE_DECLTYPES``. A value a converter cannot read comes back as text.
    """
    sqlite3.register_converter("DECIMAL_TEXT", _conv_decimal)
    for scale in range(MAX_SCALE + 1):
        reader = _decimal_reader(scale)
        sqlite3.register_converter(f"{DECIMAL_TEXT}{scale}", reader)
        if scale <= REAL_DIGITS:
            sqlite3.register_converter(f"{DECIMAL_REAL}{scale}", reader)
    sqlite3.register_converter("BOOLEAN_INT", _conv_bool)
    sqlite3.register_converter("DATE_TEXT", _conv_date)
    sqlite3.register_converter("TIME_TEXT", _conv_time)
    sqlite3.register_converter("TIMESTAMP_TEXT", _conv_timestamp)


def _as_number(s: str) -> Decimal | None:
    try:
        d = Decimal(s)
    except (InvalidOperation, ValueError, TypeError):
        return None
    return None if d.is_nan() else d


def decimal_collation(a: str, b: str) -> int:
    """Order decimal text by value ('999.50' < '1000.00'; '1.1' == '1.10').

    Never raises (SQLite cannot propagate an error from a collation): text that is no number
    sorts after every number, and among itself as text.
    """
    try:  # fast path: correctly rounded floats keep the order of the decimals they come from
        fa, fb = float(a), float(b)
    except ValueError:
        pass
    else:
        if fa < fb:
            return -1
        if fa > fb:
            return 1
    x, y = _as_number(a), _as_number(b)
    if x is not None and y is not None:
        return -1 if x < y else (1 if x > y else 0)
    if x is not None:
        return -1
    if y is not None:
        return 1
    return -1 if a < b else (1 if a > b else 0)
