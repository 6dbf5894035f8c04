"""Statements: prepared, executed, paged in frames, closed; failures in Polypheny's words."""

from __future__ import annotations

import polypheny
import pytest

from tests.testing.prism._clients import RawClient, connect, insert


def test_prepared_indexed_and_named_statements(server):
    con = connect(server)
    cur = con.cursor()
    insert(cur, 3)
    cur.execute('SELECT "name", "qty" FROM "app"."item" WHERE "qty" >= ? ORDER BY "qty"', (1,))
    assert [d[0] for d in cur.description] == ["name", "qty"]
    assert cur.fetchall() == [["item-1", 1], ["item-2", 2]]
    cur.execute(
        'SELECT "name" FROM "app"."item" WHERE "qty" = :q OR "name" = :n ORDER BY "qty"',
        {"q": 0, "n": "item-2"},
    )
    assert cur.fetchall() == [["item-0"], ["item-2"]]
    cur.execute('UPDATE "app"."item" SET "qty" = ? WHERE "qty" < ?', (7, 2))
    assert cur.rowcount == 2
    con.close()
    counts = server.request_counts
    assert counts["prepare_indexed_statement_request"] == 5
    assert counts["execute_indexed_statement_request"] == 5
    assert counts["prepare_named_statement_request"] == 1
    assert counts["execute_named_statement_request"] == 1


def test_results_are_paged_by_the_fetch_size(server):
    con = connect(server)
    cur = con.cursor()
    insert(cur, 250)
    server.reset_counts()
    cur.execute('SELECT "_entry_id" FROM "app"."item" ORDER BY "_entry_id"', fetch_size=60)
    rows = cur.fetchall()
    assert [r[0] for r in rows] == [f"id-{i:05d}" for i in range(250)]
    assert server.request_counts["fetch_request"] == 4  # 60 + 4 x (60, 60, 60, 10)
    server.reset_counts()
    cur.execute('SELECT "_entry_id" FROM "app"."item"')  # Polypheny's default: 100 rows
    assert len(cur.fetchall()) == 250
    assert server.request_counts["fetch_request"] == 2
    server.reset_counts()
    cur.execute('SELECT "_entry_id" FROM "app"."item"', fetch_size=250)
    assert len(cur.fetchall()) == 250
    assert server.request_counts.get("fetch_request", 0) == 0  # exactly one frame, is_last
    con.close()


def test_large_results_are_split_into_frames_the_driver_can_read(server):
    # Driver 1.0.0 reads a message with one recv(): a frame of megabytes would arrive torn,
    # so the stand-in also caps a frame's size (about 32 KiB) below the fetch size.
    con = connect(server)
    cur = con.cursor()
    cur.execute(
        'CREATE TABLE "app"."doc" ("_entry_id" VARCHAR(36) NOT NULL, "body" TEXT, '
        'PRIMARY KEY ("_entry_id"))'
    )
    bodies = [chr(ord("a") + i % 26) * 4000 for i in range(80)]
    for i, body in enumerate(bodies):
        cur.execute(
            'INSERT INTO "app"."doc" ("_entry_id", "body") VALUES (?, ?)', (f"d{i:02d}", body)
        )
    server.reset_counts()
    cur.execute('SELECT "body" FROM "app"."doc" ORDER BY "_entry_id"', fetch_size=1000)
    assert [r[0] for r in cur.fetchall()] == bodies
    assert 8 <= server.request_counts["fetch_request"] <= 12  # ~8 rows of 4 KB per frame
    con.close()


def test_fetch_and_close_statement_on_the_wire(server):
    raw = RawClient(server)
    raw.login()
    con = connect(server)
    insert(con.cursor(), 5)
    con.commit()
    con.close()
    req = raw.request()
    stmt = req.execute_unparameterized_statement_request
    stmt.language_name = "sql"
    stmt.statement = 'SELECT "qty" FROM "app"."item" ORDER BY "qty"'
    stmt.fetch_size = 2
    raw.send(req)
    raw.recv()
    result = raw.recv().statement_response
    sid = result.statement_id
    frames = [result.result.frame]
    while not frames[-1].is_last:
        req = raw.request()
        req.fetch_request.statement_id = sid
        req.fetch_request.fetch_size = 2
        raw.send(req)
        frames.append(raw.recv().frame)
    got = [row.values[0].integer.integer for f in frames for row in f.relational_frame.rows]
    assert got == [0, 1, 2, 3, 4]
    assert [len(f.relational_frame.rows) for f in frames] == [2, 2, 1]
    req = raw.request()
    req.close_statement_request.statement_id = sid
    raw.send(req)
    assert raw.recv().WhichOneof("type") == "close_statement_response"
    req = raw.request()
    req.fetch_request.statement_id = sid
    raw.send(req)
    assert "does not exist" in raw.recv().error_response.message
    raw.close()


def test_errors_become_driver_exceptions_with_useful_messages(server):
    con = connect(server)
    cur = con.cursor()
    insert(cur, 1)
    insert(cur, 1)  # a default Polypheny enforces no primary key: the duplicate is stored
    # dbms/.../processing/shuttles/ParameterValueValidator.java, while planning: rolls back
    with pytest.raises(polypheny.Error, match=r"^Null in not nullable column$"):
        cur.execute('INSERT INTO "app"."item" ("_entry_id", "name") VALUES (?, ?)', (None, "x"))
    with pytest.raises(polypheny.Error, match="expects 2 parameter"):
        cur.execute('SELECT * FROM "app"."item" WHERE "qty" = ? AND "name" = ?', (1,))
    with pytest.raises(polypheny.Error, match="not supported by the Prism stand-in"):
        cur.executeany("mongo", "db.item.find({})")
    with pytest.raises(polypheny.Error):
        cur.execute('SELEKT nonsense FROM "app"."nowhere"')
    # the connection survives errors
    cur.execute('SELECT COUNT(*) FROM "app"."item"')
    assert cur.fetchone() == [0]  # the failed statement rolled the transaction back
    con.close()


def test_statements_run_on_any_store_even_one_without_namespaces(server):
    """A stand-in may run on a store whose execute takes no namespace -- here Polypheny
    itself (through another stand-in): statements pass through, their results come back."""
    from polynom.stores.polypheny import PolyphenyStore
    from polynom.testing import PrismServer

    backing = PolyphenyStore(server.url)
    try:
        with PrismServer(backing, record_statements=True) as front:
            con = connect(front)
            cur = con.cursor()
            insert(cur, 2)
            con.commit()
            cur.execute('SELECT "name" FROM "app"."item" WHERE "qty" > ?', (0,))
            assert cur.fetchall() == [["item-1"]]
            con.close()
            assert len(front.statements) == 3
    finally:
        backing.close()
    assert server.request_counts["commit_request"] == 1  # the back server got the commit
