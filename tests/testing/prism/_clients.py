"""How the stand-in's tests talk to it: through the real driver, or by hand (RawClient)."""

from __future__ import annotations

import socket

import polypheny
from org.polypheny.prism import protointerface_pb2, version

from polynom.testing import PrismServer

SETUP = [
    'CREATE RELATIONAL NAMESPACE IF NOT EXISTS "app"',
    'CREATE TABLE IF NOT EXISTS "app"."item" ("_entry_id" VARCHAR(36) NOT NULL, '
    '"name" VARCHAR(200), "qty" INTEGER, PRIMARY KEY ("_entry_id"))',
]


#: Driver connections the tests opened (closed without network traffic after each test).
open_connections: list = []


def connect(server: PrismServer, **kwargs):
    """A driver connection to ``server`` (``pa``, empty password unless given)."""
    kwargs.setdefault("username", "pa")
    kwargs.setdefault("password", "")
    con = polypheny.connect(server.address, transport="plain", **kwargs)
    open_connections.append(con)
    return con


def insert(cur, n: int, start: int = 0, name: str = "item") -> None:
    """Insert ``n`` items numbered from ``start`` through the driver cursor ``cur``."""
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
