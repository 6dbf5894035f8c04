"""Prism's wire, server side: the version handshake, then length-prefixed protobuf messages.

On connect the server sends its version line (one byte of length, then the line) and the
client echoes it; afterwards every message is an 8-byte little-endian length followed by a
protobuf ``Request`` (client to server) or ``Response`` (server to client). Modelled on
Polypheny-DB's ``plugins/prism-interface/src/main/java/org/polypheny/db/prisminterface/
transport/PlainTransport.java`` and ``UnixTransport.java``.
"""

from __future__ import annotations

import contextlib
import socket

from org.polypheny.prism import protointerface_pb2

__all__ = ["PLAIN_VERSION", "UNIX_VERSION", "ProtocolError", "Transport"]

#: The version lines of the plain (TCP) and the unix-socket transport.
PLAIN_VERSION = b"plain-v1@polypheny.com\n"
UNIX_VERSION = b"unix-v1@polypheny.com\n"
_MAX_MESSAGE = 256 * 1024 * 1024


class ProtocolError(Exception):
    """The client broke the protocol; the connection is closed."""


class Transport:
    """One client's socket, speaking Prism's framing."""

    def __init__(self, sock: socket.socket, version: bytes) -> None:
        self.sock = sock
        self._version = version

    def handshake(self) -> None:
        """Send the version line; :class:`ProtocolError` unless the client echoes it."""
        line = self._version
        self.sock.sendall(bytes([len(line)]) + line)
        length = self._recv_exact(1)[0]
        echoed = self._recv_exact(length) if length else b""
        if echoed != line:
            raise ProtocolError(f"client answered the version line with {echoed!r}")

    def read_request(self, idle_timeout: float | None = None) -> protointerface_pb2.Request:
        """The next request; ``EOFError`` when the client is gone, ``TimeoutError`` when it
        sent nothing for ``idle_timeout`` seconds."""
        self.sock.settimeout(idle_timeout)
        try:
            first = self._recv_exact(1)
        finally:
            self.sock.settimeout(None)
        n = int.from_bytes(first + self._recv_exact(7), "little")
        if n > _MAX_MESSAGE:
            raise ProtocolError(f"message of {n} bytes is too large")
        request = protointerface_pb2.Request()
        request.ParseFromString(self._recv_exact(n))
        return request

    def send(self, response: protointerface_pb2.Response) -> None:
        payload = response.SerializeToString()
        self.sock.sendall(len(payload).to_bytes(8, "little") + payload)

    def shutdown(self) -> None:
        """Cut the connection now (a thread reading from it gets EOF)."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.shutdown()
        with contextlib.suppress(OSError):
            self.sock.close()

    def _recv_exact(self, n: int) -> bytes:
        chunks = []
        while n:
            chunk = self.sock.recv(min(n, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)
