"""One connection of the embedded store: values, statements, transactions and isolation."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from polynom.errors import (
    ConflictError,
    StoreError,
)
from polynom.stores import open_store
from polynom.stores.sqlite import SqliteConnection, SqliteStore
from tests.stores.sqlite._data import add_bikes, rows, shop

# -- types -------------------------------------------------------------------------------------

TYPED = (
    'CREATE TABLE "t"."all" ("_entry_id" VARCHAR(36) NOT NULL, "vc" VARCHAR(10), "tx" TEXT, '
    '"i" INTEGER, "si" SMALLINT, "ti" TINYINT, "bi" BIGINT, "d" DOUBLE, "r" REAL, '
    '"dec" DECIMAL(64, 32), "b" BOOLEAN, "dt" DATE, "tm" TIME(3), "ts" TIMESTAMP(3), "f" FILE, '
    'PRIMARY KEY ("_entry_id"))'
)
COLUMNS = [
    "_entry_id",
    "vc",
    "tx",
    "i",
    "si",
    "ti",
    "bi",
    "d",
    "r",
    "dec",
    "b",
    "dt",
    "tm",
    "ts",
    "f",
]


def test_every_type_round_trips_exactly(store: SqliteStore) -> None:
    store.execute_ddl(['CREATE RELATIONAL NAMESPACE "t"', TYPED])
    values = [
        "id1",
        "x'\"; --",
        "Grüße 🚲",
        -(2**31),
        -(2**15),
        127,
        2**63 - 1,
        0.1,
        1.5,
        Decimal("12345678901234567890123456789012.12345678901234567890123456789012"),
        False,
        date(1999, 12, 31),
        dtime(23, 59, 59, 999000),
        datetime(2024, 2, 29, 23, 59, 59, 123000, tzinfo=UTC),
        bytes(range(256)),
    ]
    with store.connection() as conn:
        names = ", ".join(f'"{c}"' for c in COLUMNS)
        conn.execute(f'INSERT INTO "t"."all" ({names}) VALUES ({", ".join("?" * 15)})', values)
        conn.execute('INSERT INTO "t"."all" ("_entry_id") VALUES (?)', ["nulls"])
        conn.commit()
        result = conn.execute('SELECT * FROM "t"."all" ORDER BY "_entry_id"')
    assert result.columns == COLUMNS
    assert list(result.rows[0]) == values
    assert [type(v) for v in result.rows[0]] == [type(v) for v in values]
    assert result.rows[1] == ("nulls",) + (None,) * 14


def test_fetch_rows_gives_stored_forms_where_execute_gives_python_values(
    store: SqliteStore,
) -> None:
    """The mapper's short path reads values as stored and converts them by polytype itself."""
    store.execute_ddl(
        [
            'CREATE RELATIONAL NAMESPACE "t"',
            'CREATE TABLE "t"."f" ("_entry_id" VARCHAR(36) NOT NULL, "p" DECIMAL(10, 2), '
            '"w" DECIMAL(30, 2), "b" BOOLEAN, "ts" TIMESTAMP(3), PRIMARY KEY ("_entry_id"))',
        ]
    )
    stamp = datetime(2024, 2, 29, 23, 59, 59, 123000, tzinfo=UTC)
    with store.connection() as conn:
        conn.execute(
            'INSERT INTO "t"."f" VALUES (?, ?, ?, ?, ?)',
            ["a", Decimal("665.70"), Decimal("1.50"), True, stamp],
        )
        sql = 'SELECT "_entry_id", "p", "w", "b", "ts", "p" + 1 FROM "t"."f"'
        assert conn.execute(sql).rows == [
            ("a", Decimal("665.70"), Decimal("1.50"), True, stamp, 666.7)
        ]
        assert conn.fetch_rows(sql) == [("a", 665.7, "1.5", 1, "2024-02-29 23:59:59.123000", 666.7)]
        conn.rollback()


def test_decimals_keep_their_exact_digits(store: SqliteStore) -> None:
    shop(store)
    add_bikes(store, ("a", "a", "1.10"), ("b", "b", "0.00"), ("c", "c", "-5.50"))
    assert rows(store, 'SELECT "price" FROM "shop"."bike" ORDER BY "_entry_id"') == [
        (Decimal("1.10"),),
        (Decimal("0.00"),),
        (Decimal("-5.50"),),
    ]
    assert (
        str(rows(store, 'SELECT "price" FROM "shop"."bike" WHERE "_entry_id" = ?', ["a"])[0][0])
        == "1.10"
    )


