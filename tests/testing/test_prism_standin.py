"""The Prism stand-in, driven by the real ``polypheny`` driver (and raw sockets where the
driver hides the protocol). No mocks: every test talks TCP to a running stand-in."""

from __future__ import annotations

import datetime as dt
import decimal
import socket
import threading

import polypheny
import pytest
from org.polypheny.prism import protointerface_pb2, version

from polynom.stores.polypheny.driver import force_close
from polynom.testing import PrismServer

SETUP = [
    'CREATE RELATIONAL NAMESPACE IF NOT EXISTS "app"',
    'CREATE TABLE IF NOT EXISTS "app"."item" ("_entry_id" VARCHAR(36) NOT NULL, '
    '"name" VARCHAR(200), "qty" INTEGER, PRIMARY KEY ("_entry_id"))',
]


_open_connections: list = []


def connect(server: PrismServer, **kwargs):
    kwargs.setdefault("username", "pa")
    kwargs.setdefault("password", "")
    con = polypheny.connect(server.address, transport="plain", **kwargs)
    _open_connections.append(con)
    return con


@pytest.fixture(autouse=True)
def _no_leaked_driver_connections():
    """A failing test leaves driver connections open; the driver's __del__ would then raise
    on the stopped server's dead socket. Close leftovers without network traffic."""
    yield
    while _open_connections:
        force_close(_open_connections.pop())


@pytest.fixture
def server():
    with PrismServer() as srv:
        con = connect(srv)
        cur = con.cursor()
        for sql in SETUP:
            cur.execute(sql)
        con.commit()
        con.close()
        srv.reset_counts()
        yield srv


def insert(cur, n: int, start: int = 0, name: str = "item") -> None:
    for i in range(start, start + n):
        cur.execute(
            'INSERT INTO "app"."item" ("_entry_id", "name", "qty") VALUES (?, ?, ?)',
            (f"id-{i:05d}", f"{name}-{i}", i),
        )


# -- raw protocol ------------------------------------------------------------------------


class RawClient:
    """Speaks the plain transport by hand, to check what the driver does not show."""

    def __init__(self, server: PrismServer) -> None:
        self.sock = socket.create_connection(server.address, timeout=5)
        self.next_id = 1

    def recv_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def handshake(self, echo: bytes | None = None) -> bytes:
        n = self.recv_exact(1)
        line = self.recv_exact(n[0])
        self.sock.sendall(echo if echo is not None else n + line)
        return line

    def send(self, request: protointerface_pb2.Request) -> None:
        payload = request.SerializeToString()
        self.sock.sendall(len(payload).to_bytes(8, "little") + payload)

    def recv(self) -> protointerface_pb2.Response:
        n = int.from_bytes(self.recv_exact(8), "little")
        response = protointerface_pb2.Response()
        response.ParseFromString(self.recv_exact(n))
        return response

    def request(self) -> protointerface_pb2.Request:
        req = protointerface_pb2.Request(id=self.next_id)
        self.next_id += 1
        return req

    def login(self, major: int = version.MAJOR_VERSION) -> protointerface_pb2.Response:
        self.handshake()
        req = self.request()
        req.connection_request.major_api_version = major
        req.connection_request.minor_api_version = version.MINOR_VERSION
        req.connection_request.username = "pa"
        req.connection_request.password = ""
        self.send(req)
        return self.recv()

    def close(self) -> None:
        self.sock.close()


def test_handshake_sends_version_line_and_expects_echo(server):
    raw = RawClient(server)
    assert raw.handshake() == b"plain-v1@polypheny.com\n"
    req = raw.request()
    req.connection_request.major_api_version = version.MAJOR_VERSION
    raw.send(req)
    assert raw.recv().connection_response.is_compatible
    raw.close()


def test_wrong_version_echo_closes_the_connection(server):
    raw = RawClient(server)
    raw.handshake(echo=b"\x05hello")
    with pytest.raises((EOFError, ConnectionResetError)):
        raw.recv_exact(1)
    raw.close()


def test_connection_request_reports_compatibility(server):
    raw = RawClient(server)
    response = raw.login()
    assert response.WhichOneof("type") == "connection_response"
    assert response.connection_response.is_compatible
    assert response.connection_response.major_api_version == version.MAJOR_VERSION
    assert response.last
    raw.close()

    raw = RawClient(server)
    response = raw.login(major=version.MAJOR_VERSION + 1)
    assert not response.connection_response.is_compatible
    raw.close()


def test_first_message_must_be_a_connection_request(server):
    raw = RawClient(server)
    raw.handshake()
    req = raw.request()
    req.commit_request.SetInParent()
    raw.send(req)
    response = raw.recv()
    assert response.WhichOneof("type") == "error_response"
    assert "connection request" in response.error_response.message
    raw.close()


