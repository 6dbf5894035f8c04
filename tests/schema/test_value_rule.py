"""Issue 10 items 1 and 2, one test each: no value escapes as a raw Python error, none changes
silently between the model and the store.

Each refused value is a ``ValidationError`` naming model, field and value -- in a short
message -- raised at assignment (or when the filter is built), before anything reaches the
store; each accepted value reads back exactly as the model holds it, on every store kind.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from polynom.errors import ValidationError
from polynom.model.model import BaseModel
from polynom.schema.field import Field
from polynom.schema.polytypes import Decimal as DecimalType
from polynom.schema.polytypes import Double, Json, Real, Text, Timestamp, VarChar
from polynom.session import Session
from tests.models import Bike, Everything

PLUS_5 = dt.timezone(dt.timedelta(hours=5))
MINUS_5 = dt.timezone(dt.timedelta(hours=-5))


def refused(model: BaseModel, field: str, value: object) -> ValidationError:
    """The ``ValidationError`` assigning ``value`` raises, checked for what it must name."""
    with pytest.raises(ValidationError) as info:
        setattr(model, field, value)
    error = info.value
    name = type(model).__name__
    assert (error.model, error.field) == (name, field)
    assert str(error).startswith(f"{name}.{field}: invalid value ")
    assert len(str(error)) < 400
    return error


# -- item 1: values that escaped validation as raw Python errors ---------------------------


def test_lone_surrogate_in_text_is_refused_at_assignment_not_at_commit(app):
    item = Everything(text="before")
    error = refused(item, "text", "\ud800")
    assert "lone surrogate" in str(error)
    assert item.text == "before"  # unchanged, and the entry still commits
    with Session(app) as session:
        session.add(item)
        session.commit()


@pytest.mark.parametrize(
    "value",
    ["1" * 100, 1e300, Decimal("1E+100"), "123456789012.00", "1e20", 10**30],
    ids=["100 ones", "1e300", "Decimal 1E+100", "123456789012.00", "str 1e20", "int 10**30"],
)
def test_decimal_out_of_range_is_a_validation_error_not_invalid_operation(value):
    error = refused(Bike(brand="b"), "price", value)
    assert "out of range for Decimal(10, 2): at most 8 digits before the point" in str(error)


@pytest.mark.parametrize(
    "value",
    [Decimal("1e30"), "1e30", "1" * 100, 1e300, Decimal("NaN")],
    ids=["Decimal 1e30", "str 1e30", "100 ones", "1e300", "NaN"],
)
def test_decimal_filter_operands_are_validation_errors_not_invalid_operation(value):
    for build in (
        lambda: Bike.price < value,
        lambda: Bike.price == value,
        lambda: Bike.price.in_([Decimal("1"), value]),
    ):
        with pytest.raises(ValidationError) as info:
            build()
        assert (info.value.model, info.value.field) == ("Bike", "price")
        assert str(info.value).startswith("Bike.price: cannot compare with ")


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(1, 1, 1, tzinfo=PLUS_5),  # 0000-12-31 19:00 UTC
        dt.datetime(9999, 12, 31, 23, tzinfo=MINUS_5),  # 10000-01-01 04:00 UTC
    ],
)
def test_aware_timestamp_outside_years_1_to_9999_utc_is_refused(value):
    error = refused(Everything(), "timestamp", value)
    assert "outside the instants a Timestamp holds" in str(error)


def test_aware_timestamps_at_the_edges_are_kept_exactly(app):
    first = dt.datetime(1, 1, 1, 5, 0, 0, 1000, tzinfo=PLUS_5)  # 0001-01-01 00:00:00.001 UTC
    last = dt.datetime(9999, 12, 31, 18, 59, 59, 999000, tzinfo=MINUS_5)  # 23:59:59.999 UTC
    for value in (first, last):
        item = Everything(timestamp=value)
        assert item.timestamp == value and item.timestamp.tzinfo is dt.UTC
        with Session(app) as session:
            session.add(item)
            session.commit()
        with Session(app) as session:
            assert Everything.query(session).get(item._entry_id).timestamp == value


@pytest.mark.parametrize("field", ["double", "real"])
def test_a_float_field_given_an_int_beyond_floats_is_refused(field):
    error = refused(Everything(), field, 10**400)
    assert "out of range" in str(error) and "int of about 401 digits" in str(error)


def test_double_refuses_an_int_it_cannot_hold_exactly():
    error = refused(Everything(), "double", 2**53 + 1)
    assert "cannot be held exactly" in str(error)
    assert Everything(double=2**53).double == 2.0**53


def test_real_refuses_a_finite_value_it_would_round_to_infinity():
    assert "out of range for Real" in str(refused(Everything(), "real", 1e300))
    assert Everything(real=math.inf).real == math.inf


@pytest.mark.parametrize("sign", [1, -1])
def test_a_huge_int_builds_a_short_message(sign):
    value = sign * 10**5000  # one Python cannot even turn into a str
    error = refused(Everything(), "integer", value)
    assert "int of about 5,001 digits" in str(error)
    assert "out of range for Integer (-2147483648 to 2147483647)" in str(error)
    assert error.value == value


def test_huge_values_never_build_huge_messages():
    item = Everything()
    for field, value in [
        ("varchar", "x" * 1_000_000),
        ("integer", "7" * 1_000_000),
        ("decimal", "9" * 1_000_000),
        ("decimal", Decimal("9" * 100_000)),
        ("json", {"k": object(), "pad": "y" * 1_000_000}),
        ("file", "z" * 1_000_000),
        ("date", b"\x00" * 1_000_000),
    ]:
        error = refused(item, field, value)
        assert len(str(error)) < 400, field


def test_integer_ranges_are_checked_per_type():
    # Polypheny binds INTEGER parameters with setInt(intValue()): 2**31 would be stored as
    # -2**31 without an error (ResultSetEnumerable.java), so every range is ours to check.
    for field, bits in [("tinyint", 8), ("smallint", 16), ("integer", 32), ("bigint", 64)]:
        top = 2 ** (bits - 1)
        assert Everything(**{field: top - 1}).to_dict()[field] == top - 1
        assert Everything(**{field: -top}).to_dict()[field] == -top
        refused(Everything(), field, top)
        refused(Everything(), field, -top - 1)


def test_varchar_counts_as_polypheny_counts_utf16_code_units():
    # DataContextImpl.check compares String.length() -- UTF-16 code units -- with VARCHAR(n)
    item = Everything(varchar="😀😀")  # 2 characters, 4 code units
    assert item.varchar == "😀😀"
    error = refused(item, "varchar", "😀😀😀")  # 3 characters, 6 code units > 5
    assert "6 UTF-16 code units as Polypheny counts" in str(error)
    assert item.varchar == "😀😀"


def test_negative_values_of_decimal_p_p_are_refused_as_polypheny_refuses_them():
    # DataContextImpl.check strips only a leading "0" before counting digits, so "-0.05"
    # counts three in DECIMAL(2, 2): "Numeric value is too long"
    share = DecimalType(2, 2)
    assert share.validate("0.05") == Decimal("0.05")
    with pytest.raises(ValueError, match=r"Polypheny refuses negative values in Decimal\(2, 2\)"):
        share.validate("-0.05")
    assert DecimalType(3, 2).validate("-0.05") == Decimal("-0.05")


# -- item 2: silent changes between the model and the store --------------------------------


def test_nan_is_refused_in_double_and_real_instead_of_reading_back_as_none():
    for field in ("double", "real"):
        error = refused(Everything(), field, math.nan)
        assert "NaN" in str(error)
        with pytest.raises(ValidationError):
            getattr(Everything, field) == math.nan  # noqa: B015


def test_negative_zero_is_held_as_zero_and_reads_back_as_held(app):
    item = Everything(double=-0.0, real=-0.0, decimal=Decimal("-0.0000"))
    assert math.copysign(1, item.double) == 1 and math.copysign(1, item.real) == 1
    assert item.decimal.as_tuple() == Decimal("0.0000").as_tuple()
    with Session(app) as session:
        session.add(item)
        session.commit()
    with Session(app) as session:
        loaded = Everything.query(session).get(item._entry_id)
        assert math.copysign(1, loaded.double) == 1 and math.copysign(1, loaded.real) == 1
        assert loaded.decimal.as_tuple() == item.decimal.as_tuple()


def test_infinities_are_kept_exactly_and_logged_as_json_strings(app):
    item = Everything(double=-math.inf, real=math.inf)
    with Session(app, log_user="ada") as session:
        session.add(item)
        session.commit()
    with Session(app) as session:
        loaded = Everything.query(session).get(item._entry_id)
        assert (loaded.double, loaded.real) == (-math.inf, math.inf)
        assert Everything.query(session).filter(Everything.double == -math.inf).count() == 1
    double = Everything.__mapper__.attributes["double"].polytype
    assert double.to_json(-math.inf) == "-Infinity"
    assert double.from_json(double.to_json(-math.inf)) == -math.inf


def test_json_keys_that_collide_as_strings_are_refused():
    error = refused(Everything(), "json", {1: "a", "1": "b"})
    assert "two keys that are both '1'" in str(error)
    refused(Everything(), "json", {"outer": [{True: 1, "true": 2}]})


@pytest.mark.parametrize(
    ("value", "held"),
    [
        ({1: "a"}, {"1": "a"}),
        ((1, 2), [1, 2]),
        ({"t": (1, (2, 3)), None: -0.0}, {"t": [1, [2, 3]], "null": -0.0}),
    ],
)
def test_json_is_held_as_the_store_returns_it(app, value, held):
    item = Everything(json=value)
    assert item.json == held
    with Session(app) as session:
        session.add(item)
        session.commit()
    with Session(app) as session:
        assert Everything.query(session).get(item._entry_id).json == held


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ([math.nan], "NaN or an infinity"),
        ({"x": math.inf}, "NaN or an infinity"),
        ({"s": {1, 2}}, "not JSON-serialisable"),
        (b"bytes", "not JSON-serialisable"),
        (["\udc00"], "lone surrogate"),
        ({"\ud800": 1}, "lone surrogate"),
    ],
)
def test_json_refuses_what_json_cannot_hold(value, problem):
    assert problem in str(refused(Everything(), "json", value))


def test_a_circular_or_deeply_nested_json_value_is_refused():
    loop: list[object] = []
    loop.append(loop)
    assert "Circular reference" in str(refused(Everything(), "json", loop))
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    assert "nested too deeply" in str(refused(Everything(), "json", deep))


def test_json_changed_in_place_is_checked_at_flush(app):
    item = Everything(json={"tags": []})
    with Session(app) as session:
        session.add(item)
        session.commit()
    with Session(app) as session:
        loaded = Everything.query(session).get(item._entry_id)
        loaded.json["tags"].append(("a", "b"))  # a tuple: held as the list the store returns
        session.commit()
        assert loaded.json == {"tags": [["a", "b"]]}
    with Session(app) as session:
        loaded = Everything.query(session).get(item._entry_id)
        assert loaded.json == {"tags": [["a", "b"]]}
        loaded.json["bad"] = math.nan
        with pytest.raises(ValidationError, match=r"Everything\.json: .*NaN"):
            session.flush()
    with Session(app) as session:
        new = Everything(json={})
        new.json[1] = "x"
        new.json["1"] = "y"
        session.add(new)
        with pytest.raises(ValidationError, match="two keys"):
            session.flush()


def test_defaults_follow_the_same_rule():
    from polynom.errors import SchemaError

    with pytest.raises(SchemaError, match="NaN"):
        Field("x", Double(), default=math.nan)
    with pytest.raises(SchemaError, match="no SQL literal"):
        Field("x", Double(), default=math.inf)
    with pytest.raises(SchemaError, match="lone surrogate"):
        Field("x", Text(), default="\ud800")
    late = Field("x", Timestamp(), default=lambda: dt.datetime(1, 1, 1, tzinfo=PLUS_5))
    with pytest.raises(SchemaError, match="outside the instants"):
        late.make_default()
    assert Field("x", Json(), default=lambda: (1,)).make_default() == [1]
    assert Field("x", Real(), default=0.5).default == 0.5
    assert Field("x", VarChar(2), default="ab").default == "ab"
