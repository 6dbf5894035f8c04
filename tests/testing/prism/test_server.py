"""The server: its address, many clients at once, stop and start."""

from __future__ import annotations

import threading

import pytest

from polynom.stores.polypheny.driver import force_close
from tests.testing.prism._clients import connect, insert


def test_address_and_url(server):
    host, port = server.address
    assert host == "127.0.0.1" and port > 0
    assert server.url == f"polypheny://pa:@127.0.0.1:{port}"


def test_concurrent_clients_have_separate_transactions(server):
    """A reader of an entity another transaction wrote waits for it to end (strict
    two-phase locking on entities: dbms/.../transaction/locking/LockableImpl.java), so it
    never sees uncommitted data."""
    a, b = connect(server), connect(server)
    ca, cb = a.cursor(), b.cursor()
    insert(ca, 1, name="uncommitted")
    seen: list = []
    reader = threading.Thread(
        target=lambda: (cb.execute('SELECT "name" FROM "app"."item"'), seen.extend(cb.fetchall()))
    )
    reader.start()
    reader.join(0.5)
    assert reader.is_alive() and not seen  # waits for a's exclusive lock
    a.commit()
    reader.join(10)
    assert seen == [["uncommitted-0"]]
    b.commit()
    a.close()
    b.close()


def test_many_clients_at_once(server):
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            con = connect(server)
            cur = con.cursor()
            for i in range(5):
                cur.execute('SELECT COUNT(*) FROM "app"."item" WHERE "qty" > ?', (i,))
                cur.fetchall()
            con.close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert server.request_counts["connection_request"] == 8
    assert server.request_counts["execute_indexed_statement_request"] == 40


def test_stop_drops_clients_and_start_reuses_the_port(server):
    con = connect(server)
    cur = con.cursor()
    port = server.port
    server.stop()
    assert not server.running
    with pytest.raises((EOFError, OSError)):
        cur.execute('SELECT COUNT(*) FROM "app"."item"')
    force_close(con)  # the driver's own close() would talk to the dead socket
    server.start()
    assert server.port == port
    con2 = connect(server)
    con2.cursor().execute('SELECT COUNT(*) FROM "app"."item"')
    con2.close()
