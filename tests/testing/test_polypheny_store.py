"""PolyphenyStore over the real driver against the Prism stand-in (no mocks)."""

from __future__ import annotations

import datetime as dt
import decimal
import socket
import threading
import time

import pytest

from polynom.errors import (
    ConfigurationError,
    ConflictError,
    StoreConnectionError,
    StoreError,
    UniqueViolation,
)
from polynom.schema import polytypes as pt
from polynom.stores._address import PolyphenyAddress
from polynom.stores.polypheny import PolyphenyConnection, PolyphenyStore, encode_param
from polynom.testing import PrismServer

SETUP = [
    'CREATE RELATIONAL NAMESPACE IF NOT EXISTS "shop"',
    'CREATE TABLE IF NOT EXISTS "shop"."item" ("_entry_id" VARCHAR(36) NOT NULL, '
    '"name" VARCHAR(100) NOT NULL, "qty" INTEGER, PRIMARY KEY ("_entry_id"), UNIQUE ("name"))',
]
INSERT = 'INSERT INTO "shop"."item" ("_entry_id", "name", "qty") VALUES (?, ?, ?)'
COUNT = 'SELECT COUNT(*) FROM "shop"."item"'


@pytest.fixture
def server():
    with PrismServer() as srv:
        yield srv


@pytest.fixture
def store(server):
    st = PolyphenyStore(server.url, pool_size=2, timeout=10)
    st.execute_ddl(SETUP)
    server.reset_counts()
    yield st
    st.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- addresses -------------------------------------------------------------------------------


def test_address_forms():
    assert PolyphenyStore(("db.example", 20591)).where == "db.example:20591"
    st = PolyphenyStore("polypheny://bob:pw@db.example:1234")
    assert (st.address.user, st.address.password, st.where) == ("bob", "pw", "db.example:1234")
    assert "pw" not in st.url and "pw" not in repr(st)
    assert PolyphenyStore("polypheny+unix:///run/p.sock").where == "/run/p.sock"
    assert PolyphenyStore("/run/p.sock", transport="unix").address.transport == "unix"
    assert PolyphenyStore(host="h", port=1).where == "h:1"
    parsed = PolyphenyAddress("plain", host="h", port=2, user="u", password="p")
    assert PolyphenyStore(parsed).address is parsed
    assert PolyphenyStore(parsed, user="v").address.user == "v"
    with pytest.raises(ConfigurationError):
        PolyphenyStore("sqlite://")
    with pytest.raises(ConfigurationError):
        PolyphenyStore()


# -- statements ------------------------------------------------------------------------------


def test_execute_dml_and_query(store, server):
    with store.connection() as conn:
        assert conn.execute(INSERT, ("a", "apple", 3)).rowcount == 1
        assert conn.execute(INSERT, ("b", "pear", 5)).rowcount == 1
        result = conn.execute('SELECT "name", "qty" FROM "shop"."item" ORDER BY "qty" DESC')
        assert result.columns == ["name", "qty"]
        assert result.rows == [("pear", 5), ("apple", 3)]
        assert (
            conn.execute('UPDATE "shop"."item" SET "qty" = ? WHERE "qty" > ?', (0, 0)).rowcount == 2
        )
        conn.commit()
    with store.connection() as conn:
        assert conn.execute(COUNT).rows == [(2,)]


def test_round_trips_of_one_execute(store, server):
    with store.connection() as conn:
        server.reset_counts()  # (opening the connection took the handshake + connect)
        conn.execute(INSERT, ("a", "apple", 3))
        # prepare + execute; the driver closes the statement with the next one
        assert server.request_count == 2
        server.reset_counts()
        conn.execute(COUNT)
        assert server.request_counts == {
            "close_statement_request": 1,  # the previous statement's
            "execute_unparameterized_statement_request": 1,  # no parameters: no prepare
        }
        conn.commit()
    server.reset_counts()
    with store.connection():
        pass
    assert server.request_count == 0  # a clean connection is pooled without a rollback


def test_execute_many_is_one_batch_request(store, server):
    rows = [(f"id{i}", f"name{i}", i) for i in range(50)]
    with store.connection() as conn:
        server.reset_counts()
        assert conn.execute_many(INSERT, rows) == 50
        assert server.request_counts == {
            "prepare_indexed_statement_request": 1,
            "execute_indexed_statement_batch_request": 1,
            "close_statement_request": 1,
        }
        assert conn.execute(COUNT).rows == [(50,)]


