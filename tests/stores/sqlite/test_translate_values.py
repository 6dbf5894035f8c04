"""Values: Python -> exact, sortable SQLite storage and back; decimals compare by value."""

from __future__ import annotations

import enum
import sqlite3
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from polynom.errors import StoreError
from polynom.stores.sqlite.translate.parser import parse_type
from polynom.stores.sqlite.translate.types import DECIMAL_COLLATION
from polynom.stores.sqlite.translate.values import (
    adapt_params,
    adapt_value,
    decimal_collation,
    register_converters,
)
from tests.stores.sqlite._data import POLY_TYPES

# -- values in -------------------------------------------------------------------------------


def test_values_are_adapted_to_exact_sortable_forms() -> None:
    plus2 = timezone(timedelta(hours=2))
    # up to 15 significant digits: the nearest double, which prints back as the same digits
    assert adapt_value(Decimal("1.10")) == 1.1 and type(adapt_value(Decimal("1.10"))) is float
    assert adapt_value(Decimal("1E+2")) == 100.0
    assert adapt_value(Decimal("-999999999999.999")) == -999999999999.999
    # longer as text than a double's digits, but with no more significant ones: a double
    assert adapt_value(Decimal("0.000000000000001234")) == 1.234e-15
    assert adapt_value(Decimal("1234567890.12345")) == 1234567890.12345
    # wider: exact text
    assert adapt_value(Decimal("1234567890.123456789")) == "1234567890.123456789"
    assert adapt_value(Decimal("-0.1234567890123456")) == "-0.1234567890123456"
    assert adapt_value(Decimal("123456789012345.6")) == "123456789012345.6"
    assert adapt_value(datetime(2020, 1, 1, 12, tzinfo=plus2)) == "2020-01-01 10:00:00.000000"
    assert adapt_value(datetime(2020, 1, 1, 12)) == "2020-01-01 12:00:00.000000"  # UTC
    assert adapt_value(datetime(999, 1, 1)) == "0999-01-01 00:00:00.000000"
    assert adapt_value(date(2020, 2, 3)) == "2020-02-03"
    assert adapt_value(time(1, 2, 3)) == "01:02:03.000000"
    assert adapt_value(time(12, 0, tzinfo=plus2)) == "10:00:00.000000"
    assert adapt_value(True) == 1 and adapt_value(False) == 0
    assert adapt_value(bytearray(b"ab")) == b"ab"
    for plain in ("x", 1, 1.5, b"x", None):
        assert adapt_value(plain) == plain


def test_subclasses_adapt_like_their_base_type() -> None:
    class Color(str, enum.Enum):  # noqa: UP042 - str() of this mixin is not its value
        RED = "red"

    class Level(enum.IntEnum):
        HIGH = 3

    assert adapt_value(Color.RED) == "red"
    assert adapt_value(Level.HIGH) == 3 and type(adapt_value(Level.HIGH)) is int


def test_adapt_params_returns_the_input_when_nothing_changes() -> None:
    params = ["a", 1, 2.5, None, b"x"]
    assert adapt_params(params) is params
    assert adapt_params([Decimal("2.50"), True]) == [2.5, 1]


def test_non_finite_decimals_are_refused() -> None:
    with pytest.raises(StoreError, match="finite"):
        adapt_value(Decimal("NaN"))


def test_fixed_width_timestamps_sort_as_time_sorts() -> None:
    values = [
        datetime(2020, 1, 1, 0, 0, 0, 5, tzinfo=UTC),
        datetime(2020, 1, 1, tzinfo=timezone(timedelta(hours=-1))),  # 01:00 UTC
        datetime(2019, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(2020, 1, 1, tzinfo=UTC),
    ]
    assert sorted(values) == sorted(values, key=adapt_value)


# -- values out -------------------------------------------------------------------------------


def test_decimal_collation_orders_by_value_and_never_raises() -> None:
    import functools

    texts = ["1000.00", "999.50", "20", "1.10", "-3", "abc", "NaN", "1e2"]
    ordered = sorted(texts, key=functools.cmp_to_key(decimal_collation))
    assert ordered == ["-3", "1.10", "20", "1e2", "999.50", "1000.00", "NaN", "abc"]
    assert decimal_collation("1.1", "1.10") == 0
    assert decimal_collation("sNaN", "x") in (-1, 1)


def test_converters_return_canonical_values() -> None:
    register_converters()
    db = sqlite3.connect(":memory:", detect_types=sqlite3.PARSE_DECLTYPES)
    cols = ", ".join(f'"c{i}" {parse_type(t).column_sql}' for i, t in enumerate(POLY_TYPES))
    db.create_collation(DECIMAL_COLLATION, decimal_collation)
    db.execute(f"CREATE TABLE t ({cols})")
    values = [
        "x",
        "y",
        1,
        2,
        3,
        2**40,
        1.5,
        2.5,
        Decimal("1.10"),
        True,
        date(2020, 1, 2),
        time(1, 2, 3, 4000),
        datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),
        b"\x00",
    ]
    db.execute(f"INSERT INTO t VALUES ({', '.join('?' * len(values))})", adapt_params(values))
    row = db.execute("SELECT * FROM t").fetchone()
    assert list(row) == values
    assert [type(v) for v in row] == [type(v) for v in values]


def test_unreadable_stored_text_comes_back_as_text_instead_of_failing() -> None:
    register_converters()
    db = sqlite3.connect(":memory:", detect_types=sqlite3.PARSE_DECLTYPES)
    db.execute('CREATE TABLE t ("d" DECIMAL_TEXT, "ts" TIMESTAMP_TEXT, "b" BOOLEAN_INT)')
    db.execute("INSERT INTO t VALUES ('oops', 'never', 'maybe')")
    assert db.execute("SELECT * FROM t").fetchone() == ("oops", "never", "maybe")
