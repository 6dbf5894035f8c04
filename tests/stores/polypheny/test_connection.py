"""One Polypheny connection: statements, round trips, batches, large results."""

from __future__ import annotations

from polynom.stores.polypheny import PolyphenyConnection
from tests.stores.polypheny._data import COUNT, INSERT

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
