"""Values through the driver and the stand-in's own codec (Polypheny's encoding per type)."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from tests.testing.prism._clients import connect

VALUE_TABLE = (
    'CREATE TABLE "app"."vals" ("_entry_id" VARCHAR(36) NOT NULL, "b" BOOLEAN, "i" INTEGER, '
    '"bi" BIGINT, "si" SMALLINT, "ti" TINYINT, "d" DOUBLE, "dec" DECIMAL(30, 10), '
    '"s" VARCHAR(50), "t" TEXT, "dt" DATE, "tm" TIME(3), "ts" TIMESTAMP(3), "f" FILE, '
    'PRIMARY KEY ("_entry_id"))'
)
VALUE_COLUMNS = ["b", "i", "bi", "si", "ti", "d", "dec", "s", "t", "dt", "tm", "ts", "f"]
UTC = dt.UTC

VALUE_ROWS = [
    (
        True,
        2_147_483_647,
        2**62,
        -32768,
        127,
        1.5,
        decimal.Decimal("12345678901234567890.0123456789"),
        "héllo",
        "multi\nline ' \" text",
        dt.date(2024, 2, 29),
        dt.time(23, 59, 58),
        dt.datetime(2024, 5, 17, 13, 45, 12, 123000, tzinfo=UTC),
        b"\x00\x01\xffbinary",
    ),
    (
        False,
        -2_147_483_648,
        -(2**63),
        0,
        -128,
        -0.0001,
        decimal.Decimal("-0.0000000001"),
        "",
        "",
        dt.date(1969, 7, 20),
        dt.time(0, 0, 0),
        dt.datetime(1960, 1, 1, 0, 0, 0, tzinfo=UTC),
        b"",
    ),
    (None,) * 13,
]


@pytest.mark.parametrize("row", VALUE_ROWS, ids=["max", "min", "nulls"])
def test_values_round_trip_through_the_driver(server, row):
    con = connect(server)
    cur = con.cursor()
    cur.execute(VALUE_TABLE)
    placeholders = ", ".join("?" * (len(VALUE_COLUMNS) + 1))
    columns = ", ".join(f'"{c}"' for c in ["_entry_id", *VALUE_COLUMNS])
    cur.execute(f'INSERT INTO "app"."vals" ({columns}) VALUES ({placeholders})', ["k", *row])
    con.commit()
    cur.execute(f'SELECT {columns} FROM "app"."vals"')
    (got,) = cur.fetchall()
    assert got[0] == "k"
    for name, sent, back in zip(VALUE_COLUMNS, row, got[1:], strict=True):
        assert back == sent, name
        assert type(back) is type(sent), name
    con.close()


def test_decimal_comes_back_exact(server):
    con = connect(server)
    cur = con.cursor()
    cur.execute(
        'CREATE TABLE "app"."money" ("_entry_id" VARCHAR(36) NOT NULL, '
        '"amount" DECIMAL(64, 32), PRIMARY KEY ("_entry_id"))'
    )
    amount = decimal.Decimal("-12345678901234567890123456789012.12345678901234567890123456789012")
    cur.execute('INSERT INTO "app"."money" ("_entry_id", "amount") VALUES (?, ?)', ("a", amount))
    cur.execute('SELECT "amount" FROM "app"."money"')
    assert cur.fetchone() == [amount]  # 64 digits: no rounding to the 28 of Python's context
    con.close()


# -- the value codec on its own (what the store does not always tell: declared types) -------


def test_results_are_encoded_as_polypheny_encodes_each_type():
    from polynom.testing.prism.values import decode_param, encode_result, parse_type

    def wire(value, declared):
        return encode_result(value, parse_type(declared))

    assert wire(decimal.Decimal("10.5"), "DECIMAL(12, 2)").big_decimal.scale == 2
    assert decode_param(wire(decimal.Decimal("10.5"), "DECIMAL(12, 2)")) == decimal.Decimal("10.50")
    assert str(decode_param(wire("10.5", "DECIMAL(12,2)"))) == "10.50"  # text from the store
    assert wire(5, "BIGINT").WhichOneof("value") == "long"
    assert wire(5, "SMALLINT").WhichOneof("value") == "integer"
    assert wire(1, "BOOLEAN").boolean.boolean is True  # SQLite's 1
    assert wire(0.1, "REAL").WhichOneof("value") == "float"  # 32 bits, as Polypheny sends
    assert wire(0.1, "DOUBLE").double.double == 0.1
    assert wire("2024-02-29", "DATE").date.date == 19782
    assert wire("00:00:01.5", "TIME(3)").time.time == 1500
    assert wire("1970-01-01 00:00:01", "TIMESTAMP(0)").timestamp.timestamp == 1000
    assert (
        wire(dt.datetime(1969, 12, 31, 23, 59, 59, 999999), "TIMESTAMP(3)").timestamp.timestamp
        == -1
    )
    assert wire(b"\x00", "FILE").binary.binary == b"\x00"
    assert wire(None, "INTEGER").WhichOneof("value") == "null"
    assert wire(2**40, None).WhichOneof("value") == "long"  # no type: by the Python value
    assert wire(2**70, None).WhichOneof("value") == "big_decimal"
    assert decode_param(wire(-(2**70), None)) == -(2**70)
    with pytest.raises(ValueError, match="does not fit INTEGER"):
        wire(2**40, "INTEGER")
    assert parse_type("decimal( 10 , 2 )") == parse_type("DECIMAL(10, 2)")
    assert parse_type("DOUBLE PRECISION").name == "DOUBLE"
    assert parse_type(None) is None