def test_timestamps_come_back_aware_utc_from_naive_and_offset_values(store: SqliteStore) -> None:
    store.execute_ddl(
        [
            'CREATE TABLE "public"."ev" ("id" INTEGER NOT NULL, "at" TIMESTAMP(3), '
            'PRIMARY KEY ("id"))'
        ]
    )
    plus2 = timezone(timedelta(hours=2))
    with store.connection() as conn:
        conn.execute(
            'INSERT INTO "ev" ("id", "at") VALUES (?, ?), (?, ?)',
            [1, datetime(2020, 1, 1, 12, 0), 2, datetime(2020, 1, 1, 12, 0, tzinfo=plus2)],
        )
        conn.commit()
        got = conn.execute('SELECT "at" FROM "ev" ORDER BY "id"').rows
        after = conn.execute(
            'SELECT "id" FROM "ev" WHERE "at" > ?', [datetime(2020, 1, 1, 11, 0, tzinfo=UTC)]
        ).rows
    assert got == [(datetime(2020, 1, 1, 12, tzinfo=UTC),), (datetime(2020, 1, 1, 10, tzinfo=UTC),)]
    assert got[0][0].tzinfo is UTC
    assert after == [(1,)]


def test_stored_forms_are_plain_values_any_sqlite_tool_can_read(store: SqliteStore) -> None:
    store.execute_ddl(
        [
            'CREATE TABLE "public"."s" ("p" DECIMAL(5, 2), "w" DECIMAL(20, 2), "ts" TIMESTAMP, '
            '"ok" BOOLEAN)'
        ]
    )
    with store.connection() as conn:
        conn.execute(
            'INSERT INTO "s" ("p", "w", "ts", "ok") VALUES (?, ?, ?, ?)',
            [
                Decimal("1.10"),
                Decimal("123456789012345678.10"),
                datetime(2020, 5, 6, 7, 8, 9, tzinfo=UTC),
                True,
            ],
        )
        conn.commit()
        # both decimal forms come back with the column's scale
        assert conn.execute('SELECT "p", "w" FROM "s"').rows == [
            (Decimal("1.10"), Decimal("123456789012345678.10"))
        ]
    raw = sqlite3.connect(store.path)
    assert raw.execute('SELECT typeof(p), p, w, ts, ok FROM "public.s"').fetchone() == (
        "real",
        1.1,
        "123456789012345678.10",
        "2020-05-06 07:08:09.000000",
        1,
    )
    raw.close()


def test_column_types_report_polypheny_types(store: SqliteStore) -> None:
    store.execute_ddl(['CREATE RELATIONAL NAMESPACE "t"', TYPED])
    assert store.column_types("t", "all") == {
        "_entry_id": "VARCHAR(36)",
        "vc": "VARCHAR(10)",
        "tx": "TEXT",
        "i": "INTEGER",
        "si": "SMALLINT",
        "ti": "TINYINT",
        "bi": "BIGINT",
        "d": "DOUBLE",
        "r": "REAL",
        "dec": "DECIMAL(64, 32)",
        "b": "BOOLEAN",
        "dt": "DATE",
        "tm": "TIME(3)",
        "ts": "TIMESTAMP(3)",
        "f": "FILE",
    }
    with pytest.raises(StoreError, match=r'"t"\."nope" does not exist'):
        store.column_types("t", "nope")


# -- decimals compare and sort by value ----------------------------------------------------


def test_decimal_comparison_and_ordering_are_numeric(store: SqliteStore) -> None:
    shop(store)
    add_bikes(
        store, ("a", "a", "999.50"), ("b", "b", "1000.00"), ("c", "c", "20"), ("d", "d", "1.10")
    )

    def names(sql: str, params: list[object] | None = None) -> list[str]:
        return [r[0] for r in rows(store, sql, params)]

    base = 'SELECT "name" FROM "shop"."bike"'
    assert names(f'{base} ORDER BY "price"') == ["d", "c", "a", "b"]
    assert names(f'{base} ORDER BY "price" DESC') == ["b", "a", "c", "d"]
    for bound in (Decimal("999.60"), 999.6, "999.6"):
        assert names(f'{base} WHERE "price" > ?', [bound]) == ["b"], bound
    assert names(f'{base} WHERE "price" > ? ORDER BY "price"', [20]) == ["a", "b"]
    assert names(f'{base} WHERE ? < "price" ORDER BY "price"', [20]) == ["a", "b"]
    assert names(f'{base} WHERE "price" = ?', [Decimal("1.1")]) == ["d"]
    assert names(f'{base} WHERE "price" IN (?, ?) ORDER BY "price"', [Decimal("20.0"), 1000]) == [
        "c",
        "b",
    ]
    assert names(f'{base} WHERE "price" BETWEEN ? AND ? ORDER BY "price"', [10, 999.5]) == [
        "c",
        "a",
    ]
    # an aggregate is no table column, so no converter applies: SQLite's number
    assert rows(store, 'SELECT MAX("price"), MIN("price") FROM "shop"."bike"') == [(1000.0, 1.1)]


