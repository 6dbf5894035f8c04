"""Every polytype validates on assignment and round-trips exactly through every store."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from shapely.geometry import Point, Polygon

from polynom.errors import PolynomError, PolytypeArgumentError, SchemaError, ValidationError
from polynom.schema import polytypes
from polynom.session import Session
from tests.models import Bike, Color, Everything

SAMPLE = dict(
    varchar="abcde",
    text="naïve ☃ text with 'quotes' and \"double\"",
    integer=-2_147_483_648,
    smallint=32767,
    tinyint=-128,
    bigint=9_223_372_036_854_775_807,
    double=0.1 + 0.2,
    real=0.1,
    decimal=Decimal("-12345678.1234"),
    boolean=False,
    date=dt.date(1969, 7, 20),
    time=dt.time(23, 59, 58, 123000),
    timestamp=dt.datetime(
        2024, 2, 29, 12, 30, 45, 678000, tzinfo=dt.timezone(dt.timedelta(hours=2))
    ),
    json={"a": [1, 2.5, None, "x"], "nested": {"ok": True}},
    enum=Color.BLUE,
    file=bytes(range(256)),
    geometry=Polygon([(0, 0), (1, 0), (1, 1), (0, 0)]),
)


def test_every_polytype_round_trips_exactly(app):
    with Session(app) as session:
        item = Everything(**SAMPLE)
        held = item.to_dict()
        session.add(item)
        session.commit()
    with Session(app) as session:
        loaded = Everything.query(session).get(item._entry_id)
        assert loaded is not None
        for name, value in held.items():
            assert getattr(loaded, name) == value, name
            assert type(getattr(loaded, name)) is type(value), name
        assert loaded.decimal.as_tuple() == Decimal("-12345678.1234").as_tuple()


def test_nulls_round_trip(app):
    with Session(app) as session:
        item = Everything()
        session.add(item)
        session.commit()
    with Session(app) as session:
        loaded = Everything.query(session).get(item._entry_id)
        assert all(v is None for k, v in loaded.to_dict().items() if k != "_entry_id")


def test_timestamp_rule_naive_is_utc_and_precision_truncates():
    item = Everything(timestamp=dt.datetime(2024, 1, 1, 10, 0, 0, 123456))
    assert item.timestamp == dt.datetime(2024, 1, 1, 10, 0, 0, 123000, tzinfo=dt.UTC)
    aware = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    item.timestamp = aware
    assert item.timestamp.tzinfo is dt.UTC and item.timestamp.hour == 10
    assert item.timestamp == aware


def test_decimal_is_quantized_to_scale_on_assignment():
    bike = Bike(brand="A", price=19.9)
    assert bike.price == Decimal("19.90") and str(bike.price) == "19.90"
    bike.price = 7
    assert str(bike.price) == "7.00"


def test_real_is_rounded_to_single_precision():
    item = Everything(real=0.1)
    assert item.real != 0.1 and abs(item.real - 0.1) < 1e-7


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("varchar", "toolong", "longer than VarChar(5)"),
        ("integer", "12", "expected int"),
        ("integer", 2**31, "out of range"),
        ("tinyint", 128, "out of range"),
        ("boolean", 1, "expected bool"),
        ("decimal", Decimal("1.00001"), "more than 4 digits after the point"),
        ("decimal", Decimal("123456789.5"), "at most 8 digits before the point"),
        ("decimal", "abc", "not a decimal"),
        ("date", dt.datetime(2020, 1, 1), "expected datetime.date"),
        ("enum", "GREEN", "not a member of Color"),
        ("json", {"x": object()}, "not JSON-serialisable"),
        ("file", "text", "expected bytes"),
        ("geometry", (1, 2), "shapely geometry"),
        ("time", dt.time(1, 2, tzinfo=dt.UTC), "without timezone"),
    ],
)
def test_bad_values_name_model_field_and_value(field, value, message):
    item = Everything()
    with pytest.raises(ValidationError) as info:
        setattr(item, field, value)
    assert message in str(info.value)
    assert info.value.model == "Everything" and info.value.field == field
    assert f"Everything.{field}" in str(info.value)


def test_enum_accepts_member_name_and_geometry_point():
    item = Everything(enum="RED", geometry=Point(1.5, 2))
    assert item.enum is Color.RED and item.geometry.equals(Point(1.5, 2))


def test_an_enum_name_the_store_holds_but_the_enum_lacks_is_a_clear_error(app):
    from polynom import sql
    from polynom.errors import StoredValueError

    with Session(app) as session:
        item = Everything(enum=Color.RED)
        session.add(item)
        session.commit()
    with Session(app) as session:  # written by someone whose enum still had the member
        session.execute(
            f'UPDATE {sql.schema_entity(Everything.schema)} SET "enum" = ? WHERE "_entry_id" = ?',
            ["PURPLE", item._entry_id],
        )
        session.commit()
    with Session(app) as session, pytest.raises(StoredValueError, match=r"PURPLE.*not a member"):
        Everything.query(session).get(item._entry_id)


@pytest.mark.parametrize(
    ("field", "stored", "read"),
    [
        ("boolean", "TRUE", True),
        ("boolean", "0", False),
        ("date", "2024-02-29 10:30:00", dt.date(2024, 2, 29)),
        ("decimal", 7, Decimal("7.0000")),
    ],
)
def test_values_written_by_hand_in_another_form_read_as_the_polytype(app, field, stored, read):
    from polynom import sql

    with Session(app) as session:
        item = Everything()
        session.add(item)
        session.commit()
    with Session(app) as session:
        session.execute(
            f'UPDATE {sql.schema_entity(Everything.schema)} SET "{field}" = ? '
            'WHERE "_entry_id" = ?',
            [stored, item._entry_id],
        )
        session.commit()
    with Session(app) as session:
        loaded = Everything.query(session).get(item._entry_id)
        assert getattr(loaded, field) == read
        assert type(getattr(loaded, field)) is type(read)


def test_a_stored_value_its_polytype_cannot_read_names_model_field_and_value(store_url):
    """Written outside the schema (another tool): a StoredValueError, never a raw exception."""
    import sqlite3
    from pathlib import Path

    from polynom import Application
    from polynom.errors import StoredValueError

    if not store_url.startswith("sqlite:///"):
        pytest.skip("only the embedded store's file can be written by another tool here")
    with Application("hand", store_url, schemas=[Everything.schema]) as app:
        with Session(app) as session:
            item = Everything()
            session.add(item)
            session.commit()
        path = Path(store_url.removeprefix("sqlite:///"))
        table = f"{Everything.schema.namespace()}.{Everything.schema.entity_name}"
        with sqlite3.connect(path) as raw:
            raw.execute(f'UPDATE "{table}" SET "decimal" = \'twelve\'')
        raw.close()
        with Session(app) as session, pytest.raises(StoredValueError) as info:
            Everything.query(session).all()
    assert "Everything.decimal" in str(info.value) and "'twelve'" in str(info.value)


@pytest.mark.parametrize(
    ("declare", "words"),
    [
        (lambda: polytypes.VarChar(0), "VarChar length"),
        (lambda: polytypes.Decimal(70), "Decimal precision"),
        (lambda: polytypes.Decimal(10, 11), "Decimal scale"),
        (lambda: polytypes.Timestamp(6), "precision must be 0..3"),
        (lambda: polytypes.Time(-1), "precision must be 0..3"),
    ],
)
def test_a_polytype_declared_with_an_impossible_argument_says_which(declare, words):
    with pytest.raises(PolytypeArgumentError, match=words) as caught:
        declare()
    # one polynom error, and still the ValueError a PolyNOM user may catch
    assert isinstance(caught.value, PolynomError) and isinstance(caught.value, ValueError)


def test_polyenum_needs_an_enum_class():
    with pytest.raises(SchemaError, match="needs an Enum class"):
        polytypes.PolyEnum(str)  # type: ignore[arg-type]
