"""PolyNOM 0.3's private field and polytype names, which its users and tests import, with
PolyNOM's results -- beside our own exact codec, which they do not change."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json

import pytest

from polynom.schema.field import Field, ForeignKeyField, PrimaryKeyField, _BaseField
from polynom.schema.polynom03_values import from_polynom03_json
from polynom.schema.polytypes import (
    Decimal,
    File,
    Geometry,
    Json,
    PolyEnum,
    Real,
    Text,
    Time,
    Timestamp,
    VarChar,
    _BaseType,
    _TemporalBaseType,
)
from tests.models import OwnerSchema


class Colour(enum.Enum):
    RED = 1
    GREEN = 2


def test_base_field_takes_the_python_name_third():
    field = _BaseField("db", Text(), "py", previous_name="old")
    assert (field._db_field_name, field._python_field_name, field._previous_name) == (
        "db",
        "py",
        "old",
    )
    assert isinstance(Field("x", Text()), _BaseField)
    assert Field("x", Text(), previous_name="y")._previous_name == "y"
    assert PrimaryKeyField("k", Text(), python_field_name="key")._python_field_name == "key"


def test_every_polytype_is_a_polynom_base_type():
    assert isinstance(Text(), _BaseType)
    assert _BaseType(int)._to_json_serializable(5) == 5
    with pytest.raises(TypeError):
        _BaseType(int)._to_json_serializable("five")
    with pytest.raises(NotImplementedError):
        _BaseType(dict)._to_sql_expression({"a": 1})
    moment = dt.datetime(2023, 1, 1, 12, 30)
    assert _TemporalBaseType(dt.datetime)._to_sql_expression(moment) == f"'{moment.isoformat()}'"


def test_polynoms_lossy_changelog_forms_are_only_its_private_methods():
    price = Decimal(10, 2)
    assert price._to_json_serializable(decimal.Decimal("999.50")) == 999.5
    assert price.to_json(decimal.Decimal("999.50")) == "999.50"  # ours stays exact
    value = {"key": "O'Reilly"}
    assert json.loads(Json()._to_json_serializable(value)) == value
    assert Json()._to_sql_expression(value) == "'{\"key\": \"O''Reilly\"}'"
    assert Real()._to_sql_expression(3.14) == "3.14"  # the value as given, not rounded to f32
    assert VarChar(10)._type_string == "VARCHAR(10)"
    with pytest.raises(TypeError):
        File()._to_json_serializable("not bytes")
    assert Time(3)._to_sql_expression(dt.time(10, 15, 30)) == "'10:15:30'"


def test_enum_codec_refuses_unknown_names_with_a_value_error():
    colour = PolyEnum(Colour)
    assert colour._to_prism_serializable(Colour.GREEN) == "GREEN"
    assert colour._from_prism_serializable("GREEN") is Colour.GREEN
    with pytest.raises(ValueError, match="YELLOW"):
        colour._from_prism_serializable("YELLOW")
    with pytest.raises(TypeError):
        colour._to_json_serializable(123)


def test_geometry_codec_writes_compact_geojson():
    shapely = pytest.importorskip("shapely.geometry")
    point = shapely.Point(1, 2)
    text = Geometry()._to_json_serializable(point)
    assert text == '{"type":"Point","coordinates":[1.0,2.0]}'
    assert Geometry()._from_prism_serializable(text).equals(point)


def test_polynoms_changelog_values_read_back_as_our_values():
    assert from_polynom03_json(Decimal(10, 2), 999.5) == decimal.Decimal("999.50")
    assert from_polynom03_json(Decimal(10, 2), 1.1) == decimal.Decimal("1.10")
    assert from_polynom03_json(Json(), '{"k": [1, 2]}') == {"k": [1, 2]}
    stamp = from_polynom03_json(Timestamp(), "2024-01-02T03:04:05")
    assert stamp == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert from_polynom03_json(File(), "AAFiaW4n") == b"\x00\x01bin'"
    assert from_polynom03_json(PolyEnum(Colour), "RED") is Colour.RED
    assert from_polynom03_json(PolyEnum(Colour), "PURPLE") == "PURPLE"  # kept as stored


def test_fields_and_schemas_render_as_polynoms_snapshot_entries():
    entry = OwnerSchema._to_dict()
    assert entry["entity_name"] == "owner" and entry["namespace_name"] == "people"
    assert entry["data_model"] == "RELATIONAL"
    key, name = entry["fields"][:2]
    assert key == {
        "name": "_entry_id",
        "db_name": "_entry_id",
        "type": "VarChar",
        "previous_name": None,
        "nullable": False,
        "unique": True,
        "default": None,
        "is_primary_key": True,
        "is_foreign_key": False,
    }
    assert name["type"] == "VarChar" and name["nullable"] is False
    fk = ForeignKeyField("owner_id", OwnerSchema, nullable=False)._to_dict()
    # PolyNOM's positional-argument slip, kept so PolyNOM reads our snapshots as its own
    assert (fk["unique"], fk["default"], fk["is_foreign_key"]) == (None, False, True)
    assert (fk["references_namespace"], fk["references_entity"]) == ("people", "owner")
