"""Polypheny over its Prism protocol, through the ``polypheny`` driver.

:class:`PolyphenyStore` keeps a pool of driver connections. The driver is not thread-safe
(``threadsafety = 0``): a pooled connection is used by one thread at a time, from checkout to
release. A connection whose socket broke (server restarted, network dropped) is detected --
on checkout without a round trip, and on use -- discarded and replaced; it is never handed
out again.

Values are adapted exactly, which the driver alone does not do (driver 1.0.0):

- ``datetime``: the driver sends ``int(value.timestamp() * 1000)``, which reads a naive value
  as *local* time and loses a millisecond on about one value in 200 to float rounding. Here
  a naive datetime is UTC (the architecture's rule), an aware one is converted to UTC, and
  the milliseconds are computed in integers (sub-millisecond digits are truncated). Results
  come back as aware UTC datetimes.
- ``time``: the driver sends ``microsecond * 10`` as milliseconds; here the milliseconds of
  the day are sent (sub-millisecond digits truncated).
- ``Decimal`` travels as a big decimal (exact); ``int`` as 32/64-bit or big decimal; ``bool``,
  ``float``, ``str``, ``bytes``, ``date`` (days since 1970-01-01), ``None``, lists.

So the parameters are encoded here and handed to the driver's own request path, and the
driver's message reader is replaced per connection by one that reads a whole message (the
driver's single ``recv()`` returns a partial message once it is large).

Driver errors become polynom errors: :class:`~polynom.errors.StoreConnectionError` when
Polypheny cannot be reached or the connection broke, :class:`~polynom.errors.UniqueViolation`,
:class:`~polynom.errors.ForeignKeyViolation`, :class:`~polynom.errors.NotNullViolation`,
:class:`~polynom.errors.ConflictError`, else :class:`~polynom.errors.StoreError`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import decimal
import functools
import logging
import socket
import threading
from collections.abc import Sequence
from typing import Any

import polypheny
from org.polypheny.prism import value_pb2

from polynom.errors import (
    ConfigurationError,
    ConflictError,
    ForeignKeyViolation,
    NotNullViolation,
    StoreConnectionError,
    StoreError,
    UniqueViolation,
)
from polynom.stores._address import DEFAULT_POLYPHENY_PORT, PolyphenyAddress, parse_address
from polynom.stores.base import Result, Store, StoreConnection
from polynom.stores.pool import Pool

__all__ = ["PolyphenyConnection", "PolyphenyStore", "encode_param"]

log = logging.getLogger(__name__)


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
_EPOCH_DATE = _dt.date(1970, 1, 1)
_MS = _dt.timedelta(milliseconds=1)
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


# -- parameters ----------------------------------------------------------------------------


def encode_param(value: Any) -> value_pb2.ProtoValue:
    """One bound value as the ``ProtoValue`` Polypheny expects (see the module docstring)."""
    out = value_pb2.ProtoValue()
    if value is None:
        out.null.SetInParent()
    elif isinstance(value, bool):
        out.boolean.boolean = value
    elif isinstance(value, int):
        if _INT32[0] <= value <= _INT32[1]:
            out.integer.integer = value
        elif _INT64[0] <= value <= _INT64[1]:
            out.long.long = value
        else:
            _set_big_decimal(out, decimal.Decimal(value))
    elif isinstance(value, float):
        out.double.double = value
    elif isinstance(value, decimal.Decimal):
        _set_big_decimal(out, value)
    elif isinstance(value, str):
        out.string.string = value
    elif isinstance(value, bytes | bytearray | memoryview):
        out.binary.binary = bytes(value)
    elif isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.UTC)
        out.timestamp.timestamp = (value - _EPOCH) // _MS
    elif isinstance(value, _dt.date):
        out.date.date = (value - _EPOCH_DATE).days
    elif isinstance(value, _dt.time):
        out.time.time = (
            (value.hour * 60 + value.minute) * 60 + value.second
        ) * 1000 + value.microsecond // 1000
    elif isinstance(value, list | tuple):
        for element in value:
            out.list.values.append(encode_param(element))
    else:
        raise StoreError(
            f"cannot send a value of type {type(value).__name__} to Polypheny: {value!r}"
        )
    return out


def _set_big_decimal(out: value_pb2.ProtoValue, value: decimal.Decimal) -> None:
    if not value.is_finite():
        raise StoreError(f"Polypheny cannot store the decimal {value}")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    unscaled = int("".join(map(str, digits)) or "0")
    if sign:
        unscaled = -unscaled
    out.big_decimal.unscaled_value = unscaled.to_bytes(
        unscaled.bit_length() // 8 + 1, "big", signed=True
    )
    out.big_decimal.scale = -exponent


# -- driver adaptations (per connection, never global) -------------------------------------


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise EOFError("Polypheny closed the connection")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


#: Rows per result frame we ask for: whole typical results in one round trip (our reader
#: takes messages of any size; the stock driver's single ``recv`` does not).
_FETCH_SIZE = 10_000


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


def _adapt_driver(conn: Any) -> None:
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


def _force_close(conn: Any) -> None:
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


def _socket_alive(conn: Any) -> bool:
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


# -- errors --------------------------------------------------------------------------------

_WIRE_ERRORS = (OSError, EOFError, AssertionError)


def _classify(message: str) -> type[StoreError]:
    text = message.lower()
    if "unique constraint" in text or "duplicate" in text or "primary key" in text:
        return UniqueViolation
    if "foreign key" in text:
        return ForeignKeyViolation
    if "not null" in text or "does not allow null" in text or "null value" in text:
        return NotNullViolation
    if any(
        word in text
        for word in ("deadlock", "conflict", "could not acquire lock", "lock timeout", "locked")
    ):
        return ConflictError
    return StoreError


# -- connection ----------------------------------------------------------------------------


class PolyphenyConnection(StoreConnection):
    """One driver connection, used by one thread at a time, inside a transaction."""

    def __init__(self, store: PolyphenyStore) -> None:
        self._store = store
        self._conn: Any = None
        self._cursor: Any = None
        self._broken = False
        self._dirty = False  # statements ran since the last commit/rollback
        self._open()

    def __del__(self) -> None:
        # Dropped without close() (an unclosed store at exit): let go of the driver
        # connection without network traffic, before the driver's own __del__ tries to
        # roll back on a socket that may be dead and raises from the garbage collector.
        conn = getattr(self, "_conn", None)
        if conn is not None:
            self._conn = self._cursor = None
            _force_close(conn)

    def _open(self) -> None:
        self._conn = self._store._connect()
        self._cursor = self._conn.cursor()
        self._broken = False
        self._dirty = False

    # -- state ---------------------------------------------------------------------

    @property
    def broken(self) -> bool:
        return self._broken or self._conn is None

    @property
    def dirty(self) -> bool:
        """True when statements ran since the last commit or rollback."""
        return self._dirty

    def check_alive(self) -> bool:
        """Without a round trip: False if the server closed the socket (restart, crash)."""
        if self.broken:
            return False
        if not _socket_alive(self._conn):
            self._broken = True
            return False
        return True

    def _lost(self, exc: BaseException) -> StoreConnectionError:
        self._broken = True
        conn, self._conn, self._cursor = self._conn, None, None
        if conn is not None:
            _force_close(conn)
        return StoreConnectionError(
            f"the connection to Polypheny at {self._store.where} broke "
            f"({type(exc).__name__}: {exc or 'connection closed'}); "
            "the transaction is lost, retry it on a new connection"
        )

    # -- statements ----------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        encoded = [encode_param(p) for p in params]
        retry = not self._dirty  # nothing of this transaction would be lost by a retry
        try:
            return self._execute(sql, encoded)
        except StoreConnectionError:
            if not retry:
                raise
            log.info("reconnecting to Polypheny at %s after a broken connection", self._store.where)
            self._open()
            return self._execute(sql, encoded)

    def _execute(self, sql: str, encoded: list[value_pb2.ProtoValue]) -> Result:
        if self.broken:
            raise StoreConnectionError(
                f"the connection to Polypheny at {self._store.where} is broken; "
                "give it back to the store and take another"
            )
        cursor = self._cursor
        self._dirty = True
        try:
            # No parameters: one unparameterized request instead of prepare + execute.
            cursor.execute(sql, encoded if encoded else None, fetch_size=_FETCH_SIZE)
            if cursor.description is None:
                return Result(rowcount=cursor.rowcount)
            columns = [d[0] for d in cursor.description]
            rows = [tuple(row) for row in cursor.fetchall()]
            return Result(columns=columns, rows=rows, rowcount=len(rows))
        except polypheny.Error as exc:
            raise self._refused(exc, sql) from None
        except _WIRE_ERRORS as exc:
            raise self._lost(exc) from exc

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Prepare once and send every parameter row in one batch request."""
        if not rows:
            return 0
        if len(rows) == 1:
            return max(self.execute(sql, rows[0]).rowcount, 0)
        batches = [[encode_param(p) for p in row] for row in rows]
        retry = not self._dirty
        try:
            return self._execute_batch(sql, batches)
        except StoreConnectionError:
            if not retry:
                raise
            self._open()
            return self._execute_batch(sql, batches)

    def _execute_batch(self, sql: str, batches: list[list[value_pb2.ProtoValue]]) -> int:
        if self.broken:
            raise StoreConnectionError(
                f"the connection to Polypheny at {self._store.where} is broken"
            )
        rpc = self._conn.con
        self._dirty = True
        statement_id = None
        try:
            statement_id = rpc.prepare_indexed_statement("sql", sql, None).statement_id
            msg = rpc.new_request()
            req = msg.execute_indexed_statement_batch_request
            req.statement_id = statement_id
            for params in batches:
                req.parameters.add().parameters.extend(params)
            scalars = rpc.call(msg).statement_batch_response.scalars
            return sum(max(int(s), 0) for s in scalars)
        except polypheny.Error as exc:
            raise self._refused(exc, sql) from None
        except _WIRE_ERRORS as exc:
            raise self._lost(exc) from exc
        finally:
            if statement_id is not None and not self.broken:
                with contextlib.suppress(polypheny.Error, *_WIRE_ERRORS):
                    rpc.close_statement(statement_id)

    def _refused(self, exc: polypheny.Error, sql: str) -> StoreError:
        message = str(exc) or type(exc).__name__
        if message in ("Connection is closed", "Cursor is closed"):
            return self._lost(exc)
        kind = _classify(message)
        statement = " ".join(sql.split())
        if len(statement) > 300:
            statement = statement[:297] + "..."
        return kind(f"Polypheny refused the statement: {message} [SQL: {statement}]")

    # -- transaction ---------------------------------------------------------------

    def commit(self) -> None:
        self._end("commit")

    def rollback(self) -> None:
        if self._conn is None:
            return
        self._end("rollback")

    def _end(self, what: str) -> None:
        if self.broken:
            raise StoreConnectionError(
                f"cannot {what}: the connection to Polypheny at {self._store.where} is broken"
            )
        try:
            getattr(self._conn, what)()
        except polypheny.Error as exc:
            if str(exc) == "Connection is closed":
                raise self._lost(exc) from None
            raise _classify(str(exc))(f"Polypheny refused to {what}: {exc}") from None
        except _WIRE_ERRORS as exc:
            raise self._lost(exc) from exc
        finally:
            self._dirty = False

    def close(self) -> None:
        conn, self._conn, self._cursor = self._conn, None, None
        if conn is None:
            return
        if self._broken or not _socket_alive(conn):
            _force_close(conn)
            return
        try:
            conn.close()  # rolls back, then disconnects
        except Exception:
            _force_close(conn)


