"""One driver connection to Polypheny, used by one thread at a time, inside a transaction.

A connection whose socket broke (server restarted, network dropped) is detected -- on
checkout without a round trip, and on use -- and marked broken; a statement that finds it
broken before anything of the transaction ran is retried once on a new connection.
Parameters are encoded here (:mod:`.values`) and handed to the driver's own request path.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

import polypheny
from org.polypheny.prism import value_pb2

from polynom.errors import StoreConnectionError, StoreError
from polynom.stores.base import Result, StoreConnection
from polynom.stores.polypheny.driver import CLOSED_MESSAGES, WIRE_ERRORS, force_close, socket_alive
from polynom.stores.polypheny.errors import classify
from polynom.stores.polypheny.values import decode_value, encode_param

__all__ = ["PolyphenyConnection"]

log = logging.getLogger("polynom.stores.polypheny")

#: Rows per result frame we ask for: whole typical results in one round trip (our reader
#: takes messages of any size; the stock driver's single ``recv`` does not).
_FETCH_SIZE = 10_000


class PolyphenyConnection(StoreConnection):
    """One driver connection, used by one thread at a time, inside a transaction."""

    def __init__(self, connect: Callable[[], Any], where: str) -> None:
        self._connect = connect  # opens a driver connection (the store's address and login)
        self._where = where  # host:port or the socket path, for messages
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
            force_close(conn)

    def _open(self) -> None:
        self._conn = self._connect()
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
        if not socket_alive(self._conn):
            self._broken = True
            return False
        return True

    def _lost(self, exc: BaseException) -> StoreConnectionError:
        self._broken = True
        conn, self._conn, self._cursor = self._conn, None, None
        if conn is not None:
            force_close(conn)
        return StoreConnectionError(
            f"the connection to Polypheny at {self._where} broke "
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
            log.info("reconnecting to Polypheny at %s after a broken connection", self._where)
            self._open()
            return self._execute(sql, encoded)

    def _execute(self, sql: str, encoded: list[value_pb2.ProtoValue]) -> Result:
        if self.broken:
            raise StoreConnectionError(
                f"the connection to Polypheny at {self._where} is broken; "
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
            rows = _rows(cursor.result)
            return Result(columns=columns, rows=rows, rowcount=len(rows))
        except polypheny.Error as exc:
            raise self._refused(exc, sql) from None
        except WIRE_ERRORS as exc:
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
            raise StoreConnectionError(f"the connection to Polypheny at {self._where} is broken")
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
        except WIRE_ERRORS as exc:
            raise self._lost(exc) from exc
        finally:
            if statement_id is not None and not self.broken:
                with contextlib.suppress(polypheny.Error, *WIRE_ERRORS):
                    rpc.close_statement(statement_id)

    def _refused(self, exc: polypheny.Error, sql: str) -> StoreError:
        message = str(exc) or type(exc).__name__
        if message in CLOSED_MESSAGES:
            return self._lost(exc)
        kind = classify(message)
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
                f"cannot {what}: the connection to Polypheny at {self._where} is broken"
            )
        try:
            getattr(self._conn, what)()
        except polypheny.Error as exc:
            if str(exc) in CLOSED_MESSAGES:
                raise self._lost(exc) from None
            raise classify(str(exc))(f"Polypheny refused to {what}: {exc}") from None
        except WIRE_ERRORS as exc:
            raise self._lost(exc) from exc
        finally:
            self._dirty = False

    def close(self) -> None:
        conn, self._conn, self._cursor = self._conn, None, None
        if conn is None:
            return
        if self._broken or not socket_alive(conn):
            force_close(conn)
            return
        try:
            conn.close()  # rolls back, then disconnects
        except Exception:
            force_close(conn)


def _rows(result: Any) -> list[tuple[Any, ...]]:
    """Every row of a driver result (``ResultCursor``, which fetches the frames), decoded
    by :func:`decode_value` -- the driver's own ``fetchall`` would decode with its
    ``proto2py``."""
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    while True:
        try:
            row = next(result)
        except StopIteration:
            return rows
        append(tuple(map(decode_value, row.values)))
