"""Column types: every Polypheny type survives its SQLite declaration, whose affinity never
changes a value."""

from __future__ import annotations

import sqlite3

import pytest

from polynom.errors import StoreError
from polynom.stores.sqlite.translate.parser import parse_type
from polynom.stores.sqlite.translate.types import DECIMAL_COLLATION, type_from_decl
from polynom.stores.sqlite.translate.values import decimal_collation
from tests.stores.sqlite._data import POLY_TYPES


@pytest.mark.parametrize("text", POLY_TYPES)
def test_every_type_is_recoverable_from_its_sqlite_declaration(text: str) -> None:
    ptype = parse_type(text)
    assert str(ptype) == text
    assert type_from_decl(ptype.sqlite_decl) == ptype


@pytest.mark.parametrize(
    ("text", "affinity_probe", "expected"),
    [
        ("DECIMAL(10, 2)", 1.1, ("real", 1.1)),  # bound as its double (adapt_value)
        ("DECIMAL(20, 2)", "1.10", ("text", "1.10")),  # NUMERIC affinity would give 1.1
        ("DATE", "2020-01-02", ("text", "2020-01-02")),
        ("TIME(3)", "01:02:03.000000", ("text", "01:02:03.000000")),
        ("TIMESTAMP(3)", "2020-01-02 03:04:05.000000", ("text", "2020-01-02 03:04:05.000000")),
        ("VARCHAR(5)", "007", ("text", "007")),
        ("BOOLEAN", 1, ("integer", 1)),
        ("INTEGER", "12", ("integer", 12)),
        ("DOUBLE", 1, ("real", 1.0)),
        ("FILE", b"\x00\x01", ("blob", b"\x00\x01")),
    ],
)
def test_declared_affinity_never_changes_a_stored_value(
    text: str, affinity_probe: object, expected: tuple[str, object]
) -> None:
    db = sqlite3.connect(":memory:")
    db.create_collation(DECIMAL_COLLATION, decimal_collation)
    db.execute(f'CREATE TABLE t ("c" {parse_type(text).column_sql})')
    db.execute("INSERT INTO t VALUES (?)", (affinity_probe,))
    assert db.execute("SELECT typeof(c), c FROM t").fetchone() == expected


def test_integer_is_not_declared_as_a_rowid_alias() -> None:
    # "INTEGER PRIMARY KEY" would make SQLite fill in NULLs instead of refusing them
    assert parse_type("INTEGER").sqlite_decl == "INT"
    assert parse_type("INT") == parse_type("INTEGER")


@pytest.mark.parametrize("bad", ["FLOATY", "VARCHAR(1, 2)", "BOOLEAN(1)", "DECIMAL(1, 2, 3)"])
def test_unknown_types_and_wrong_arguments_are_refused(bad: str) -> None:
    with pytest.raises(StoreError):
        parse_type(bad)