# -- statements --------------------------------------------------------------------------------


def test_queries_joins_limits_and_counts(store: SqliteStore) -> None:
    shop(store)
    with store.connection() as conn:
        conn.execute(
            'INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?), (?, ?)',
            ["p1", "Ann", "p2", "bob"],
        )
        conn.execute(
            'INSERT INTO "shop"."bike" ("_entry_id", "name", "price", "owner") '
            "VALUES (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?)",
            [
                "b1",
                "Alpha",
                Decimal("1"),
                "p1",
                "b2",
                "alps",
                Decimal("2"),
                "p1",
                "b3",
                "Beta",
                None,
                None,
            ],
        )
        conn.commit()
        joined = conn.execute(
            'SELECT "t0"."name", "t1"."name" AS "owner_name" FROM "shop"."bike" AS "t0" '
            'LEFT JOIN "people"."person" AS "t1" ON "t0"."owner" = "t1"."_entry_id" '
            'ORDER BY "t0"."name" DESC LIMIT 2 OFFSET 1'
        )
        assert joined.columns == ["name", "owner_name"]
        assert joined.rows == [("Beta", None), ("Alpha", "Ann")]
        inner = conn.execute(
            'SELECT DISTINCT "t1"."name" FROM "shop"."bike" AS "t0" JOIN "people"."person" AS "t1" '
            'ON "t0"."owner" = "t1"."_entry_id"'
        )
        assert inner.rows == [("Ann",)]
        count = conn.execute(
            'SELECT COUNT(*) FROM (SELECT "t0"."name" FROM "shop"."bike" AS "t0" '
            'WHERE "t0"."price" IS NOT NULL) AS "q"'
        )
        assert count.rows == [(2,)]
        # LIKE is case-sensitive on Polypheny
        assert conn.execute(
            'SELECT "name" FROM "shop"."bike" WHERE "name" LIKE ?', ["A%"]
        ).rows == [("Alpha",)]
        assert conn.execute('SELECT "name" FROM "shop"."bike" WHERE "owner" IS NULL').rows == [
            ("Beta",)
        ]
        assert conn.execute("SELECT TRUE, FALSE").rows == [(1, 0)]
        updated = conn.execute(
            'UPDATE "shop"."bike" SET "price" = ? WHERE "owner" = ?', [Decimal("3"), "p1"]
        )
        assert updated.rowcount == 2 and updated.columns == []
        assert conn.execute('DELETE FROM "shop"."bike" WHERE "name" = ?', ["nothing"]).rowcount == 0


_PAGE = (
    'SELECT "t"."name", "t"."price" FROM "shop"."bike" AS "t" '
    'ORDER BY "t"."price" DESC LIMIT 2 OFFSET 1'
)