# -- the store -----------------------------------------------------------------------------


class PolyphenyStore(Store):
    """Polypheny through the ``polypheny`` driver, with a pool of connections.

    ``address`` is anything :func:`polynom.stores._address.parse_address` takes for Polypheny
    (``("host", port)``, ``"polypheny://user:pass@host:port"``, a socket path with
    ``transport="unix"``, ``"polypheny+unix:///path"``), a parsed ``PolyphenyAddress``, or
    nothing with ``host``/``port`` or ``path`` given instead. ``user``/``password`` apply when
    the address carries none.
    """

    #: Polypheny plans every statement; very long statements cost more to plan than they
    #: save in round trips. 1000 values per statement keeps multi-row inserts fast.
    max_params = 1000

    def __init__(
        self,
        address: Any = None,
        *,
        user: str | None = None,
        password: str | None = None,
        transport: str | None = None,
        host: str | None = None,
        port: int | None = None,
        path: str | None = None,
        pool_size: int = 8,
        timeout: float = 30.0,
    ) -> None:
        self.address = _polypheny_address(
            address,
            user=user,
            password=password,
            transport=transport,
            host=host,
            port=port,
            path=path,
        )
        self.url = self.address.url
        self._pool: Pool[PolyphenyConnection] = Pool(
            lambda: PolyphenyConnection(self),
            reset=_reset,
            close=PolyphenyConnection.close,
            is_broken=lambda conn: not conn.check_alive(),
            max_size=pool_size,
            timeout=timeout,
            name=f"Polypheny at {self.where}",
        )
        self._ddl_lock = threading.Lock()
        self._ddl_conn: PolyphenyConnection | None = None

    @property
    def where(self) -> str:
        """``host:port`` or the socket path, for messages."""
        if self.address.transport == "unix":
            return str(self.address.path)
        return f"{self.address.host}:{self.address.port}"

    @property
    def pool(self) -> Pool[PolyphenyConnection]:
        return self._pool

    # -- connecting ----------------------------------------------------------------

    def _connect(self) -> Any:
        address = self.address
        try:
            conn = polypheny.connect(
                address.target,
                username=address.user,
                password=address.password,
                transport=address.transport,
            )
        except (polypheny.Error, OSError, EOFError) as exc:
            raise self._unreachable(exc) from None
        _adapt_driver(conn)
        return conn

    def _unreachable(self, exc: BaseException) -> StoreError:
        detail = str(exc) or type(exc).__name__
        lowered = detail.lower()
        if "authentication" in lowered or "password" in lowered:
            return StoreConnectionError(
                f"Polypheny at {self.where} refused the login of user "
                f"{self.address.user!r}: {detail}"
            )
        if "incompatible" in lowered:
            return StoreConnectionError(f"Polypheny at {self.where} is incompatible: {detail}")
        if self.address.transport == "unix":
            return StoreConnectionError(
                f"cannot reach Polypheny through the unix socket {self.address.path} "
                f"({detail}): Polypheny is not running there, or the socket path is wrong"
            )
        return StoreConnectionError(
            f"cannot reach Polypheny at {self.where} ({detail}): Polypheny is not running or "
            "not reachable there (is its Prism interface listening on that port?)"
        )

    # -- Store ---------------------------------------------------------------------

    def acquire(self) -> PolyphenyConnection:
        return self._pool.acquire()

    def release(self, connection: StoreConnection) -> None:
        assert isinstance(connection, PolyphenyConnection)
        self._pool.release(connection)

    def execute_ddl(self, statements: Sequence[str]) -> None:
        """Run DDL on the store's own DDL connection, outside every data transaction."""
        with self._ddl_lock:
            conn = self._ddl_conn
            if conn is None or not conn.check_alive():
                if conn is not None:
                    conn.close()
                conn = self._ddl_conn = PolyphenyConnection(self)
            try:
                for sql in statements:
                    conn.execute(sql)
                conn.commit()
            except StoreConnectionError:
                self._ddl_conn = None
                conn.close()
                raise

    def close(self) -> None:
        self._pool.close()
        with self._ddl_lock:
            if self._ddl_conn is not None:
                self._ddl_conn.close()
                self._ddl_conn = None


