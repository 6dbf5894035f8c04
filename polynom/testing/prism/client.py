"""One client connection of the stand-in: its requests read, dispatched and answered in turn.

Modelled on Polypheny-DB's ``plugins/prism-interface/src/main/java/org/polypheny/db/
prisminterface/PIService.java``: the first request must be a connection request, every later
one gets exactly one answer (an ``error_response`` when it fails), and a
``disconnect_request`` ends the connection. Statements live in :class:`.Statements`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from org.polypheny.prism import protointerface_pb2, statement_responses_pb2, version

from polynom.testing.prism.sqltext import count_placeholders
from polynom.testing.prism.statements import DEFAULT_FETCH_SIZE, Statements
from polynom.testing.prism.transaction import RequestError
from polynom.testing.prism.transport import ProtocolError, Transport
from polynom.testing.prism.values import PrismValueError, decode_param

if TYPE_CHECKING:
    from polynom.stores.base import StoreConnection
    from polynom.testing.prism.state import ServerState

__all__ = ["DEFAULT_NAMESPACE", "Client"]

log = logging.getLogger("polynom.testing.prism")

DEFAULT_NAMESPACE = "public"


def _response(request: protointerface_pb2.Request) -> protointerface_pb2.Response:
    return protointerface_pb2.Response(id=request.id, last=True)


def _error(request_id: int, message: str) -> protointerface_pb2.Response:
    response = protointerface_pb2.Response(id=request_id, last=True)
    response.error_response.message = message
    return response


def _fetch_size(message: Any) -> int:
    if message.HasField("fetch_size") and message.fetch_size > 0:
        return int(message.fetch_size)
    return DEFAULT_FETCH_SIZE


class Client:
    """One client: its transport, its store connection (so its own transaction), its
    statements. :meth:`run` serves it until it disconnects or the connection drops."""

    #: The client's statements, on its store connection (set once it is connected).
    statements: Statements

    def __init__(self, transport: Transport, peer: Any, state: ServerState) -> None:
        self.transport = transport
        self.peer = peer
        self.conn: StoreConnection | None = None
        self.client_info: dict[str, str] = {}
        self.thread: threading.Thread | None = None
        self.admitted = False
        self._state = state

    def disconnect(self) -> None:
        """Cut the connection now; :meth:`run` ends and cleans up."""
        self.transport.shutdown()

    # -- main loop -------------------------------------------------------------------

    def run(self) -> None:
        try:
            self.transport.handshake()
            first = self.transport.read_request()
            self._state.count(first)
            if not self._connect(first):
                return
            while True:
                request = self.transport.read_request(self._state.idle_timeout)
                self._state.count(request)
                if not self._dispatch(request):
                    return
        except TimeoutError:
            log.info(
                "prism stand-in: client %s idle for %s s, disconnected (its transaction is "
                "rolled back)",
                self.peer,
                self._state.idle_timeout,
            )
        except (EOFError, OSError, ProtocolError) as exc:
            log.debug("prism stand-in: client %s gone: %s", self.peer, exc)
        except Exception:  # a bug in the stand-in: log it, never hang the client
            log.exception("prism stand-in: client %s failed", self.peer)
        finally:
            self.close()

    def close(self) -> None:
        conn, self.conn = self.conn, None
        statements = getattr(self, "statements", None)
        if statements is not None:
            statements.close_all()
            with contextlib.suppress(Exception):  # its locks go, whatever the store says
                statements.rollback()
        if conn is not None:
            self._state.release(conn)
        self.transport.close()
        self._state.forget_client(self)

    def _connect(self, request: protointerface_pb2.Request) -> bool:
        kind = request.WhichOneof("type")
        if kind != "connection_request":
            self.transport.send(_error(request.id, "First message must be a connection request"))
            return False
        req = request.connection_request
        response = _response(request)
        answer = response.connection_response
        answer.major_api_version = version.MAJOR_VERSION
        answer.minor_api_version = version.MINOR_VERSION
        answer.is_compatible = req.major_api_version == version.MAJOR_VERSION
        if not answer.is_compatible:
            self.transport.send(response)
            return False
        problem = self._state.check_credentials(
            req.username if req.HasField("username") else None,
            req.password if req.HasField("password") else None,
        )
        if problem:
            self.transport.send(_error(request.id, problem))
            return False
        refused = self._state.admit(self)
        if refused:  # told at once, never left waiting
            self.transport.send(_error(request.id, refused))
            return False
        namespace, auto_commit = DEFAULT_NAMESPACE, False
        props = req.connection_properties
        if req.HasField("connection_properties"):
            if props.HasField("is_auto_commit"):
                auto_commit = props.is_auto_commit
            if props.HasField("namespace_name"):
                namespace = props.namespace_name
        try:
            self.conn = self._state.acquire()
        except Exception as exc:
            self.transport.send(
                _error(request.id, f"The Prism stand-in cannot open a store connection: {exc}")
            )
            return False
        self.statements = Statements(
            self.conn, self._state, namespace=namespace, auto_commit=auto_commit
        )
        self.transport.send(response)
        return True

    def _dispatch(self, request: protointerface_pb2.Request) -> bool:
        """Answer one request; False when the connection must be closed afterwards."""
        kind = request.WhichOneof("type")
        handler = _HANDLERS.get(kind or "")
        keep_open = kind != "disconnect_request"
        try:
            if handler is None:
                what = kind or "an empty request"
                raise RequestError(f"The Prism stand-in (a test double) does not emulate {what}")
            handler(self, request)
        except RequestError as exc:
            self.transport.send(_error(request.id, str(exc)))
        except (EOFError, OSError):
            raise
        except Exception as exc:  # never leave the client waiting for an answer
            log.exception("prism stand-in: %s failed", kind)
            self.transport.send(_error(request.id, f"Prism stand-in internal error: {exc!r}"))
        return keep_open

    # -- request handlers ------------------------------------------------------------

    def on_disconnect(self, request: protointerface_pb2.Request) -> None:
        with contextlib.suppress(Exception):
            self.statements.rollback()
        response = _response(request)
        response.disconnect_response.SetInParent()
        self.transport.send(response)

    def on_connection_check(self, request: protointerface_pb2.Request) -> None:
        response = _response(request)
        response.connection_check_response.SetInParent()
        self.transport.send(response)

    def on_commit(self, request: protointerface_pb2.Request) -> None:
        self.statements.commit()
        response = _response(request)
        response.commit_response.SetInParent()
        self.transport.send(response)

    def on_rollback(self, request: protointerface_pb2.Request) -> None:
        self.statements.rollback()
        response = _response(request)
        response.rollback_response.SetInParent()
        self.transport.send(response)

    def on_execute_unparameterized(self, request: protointerface_pb2.Request) -> None:
        req = request.execute_unparameterized_statement_request
        namespace = req.namespace_name if req.HasField("namespace_name") else None
        statement = self.statements.new(req.language_name, req.statement, namespace)
        # First answer: the statement id, not last (the driver reads and discards it).
        mid = protointerface_pb2.Response(id=request.id, last=False)
        mid.statement_response.statement_id = statement.id
        self.transport.send(mid)
        response = _response(request)
        answer = response.statement_response
        answer.statement_id = statement.id
        self.statements.execute(statement, (), _fetch_size(req), answer.result, prepared=False)
        self.transport.send(response)

    def on_execute_unparameterized_batch(self, request: protointerface_pb2.Request) -> None:
        req = request.execute_unparameterized_statement_batch_request
        statements = [
            self.statements.new(
                s.language_name,
                s.statement,
                s.namespace_name if s.HasField("namespace_name") else None,
            )
            for s in req.statements
        ]
        batch_id = self.statements.new_id()
        mid = protointerface_pb2.Response(id=request.id, last=False)
        mid.statement_batch_response.batch_id = batch_id
        self.transport.send(mid)
        response = _response(request)
        answer = response.statement_batch_response
        answer.batch_id = batch_id
        for (
            statement
        ) in statements:  # one real count per statement (PIUnparameterizedStatementBatch)
            result = statement_responses_pb2.StatementResult()
            self.statements.execute(statement, (), DEFAULT_FETCH_SIZE, result, prepared=False)
            answer.scalars.append(result.scalar)
            self.statements.close(statement.id)
        self.transport.send(response)

    def _prepare(self, request: protointerface_pb2.Request, *, named: bool) -> None:
        req = (
            request.prepare_named_statement_request
            if named
            else request.prepare_indexed_statement_request
        )
        namespace = req.namespace_name if req.HasField("namespace_name") else None
        statement = self.statements.new(req.language_name, req.statement, namespace, named=named)
        response = _response(request)
        signature = response.prepared_statement_signature
        signature.statement_id = statement.id
        names = statement.param_names or []
        for i in range(count_placeholders(statement.sql)):
            meta = signature.parameter_metas.add()
            meta.type_name = "ANY"
            meta.name = f"?{i}"
            if named and i < len(names):
                meta.parameter_name = names[i]
        self.transport.send(response)

    def on_prepare_indexed(self, request: protointerface_pb2.Request) -> None:
        self._prepare(request, named=False)

    def on_prepare_named(self, request: protointerface_pb2.Request) -> None:
        self._prepare(request, named=True)

    def _decode_params(self, values: Iterator[Any]) -> list[Any]:
        try:
            return [decode_param(v) for v in values]
        except PrismValueError as exc:
            raise RequestError(str(exc)) from exc

    def on_execute_indexed(self, request: protointerface_pb2.Request) -> None:
        req = request.execute_indexed_statement_request
        statement = self.statements.get(req.statement_id)
        if statement.param_names is not None:
            raise RequestError(f"Statement {statement.id} is a named statement")
        params = self._decode_params(iter(req.parameters.parameters))
        response = _response(request)
        self.statements.execute(statement, params, _fetch_size(req), response.statement_result)
        self.transport.send(response)

    def on_execute_indexed_batch(self, request: protointerface_pb2.Request) -> None:
        req = request.execute_indexed_statement_batch_request
        statement = self.statements.get(req.statement_id)
        rows = [self._decode_params(iter(p.parameters)) for p in req.parameters]
        response = _response(request)
        answer = response.statement_batch_response
        answer.batch_id = statement.id
        answer.scalars.append(self.statements.execute_batch(statement, rows))
        self.transport.send(response)

    def on_execute_named(self, request: protointerface_pb2.Request) -> None:
        req = request.execute_named_statement_request
        statement = self.statements.get(req.statement_id)
        if statement.param_names is None:
            raise RequestError(f"Statement {statement.id} is not a named statement")
        given = req.parameters.parameters
        missing = [name for name in statement.param_names if name not in given]
        if missing:
            raise RequestError(
                f"Missing value for named parameter(s): {', '.join(sorted(set(missing)))}"
            )
        params = self._decode_params(iter([given[name] for name in statement.param_names]))
        response = _response(request)
        self.statements.execute(statement, params, _fetch_size(req), response.statement_result)
        self.transport.send(response)

    def on_fetch(self, request: protointerface_pb2.Request) -> None:
        req = request.fetch_request
        statement = self.statements.get(req.statement_id)
        if not statement.columns:
            raise RequestError(f"Statement {statement.id} has no result to fetch")
        response = _response(request)
        response.frame.CopyFrom(self.statements.frame(statement, _fetch_size(req)))
        self.transport.send(response)

    def on_close_statement(self, request: protointerface_pb2.Request) -> None:
        self.statements.close(request.close_statement_request.statement_id)
        response = _response(request)
        response.close_statement_response.SetInParent()
        self.transport.send(response)

    def on_close_result(self, request: protointerface_pb2.Request) -> None:
        statement = self.statements.get(request.close_result_request.statement_id)
        statement.pending, statement.position = [], 0
        response = _response(request)
        response.close_result_response.SetInParent()
        self.transport.send(response)

    def on_connection_properties_update(self, request: protointerface_pb2.Request) -> None:
        props = request.connection_properties_update_request.connection_properties
        if props.HasField("is_auto_commit"):
            self.statements.auto_commit = props.is_auto_commit
        if props.HasField("namespace_name"):
            self.statements.namespace = props.namespace_name
        response = _response(request)
        response.connection_properties_update_response.SetInParent()
        self.transport.send(response)

    def on_dbms_version(self, request: protointerface_pb2.Request) -> None:
        response = _response(request)
        answer = response.dbms_version_response
        answer.dbms_name = "Polypheny-DB (polynom Prism stand-in, a test double)"
        answer.version_name = "stand-in"
        answer.major_version = 0
        answer.minor_version = 0
        self.transport.send(response)

    def on_default_namespace(self, request: protointerface_pb2.Request) -> None:
        response = _response(request)
        response.default_namespace_response.default_namespace = self.statements.namespace
        self.transport.send(response)

    def on_client_info(self, request: protointerface_pb2.Request) -> None:
        response = _response(request)
        response.client_info_properties_response.properties.update(self.client_info)
        self.transport.send(response)

    def on_set_client_info(self, request: protointerface_pb2.Request) -> None:
        self.client_info.update(request.set_client_info_properties_request.properties)
        response = _response(request)
        response.set_client_info_properties_response.SetInParent()
        self.transport.send(response)

    def on_meta_string(self, request: protointerface_pb2.Request) -> None:
        kind = request.WhichOneof("type") or ""
        response = _response(request)
        getattr(response, kind.replace("_request", "_response")).string = ""
        self.transport.send(response)

    def on_connection_request_again(self, request: protointerface_pb2.Request) -> None:
        raise RequestError("ConnectionRequest only allowed as first message")


_HANDLERS: dict[str, Callable[[Client, protointerface_pb2.Request], None]] = {
    "connection_request": Client.on_connection_request_again,
    "disconnect_request": Client.on_disconnect,
    "connection_check_request": Client.on_connection_check,
    "commit_request": Client.on_commit,
    "rollback_request": Client.on_rollback,
    "execute_unparameterized_statement_request": Client.on_execute_unparameterized,
    "execute_unparameterized_statement_batch_request": Client.on_execute_unparameterized_batch,
    "prepare_indexed_statement_request": Client.on_prepare_indexed,
    "execute_indexed_statement_request": Client.on_execute_indexed,
    "execute_indexed_statement_batch_request": Client.on_execute_indexed_batch,
    "prepare_named_statement_request": Client.on_prepare_named,
    "execute_named_statement_request": Client.on_execute_named,
    "fetch_request": Client.on_fetch,
    "close_statement_request": Client.on_close_statement,
    "close_result_request": Client.on_close_result,
    "connection_properties_update_request": Client.on_connection_properties_update,
    "dbms_version_request": Client.on_dbms_version,
    "default_namespace_request": Client.on_default_namespace,
    "client_info_properties_request": Client.on_client_info,
    "set_client_info_properties_request": Client.on_set_client_info,
    "sql_string_functions_request": Client.on_meta_string,
    "sql_system_functions_request": Client.on_meta_string,
    "sql_time_date_functions_request": Client.on_meta_string,
    "sql_numeric_functions_request": Client.on_meta_string,
    "sql_keywords_request": Client.on_meta_string,
}
