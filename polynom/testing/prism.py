"""The Prism stand-in: a TEST DOUBLE that speaks Polypheny's Prism protocol.

:class:`PrismServer` listens on a loopback TCP port and answers the plain transport of
Polypheny's Prism protocol (version line ``plain-v1@polypheny.com``, then 8-byte
little-endian length-prefixed protobuf ``Request``/``Response`` messages), so that the real
``polypheny`` driver -- and :class:`polynom.stores.polypheny.PolyphenyStore`, and PolyNOM
itself -- can run in tests without the Java server. Statements are executed on an embedded
store (by default a fresh in-memory :class:`~polynom.stores.sqlite.SqliteStore`); every
client gets its own store connection, so its own transaction.

It is **not** a database to deploy and **not** Polypheny: it has no query planner, no
Polypheny-specific result semantics beyond what is documented in ``docs/testing.md``
("What the stand-in does not emulate"), no MQL/Cypher, no streaming of large values, no
unix-socket or TLS transport, and it runs only the SQL the embedded store's translator
accepts.

Example::

    with PrismServer() as server:
        con = polypheny.connect(server.address, username="pa", password="", transport="plain")
        ...
        assert server.request_counts["commit_request"] == 1
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from org.polypheny.prism import (
    protointerface_pb2,
    relational_frame_pb2,
    statement_responses_pb2,
    version,
)

from polynom.errors import (
    ConflictError,
    ForeignKeyViolation,
    NotNullViolation,
    StoreConnectionError,
    UniqueViolation,
)
from polynom.testing._prism_values import (
    ColumnType,
    PrismValueError,
    decode_param,
    encode_result,
    parse_type,
)
from polynom.testing._sqltext import (
    count_placeholders,
    first_keyword,
    named_to_positional,
    strip_terminator,
)

if TYPE_CHECKING:
    from polynom.stores.base import Store, StoreConnection

__all__ = ["DEFAULT_FETCH_SIZE", "DEFAULT_MAX_FRAME_BYTES", "PrismServer"]

log = logging.getLogger(__name__)

PLAIN_VERSION = b"plain-v1@polypheny.com\n"
UNIX_VERSION = b"unix-v1@polypheny.com\n"
DEFAULT_FETCH_SIZE = 100  # Polypheny's PropertyUtils.DEFAULT_FETCH_SIZE
DEFAULT_NAMESPACE = "public"
#: Soft limit on the size of one result frame. The Python driver 1.0.0 reads a message with a
#: single ``recv()``, which can return a partial message once it is larger than what the
#: socket delivers at once; smaller frames keep the driver working (it fetches the rest).
DEFAULT_MAX_FRAME_BYTES = 32 * 1024
_DDL_KEYWORDS = frozenset({"CREATE", "DROP", "ALTER", "TRUNCATE", "RENAME", "COMMENT"})
_MAX_MESSAGE = 256 * 1024 * 1024


class _ProtocolError(Exception):
    """The client broke the protocol; the connection is closed."""


class _RequestError(Exception):
    """A request failed; answered with an ``error_response`` carrying this message."""


# -- per client state --------------------------------------------------------------------


@dataclass
class _Statement:
    id: int
    language: str
    sql: str
    namespace: str | None
    param_names: list[str] | None = None  # named statements: names in placeholder order
    columns: list[relational_frame_pb2.ColumnMeta] = field(default_factory=list)
    types: list[ColumnType | None] = field(default_factory=list)
    pending: list[tuple[Any, ...]] = field(default_factory=list)
    position: int = 0


class _Client:
    """One client connection: socket, store connection, open statements."""

    def __init__(self, server: PrismServer, sock: socket.socket, peer: Any) -> None:
        self.server = server
        self.sock = sock
        self.peer = peer
        self.conn: StoreConnection | None = None
        self.statements: dict[int, _Statement] = {}
        self.next_statement_id = 1
        self.namespace = DEFAULT_NAMESPACE
        self.auto_commit = False
        self.client_info: dict[str, str] = {}
        self.thread: threading.Thread | None = None

    # -- wire ------------------------------------------------------------------------

    def _recv_exact(self, n: int) -> bytes:
        chunks = []
        while n:
            chunk = self.sock.recv(min(n, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _send(self, response: protointerface_pb2.Response) -> None:
        payload = response.SerializeToString()
        self.sock.sendall(len(payload).to_bytes(8, "little") + payload)

    def _handshake(self) -> None:
        line = UNIX_VERSION if self.server.unix_socket else PLAIN_VERSION
        self.sock.sendall(bytes([len(line)]) + line)
        length = self._recv_exact(1)[0]
        echoed = self._recv_exact(length) if length else b""
        if echoed != line:
            raise _ProtocolError(f"client answered the version line with {echoed!r}")

    def _read_request(self) -> protointerface_pb2.Request:
        n = int.from_bytes(self._recv_exact(8), "little")
        if n > _MAX_MESSAGE:
            raise _ProtocolError(f"message of {n} bytes is too large")
        request = protointerface_pb2.Request()
        request.ParseFromString(self._recv_exact(n))
        return request

    # -- main loop -------------------------------------------------------------------

    def run(self) -> None:
        try:
            self._handshake()
            first = self._read_request()
            self.server._count(first)
            if not self._connect(first):
                return
            while True:
                request = self._read_request()
                self.server._count(request)
                if not self._dispatch(request):
                    return
        except (EOFError, OSError, _ProtocolError) as exc:
            log.debug("prism stand-in: client %s gone: %s", self.peer, exc)
        except Exception:  # a bug in the stand-in: log it, never hang the client
            log.exception("prism stand-in: client %s failed", self.peer)
        finally:
            self.close()

    def close(self) -> None:
        conn, self.conn = self.conn, None
        self.statements.clear()
        if conn is not None:
            self.server._release(conn)
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()
        self.server._forget(self)

    def _error(self, request_id: int, message: str) -> protointerface_pb2.Response:
        response = protointerface_pb2.Response(id=request_id, last=True)
        response.error_response.message = message
        return response

    def _connect(self, request: protointerface_pb2.Request) -> bool:
        kind = request.WhichOneof("type")
        if kind != "connection_request":
            self._send(self._error(request.id, "First message must be a connection request"))
            return False
        req = request.connection_request
        response = protointerface_pb2.Response(id=request.id, last=True)
        answer = response.connection_response
        answer.major_api_version = version.MAJOR_VERSION
        answer.minor_api_version = version.MINOR_VERSION
        answer.is_compatible = req.major_api_version == version.MAJOR_VERSION
        if not answer.is_compatible:
            self._send(response)
            return False
        problem = self.server._check_credentials(
            req.username if req.HasField("username") else None,
            req.password if req.HasField("password") else None,
        )
        if problem:
            self._send(self._error(request.id, problem))
            return False
        props = req.connection_properties
        if req.HasField("connection_properties"):
            if props.HasField("is_auto_commit"):
                self.auto_commit = props.is_auto_commit
            if props.HasField("namespace_name"):
                self.namespace = props.namespace_name
        try:
            self.conn = self.server._acquire()
        except Exception as exc:
            self._send(
                self._error(request.id, f"The Prism stand-in cannot open a store connection: {exc}")
            )
            return False
        self._send(response)
        return True

    def _dispatch(self, request: protointerface_pb2.Request) -> bool:
        """Answer one request; False when the connection must be closed afterwards."""
        kind = request.WhichOneof("type")
        handler = _HANDLERS.get(kind or "")
        keep_open = kind != "disconnect_request"
        try:
            if handler is None:
                what = kind or "an empty request"
                raise _RequestError(f"The Prism stand-in (a test double) does not emulate {what}")
            handler(self, request)
        except _RequestError as exc:
            self._send(self._error(request.id, str(exc)))
        except (EOFError, OSError):
            raise
        except Exception as exc:  # never leave the client waiting for an answer
            log.exception("prism stand-in: %s failed", kind)
            self._send(self._error(request.id, f"Prism stand-in internal error: {exc!r}"))
        return keep_open

    # -- helpers ---------------------------------------------------------------------

    def _response(self, request: protointerface_pb2.Request) -> protointerface_pb2.Response:
        return protointerface_pb2.Response(id=request.id, last=True)

    def _new_statement(
        self, language: str, sql: str, namespace: str | None, *, named: bool = False
    ) -> _Statement:
        if language.lower() != "sql":
            raise _RequestError(
                f"Language {language!r} is not supported by the Prism stand-in (SQL only)"
            )
        text = strip_terminator(sql)
        names = None
        if named:
            text, names = named_to_positional(text)
        self.server._record(language, sql, namespace)
        statement = _Statement(self.next_statement_id, language, text, namespace or None, names)
        self.next_statement_id += 1
        self.statements[statement.id] = statement
        return statement

    def _statement(self, statement_id: int) -> _Statement:
        if statement_id == 0:
            raise _RequestError(
                "Invalid statement id: 0 (possibly uninitialized prism protocol field)"
            )
        statement = self.statements.get(statement_id)
        if statement is None:
            raise _RequestError(
                f"A statement with id {statement_id} does not exist for that client"
            )
        return statement

    def _fetch_size(self, message: Any) -> int:
        if message.HasField("fetch_size") and message.fetch_size > 0:
            return int(message.fetch_size)
        return DEFAULT_FETCH_SIZE

    def _execute(
        self,
        statement: _Statement,
        params: Sequence[Any],
        fetch_size: int,
        out: statement_responses_pb2.StatementResult,
    ) -> None:
        """Run ``statement`` and fill ``out`` with its scalar or first frame."""
        assert self.conn is not None
        expected = count_placeholders(statement.sql)
        if len(params) != expected:
            raise _RequestError(
                f"Statement expects {expected} parameter(s) but {len(params)} were given"
            )
        statement.pending, statement.position = [], 0
        namespace = statement.namespace or self.namespace
        keyword = first_keyword(statement.sql)
        conn = self.conn
        if keyword in _DDL_KEYWORDS:
            # Polypheny commits the open transaction before a DDL statement, then runs it in
            # the client's session; it answers a DDL statement with the scalar 1.
            self._run(
                lambda: self.server._execute(conn, statement.sql, (), namespace),
                keyword,
                commit_first=True,
            )
            out.scalar = 1
            return
        result = self._run(
            lambda: self.server._execute(conn, statement.sql, params, namespace), keyword
        )
        columns, types, rows, rowcount = result
        if columns:
            statement.types = types
            statement.columns = [
                _column_meta(i, name, types[i] if i < len(types) else None)
                for i, name in enumerate(columns)
            ]
            statement.pending = rows
            out.frame.CopyFrom(self._frame(statement, fetch_size))
        else:
            out.scalar = max(rowcount, 0)
        if self.auto_commit:
            self._run(self.conn.commit, "COMMIT")

    def _run(self, action: Callable[[], Any], keyword: str, *, commit_first: bool = False) -> Any:
        assert self.conn is not None
        try:
            if commit_first:
                self.conn.commit()
            return action()
        except Exception as exc:
            if isinstance(exc, StoreConnectionError):
                raise
            # Polypheny rolls back the transaction of a failed statement.
            with contextlib.suppress(Exception):
                self.conn.rollback()
            raise _RequestError(_error_message(keyword, exc)) from exc

    def _frame(self, statement: _Statement, fetch_size: int) -> statement_responses_pb2.Frame:
        frame = statement_responses_pb2.Frame()
        relational = frame.relational_frame
        relational.column_meta.extend(statement.columns)
        budget = self.server.max_frame_bytes or 1 << 62  # None: rows only, as Polypheny
        size = 0
        rows = statement.pending
        while statement.position < len(rows) and len(relational.rows) < fetch_size:
            row = relational_frame_pb2.Row()
            for i, value in enumerate(rows[statement.position]):
                ctype = statement.types[i] if i < len(statement.types) else None
                row.values.append(encode_result(value, ctype))
            row_size = row.ByteSize()
            if relational.rows and size + row_size > budget:
                break
            relational.rows.append(row)
            size += row_size
            statement.position += 1
        frame.is_last = statement.position >= len(rows)
        if frame.is_last:
            statement.pending, statement.position = [], 0
        return frame

    # -- request handlers ------------------------------------------------------------

    def on_disconnect(self, request: protointerface_pb2.Request) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.rollback()
        response = self._response(request)
        response.disconnect_response.SetInParent()
        self._send(response)

    def on_connection_check(self, request: protointerface_pb2.Request) -> None:
        response = self._response(request)
        response.connection_check_response.SetInParent()
        self._send(response)

    def on_commit(self, request: protointerface_pb2.Request) -> None:
        assert self.conn is not None
        self._run(self.conn.commit, "COMMIT")
        response = self._response(request)
        response.commit_response.SetInParent()
        self._send(response)

    def on_rollback(self, request: protointerface_pb2.Request) -> None:
        assert self.conn is not None
        self._run(self.conn.rollback, "ROLLBACK")
        response = self._response(request)
        response.rollback_response.SetInParent()
        self._send(response)

    def on_execute_unparameterized(self, request: protointerface_pb2.Request) -> None:
        req = request.execute_unparameterized_statement_request
        namespace = req.namespace_name if req.HasField("namespace_name") else None
        statement = self._new_statement(req.language_name, req.statement, namespace)
        # First answer: the statement id, not last (the driver reads and discards it).
        mid = protointerface_pb2.Response(id=request.id, last=False)
        mid.statement_response.statement_id = statement.id
        self._send(mid)
        response = self._response(request)
        answer = response.statement_response
        answer.statement_id = statement.id
        self._execute(statement, (), self._fetch_size(req), answer.result)
        self._send(response)

    def on_execute_unparameterized_batch(self, request: protointerface_pb2.Request) -> None:
        req = request.execute_unparameterized_statement_batch_request
        statements = [
            self._new_statement(
                s.language_name,
                s.statement,
                s.namespace_name if s.HasField("namespace_name") else None,
            )
            for s in req.statements
        ]
        batch_id = self.next_statement_id
        self.next_statement_id += 1
        mid = protointerface_pb2.Response(id=request.id, last=False)
        mid.statement_batch_response.batch_id = batch_id
        self._send(mid)
        response = self._response(request)
        answer = response.statement_batch_response
        answer.batch_id = batch_id
        for statement in statements:
            result = statement_responses_pb2.StatementResult()
            self._execute(statement, (), DEFAULT_FETCH_SIZE, result)
            answer.scalars.append(result.scalar)
            self.statements.pop(statement.id, None)
        self._send(response)

    def _prepare(self, request: protointerface_pb2.Request, *, named: bool) -> None:
        req = (
            request.prepare_named_statement_request
            if named
            else request.prepare_indexed_statement_request
        )
        namespace = req.namespace_name if req.HasField("namespace_name") else None
        statement = self._new_statement(req.language_name, req.statement, namespace, named=named)
        response = self._response(request)
        signature = response.prepared_statement_signature
        signature.statement_id = statement.id
        names = statement.param_names or []
        for i in range(count_placeholders(statement.sql)):
            meta = signature.parameter_metas.add()
            meta.type_name = "ANY"
            meta.name = f"?{i}"
            if named and i < len(names):
                meta.parameter_name = names[i]
        self._send(response)

    def on_prepare_indexed(self, request: protointerface_pb2.Request) -> None:
        self._prepare(request, named=False)

    def on_prepare_named(self, request: protointerface_pb2.Request) -> None:
        self._prepare(request, named=True)

    def _decode_params(self, values: Iterator[Any]) -> list[Any]:
        try:
            return [decode_param(v) for v in values]
        except PrismValueError as exc:
            raise _RequestError(str(exc)) from exc

    def on_execute_indexed(self, request: protointerface_pb2.Request) -> None:
        req = request.execute_indexed_statement_request
        statement = self._statement(req.statement_id)
        if statement.param_names is not None:
            raise _RequestError(f"Statement {statement.id} is a named statement")
        params = self._decode_params(iter(req.parameters.parameters))
        response = self._response(request)
        self._execute(statement, params, self._fetch_size(req), response.statement_result)
        self._send(response)

    def on_execute_indexed_batch(self, request: protointerface_pb2.Request) -> None:
        req = request.execute_indexed_statement_batch_request
        statement = self._statement(req.statement_id)
        response = self._response(request)
        answer = response.statement_batch_response
        answer.batch_id = statement.id
        for parameters in req.parameters:
            result = statement_responses_pb2.StatementResult()
            self._execute(
                statement,
                self._decode_params(iter(parameters.parameters)),
                DEFAULT_FETCH_SIZE,
                result,
            )
            answer.scalars.append(result.scalar)
        self._send(response)

    def on_execute_named(self, request: protointerface_pb2.Request) -> None:
        req = request.execute_named_statement_request
        statement = self._statement(req.statement_id)
        if statement.param_names is None:
            raise _RequestError(f"Statement {statement.id} is not a named statement")
        given = req.parameters.parameters
        missing = [name for name in statement.param_names if name not in given]
        if missing:
            raise _RequestError(
                f"Missing value for named parameter(s): {', '.join(sorted(set(missing)))}"
            )
        params = self._decode_params(iter([given[name] for name in statement.param_names]))
        response = self._response(request)
        self._execute(statement, params, self._fetch_size(req), response.statement_result)
        self._send(response)

    def on_fetch(self, request: protointerface_pb2.Request) -> None:
        req = request.fetch_request
        statement = self._statement(req.statement_id)
        if not statement.columns:
            raise _RequestError(f"Statement {statement.id} has no result to fetch")
        response = self._response(request)
        response.frame.CopyFrom(self._frame(statement, self._fetch_size(req)))
        self._send(response)

    def on_close_statement(self, request: protointerface_pb2.Request) -> None:
        self.statements.pop(request.close_statement_request.statement_id, None)
        response = self._response(request)
        response.close_statement_response.SetInParent()
        self._send(response)

    def on_close_result(self, request: protointerface_pb2.Request) -> None:
        statement = self._statement(request.close_result_request.statement_id)
        statement.pending, statement.position = [], 0
        response = self._response(request)
        response.close_result_response.SetInParent()
        self._send(response)

    def on_connection_properties_update(self, request: protointerface_pb2.Request) -> None:
        props = request.connection_properties_update_request.connection_properties
        if props.HasField("is_auto_commit"):
            self.auto_commit = props.is_auto_commit
        if props.HasField("namespace_name"):
            self.namespace = props.namespace_name
        response = self._response(request)
        response.connection_properties_update_response.SetInParent()
        self._send(response)

    def on_dbms_version(self, request: protointerface_pb2.Request) -> None:
        response = self._response(request)
        answer = response.dbms_version_response
        answer.dbms_name = "Polypheny-DB (polynom Prism stand-in, a test double)"
        answer.version_name = "stand-in"
        answer.major_version = 0
        answer.minor_version = 0
        self._send(response)

    def on_default_namespace(self, request: protointerface_pb2.Request) -> None:
        response = self._response(request)
        response.default_namespace_response.default_namespace = self.namespace
        self._send(response)

    def on_client_info(self, request: protointerface_pb2.Request) -> None:
        response = self._response(request)
        response.client_info_properties_response.properties.update(self.client_info)
        self._send(response)

    def on_set_client_info(self, request: protointerface_pb2.Request) -> None:
        self.client_info.update(request.set_client_info_properties_request.properties)
        response = self._response(request)
        response.set_client_info_properties_response.SetInParent()
        self._send(response)

    def on_meta_string(self, request: protointerface_pb2.Request) -> None:
        kind = request.WhichOneof("type") or ""
        response = self._response(request)
        getattr(response, kind.replace("_request", "_response")).string = ""
        self._send(response)

    def on_connection_request_again(self, request: protointerface_pb2.Request) -> None:
        raise _RequestError("ConnectionRequest only allowed as first message")


_HANDLERS: dict[str, Callable[[_Client, protointerface_pb2.Request], None]] = {
    "connection_request": _Client.on_connection_request_again,
    "disconnect_request": _Client.on_disconnect,
    "connection_check_request": _Client.on_connection_check,
    "commit_request": _Client.on_commit,
    "rollback_request": _Client.on_rollback,
    "execute_unparameterized_statement_request": _Client.on_execute_unparameterized,
    "execute_unparameterized_statement_batch_request": _Client.on_execute_unparameterized_batch,
    "prepare_indexed_statement_request": _Client.on_prepare_indexed,
    "execute_indexed_statement_request": _Client.on_execute_indexed,
    "execute_indexed_statement_batch_request": _Client.on_execute_indexed_batch,
    "prepare_named_statement_request": _Client.on_prepare_named,
    "execute_named_statement_request": _Client.on_execute_named,
    "fetch_request": _Client.on_fetch,
    "close_statement_request": _Client.on_close_statement,
    "close_result_request": _Client.on_close_result,
    "connection_properties_update_request": _Client.on_connection_properties_update,
    "dbms_version_request": _Client.on_dbms_version,
    "default_namespace_request": _Client.on_default_namespace,
    "client_info_properties_request": _Client.on_client_info,
    "set_client_info_properties_request": _Client.on_set_client_info,
    "sql_string_functions_request": _Client.on_meta_string,
    "sql_system_functions_request": _Client.on_meta_string,
    "sql_time_date_functions_request": _Client.on_meta_string,
    "sql_numeric_functions_request": _Client.on_meta_string,
    "sql_keywords_request": _Client.on_meta_string,
}


def _column_meta(
    index: int, label: str, ctype: ColumnType | None
) -> relational_frame_pb2.ColumnMeta:
    meta = relational_frame_pb2.ColumnMeta(
        column_index=index,
        column_label=label,
        column_name=label,
        is_nullable=True,
    )
    if ctype is not None:
        meta.precision = ctype.precision
        meta.length = ctype.precision
        meta.scale = ctype.scale
        meta.type_meta.proto_value_type = ctype.proto_type
    return meta


_VERBS = {"INSERT": "Insert", "UPDATE": "Update", "DELETE": "Delete", "MERGE": "Merge"}


def _error_message(keyword: str, exc: BaseException) -> str:
    """A Polypheny-like message: constraint violations read as Polypheny words them."""
    verb = _VERBS.get(keyword, "Statement")
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, UniqueViolation):
        return f"{verb} violates unique constraint: {detail}"
    if isinstance(exc, ForeignKeyViolation):
        return f"{verb} violates foreign key constraint: {detail}"
    if isinstance(exc, NotNullViolation):
        return f"{verb} violates not null constraint: {detail}"
    if isinstance(exc, ConflictError):
        return f"Transaction conflict, the transaction was rolled back: {detail}"
    return detail


# -- the server --------------------------------------------------------------------------


class PrismServer:
    """A Prism (plain transport) server backed by an embedded store -- a TEST DOUBLE.

    :param store: the store statements run on; by default a fresh in-memory embedded store
        owned (and closed) by the server. Pass your own to inspect data from the test.
    :param url: instead of ``store``, a store address for ``polynom.stores.open_store``
        (``"sqlite:///tmp/x.db"``); that store is owned by the server.
    :param host: the interface to listen on (loopback by default).
    :param port: the TCP port; ``0`` picks a free one. A stopped server restarts on the port
        it had, so tests can simulate a server restart.
    :param user: when given, clients must log in with this user and ``password``; otherwise
        any user and password are accepted (as the URL, ``pa`` with an empty password).
    :param max_frame_bytes: soft limit of one result frame (see ``DEFAULT_MAX_FRAME_BYTES``);
        ``None`` cuts frames by ``fetch_size`` alone, as Polypheny does.
    :param record_statements: keep every statement received in :attr:`statements`.
    :param unix_socket: listen on this unix socket path (Prism's ``unix`` transport,
        version line ``unix-v1@polypheny.com``) instead of TCP.

    Counters: :attr:`request_count` (all requests since the last :meth:`reset_counts`) and
    :attr:`request_counts` (per request kind, e.g. ``"prepare_indexed_statement_request"``).
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        user: str | None = None,
        password: str | None = None,
        max_frame_bytes: int | None = DEFAULT_MAX_FRAME_BYTES,
        record_statements: bool = False,
        unix_socket: str | None = None,
    ) -> None:
        if store is not None and url is not None:
            raise ValueError("give either store or url, not both")
        self._store = store
        self._store_url = url
        self._owns_store = store is None
        self.host = host
        self._port = port
        self.user = user
        self.password = password
        self.max_frame_bytes = max_frame_bytes
        self.unix_socket = os.fspath(unix_socket) if unix_socket else None
        self.record_statements = record_statements
        #: ``(language, statement, namespace)`` of every statement received, as sent, when
        #: ``record_statements`` is on (cleared by :meth:`reset_counts`).
        self.statements: list[tuple[str, str, str | None]] = []
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._clients: set[_Client] = set()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._running = threading.Event()

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> PrismServer:
        """Start listening (again, on the same port after :meth:`stop`). Returns ``self``."""
        if self._running.is_set():
            return self
        self._ensure_store()
        if self.unix_socket:
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.unix_socket)
            target: Any = self.unix_socket
        else:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            target = (self.host, self._port)
        try:
            listener.bind(target)
        except OSError:
            listener.close()
            raise
        listener.listen(64)
        if not self.unix_socket:
            self._port = listener.getsockname()[1]
        self._listener = listener
        self._running.set()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"prism-stand-in:{self._port}", daemon=True
        )
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and drop every client (their transactions roll back).

        The store and its data are kept, so :meth:`start` brings the "server" back.
        """
        if not self._running.is_set():
            return
        self._running.clear()
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
            if self.unix_socket:
                with contextlib.suppress(OSError):
                    os.unlink(self.unix_socket)
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=5)
            self._accept_thread = None
        self.disconnect_clients()

    def close(self) -> None:
        """Stop, and close the store if the server created it."""
        self.stop()
        if self._owns_store and self._store is not None:
            store, self._store = self._store, None
            store.close()

    def __enter__(self) -> PrismServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def disconnect_clients(self) -> None:
        """Drop every client connection now, as a crashed server or a broken network would."""
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            with contextlib.suppress(OSError):
                client.sock.shutdown(socket.SHUT_RDWR)
        for client in clients:
            if client.thread is not None and client.thread is not threading.current_thread():
                client.thread.join(timeout=5)

    # -- addresses -------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def address(self) -> Any:
        """``(host, port)`` as ``polypheny.connect`` and PolyNOM's ``Application`` take it
        (the socket path with ``unix_socket``)."""
        if self.unix_socket:
            return self.unix_socket
        return (self.host, self._port)

    @property
    def url(self) -> str:
        """``polypheny://user:password@host:port`` for ``polynom.stores.open_store``."""
        user = self.user if self.user is not None else "pa"
        password = self.password if self.password is not None else ""
        if self.unix_socket:
            return f"polypheny+unix://{self.unix_socket}"
        return f"polypheny://{user}:{password}@{self.host}:{self._port}"

    @property
    def running(self) -> bool:
        return self._running.is_set()

    @property
    def store(self) -> Store:
        """The embedded store the statements run on."""
        return self._ensure_store()

    @property
    def client_count(self) -> int:
        """How many clients are connected right now."""
        with self._lock:
            return len(self._clients)

    # -- counters --------------------------------------------------------------------

    @property
    def request_count(self) -> int:
        """Requests received since the last :meth:`reset_counts` (one per round trip)."""
        with self._lock:
            return sum(self._counts.values())

    @property
    def request_counts(self) -> dict[str, int]:
        """Requests received per kind (``"commit_request"``...), since the last reset."""
        with self._lock:
            return dict(self._counts)

    def reset_counts(self) -> None:
        """Zero the request counters (and forget the recorded statements)."""
        with self._lock:
            self._counts.clear()
            self.statements.clear()

    def _record(self, language: str, sql: str, namespace: str | None) -> None:
        if self.record_statements:
            with self._lock:
                self.statements.append((language, sql, namespace))

    def _count(self, request: protointerface_pb2.Request) -> None:
        with self._lock:
            self._counts[request.WhichOneof("type") or "empty"] += 1

    # -- internals -------------------------------------------------------------------

    def _ensure_store(self) -> Store:
        if self._store is None:
            from polynom.stores import open_store

            # Every client holds one store connection while connected: a roomy pool.
            self._store = open_store(self._store_url or "sqlite://", pool_size=64)
        return self._store

    def _accept_loop(self) -> None:
        listener = self._listener
        assert listener is not None
        while self._running.is_set():
            try:
                sock, peer = listener.accept()
            except OSError:
                break
            if not self._running.is_set():
                sock.close()
                break
            if not self.unix_socket:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client = _Client(self, sock, peer)
            thread = threading.Thread(
                target=client.run, name=f"prism-stand-in-client:{peer!r}", daemon=True
            )
            client.thread = thread
            with self._lock:
                self._clients.add(client)
            thread.start()

    def _forget(self, client: _Client) -> None:
        with self._lock:
            self._clients.discard(client)

    def _check_credentials(self, user: str | None, password: str | None) -> str | None:
        if self.user is None:
            return None
        if user != self.user or (password or "") != (self.password or ""):
            return f"Authentication failed for user {user!r}: wrong user name or password"
        return None

    def _acquire(self) -> StoreConnection:
        return self.store.acquire()

    def _release(self, conn: StoreConnection) -> None:
        store = self._store
        if store is None:
            with contextlib.suppress(Exception):
                conn.close()
            return
        try:
            store.release(conn)
        except Exception:
            log.debug("prism stand-in: releasing a store connection failed", exc_info=True)

    def _execute(
        self, conn: StoreConnection, sql: str, params: Sequence[Any], namespace: str
    ) -> tuple[list[str], list[ColumnType | None], list[tuple[Any, ...]], int]:
        result = _store_execute(conn, sql, params, namespace)
        types = [parse_type(t) for t in _declared_types(result)]
        return list(result.columns), types, list(result.rows), result.rowcount


# -- the embedded store's API, in one place ----------------------------------------------


def _takes_namespace(method: Callable[..., Any]) -> bool:
    try:
        return "namespace" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def _store_execute(conn: StoreConnection, sql: str, params: Sequence[Any], namespace: str) -> Any:
    """``conn.execute`` with the statement's namespace, where the store takes one (the
    embedded store resolves one-part table names there; Polypheny's default is ``public``)."""
    if _takes_namespace(conn.execute):
        return conn.execute(sql, params, namespace=namespace)  # type: ignore[call-arg]
    return conn.execute(sql, params)


def _declared_types(result: Any) -> list[str | None]:
    """The Polypheny type of each result column, where the store reports it."""
    types = getattr(result, "types", None)
    if types and len(types) == len(result.columns):
        return list(types)
    return [None] * len(result.columns)