def test_unparameterized_statement_answers_twice(server):
    raw = RawClient(server)
    raw.login()
    req = raw.request()
    stmt = req.execute_unparameterized_statement_request
    stmt.language_name = "sql"
    stmt.statement = 'SELECT "name" FROM "app"."item"'
    raw.send(req)
    first, second = raw.recv(), raw.recv()
    assert first.id == second.id == req.id
    assert not first.last and second.last
    assert first.statement_response.statement_id == second.statement_response.statement_id > 0
    assert not first.statement_response.HasField("result")
    assert second.statement_response.result.frame.is_last
    assert [
        c.column_label for c in second.statement_response.result.frame.relational_frame.column_meta
    ] == ["name"]
    raw.close()


def test_unemulated_request_kinds_get_an_error_response(server):
    raw = RawClient(server)
    raw.login()
    req = raw.request()
    req.types_request.SetInParent()
    raw.send(req)
    response = raw.recv()
    assert response.id == req.id and response.last
    assert "does not emulate types_request" in response.error_response.message
    # the connection is still usable afterwards
    req = raw.request()
    req.connection_check_request.SetInParent()
    raw.send(req)
    assert raw.recv().WhichOneof("type") == "connection_check_response"
    raw.close()


def test_meta_requests(server):
    raw = RawClient(server)
    raw.login()
    req = raw.request()
    req.default_namespace_request.SetInParent()
    raw.send(req)
    assert raw.recv().default_namespace_response.default_namespace == "public"
    req = raw.request()
    req.dbms_version_request.SetInParent()
    raw.send(req)
    assert "stand-in" in raw.recv().dbms_version_response.dbms_name
    raw.close()


# -- through the driver --------------------------------------------------------------------


def test_address_and_url(server):
    host, port = server.address
    assert host == "127.0.0.1" and port > 0
    assert server.url == f"polypheny://pa:@127.0.0.1:{port}"


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


def test_one_execute_with_params_is_three_round_trips(server):
    con = connect(server)
    cur = con.cursor()
    server.reset_counts()
    cur.execute('SELECT "name" FROM "app"."item" WHERE "qty" = ?', (1,))
    cur.fetchall()
    cur.close()  # the driver closes the statement here (or at the next execute)
    assert server.request_counts == {
        "prepare_indexed_statement_request": 1,
        "execute_indexed_statement_request": 1,
        "close_statement_request": 1,
    }
    assert server.request_count == 3
    server.reset_counts()
    assert server.request_count == 0
    con.close()


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


def test_commit_and_rollback(server):
    con = connect(server)
    cur = con.cursor()
    insert(cur, 2)
    con.rollback()
    cur.execute('SELECT COUNT(*) FROM "app"."item"')
    assert cur.fetchone()[0] == 0
    insert(cur, 2)
    con.commit()
    con.rollback()
    cur.execute('SELECT COUNT(*) FROM "app"."item"')
    assert cur.fetchone()[0] == 2
    con.close()
    assert server.request_counts["commit_request"] == 1
    assert server.request_counts["rollback_request"] == 3  # 2 + the one close() sends
    assert server.request_counts["disconnect_request"] == 1


def test_concurrent_clients_have_separate_transactions(server):
    a, b = connect(server), connect(server)
    ca, cb = a.cursor(), b.cursor()
    insert(ca, 1, name="uncommitted")
    cb.execute('SELECT COUNT(*) FROM "app"."item"')
    assert cb.fetchone()[0] == 0  # a's write is not visible to b
    b.commit()
    a.commit()
    cb.execute('SELECT "name" FROM "app"."item"')
    assert cb.fetchall() == [["uncommitted-0"]]
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


def test_errors_become_driver_exceptions_with_useful_messages(server):
    con = connect(server)
    cur = con.cursor()
    insert(cur, 1)
    with pytest.raises(polypheny.Error, match="unique constraint"):
        insert(cur, 1)
    with pytest.raises(polypheny.Error, match=r"(?i)not.?null"):
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


def test_credentials_are_checked_when_configured():
    with PrismServer(user="alice", password="s3cret") as srv:
        assert srv.url == f"polypheny://alice:s3cret@127.0.0.1:{srv.port}"
        with pytest.raises(polypheny.Error, match="Authentication failed"):
            connect(srv, username="alice", password="wrong")
        con = connect(srv, username="alice", password="s3cret")
        con.close()


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


# -- values ----------------------------------------------------------------------------------

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
    from polynom.testing._prism_values import decode_param, encode_result, parse_type

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
