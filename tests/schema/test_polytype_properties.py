"""Property: every polytype round-trips exactly or raises ``ValidationError``, on every store.

For each field of ``Everything`` (one of each polytype), hypothesis draws values of the right
type across their whole range -- NaN, infinities, -0.0, subnormals, lone surrogates, years 1
and 9999 with offsets, huge ints and decimals, odd JSON -- and values of wrong types. Each
value is assigned to a model: either the assignment is refused with a ``ValidationError``
naming model and field (with a short message), or the model is committed, read back in a
fresh session, and equals what the model held, of the same type; a filter on the value then
finds it (for the types SQL compares). A filter operand obeys the same rule as an
assignment. No other outcome -- a raw exception, a store error, a changed value -- passes.

``EXAMPLES`` is the number of examples per polytype and store kind (the report in the test
names it); the whole module stays within a few seconds per store kind.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from polynom.errors import ValidationError
from polynom.session import Session
from tests.models import Color, Everything

#: Examples hypothesis tries per polytype and store kind.
EXAMPLES = 60

# shapely warns when it builds a geometry from NaN coordinates (which Geometry refuses)
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")

_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- strategies: the right type over its whole range, and wrong types -----------------------

#: Every code point, lone surrogates included (hypothesis leaves them out by default).
_any_char = st.characters(codec=None, exclude_categories=())
_surrogates = st.tuples(  # a union of character strategies would drop the surrogates again
    st.text(max_size=3), st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2)
).map("".join)
_text = st.text(_any_char, max_size=12) | st.text(max_size=40) | _surrogates
_huge_ints = st.sampled_from([2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**400]) | st.integers(
    4400, 5000
).map(lambda n: -(10**n))  # mapped: hypothesis cannot even repr such an int up front
_ints = st.integers() | _huge_ints
_floats = st.floats()  # NaN, infinities, -0.0 and subnormals included
_offsets = st.builds(
    dt.timezone,
    st.timedeltas(
        min_value=dt.timedelta(hours=-23, minutes=-59), max_value=dt.timedelta(hours=23, minutes=59)
    ).map(lambda d: dt.timedelta(minutes=d // dt.timedelta(minutes=1))),
)
_datetimes = st.datetimes(timezones=st.none() | _offsets) | st.sampled_from(
    [
        dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))),
        dt.datetime(1, 1, 1, 3, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
        dt.datetime(2242, 3, 16, 12, 56, 32, 1000, tzinfo=dt.UTC),
    ]
)
_json_values = st.recursive(
    st.none() | st.booleans() | _ints | _floats | _text,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(
            st.text(max_size=3) | st.integers(-3, 3) | st.booleans() | st.none() | st.floats(),
            inner,
            max_size=4,
        )
    ),
    max_leaves=10,
).filter(lambda v: v is not None) | st.sampled_from(
    [{1: "a", "1": "b"}, {1: "a"}, (1, 2), {"x": float("nan")}, {"s": {1, 2}}, b"x", [float("inf")]]
)
_wrong = st.sampled_from([object(), [1], {"a": 1}, b"\x00", 1.5, 7, True, "7", dt.date(2000, 1, 1)])

STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "varchar": _text | st.text(max_size=8).map(lambda s: s * 2) | _wrong,
    "text": _text | st.just("x" * 100_000) | _wrong,
    "integer": st.integers(-(2**31), 2**31 - 1) | _ints | _floats | _wrong,
    "smallint": st.integers(-(2**15), 2**15 - 1) | _ints | _wrong,
    "tinyint": st.integers(-128, 127) | _ints | _wrong,
    "bigint": st.integers(-(2**63), 2**63 - 1) | _ints | _wrong,
    "double": _floats | _ints | _wrong,
    "real": _floats | _ints | _wrong,
    "decimal": st.decimals()
    | st.decimals(places=4, min_value=-(10**8), max_value=10**8)
    | _floats
    | _ints
    | st.sampled_from(
        ["1" * 100, "123456789012.00", "1e20", "1E+100", "-0.00", "0E+100", "sNaN", "12.5"]
    )
    | _text
    | _wrong,
    "boolean": st.booleans() | st.booleans() | st.integers(0, 1) | _wrong,
    "date": st.dates() | _datetimes | _wrong,
    "time": st.times(timezones=st.none() | _offsets) | _wrong,
    "timestamp": _datetimes | st.dates() | _wrong,
    "json": _json_values,
    "enum": st.sampled_from(Color)
    | st.sampled_from(["RED", "BLUE", "GREEN", "red"])
    | _text
    | _wrong,
    "file": st.binary(max_size=64) | st.binary(max_size=64).map(bytearray) | _text | _wrong,
    "geometry": st.builds(Point, _floats, _floats)
    | st.builds(
        lambda a, b: LineString([a, b]), st.tuples(_floats, _floats), st.tuples(_floats, _floats)
    )
    | _wrong,
}

#: Fields SQL compares with ``=`` (the others are stored as text or bytes without equality).
COMPARABLE = {name for name in STRATEGIES if name not in ("json", "file", "geometry")}


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same type (geometries: the same coordinates, exactly)."""
    if hasattr(a, "equals_exact"):
        return type(a) is type(b) and a.wkb == b.wkb
    if isinstance(a, float) and math.isinf(a):
        return a == b
    return (
        type(a) is type(b)
        and a == b
        and (not isinstance(a, decimal.Decimal) or a.as_tuple() == b.as_tuple())
    )


def _refused(info: pytest.ExceptionInfo[ValidationError], field: str) -> None:
    error = info.value
    assert (error.model, error.field) == ("Everything", field)
    assert str(error).startswith(f"Everything.{field}: ")
    assert len(str(error)) < 600, "the message must stay short, whatever the value"


@pytest.mark.parametrize("field", sorted(STRATEGIES))
@_SETTINGS
@given(data=st.data())
def test_every_value_round_trips_exactly_or_is_refused(app, field, data):
    column = getattr(Everything, field)
    value = data.draw(STRATEGIES[field], label=field)
    item = Everything()
    try:
        setattr(item, field, value)
    except ValidationError:
        event("refused")
        with pytest.raises(ValidationError) as info:
            setattr(item, field, value)
        _refused(info, field)
        if field in COMPARABLE:  # a filter operand obeys the same rule
            with pytest.raises(ValidationError) as info:
                column == value  # noqa: B015
            _refused(info, field)
        return
    held = getattr(item, field)
    assert held is not None
    event("stored")
    with Session(app) as session:
        session.add(item)
        session.commit()
    with Session(app) as session:
        loaded = Everything.query(session).get(item._entry_id)
        assert loaded is not None
        assert _same(getattr(loaded, field), held), (value, held, getattr(loaded, field))
        if field in COMPARABLE:
            found = Everything.query(session).filter(column == value).all()
            assert item._entry_id in {e._entry_id for e in found}
