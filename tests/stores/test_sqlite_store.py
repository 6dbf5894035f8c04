"""The embedded store on real SQLite, in memory and in a file."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path

import pytest

from polynom.errors import (
    ConfigurationError,
    ConflictError,
    ForeignKeyViolation,
    NotNullViolation,
    StoreConnectionError,
    StoreError,
    UniqueViolation,
)
from polynom.stores import PolyphenyAddress, SqliteAddress, open_store, parse_address
from polynom.stores.sqlite import SqliteConnection, SqliteResult, SqliteStore

UTC = UTC


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqliteStore]:
    url = "sqlite://" if request.param == "memory" else f"sqlite:///{tmp_path / 'store.db'}"
    st = open_store(url, pool_size=4, timeout=5)
    assert isinstance(st, SqliteStore)
    st.busy_timeout = 0.5  # for connections opened from now on: keep lock waits short
    yield st
    st.close()


def rows(store: SqliteStore, sql: str, params: list[object] | None = None) -> list[tuple]:
    with store.connection() as conn:
        return conn.execute(sql, params or []).rows


def shop(store: SqliteStore) -> None:
    store.execute_ddl(
        [
            'CREATE RELATIONAL NAMESPACE IF NOT EXISTS "shop"',
            'CREATE RELATIONAL NAMESPACE IF NOT EXISTS "people"',
            'CREATE TABLE IF NOT EXISTS "people"."person" ("_entry_id" VARCHAR(36) NOT NULL, '
            '"name" VARCHAR(50) NOT NULL, PRIMARY KEY ("_entry_id"), UNIQUE ("name"))',
            'CREATE TABLE IF NOT EXISTS "shop"."bike" ("_entry_id" VARCHAR(36) NOT NULL, '
            '"name" VARCHAR(50) NOT NULL, "price" DECIMAL(10, 2), "owner" VARCHAR(36), '
            'PRIMARY KEY ("_entry_id"), '
            'FOREIGN KEY ("owner") REFERENCES "people"."person" ("_entry_id"))',
        ]
    )


def add_bikes(store: SqliteStore, *bikes: tuple[str, str, str | None]) -> None:
    with store.connection() as conn:
        for entry, name, price in bikes:
            conn.execute(
                'INSERT INTO "shop"."bike" ("_entry_id", "name", "price") VALUES (?, ?, ?)',
                [entry, name, Decimal(price) if price is not None else None],
            )
        conn.commit()


# -- addresses ---------------------------------------------------------------------------------


def test_address_forms() -> None:
    assert parse_address("sqlite://") == SqliteAddress(None)
    assert parse_address("sqlite:///:memory:") == SqliteAddress(None)
    assert parse_address("sqlite:///rel/x.db") == SqliteAddress(Path("rel/x.db"))
    assert parse_address("sqlite:////abs/x.db") == SqliteAddress(Path("/abs/x.db"))
    tcp = parse_address(("db.example", 20590))
    assert tcp == PolyphenyAddress("plain", host="db.example", port=20590)
    url = parse_address("polypheny://bob:s%40cret@db.example:1234", user="ignored")
    assert url == PolyphenyAddress(
        "plain", host="db.example", port=1234, user="bob", password="s@cret"
    )
    assert "s@cret" not in repr(url) and "s@cret" not in url.url
    assert parse_address("polypheny://db.example").port == 20590  # type: ignore[union-attr]
    sock = parse_address("/run/p.sock", transport="unix", user="u", password="p")
    assert sock == PolyphenyAddress("unix", path="/run/p.sock", user="u", password="p")
    assert parse_address("polypheny+unix:///run/p.sock").target == "/run/p.sock"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("address", "transport"),
    [
        ("mysql://x", "plain"),
        ("/run/p.sock", "plain"),
        (("host",), "plain"),
        (("host", 70000), "plain"),
        (("host", 1), "unix"),
        ("sqlite:/x.db", "plain"),
        ("sqlite://", "tcp"),
        (42, "plain"),
    ],
)
def test_bad_addresses_name_the_address_and_the_accepted_forms(
    address: object, transport: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        open_store(address, transport=transport)
    assert repr(address) in str(info.value)
    assert "sqlite://" in str(info.value) and "polypheny://" in str(info.value)


def test_open_store_defaults_to_env_then_a_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POLYNOM_URL", raising=False)
    st = open_store()
    st.close()
    assert isinstance(st, SqliteStore) and (tmp_path / "polynom.db").exists()
    monkeypatch.setenv("POLYNOM_URL", f"sqlite:///{tmp_path / 'env.db'}")
    st = open_store()
    st.close()
    assert (tmp_path / "env.db").exists()


def test_polypheny_addresses_open_the_polypheny_store_without_connecting() -> None:
    from polynom.stores.polypheny import PolyphenyStore

    st = open_store(("127.0.0.1", 9), user="bob", password="pw")
    try:
        assert isinstance(st, PolyphenyStore)
        assert st.address == PolyphenyAddress("plain", "127.0.0.1", 9, user="bob", password="pw")
    finally:
        st.close()


def test_an_unopenable_file_is_a_connection_error(tmp_path: Path) -> None:
    with pytest.raises(StoreConnectionError, match="no-such-dir"):
        open_store(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")


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


def test_stored_forms_are_plain_text_any_sqlite_tool_can_read(store: SqliteStore) -> None:
    store.execute_ddl(
        ['CREATE TABLE "public"."s" ("p" DECIMAL(5, 2), "ts" TIMESTAMP, "ok" BOOLEAN)']
    )
    with store.connection() as conn:
        conn.execute(
            'INSERT INTO "s" ("p", "ts", "ok") VALUES (?, ?, ?)',
            [Decimal("1.10"), datetime(2020, 5, 6, 7, 8, 9, tzinfo=UTC), True],
        )
        conn.commit()
    raw = sqlite3.connect(store.path)
    assert raw.execute('SELECT typeof(p), p, ts, ok FROM "public.s"').fetchone() == (
        "text",
        "1.10",
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
    assert rows(store, 'SELECT MAX("price"), MIN("price") FROM "shop"."bike"') == [
        ("1000.00", "1.10")
    ]


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


def test_max_params_fit_one_statement(store: SqliteStore) -> None:
    store.execute_ddl(['CREATE TABLE "public"."w" ("a" INTEGER, "b" INTEGER)'])
    per_row = 2
    n = store.max_params // per_row
    sql = 'INSERT INTO "w" ("a", "b") VALUES ' + ", ".join(["(?, ?)"] * n)
    with store.connection() as conn:
        assert conn.execute(sql, list(range(n * per_row))).rowcount == n
        conn.commit()
    assert store.max_params == 32766
    assert rows(store, 'SELECT COUNT(*) FROM "w"') == [(n,)]


# -- errors ------------------------------------------------------------------------------------


def test_constraint_errors_are_mapped_and_roll_back(store: SqliteStore) -> None:
    shop(store)
    add_bikes(store, ("a", "a", None))
    with store.connection() as conn:
        conn.execute('INSERT INTO "shop"."bike" ("_entry_id", "name") VALUES (?, ?)', ["z", "z"])
        with pytest.raises(UniqueViolation, match=r"shop\.bike\._entry_id"):
            conn.execute(
                'INSERT INTO "shop"."bike" ("_entry_id", "name") VALUES (?, ?)', ["a", "b"]
            )
        assert not conn.in_transaction, "the transaction was rolled back"
        with pytest.raises(NotNullViolation, match=r"shop\.bike\.name"):
            conn.execute('INSERT INTO "shop"."bike" ("_entry_id") VALUES (?)', ["c"])
    assert rows(store, 'SELECT "_entry_id" FROM "shop"."bike"') == [("a",)]


def test_other_errors_name_the_statement(store: SqliteStore) -> None:
    with store.connection() as conn:
        with pytest.raises(StoreError, match=r'no such table: nope\.t.*SELECT \* FROM "nope"\."t"'):
            conn.execute('SELECT * FROM "nope"."t"')
        with pytest.raises(StoreError, match="syntax error"):
            conn.execute("SELEC 1")
        with pytest.raises(StoreError, match="bindings"):
            conn.execute("SELECT ?", [1, 2])
        with pytest.raises(StoreError, match="too large"):
            conn.execute("SELECT ?", [2**70])


# -- namespaces and foreign keys ---------------------------------------------------------------


def test_namespaces_are_created_listed_and_dropped_with_their_tables(store: SqliteStore) -> None:
    store.execute_ddl(
        [
            'CREATE DOCUMENT NAMESPACE "a"',
            'CREATE GRAPH NAMESPACE IF NOT EXISTS "b"',
            'CREATE RELATIONAL NAMESPACE IF NOT EXISTS "a"',
            'CREATE TABLE "a"."t" ("x" INTEGER)',
            'CREATE TABLE "b"."t" ("x" INTEGER)',
        ]
    )
    with store.connection() as conn:
        conn.execute('INSERT INTO "a"."t" ("x") VALUES (1)')
        conn.execute('INSERT INTO "b"."t" ("x") VALUES (2)')
        conn.commit()
    assert rows(store, 'SELECT "x" FROM "a"."t"') == [(1,)]
    with pytest.raises(StoreError, match='namespace "a" already exists'):
        store.execute_ddl(['CREATE RELATIONAL NAMESPACE "a"'])
    store.execute_ddl(['DROP NAMESPACE "a"', 'DROP NAMESPACE IF EXISTS "zzz"'])
    with pytest.raises(StoreError, match="no such table"):
        rows(store, 'SELECT * FROM "a"."t"')
    assert rows(store, 'SELECT "x" FROM "b"."t"') == [(2,)]
    with pytest.raises(StoreError, match='namespace "a" does not exist'):
        store.execute_ddl(['CREATE TABLE "a"."t" ("x" INTEGER)'])
    with pytest.raises(StoreError, match='namespace "a" does not exist'):
        store.execute_ddl(['DROP NAMESPACE "a"'])


def test_cross_namespace_foreign_keys_are_checked_at_commit(store: SqliteStore) -> None:
    shop(store)
    with store.connection() as conn:
        # child before parent in one transaction: fine, the check waits for the commit
        conn.execute(
            'INSERT INTO "shop"."bike" ("_entry_id", "name", "owner") VALUES (?, ?, ?)',
            ["b1", "one", "p1"],
        )
        conn.execute(
            'INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?)', ["p1", "Ann"]
        )
        conn.commit()

        conn.execute(
            'INSERT INTO "shop"."bike" ("_entry_id", "name", "owner") VALUES (?, ?, ?)',
            ["b2", "two", "ghost"],
        )
        with pytest.raises(
            ForeignKeyViolation, match=r"shop\.bike\.owner = 'ghost' references people\.person"
        ):
            conn.commit()
        assert not conn.in_transaction

        conn.execute('DELETE FROM "people"."person" WHERE "_entry_id" = ?', ["p1"])
        with pytest.raises(ForeignKeyViolation):
            conn.commit()
    assert rows(store, 'SELECT "_entry_id" FROM "shop"."bike"') == [("b1",)]
    assert rows(store, 'SELECT "_entry_id" FROM "people"."person"') == [("p1",)]


def test_a_referenced_table_cannot_be_dropped(store: SqliteStore) -> None:
    shop(store)
    with pytest.raises(ForeignKeyViolation, match=r"shop\.bike references"):
        store.execute_ddl(['DROP TABLE "people"."person"'])
    with pytest.raises(ForeignKeyViolation, match=r"shop\.bike references"):
        store.execute_ddl(['DROP NAMESPACE "people"'])
    store.execute_ddl(['DROP TABLE "shop"."bike"', 'DROP NAMESPACE "people"'])


def test_a_foreign_key_to_a_missing_table_is_refused(store: SqliteStore) -> None:
    with pytest.raises(StoreError, match=r"references public\.nope, which does not exist"):
        store.execute_ddl(
            ['CREATE TABLE "public"."c" ("x" INTEGER REFERENCES "public"."nope" ("id"))']
        )


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


def test_a_failed_ddl_batch_leaves_nothing(store: SqliteStore) -> None:
    with pytest.raises(StoreError, match="unknown column type"):
        store.execute_ddl(
            [
                'CREATE RELATIONAL NAMESPACE "half"',
                'CREATE TABLE "half"."t" ("x" INTEGER)',
                'CREATE TABLE "half"."u" ("x" NOTATYPE)',
            ]
        )
    store.execute_ddl(['CREATE RELATIONAL NAMESPACE "half"'])  # it was not created before
    with pytest.raises(StoreError, match="no such table"):
        rows(store, 'SELECT * FROM "half"."t"')


def test_execute_ddl_refuses_dml(store: SqliteStore) -> None:
    with pytest.raises(StoreError, match="DDL only"):
        store.execute_ddl(["SELECT 1"])


# -- ALTER TABLE keeps the data -------------------------------------------------------------


def people(store: SqliteStore) -> None:
    shop(store)
    with store.connection() as conn:
        conn.execute(
            'INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?), (?, ?)',
            ["p1", "Ann", "p2", "Bob"],
        )
        conn.execute(
            'INSERT INTO "shop"."bike" ("_entry_id", "name", "price", "owner") VALUES (?, ?, ?, ?)',
            ["b1", "One", Decimal("10.50"), "p1"],
        )
        conn.commit()


def test_rename_table_keeps_data_and_incoming_foreign_keys(store: SqliteStore) -> None:
    people(store)
    store.execute_ddl(['ALTER TABLE "people"."person" RENAME TO "human"'])
    assert rows(store, 'SELECT "name" FROM "people"."human" ORDER BY "name"') == [
        ("Ann",),
        ("Bob",),
    ]
    with store.connection() as conn:
        conn.execute('DELETE FROM "people"."human" WHERE "_entry_id" = ?', ["p1"])
        with pytest.raises(ForeignKeyViolation, match=r"people\.human"):
            conn.commit()


def test_add_columns(store: SqliteStore) -> None:
    people(store)
    store.execute_ddl(
        [
            'ALTER TABLE "people"."person" ADD COLUMN "nick" VARCHAR(10)',
            'ALTER TABLE "people"."person" ADD COLUMN "score" DECIMAL(5, 2) NOT NULL DEFAULT 1.50',
            'ALTER TABLE "people"."person" ADD "vip" BOOLEAN NULL DEFAULT FALSE',
        ]
    )
    assert rows(
        store, 'SELECT "name", "nick", "score", "vip" FROM "people"."person" ORDER BY "name"'
    ) == [
        ("Ann", None, Decimal("1.50"), False),
        ("Bob", None, Decimal("1.50"), False),
    ]
    with pytest.raises(NotNullViolation, match="the table has rows"):
        store.execute_ddl(['ALTER TABLE "people"."person" ADD COLUMN "must" INTEGER NOT NULL'])
    store.execute_ddl(
        [
            'CREATE TABLE "people"."empty" ("a" INTEGER)',
            'ALTER TABLE "people"."empty" ADD COLUMN "must" INTEGER NOT NULL',
            'ALTER TABLE "people"."empty" ADD COLUMN "u" TEXT UNIQUE',
        ]
    )
    assert store.column_types("people", "empty") == {"a": "INTEGER", "must": "INTEGER", "u": "TEXT"}


def test_drop_and_rename_columns(store: SqliteStore) -> None:
    people(store)
    store.execute_ddl(
        [
            'ALTER TABLE "shop"."bike" RENAME COLUMN "price" TO "cost"',
            'ALTER TABLE "people"."person" DROP COLUMN "name"',  # part of a UNIQUE: rebuilt
        ]
    )
    assert rows(store, 'SELECT "_entry_id", "cost" FROM "shop"."bike"') == [
        ("b1", Decimal("10.50"))
    ]
    assert rows(store, 'SELECT * FROM "people"."person" ORDER BY "_entry_id"') == [("p1",), ("p2",)]
    store.execute_ddl(['ALTER TABLE "shop"."bike" DROP COLUMN "cost"'])
    assert store.column_types("shop", "bike") == {
        "_entry_id": "VARCHAR(36)",
        "name": "VARCHAR(50)",
        "owner": "VARCHAR(36)",
    }
    with pytest.raises(StoreError, match="primary key"):
        store.execute_ddl(['ALTER TABLE "shop"."bike" DROP COLUMN "_entry_id"'])
    store.execute_ddl(
        [
            'CREATE TABLE "people"."tag" ("code" VARCHAR(5) UNIQUE, "x" INTEGER)',
            'CREATE TABLE "people"."tagged" ("tag" VARCHAR(5) REFERENCES "people"."tag" ("code"))',
        ]
    )
    with pytest.raises(ForeignKeyViolation, match=r"people\.tagged references it"):
        store.execute_ddl(['ALTER TABLE "people"."tag" DROP COLUMN "code"'])


def test_modify_nullability_and_defaults(store: SqliteStore) -> None:
    people(store)
    with store.connection() as conn:
        conn.execute('INSERT INTO "shop"."bike" ("_entry_id", "name") VALUES (?, ?)', ["b2", "Two"])
        conn.commit()
    with pytest.raises(NotNullViolation, match="1 entries hold NULL"):
        store.execute_ddl(['ALTER TABLE "shop"."bike" MODIFY COLUMN "price" SET NOT NULL'])
    store.execute_ddl(
        [
            'ALTER TABLE "shop"."bike" MODIFY COLUMN "price" SET DEFAULT 7.10',
            'ALTER TABLE "shop"."bike" MODIFY COLUMN "name" DROP NOT NULL',
        ]
    )
    with store.connection() as conn:
        conn.execute(
            'UPDATE "shop"."bike" SET "price" = ? WHERE "price" IS NULL', [Decimal("0.00")]
        )
        conn.execute('INSERT INTO "shop"."bike" ("_entry_id") VALUES (?)', ["b3"])
        conn.commit()
    store.execute_ddl(['ALTER TABLE "shop"."bike" MODIFY COLUMN "price" SET NOT NULL'])
    assert rows(
        store,
        'SELECT "_entry_id", "name", "price", "owner" FROM "shop"."bike" ORDER BY "_entry_id"',
    ) == [
        ("b1", "One", Decimal("10.50"), "p1"),
        ("b2", "Two", Decimal("0.00"), None),
        ("b3", None, Decimal("7.10"), None),
    ]
    store.execute_ddl(['ALTER TABLE "shop"."bike" MODIFY COLUMN "price" DROP DEFAULT'])
    with store.connection() as conn, pytest.raises(NotNullViolation, match="price"):
        conn.execute('INSERT INTO "shop"."bike" ("_entry_id") VALUES (?)', ["b4"])
    # the rebuilt child still checks its foreign key, at commit
    with store.connection() as conn:
        conn.execute('UPDATE "shop"."bike" SET "owner" = ? WHERE "_entry_id" = ?', ["ghost", "b2"])
        with pytest.raises(ForeignKeyViolation):
            conn.commit()


def test_set_type_converts_values(store: SqliteStore) -> None:
    store.execute_ddl(
        [
            'CREATE TABLE "public"."m" ("id" INTEGER NOT NULL, "v" VARCHAR(10) DEFAULT \'5\', '
            'PRIMARY KEY ("id"))'
        ]
    )
    with store.connection() as conn:
        conn.execute(
            'INSERT INTO "m" ("id", "v") VALUES (?, ?), (?, ?), (?, ?)', [1, "12", 2, "3", 3, None]
        )
        conn.commit()
    store.execute_ddl(['ALTER TABLE "public"."m" MODIFY COLUMN "v" SET TYPE INTEGER'])
    assert rows(store, 'SELECT "v" FROM "m" ORDER BY "v"') == [(None,), (3,), (12,)]
    store.execute_ddl(['ALTER TABLE "public"."m" MODIFY COLUMN "v" SET TYPE DECIMAL(6, 2)'])
    assert rows(store, 'SELECT "v" FROM "m" ORDER BY "v" DESC') == [
        (Decimal("12.00"),),
        (Decimal("3.00"),),
        (None,),
    ]
    assert store.column_types("public", "m")["v"] == "DECIMAL(6, 2)"
    with store.connection() as conn:
        conn.execute('INSERT INTO "m" ("id") VALUES (?)', [4])
        conn.commit()
    assert rows(store, 'SELECT "v" FROM "m" WHERE "id" = 4') == [(Decimal("5.00"),)]
    with pytest.raises(StoreError, match=r"default of public\.m\.v does not fit BOOLEAN"):
        store.execute_ddl(['ALTER TABLE "public"."m" MODIFY COLUMN "v" SET TYPE BOOLEAN'])
    with pytest.raises(StoreError, match=r"cannot convert .*12\.00"):
        store.execute_ddl(
            [
                'ALTER TABLE "public"."m" MODIFY COLUMN "v" DROP DEFAULT',
                'ALTER TABLE "public"."m" MODIFY COLUMN "v" SET TYPE BOOLEAN',
            ]
        )
    assert store.column_types("public", "m")["v"] == "DECIMAL(6, 2)", (
        "a failed change leaves the table"
    )


def test_add_constraints(store: SqliteStore) -> None:
    people(store)
    with pytest.raises(UniqueViolation):
        store.execute_ddl(
            [
                'ALTER TABLE "shop"."bike" ADD COLUMN "color" TEXT DEFAULT \'red\'',
                'ALTER TABLE "people"."person" ADD COLUMN "c" TEXT DEFAULT \'x\'',
                'ALTER TABLE "people"."person" ADD CONSTRAINT "u_c" UNIQUE ("c")',
            ]
        )
    assert "color" not in store.column_types("shop", "bike"), "the failed batch left nothing"
    store.execute_ddl(
        [
            'ALTER TABLE "people"."person" ADD COLUMN "c" TEXT',
            'ALTER TABLE "people"."person" ADD UNIQUE ("c")',
        ]
    )
    with store.connection() as conn:
        with pytest.raises(UniqueViolation, match=r"people\.person\.c"):
            conn.execute('UPDATE "people"."person" SET "c" = ?', ["same"])
        assert not conn.in_transaction
    with pytest.raises(
        ForeignKeyViolation, match=r"shop\.bike\.maker = 'ghost' references people\.person"
    ):
        store.execute_ddl(
            [
                'ALTER TABLE "shop"."bike" ADD COLUMN "maker" VARCHAR(36) DEFAULT \'ghost\'',
                'ALTER TABLE "shop"."bike" ADD FOREIGN KEY ("maker") '
                'REFERENCES "people"."person" ("_entry_id")',
            ]
        )


# -- pool behaviour on the real store -----------------------------------------------------------


def test_eight_threads_share_two_connections(tmp_path: Path) -> None:
    with_file = open_store(f"sqlite:///{tmp_path / 'threads.db'}", pool_size=2, timeout=30)
    try:
        with_file.execute_ddl(['CREATE TABLE "public"."n" ("t" INTEGER, "i" INTEGER)'])
        errors: list[BaseException] = []

        def work(t: int) -> None:
            try:
                for i in range(20):
                    with with_file.connection() as conn:
                        conn.execute('INSERT INTO "n" ("t", "i") VALUES (?, ?)', [t, i])
                        conn.commit()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert not errors
        assert rows(with_file, 'SELECT COUNT(*), COUNT(DISTINCT "t") FROM "n"') == [(160, 8)]  # type: ignore[arg-type]
        assert with_file.pool.size <= 2
    finally:
        with_file.close()


def test_a_broken_connection_is_discarded(store: SqliteStore) -> None:
    conn = store.acquire()
    assert isinstance(conn, SqliteConnection)
    conn._raw.close()  # type: ignore[union-attr]  # the database connection dies under us
    with pytest.raises(StoreConnectionError):
        conn.execute("SELECT 1")
    assert conn.broken
    before = store.pool.size
    store.release(conn)
    assert store.pool.size == before - 1
    with store.connection() as fresh:
        assert fresh is not conn
        assert fresh.execute("SELECT 1").rows == [(1,)]


def test_closing_the_store_closes_connections_and_deletes_a_memory_database() -> None:
    st = open_store("sqlite://")
    assert isinstance(st, SqliteStore)
    where = st.path.parent
    assert where.exists()
    st.close()
    assert not where.exists()
    with pytest.raises(StoreConnectionError, match="closed"):
        st.acquire()


def test_memory_stores_are_private() -> None:
    a, b = open_store("sqlite://"), open_store("sqlite://")
    try:
        a.execute_ddl(['CREATE TABLE "public"."only_a" ("x" INTEGER)'])
        with b.connection() as conn, pytest.raises(StoreError, match="no such table"):
            conn.execute('SELECT * FROM "only_a"')
    finally:
        a.close()
        b.close()


def test_user_sqlite3_code_is_not_changed_by_the_store(store: SqliteStore) -> None:
    raw = sqlite3.connect(":memory:")
    assert raw.execute("SELECT ?", [True]).fetchone() == (1,)
    with pytest.raises(sqlite3.ProgrammingError):
        raw.execute("SELECT ?", [Decimal("1.5")])  # no global adapter was registered
    raw.close()


def test_query_results_name_the_polypheny_type_of_plain_columns(store: SqliteStore) -> None:
    shop(store)
    query = (
        'SELECT "t0"."price" AS "p", "t0".*, COUNT(*) FROM "shop"."bike" AS "t0" '
        'GROUP BY "t0"."_entry_id"'
    )
    with store.connection() as conn:
        result = conn.execute(query)
        assert isinstance(result, SqliteResult)
        assert result.types == [
            "DECIMAL(10, 2)",
            "VARCHAR(36)",
            "VARCHAR(50)",
            "DECIMAL(10, 2)",
            "VARCHAR(36)",
            None,
        ]
        joined = conn.execute(
            'SELECT "owner", "people"."person"."name", UPPER("bike"."name") FROM "people"."person" '
            'JOIN "shop"."bike" ON "bike"."owner" = "person"."_entry_id"'
        )
        assert joined.types == ["VARCHAR(36)", "VARCHAR(50)", None]
    store.execute_ddl(['ALTER TABLE "shop"."bike" MODIFY COLUMN "price" SET TYPE DECIMAL(12, 3)'])
    with store.connection() as conn:
        assert conn.execute('SELECT "price" FROM "shop"."bike"').types == ["DECIMAL(12, 3)"]


def test_a_foreign_key_must_reference_a_key(store: SqliteStore) -> None:
    shop(store)
    with pytest.raises(StoreError, match="neither its primary key nor unique"):
        store.execute_ddl(
            ['CREATE TABLE "shop"."x" ("b" VARCHAR(50) REFERENCES "shop"."bike" ("name"))']
        )
    store.execute_ddl(['CREATE TABLE "shop"."x" ("p" VARCHAR(50) REFERENCES "people"."person")'])


def test_a_relative_file_stays_put_when_the_working_directory_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    st = open_store("sqlite:///rel.db")
    try:
        assert isinstance(st, SqliteStore) and st.url == "sqlite:///rel.db"
        monkeypatch.chdir(tmp_path)
        with st.connection() as _pooled, st.connection() as opened_after_chdir:
            opened_after_chdir.execute('CREATE TABLE "public"."t" ("x" INTEGER)')
    finally:
        st.close()
    assert (tmp_path / "a" / "rel.db").exists() and not (tmp_path / "rel.db").exists()


def test_ddl_waits_for_an_open_writer_then_conflicts(store: SqliteStore) -> None:
    shop(store)
    with store.connection() as writer:
        writer.execute(
            'INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?)', ["1", "a"]
        )
        with pytest.raises(ConflictError, match="holds the write lock"):
            store.execute_ddl(['CREATE TABLE "people"."later" ("x" INTEGER)'])
        writer.commit()
    store.execute_ddl(['CREATE TABLE "people"."later" ("x" INTEGER)'])


def test_named_parameters_are_adapted_too(store: SqliteStore) -> None:
    shop(store)
    with store.connection() as conn:
        conn.execute(
            'INSERT INTO "shop"."bike" ("_entry_id", "name", "price") VALUES (:id, :name, :price)',
            {"id": "n", "name": "named", "price": Decimal("2.50")},  # type: ignore[arg-type]
        )
        assert conn.execute('SELECT "price" FROM "shop"."bike"').rows == [(Decimal("2.50"),)]


def test_bare_table_names_are_found_in_the_one_namespace_that_has_them(store: SqliteStore) -> None:
    shop(store)  # PolyNOM 0.3 queries 'SELECT * FROM "bike"' without naming the namespace
    add_bikes(store, ("a", "a", "1"))
    with store.connection() as conn:
        assert conn.execute('SELECT "bike"."name" FROM "bike"').rows == [("a",)]
        conn.execute('UPDATE "bike" SET "name" = ? WHERE "_entry_id" = ?', ["b", "a"])
        conn.commit()
        store.execute_ddl(['CREATE TABLE "public"."bike" ("name" TEXT)'])
        assert conn.execute('SELECT "name" FROM "bike"').rows == []  # public has one now
        conn.rollback()  # leave the snapshot that still has public.bike
        store.execute_ddl(['DROP TABLE "public"."bike"', 'CREATE TABLE "people"."bike" ("x" INT)'])
        with pytest.raises(StoreError, match=r"no such table: public\.bike"):
            conn.execute('SELECT * FROM "bike"')  # two namespaces have one: ambiguous
    assert rows(store, 'SELECT "name" FROM "shop"."bike"') == [("b",)]
