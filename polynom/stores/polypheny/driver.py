"""What the ``polypheny`` driver 1.0.0 needs to be safe to pool, per connection (never
global): a message reader that reads whole messages (the driver's single ``recv()`` returns a
partial message once it is large), an indexed execute that takes parameters we encoded
(:mod:`.values`), a check that a socket is still alive without a round trip, and a way to let
go of a connection whose socket may be dead without talking to the server."""

from __future__ import annotations

import contextlib
import functools
import socket
from collections.abc import Sequence
from typing import Any

import polypheny
from org.polypheny.prism import value_pb2

from polynom.errors import StoreError
from polynom.stores.polypheny.values import encode_param

__all__ = ["CLOSED_MESSAGES", "WIRE_ERRORS", "adapt_driver", "force_close", "socket_alive"]

#: What the driver raises when the connection broke under it (``rpc.py`` reads and writes
#: the socket directly and asserts on what it reads).
WIRE_ERRORS = (OSError, EOFError, AssertionError)
#: The driver's own messages for a connection or cursor it closed (``connection.py``): the
#: connection is gone, not refused by Polypheny.
CLOSED_MESSAGES = frozenset({"Connection is closed", "Cursor is closed"})


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise EOFError("Polypheny closed the connection")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _recv_msg(transport: Any) -> bytes:
    sock = transport.con
    if sock is None:
        raise EOFError("connection is closed")
    n = int.from_bytes(_recv_exact(sock, 8), "little")
    return _recv_exact(sock, n)


def _execute_indexed(rpc: Any, statement_id: int, params: Sequence[Any], fetch_size: Any) -> Any:
    """The driver's ``execute_indexed_statement`` with parameters encoded by us."""
    msg = rpc.new_request()
    req = msg.execute_indexed_statement_request
    req.statement_id = statement_id
    req.parameters.parameters.extend(
        p if isinstance(p, value_pb2.ProtoValue) else encode_param(p) for p in params
    )
    if fetch_size:
        req.fetch_size = fetch_size
    return rpc.call(msg).statement_result


def adapt_driver(conn: Any) -> None:
    rpc = getattr(conn, "con", None)
    transport = getattr(rpc, "con", None)
    if rpc is None or transport is None or not hasattr(rpc, "execute_indexed_statement"):
        raise StoreError(
            "unsupported polypheny driver version: polynom needs polypheny 1.x "
            f"(found {getattr(polypheny, '__version__', 'unknown')})"
        )
    rpc.execute_indexed_statement = functools.partial(_execute_indexed, rpc)
    transport.recv_msg = functools.partial(_recv_msg, transport)


def _socket_of(conn: Any) -> socket.socket | None:
    rpc = getattr(conn, "con", None)
    transport = getattr(rpc, "con", None)
    sock = getattr(transport, "con", None)
    return sock if isinstance(sock, socket.socket) else None


def force_close(conn: Any) -> None:
    """Close a driver connection without talking to the server (its socket may be dead).

    Also disarms the driver's ``__del__`` hooks, which would otherwise try to send
    ``close_statement``/``rollback`` on the dead socket during garbage collection.
    """
    for cursor in list(getattr(conn, "cursors", ())):
        result = getattr(cursor, "result", None)
        if result is not None:
            result.closed = True
            result.con = None
            cursor.result = None
        cursor.con = None
    with contextlib.suppress(Exception):
        conn.cursors.clear()
    rpc = getattr(conn, "con", None)
    transport = getattr(rpc, "con", None)
    if transport is not None:
        with contextlib.suppress(Exception):
            transport.close()
    if rpc is not None:
        rpc.con = None
    conn.con = None


def socket_alive(conn: Any) -> bool:
    """False when the peer closed or reset the socket; no bytes are sent or consumed."""
    sock = _socket_of(conn)
    if sock is None:
        return False
    try:
        sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        return True  # nothing to read: the usual state of an idle, healthy connection
    except OSError:
        return False
    # Readable means EOF (b"") -- or bytes nobody asked for, which means the stream is out
    # of step with the requests: either way the connection cannot be trusted.
    return False