def test_a_page_is_read_by_its_rowids_first_while_the_table_has_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mapper's paged reads sort the rows' ids, not the rows (``translate/paging.py``).
    Once a column is named ``_rowid_`` (DDL on any connection), the same read runs as
    written: ``_rowid_`` would name that column, whose values need not be unique."""
    ran: list[str] = []
    connect = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        raw = connect(*args, **kwargs)
        raw.set_trace_callback(ran.append)
        return raw

    monkeypatch.setattr(sqlite3, "connect", traced)
    store = open_store(f"sqlite:///{tmp_path / 'paged.db'}")
    assert isinstance(store, SqliteStore)
    try:
        shop(store)
        add_bikes(store, *((f"b{i}", f"bike {i}", str(i)) for i in range(1, 5)))
        add_bikes(store, ("b5", "bike 5", None))
        with store.connection() as conn:
            assert conn.fetch_rows(_PAGE) == [("bike 3", 3.0), ("bike 2", 2.0)]
            assert "_rowid_ IN (SELECT" in ran[-1]
        store.execute_ddl(['ALTER TABLE "shop"."bike" ADD COLUMN "_rowid_" INTEGER'])
        with store.connection() as conn:
            conn.execute('UPDATE "shop"."bike" SET "_rowid_" = 1')
            conn.commit()
            assert conn.fetch_rows(_PAGE) == [("bike 3", 3.0), ("bike 2", 2.0)]
            assert "_rowid_ IN" not in ran[-1] and "LIMIT 2 OFFSET 1" in ran[-1]
    finally:
        store.close()


def test_values_are_bound_never_pasted(store: SqliteStore) -> None:
    shop(store)
    evil = 'x\'); DROP TABLE "shop.bike"; --'
    add_bikes(store, ("e", evil, None))
    assert rows(store, 'SELECT "name" FROM "shop"."bike" WHERE "name" = ?', [evil]) == [(evil,)]


def test_polynom_03_style_unqualified_names_use_the_given_namespace(store: SqliteStore) -> None:
    shop(store)
    with store.connection() as conn:
        assert isinstance(conn, SqliteConnection)
        conn.execute(
            'INSERT INTO "bike" (_entry_id, name) VALUES (?, ?)', ["x", "n"], namespace="shop"
        )
        res = conn.execute(
            'SELECT "bike"."name" FROM "bike" WHERE _entry_id = ?', ["x"], namespace="shop"
        )
        assert res.rows == [("n",)]


def test_execute_many_runs_a_statement_per_row(store: SqliteStore) -> None:
    shop(store)
    add_bikes(store, ("a", "a", "1"), ("b", "b", "2"))
    with store.connection() as conn:
        changed = conn.execute_many(
            'UPDATE "shop"."bike" SET "price" = ? WHERE "_entry_id" = ?',
            [[Decimal("5"), "a"], [Decimal("6"), "b"], [Decimal("7"), "zz"]],
        )
        conn.commit()
    assert changed == 2
    assert rows(store, 'SELECT "price" FROM "shop"."bike" ORDER BY "_entry_id"') == [
        (Decimal("5"),),
        (Decimal("6"),),
    ]


# -- transactions and isolation -----------------------------------------------------------------


def test_rollback_discards_and_release_rolls_back(store: SqliteStore) -> None:
    shop(store)
    with store.connection() as conn:
        conn.execute(
            'INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?)', ["p", "x"]
        )
        conn.rollback()
        conn.execute(
            'INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?)', ["q", "y"]
        )
    # released without commit: rolled back
    assert rows(store, 'SELECT * FROM "people"."person"') == []


def test_two_connections_share_committed_data_only(store: SqliteStore) -> None:
    shop(store)
    a, b = store.acquire(), store.acquire()
    try:
        a.execute('INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?)', ["p", "x"])
        assert b.execute('SELECT COUNT(*) FROM "people"."person"').rows == [(0,)]
        b.rollback()
        a.commit()
        assert b.execute('SELECT "name" FROM "people"."person"').rows == [("x",)]
    finally:
        store.release(a)
        store.release(b)


def test_transactions_start_at_the_first_write(store: SqliteStore) -> None:
    """Reads before a write see the latest commit (READ COMMITTED); a write after another
    session's commit is not refused for having read earlier -- lost updates are the
    mapper's to catch, by checking the value an update replaces."""
    shop(store)
    add_bikes(store, ("a", "a", "1"))
    first, second = store.acquire(), store.acquire()
    try:
        assert first.execute('SELECT "price" FROM "shop"."bike"').rows == [(Decimal("1"),)]
        assert not first.in_transaction
        second.execute('UPDATE "shop"."bike" SET "price" = ?', [Decimal("2")])
        second.commit()  # readers never block the writer, in memory too
        assert first.execute('SELECT "price" FROM "shop"."bike"').rows == [(Decimal("2"),)]
        changed = first.execute(
            'UPDATE "shop"."bike" SET "price" = ? WHERE "price" = ?', [Decimal("3"), Decimal("1")]
        )
        assert changed.rowcount == 0 and first.in_transaction
        first.rollback()
    finally:
        store.release(first)
        store.release(second)
    assert rows(store, 'SELECT "price" FROM "shop"."bike"') == [(Decimal("2"),)]


def test_a_second_writer_waits_for_the_lock_then_conflicts(store: SqliteStore) -> None:
    """One writer at a time: a second one waits ``busy_timeout`` (connections may be handed
    between threads, as a web server's pool does, so waiting is the only safe answer), then
    gets a ConflictError, and the first goes on unharmed."""
    shop(store)
    first, second = store.acquire(), store.acquire()
    try:
        first.execute(
            'INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?)', ["1", "a"]
        )
        started = time.monotonic()
        with pytest.raises(ConflictError, match="holds the write lock"):
            second.execute(
                'INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?)', ["2", "b"]
            )
        assert 0.4 < time.monotonic() - started < 3
        first.commit()
        second.execute(
            'INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?)', ["2", "b"]
        )
        second.commit()
    finally:
        store.release(first)
        store.release(second)