def test_execute_ddl_runs_on_its_own_connection(store, server):
    with store.connection() as conn:
        conn.execute(INSERT, ("a", "apple", 1))
        conn.commit()
        assert conn.execute(COUNT).rows == [(1,)]  # a transaction is open (a read)
        server.reset_counts()
        store.execute_ddl(
            [
                'CREATE TABLE "shop"."other" ("_entry_id" VARCHAR(36) NOT NULL, '
                'PRIMARY KEY ("_entry_id"))'
            ]
        )
        assert conn.dirty  # the DDL did not go through (and commit) our connection
        assert server.request_counts["execute_unparameterized_statement_request"] == 1
        conn.rollback()  # (SQLite's snapshot predates the table; Polypheny would see it)
        assert conn.execute('SELECT COUNT(*) FROM "shop"."other"').rows == [(0,)]
    assert store.pool.size == 1  # the DDL connection is the store's own, not pooled
    server.reset_counts()
    store.execute_ddl(['DROP TABLE "shop"."other"'])
    assert "connection_request" not in server.request_counts  # and it is kept


def test_rows_beyond_one_frame_are_all_read(store):
    rows = [(f"id{i:04d}", f"n{i:04d}", i) for i in range(450)]
    with store.connection() as conn:
        conn.execute_many(INSERT, rows)
        result = conn.execute('SELECT "_entry_id", "name", "qty" FROM "shop"."item" ORDER BY "qty"')
        assert result.rows == rows


def test_a_value_larger_than_a_socket_read(store):
    store.execute_ddl(
        [
            'CREATE TABLE "shop"."blob" ("_entry_id" VARCHAR(36) NOT NULL, "data" FILE, '
            'PRIMARY KEY ("_entry_id"))'
        ]
    )
    data = bytes(range(256)) * 8192  # 2 MiB: the driver's single recv() would tear it
    with store.connection() as conn:
        conn.execute('INSERT INTO "shop"."blob" ("_entry_id", "data") VALUES (?, ?)', ("x", data))
        assert conn.execute('SELECT "data" FROM "shop"."blob"').rows == [(data,)]


# -- errors ----------------------------------------------------------------------------------


def test_constraint_violations_map_to_polynom_errors(store):
    with store.connection() as conn:
        conn.execute(INSERT, ("a", "apple", 1))
        with pytest.raises(UniqueViolation, match="unique") as info:
            conn.execute(INSERT, ("b", "apple", 1))
        assert 'INSERT INTO "shop"."item"' in str(info.value)
    with store.connection() as conn, pytest.raises(StoreError) as info:
        conn.execute('SELECT "nope" FROM "shop"."missing_table"')
    assert type(info.value) is StoreError
    assert "missing_table" in str(info.value)


def test_unreachable_address_names_host_and_port():
    port = free_port()
    store = PolyphenyStore(("127.0.0.1", port))
    with pytest.raises(StoreConnectionError) as info, store.connection():
        pass
    message = str(info.value)
    assert f"127.0.0.1:{port}" in message and "not running" in message
    store.close()


def test_wrong_password_is_a_connection_error():
    with PrismServer(user="alice", password="right") as srv:
        store = PolyphenyStore(f"polypheny://alice:wrong@127.0.0.1:{srv.port}")
        with pytest.raises(StoreConnectionError, match="refused the login of user 'alice'"):
            store.acquire()
        good = PolyphenyStore(srv.url)
        with good.connection() as conn:
            assert conn.execute("SELECT 1").rows == [(1,)]
        good.close()
        store.close()


def test_unsupported_value_type_is_refused_before_sending():
    with pytest.raises(StoreError, match="cannot send a value of type object"):
        encode_param(object())


# -- the pool --------------------------------------------------------------------------------


def test_connections_are_returned_on_error_paths(store):
    with pytest.raises(RuntimeError), store.connection() as conn:
        conn.execute(INSERT, ("a", "apple", 1))
        raise RuntimeError("boom")
    with pytest.raises(UniqueViolation), store.connection() as conn:
        conn.execute(INSERT, ("a", "apple", 1))
        conn.execute(INSERT, ("a", "apple", 1))
    assert store.pool.idle == store.pool.size == 1
    with store.connection() as conn:
        assert conn.execute(COUNT).rows == [(0,)]  # both transactions were rolled back


def test_eight_threads_share_two_connections(store, server):
    users: dict[int, int] = {}
    overlaps: list[int] = []
    guard = threading.Lock()
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(10):
                with store.connection() as conn:
                    with guard:
                        if users.get(id(conn)):
                            overlaps.append(id(conn))
                        users[id(conn)] = k + 1
                    conn.execute(INSERT, (f"{k}-{i}", f"item-{k}-{i}", i))
                    time.sleep(0.001)
                    conn.commit()
                    with guard:
                        users[id(conn)] = 0
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert not overlaps  # never two threads on one connection
    assert store.pool.size <= 2
    assert server.request_counts["connection_request"] <= 2
    with store.connection() as conn:
        assert conn.execute(COUNT).rows == [(80,)]


