"""The parser's pieces: types and literals, as DDL writes them and as SQLite reports defaults."""

from __future__ import annotations

from decimal import Decimal

import pytest

from polynom.errors import StoreError
from polynom.stores.sqlite.translate.literals import RawSql
from polynom.stores.sqlite.translate.parser import Parser, parse_literal_sql, parse_type
from polynom.stores.sqlite.translate.types import ColumnType


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("-5", -5),
        ("+7", 7),
        ("1.50", Decimal("1.50")),
        ("1e3", Decimal("1e3")),
        ("'it''s'", "it's"),
        ("X'00ff'", b"\x00\xff"),
        ("NULL", None),
        ("TRUE", True),
        ("false", False),
        ("DATE '2020-01-02'", "2020-01-02"),
        ("TIMESTAMP '2020-01-02 03:04:05'", "2020-01-02 03:04:05"),
        ("((3))", 3),
    ],
)
def test_literals(text: str, value: object) -> None:
    parsed = parse_literal_sql(text)
    assert parsed == value and type(parsed) is type(value)


def test_now_defaults_stay_expressions_sqlite_evaluates() -> None:
    parsed = parse_literal_sql("current_timestamp")
    assert isinstance(parsed, RawSql) and parsed == "CURRENT_TIMESTAMP"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- 'x'", "expected a number after the sign"),
        ("1 2", "unexpected text after a literal"),
        ("SOMETHING", "expected a literal value"),
    ],
)
def test_what_is_no_literal_is_refused_naming_where(text: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        parse_literal_sql(text)


def test_types_take_synonyms_and_double_precision() -> None:
    assert parse_type("double precision") == ColumnType("DOUBLE")
    assert parse_type("NUMERIC(5, 1)") == ColumnType("DECIMAL", (5, 1))
    assert parse_type("bool") == ColumnType("BOOLEAN")
    with pytest.raises(StoreError, match="unexpected text after a type"):
        parse_type("INTEGER NOT NULL")


def test_table_names_are_namespace_and_entity() -> None:
    assert Parser('"shop"."bike"').table_name("public") == ("shop", "bike")
    assert Parser("bike").table_name("shop") == ("shop", "bike")
    with pytest.raises(StoreError, match=r"namespace\.table"):
        Parser('"a"."b"."c"').table_name("public")
