"""PolyphenyStore: addresses, logins, its DDL connection and its pool, over the real driver
against the Prism stand-in."""

from __future__ import annotations

import threading
import time

import pytest

from polynom.errors import (
    ConfigurationError,
    NotNullViolation,
    StoreConnectionError,
)
from polynom.stores import PolyphenyAddress
from polynom.stores.polypheny import PolyphenyStore
from polynom.testing import PrismServer
from tests.stores.polypheny._data import COUNT, INSERT, free_port

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


def test_execute_ddl_runs_on_its_own_connection(store, server):
    """The DDL waits for our open read: CREATE TABLE takes its namespace's lock exclusively
    (plugins/sql-language/.../ddl/SqlCreateTable.java), and a read holds it shared until its
    transaction ends (dbms/.../transaction/locking/LockableImpl.java)."""
    with store.connection() as conn:
        conn.execute(INSERT, ("a", "apple", 1))
        conn.commit()
        assert conn.execute(COUNT).rows == [(1,)]  # a transaction is open (a read)
        server.reset_counts()
        ddl = threading.Thread(
            target=store.execute_ddl,
            args=(
                [
                    'CREATE TABLE "shop"."other" ("_entry_id" VARCHAR(36) NOT NULL, '
                    'PRIMARY KEY ("_entry_id"))'
                ],
            ),
        )
        ddl.start()
        ddl.join(0.3)
        assert ddl.is_alive()  # waits for our shared lock on the namespace
        assert conn.dirty  # the DDL did not go through (and commit) our connection
        conn.rollback()
        ddl.join(10)
        assert not ddl.is_alive()
        assert server.request_counts["execute_unparameterized_statement_request"] == 1
        assert conn.execute('SELECT COUNT(*) FROM "shop"."other"').rows == [(0,)]
        conn.rollback()
    assert store.pool.size == 1  # the DDL connection is the store's own, not pooled
    server.reset_counts()
    store.execute_ddl(['DROP TABLE "shop"."other"'])
    assert "connection_request" not in server.request_counts  # and it is kept


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


# -- the pool --------------------------------------------------------------------------------


def test_connections_are_returned_on_error_paths(store):
    with pytest.raises(RuntimeError), store.connection() as conn:
        conn.execute(INSERT, ("a", "apple", 1))
        raise RuntimeError("boom")
    with pytest.raises(NotNullViolation), store.connection() as conn:
        conn.execute(INSERT, ("a", "apple", 1))
        conn.execute(INSERT, ("b", None, 1))
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
