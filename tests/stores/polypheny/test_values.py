"""Values sent to Polypheny and read back: exact, and the same as on the embedded store."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from polynom.errors import (
    StoreError,
)
from polynom.schema import polytypes as pt
from polynom.stores.polypheny import encode_param


def test_unsupported_value_type_is_refused_before_sending():
    with pytest.raises(StoreError, match="cannot send a value of type object"):
        encode_param(object())


TYPES = {
    "b": "BOOLEAN",
    "i": "INTEGER",
    "bi": "BIGINT",
    "d": "DOUBLE",
    "dec": "DECIMAL(40, 20)",
    "s": "VARCHAR(50)",
    "t": "TEXT",
    "dt": "DATE",
    "tm": "TIME(3)",
    "ts": "TIMESTAMP(3)",
    "f": "FILE",
}
CET = dt.timezone(dt.timedelta(hours=1))

CASES = [
    ("b", True, True),
    ("b", False, False),
    ("i", -(2**31), -(2**31)),
    ("bi", 2**63 - 1, 2**63 - 1),
    ("d", 0.1, 0.1),
    ("dec", decimal.Decimal("12345678901234567890.12345678901234567890"), None),
    ("dec", decimal.Decimal("-0.00000000000000000001"), None),
    ("s", "ünïcödé ' \"", None),
    ("t", "x" * 10_000, None),
    ("dt", dt.date(1969, 12, 31), None),
    ("dt", dt.date(9999, 12, 31), None),
    ("tm", dt.time(12, 34, 56, 789000), None),
    ("tm", dt.time(0, 0, 0, 1000), None),  # 1 ms: the driver alone would send 10 ms
    ("tm", dt.time(23, 59, 59, 999999), dt.time(23, 59, 59, 999000)),  # truncated to ms
    ("ts", dt.datetime(2024, 3, 31, 1, 30, 0, 1000, tzinfo=dt.UTC), None),
    (
        "ts",
        dt.datetime(2024, 3, 31, 3, 30, tzinfo=CET),
        dt.datetime(2024, 3, 31, 2, 30, tzinfo=dt.UTC),
    ),
    (
        "ts",
        dt.datetime(2024, 1, 1, 12, 0),
        dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC),
    ),  # naive = UTC
    (
        "ts",
        dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=dt.UTC),
    ),
    # read back exactly after 2242-03-16 too, where the driver's own fromtimestamp(ms /
    # 1000) is a microsecond off (it would then never match in an update's conflict check)
    ("ts", dt.datetime(2300, 6, 1, 0, 0, 26, 606000, tzinfo=dt.UTC), None),
    ("ts", dt.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=dt.UTC), None),
    ("f", b"\x00\xff" * 100, None),
    ("f", b"", None),
]


@pytest.fixture
def value_store(store):
    columns = ", ".join(f'"{c}" {t}' for c, t in TYPES.items())
    store.execute_ddl(
        [
            f'CREATE TABLE "shop"."v" ("_entry_id" VARCHAR(36) NOT NULL, {columns}, '
            'PRIMARY KEY ("_entry_id"))'
        ]
    )
    return store


@pytest.mark.parametrize(
    ("column", "sent", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_value_round_trip(value_store, column, sent, expected):
    expected = sent if expected is None else expected
    with value_store.connection() as conn:
        conn.execute(f'INSERT INTO "shop"."v" ("_entry_id", "{column}") VALUES (?, ?)', ("k", sent))
        conn.commit()
        ((back,),) = conn.execute(f'SELECT "{column}" FROM "shop"."v"').rows
        if isinstance(expected, decimal.Decimal):
            assert back == expected
        else:
            assert back == expected and type(back) is type(expected)
        if isinstance(back, dt.datetime):
            assert back.utcoffset() == dt.timedelta(0)
        # and the value finds itself when bound again (as a filter)
        found = conn.execute(f'SELECT COUNT(*) FROM "shop"."v" WHERE "{column}" = ?', (back,)).rows
        assert found == [(1,)]


def test_nulls_round_trip(value_store):
    with value_store.connection() as conn:
        columns = ", ".join(f'"{c}"' for c in TYPES)
        marks = ", ".join("?" * len(TYPES))
        conn.execute(
            f'INSERT INTO "shop"."v" ("_entry_id", {columns}) VALUES (?, {marks})',
            ["k", *[None] * len(TYPES)],
        )
        assert conn.execute(f'SELECT {columns} FROM "shop"."v"').rows == [(None,) * len(TYPES)]


POLYTYPES = {
    "b": pt.Boolean(),
    "i": pt.Integer(),
    "bi": pt.BigInt(),
    "d": pt.Double(),
    "dec": pt.Decimal(40, 20),
    "s": pt.VarChar(50),
    "t": pt.Text(),
    "dt": pt.Date(),
    "tm": pt.Time(3),
    "ts": pt.Timestamp(3),
    "f": pt.File(),
}


def test_models_read_the_same_values_here_and_on_the_embedded_store(value_store, server):
    """Through the polytypes, a value reads back the same over Prism as on the embedded
    store the stand-in runs on -- and equal to what was written (normalised)."""
    with value_store.connection() as conn:
        for n, (column, sent, _expected) in enumerate(CASES):
            conn.execute(
                f'INSERT INTO "shop"."v" ("_entry_id", "{column}") VALUES (?, ?)',
                (f"k{n:02d}", sent),
            )
        conn.commit()
        over_prism = conn.execute('SELECT * FROM "shop"."v" ORDER BY "_entry_id"')
    with server.store.connection() as direct:
        embedded = direct.execute('SELECT * FROM "shop"."v" ORDER BY "_entry_id"')
    assert over_prism.columns == embedded.columns
    for n, (column, sent, _expected) in enumerate(CASES):
        i = over_prism.columns.index(column)
        polytype = POLYTYPES[column]
        a = polytype.from_db(over_prism.rows[n][i])
        b = polytype.from_db(embedded.rows[n][i])
        assert a == b == polytype.validate(sent), column
        assert type(a) is type(b), column