def _reset(conn: PolyphenyConnection) -> None:
    """Roll back what a released connection left open (no round trip when it is clean)."""
    if conn.dirty and not conn.broken:
        conn.rollback()


def _polypheny_address(
    address: Any,
    *,
    user: str | None,
    password: str | None,
    transport: str | None,
    host: str | None,
    port: int | None,
    path: str | None,
) -> PolyphenyAddress:
    if isinstance(address, PolyphenyAddress):
        if user is None and password is None:
            return address
        return dataclasses.replace(
            address,
            user=user if user is not None else address.user,
            password=password if password is not None else address.password,
        )
    if address is None:
        if path is not None:
            address, transport = path, transport or "unix"
        elif host is not None or port is not None:
            address = (host or "localhost", port if port is not None else DEFAULT_POLYPHENY_PORT)
        else:
            raise ConfigurationError(
                "PolyphenyStore needs an address: ('host', port), "
                "'polypheny://user:pass@host:port', a socket path with transport='unix' "
                "or 'polypheny+unix:///path'"
            )
    parsed = parse_address(
        address,
        user=user if user is not None else "pa",
        password=password if password is not None else "",
        transport=transport or "plain",
    )
    if not isinstance(parsed, PolyphenyAddress):
        raise ConfigurationError(f"{address!r} is not a Polypheny address (it is {parsed.url})")
    return parsed