def test_connection_dropped_while_idle_is_replaced(store, server):
    with store.connection() as conn:
        conn.execute(INSERT, ("a", "apple", 1))
        conn.commit()
        first = conn
    port = server.port
    server.stop()  # the server restarts: every socket it had is gone
    server.start()
    assert server.port == port
    server.reset_counts()
    with store.connection() as conn:
        assert conn is not first  # detected on checkout, without a round trip
        assert conn.execute(COUNT).rows == [(1,)]
    assert first.broken
    assert server.request_counts["connection_request"] == 1


def test_connection_dropped_mid_transaction_raises_and_is_discarded(store, server):
    with store.connection() as conn:
        conn.execute(INSERT, ("a", "apple", 1))
        server.disconnect_clients()
        with pytest.raises(StoreConnectionError, match="broke"):
            conn.execute(INSERT, ("b", "pear", 1))
        assert conn.broken
        broken = conn
    assert store.pool.size == 0  # not pooled again
    with store.connection() as conn:
        assert conn is not broken
        assert conn.execute(COUNT).rows == [(0,)]  # the lost transaction never committed


def test_clean_connection_reconnects_transparently(store, server):
    with store.connection() as conn:
        conn.execute(COUNT)
        conn.commit()
        server.disconnect_clients()
        time.sleep(0.05)
        # the socket broke between transactions; nothing is lost by reconnecting
        assert conn.execute(COUNT).rows == [(0,)]
        assert not conn.broken


def test_ddl_connection_is_replaced_after_a_restart(store, server):
    server.stop()
    server.start()
    store.execute_ddl(
        ['CREATE TABLE "shop"."t2" ("_entry_id" VARCHAR(36) NOT NULL, PRIMARY KEY ("_entry_id"))']
    )
    with store.connection() as conn:
        assert conn.execute('SELECT COUNT(*) FROM "shop"."t2"').rows == [(0,)]


def test_server_stopped_gives_a_clear_error(store, server):
    with store.connection() as conn:
        conn.execute(COUNT)
    server.stop()
    with pytest.raises(StoreConnectionError, match="not running"), store.connection() as conn:
        conn.execute(COUNT)


# -- values ----------------------------------------------------------------------------------

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


def test_connection_checks_are_free(store, server):
    conn = store.acquire()
    try:
        assert isinstance(conn, PolyphenyConnection)
        server.reset_counts()
        for _ in range(10):
            assert conn.check_alive()
        assert server.request_count == 0
    finally:
        store.release(conn)


def test_unix_socket_transport(tmp_path):
    path = str(tmp_path / "prism.sock")
    with PrismServer(unix_socket=path) as srv:
        assert srv.url == f"polypheny+unix://{path}"
        for address in (srv.url, path):
            store = PolyphenyStore(address, transport=None if "://" in address else "unix")
            with store.connection() as conn:
                assert conn.execute("SELECT 1").rows == [(1,)]
            store.close()
    missing = PolyphenyStore(str(tmp_path / "nothing.sock"), transport="unix")
    with pytest.raises(StoreConnectionError, match=r"unix socket .*nothing\.sock"):
        missing.acquire()


def test_concurrent_writers_conflict():
    """A write that cannot get the lock another open transaction holds is a ConflictError,
    not a bare StoreError, so the mapper can tell the user to retry."""
    from polynom.stores.sqlite import SqliteStore

    backing = SqliteStore("sqlite://", busy_timeout=0.2)
    try:
        with PrismServer(backing) as srv:
            store = PolyphenyStore(srv.url)
            store.execute_ddl(
                [
                    'CREATE RELATIONAL NAMESPACE IF NOT EXISTS "shop"',
                    'CREATE TABLE "shop"."item" ("_entry_id" VARCHAR(36) NOT NULL, '
                    '"qty" INTEGER, PRIMARY KEY ("_entry_id"))',
                ]
            )
            update = 'UPDATE "shop"."item" SET "qty" = ? WHERE "_entry_id" = ?'
            with store.connection() as first, store.connection() as second:
                first.execute('INSERT INTO "shop"."item" VALUES (?, ?)', ("a", 1))
                first.commit()
                first.execute(update, (2, "a"))  # holds the write lock, uncommitted
                with pytest.raises(ConflictError, match="conflict"):
                    second.execute(update, (3, "a"))
                first.commit()
            store.close()
    finally:
        backing.close()
