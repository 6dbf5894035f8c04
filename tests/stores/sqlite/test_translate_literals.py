"""Coercion to a column's type (DEFAULT literals, SET TYPE)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from polynom.stores.sqlite.translate.literals import coerce
from polynom.stores.sqlite.translate.parser import parse_type


@pytest.mark.parametrize(
    ("value", "type_text", "expected"),
    [
        ("12", "INTEGER", 12),
        (Decimal("3.00"), "INTEGER", 3),
        (1.5, "DECIMAL(5, 2)", Decimal("1.50")),
        (Decimal("1.005"), "DECIMAL(5, 2)", Decimal("1.01")),
        (7, "VARCHAR(3)", "7"),
        (True, "TEXT", "true"),
        ("true", "BOOLEAN", True),
        (0, "BOOLEAN", False),
        ("2020-01-02 03:04:05", "TIMESTAMP(0)", datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (date(2020, 1, 2), "TIMESTAMP(0)", datetime(2020, 1, 2, tzinfo=UTC)),
        ("2020-01-02", "DATE", date(2020, 1, 2)),
        ("x", "FILE", b"x"),
        (None, "INTEGER", None),
    ],
)
def test_coerce(value: object, type_text: str, expected: object) -> None:
    assert coerce(value, parse_type(type_text)) == expected


@pytest.mark.parametrize(
    ("value", "type_text"),
    [
        ("abc", "INTEGER"),
        (1.5, "INTEGER"),
        (300, "TINYINT"),
        ("toolong", "VARCHAR(3)"),
        (Decimal("12345.6"), "DECIMAL(5, 2)"),
        ("maybe", "BOOLEAN"),
        ("never", "DATE"),
    ],
)
def test_coerce_refuses_what_does_not_fit(value: object, type_text: str) -> None:
    with pytest.raises((ValueError, ArithmeticError)):
        coerce(value, parse_type(type_text))