def test_a_writer_in_another_thread_waits_for_the_lock(store: SqliteStore) -> None:
    shop(store)
    first = store.acquire()
    first.execute('INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?)', ["1", "a"])
    done: list[object] = []

    def other() -> None:
        with store.connection() as conn:
            try:
                conn.execute(
                    'INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?)', ["2", "b"]
                )
                conn.commit()
                done.append("ok")
            except Exception as exc:  # pragma: no cover - reported by the assert
                done.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    time.sleep(0.1)
    first.commit()
    store.release(first)
    thread.join(5)
    assert done == ["ok"]
    assert rows(store, 'SELECT COUNT(*) FROM "people"."person"') == [(2,)]


def test_ddl_through_a_connection_commits_its_transaction_first(store: SqliteStore) -> None:
    shop(store)
    with store.connection() as conn:
        conn.execute(
            'INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?)', ["1", "a"]
        )
        conn.execute('CREATE TABLE "people"."extra" ("x" INTEGER)')
        conn.rollback()
    assert rows(store, 'SELECT COUNT(*) FROM "people"."person"') == [(1,)]


def test_named_parameters_are_adapted_too(store: SqliteStore) -> None:
    shop(store)
    with store.connection() as conn:
        conn.execute(
            'INSERT INTO "shop"."bike" ("_entry_id", "name", "price") VALUES (:id, :name, :price)',
            {"id": "n", "name": "named", "price": Decimal("2.50")},  # type: ignore[arg-type]
        )
        assert conn.execute('SELECT "price" FROM "shop"."bike"').rows == [(Decimal("2.50"),)]


def test_timestamp_and_time_columns_keep_their_precision_when_written(store) -> None:
    """Polypheny keeps no milliseconds in a TIMESTAMP(0) (it holds what the type holds:
    PolyTimestamp, core/.../type/PolyType.java MAX_DATETIME_PRECISION = 3); neither does the
    embedded store, whoever writes the value."""
    import datetime as dt

    store.execute_ddl(
        [
            'CREATE RELATIONAL NAMESPACE "p"',
            'CREATE TABLE "p"."t" ("a" TIMESTAMP(0), "b" TIMESTAMP(3), "c" TIME(0), "d" INTEGER)',
        ]
    )
    moment = dt.datetime(2024, 5, 1, 12, 0, 0, 987654, tzinfo=dt.UTC)
    with store.connection() as conn:
        conn.execute(
            'INSERT INTO "p"."t" ("a", "b", "c", "d") VALUES (?, ?, ?, ?)',
            [moment, moment, moment.time(), 1],
        )
        conn.execute('UPDATE "p"."t" SET "c" = ? WHERE "d" = ?', [dt.time(1, 2, 3, 456), 1])
        (row,) = conn.execute('SELECT "a", "b", "c" FROM "p"."t"').rows
        assert row == (
            moment.replace(microsecond=0),
            moment.replace(microsecond=987000),
            dt.time(1, 2, 3),
        )


def test_a_write_is_fitted_to_the_table_as_it_is_after_ddl(store) -> None:
    """The catalog keeps each write's plan (by the statement's translation, also by its
    identity); DDL drops them, so the same statement fits its values to the new column."""
    import datetime as dt

    moment = dt.datetime(2024, 5, 1, 12, 0, 0, 987654, tzinfo=dt.UTC)
    insert = 'INSERT INTO "p"."u" ("a") VALUES (?)'
    store.execute_ddl(
        ['CREATE RELATIONAL NAMESPACE "p"', 'CREATE TABLE "p"."u" ("a" TIMESTAMP(3))']
    )
    with store.connection() as conn:
        conn.execute(insert, [moment])
        conn.execute(insert, [moment])  # the plan kept
        assert (
            conn.execute('SELECT "a" FROM "p"."u"').rows
            == [(moment.replace(microsecond=987000),)] * 2
        )
        conn.commit()
    store.execute_ddl(['DROP TABLE "p"."u"', 'CREATE TABLE "p"."u" ("a" TIMESTAMP(0))'])
    with store.connection() as conn:
        conn.execute(insert, [moment])
        assert conn.execute('SELECT "a" FROM "p"."u"').rows == [(moment.replace(microsecond=0),)]
