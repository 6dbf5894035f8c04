"""One client's statements: prepared, run on its store connection, and answered as Polypheny
answers them -- a scalar, or result frames paged by the fetch size.

Modelled on Polypheny-DB's prism-interface plugin (``plugins/prism-interface/src/main/java/
org/polypheny/db/prisminterface/``): ``statements/StatementManager.java`` (statement ids and
their errors) and ``statementProcessing/`` (running a statement, frames).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from org.polypheny.prism import relational_frame_pb2, statement_responses_pb2

from polynom.testing.prism.sqltext import (
    count_placeholders,
    first_keyword,
    named_to_positional,
    strip_terminator,
)
from polynom.testing.prism.transaction import ClientTransaction, RequestError
from polynom.testing.prism.values import SqlType, encode_result, parse_type

if TYPE_CHECKING:
    from polynom.stores.base import Result, StoreConnection
    from polynom.testing.prism.state import ServerState

__all__ = ["DEFAULT_FETCH_SIZE", "RequestError", "Statement", "Statements"]

DEFAULT_FETCH_SIZE = 100  # Polypheny's utils/PropertyUtils.DEFAULT_FETCH_SIZE
_DDL_KEYWORDS = frozenset({"CREATE", "DROP", "ALTER", "TRUNCATE", "RENAME", "COMMENT"})


@dataclass
class Statement:
    """A statement a client prepared or ran, and the rows of its result not yet sent."""

    id: int
    language: str
    sql: str
    namespace: str | None
    param_names: list[str] | None = None  # named statements: names in placeholder order
    columns: list[relational_frame_pb2.ColumnMeta] = field(default_factory=list)
    types: list[SqlType | None] = field(default_factory=list)
    pending: list[tuple[Any, ...]] = field(default_factory=list)
    position: int = 0


class Statements:
    """The statements of one client, run on its store connection.

    ``namespace`` is where the client's one-part table names live and ``auto_commit`` whether
    each statement commits; both follow the client's connection properties.
    """

    def __init__(
        self,
        conn: StoreConnection,
        state: ServerState,
        *,
        namespace: str,
        auto_commit: bool,
    ) -> None:
        self.conn = conn
        self.namespace = namespace
        self.auto_commit = auto_commit
        self._state = state
        self._execute_sql = _executor(conn)
        self._execute_many = _batch_executor(conn)
        #: The client's transaction: locks, commit and rollback as on Polypheny.
        self.transaction = ClientTransaction(conn, state)
        self._open: dict[int, Statement] = {}
        self._next_id = 1

    # -- ids -------------------------------------------------------------------------------

    def new(
        self, language: str, sql: str, namespace: str | None, *, named: bool = False
    ) -> Statement:
        """Open a statement (SQL only); named parameters become ``?`` placeholders."""
        if language.lower() != "sql":
            raise RequestError(
                f"Language {language!r} is not supported by the Prism stand-in (SQL only)"
            )
        text = strip_terminator(sql)
        names = None
        if named:
            text, names = named_to_positional(text)
        self._state.record(language, sql, namespace)
        statement = Statement(self.new_id(), language, text, namespace or None, names)
        self._open[statement.id] = statement
        return statement

    def new_id(self) -> int:
        """The next statement (or batch) id of this client."""
        statement_id = self._next_id
        self._next_id += 1
        return statement_id

    def get(self, statement_id: int) -> Statement:
        if statement_id == 0:
            raise RequestError(
                "Invalid statement id: 0 (possibly uninitialized prism protocol field)"
            )
        statement = self._open.get(statement_id)
        if statement is None:
            raise RequestError(f"A statement with id {statement_id} does not exist for that client")
        return statement

    def close(self, statement_id: int) -> None:
        """Forget a statement (an unknown id is fine, as on Polypheny)."""
        self._open.pop(statement_id, None)

    def close_all(self) -> None:
        self._open.clear()

    # -- running ---------------------------------------------------------------------------

    def execute(
        self,
        statement: Statement,
        params: Sequence[Any],
        fetch_size: int,
        out: statement_responses_pb2.StatementResult,
        *,
        prepared: bool = True,
    ) -> None:
        """Run ``statement`` (under its locks) and fill ``out`` with its scalar or first
        frame. A DDL statement answers the scalar 1 (Polypheny's ``RelationalExecutor``)."""
        self._check_count(statement, len(params))
        statement.pending, statement.position = [], 0
        namespace = statement.namespace or self.namespace
        run = self._execute_sql
        result = self.transaction.run(
            statement.sql,
            namespace,
            lambda: run(statement.sql, params, namespace),
            prepared=prepared,
        )
        if result.columns:
            types = [parse_type(t) for t in _declared_types(result)]
            statement.types = types
            statement.columns = [
                _column_meta(i, name, types[i] if i < len(types) else None)
                for i, name in enumerate(result.columns)
            ]
            statement.pending = list(result.rows)
            out.frame.CopyFrom(self.frame(statement, fetch_size))
        elif first_keyword(statement.sql) in _DDL_KEYWORDS:
            out.scalar = 1
        else:
            out.scalar = max(result.rowcount, 0)
        if self.auto_commit:
            self.commit()

    def execute_batch(self, statement: Statement, rows: list[list[Any]]) -> int:
        """Run ``statement`` once per row of parameters, as one batch under one set of locks.

        Polypheny answers a batch of two or more rows with ONE count, the number of rows
        given -- not the rows matched -- and a batch of one row with its real count
        (``plugins/jdbc-adapter-framework/.../ResultSetEnumerable.java``:
        ``PolyLong.of( count.length )`` for a JDBC batch; ``plugins/prism-interface/.../
        statements/PIPreparedIndexedStatement.java``, ``executeBatch``)."""
        for row in rows:
            self._check_count(statement, len(row))
        namespace = statement.namespace or self.namespace
        many = self._execute_many
        run = self._execute_sql
        if len(rows) == 1:
            result = self.transaction.run(
                statement.sql,
                namespace,
                lambda: run(statement.sql, rows[0], namespace),
                prepared=True,
            )
            count = max(result.rowcount, 0)
        else:
            self.transaction.run(
                statement.sql,
                namespace,
                lambda: many(statement.sql, rows, namespace),
                prepared=True,
            )
            count = len(rows)
        if self.auto_commit:
            self.commit()
        return count

    def _check_count(self, statement: Statement, given: int) -> None:
        expected = count_placeholders(statement.sql)
        if given != expected:
            raise RequestError(f"Statement expects {expected} parameter(s) but {given} were given")

    def commit(self) -> None:
        self.transaction.commit()

    def rollback(self) -> None:
        self.transaction.rollback()

    # -- frames ----------------------------------------------------------------------------

    def frame(self, statement: Statement, fetch_size: int) -> statement_responses_pb2.Frame:
        """The next frame of ``statement``'s result: up to ``fetch_size`` rows (and, unless
        the limit is off, about ``max_frame_bytes``; at least one row)."""
        frame = statement_responses_pb2.Frame()
        relational = frame.relational_frame
        relational.column_meta.extend(statement.columns)
        budget = self._state.max_frame_bytes or 1 << 62  # None: rows only, as Polypheny
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


def _column_meta(index: int, label: str, ctype: SqlType | None) -> relational_frame_pb2.ColumnMeta:
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


# -- the store's API, in one place ----------------------------------------------------------


def _takes_namespace(method: Callable[..., Any]) -> bool:
    try:
        return "namespace" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def _executor(conn: StoreConnection) -> Callable[[str, Sequence[Any], str], Result]:
    """``conn.execute`` with the statement's namespace where the store takes one (the embedded
    store resolves one-part table names there; Polypheny's default is ``public``); decided
    once per connection, not per statement."""
    execute = conn.execute
    if _takes_namespace(execute):
        return lambda sql, params, namespace: execute(sql, params, namespace=namespace)  # type: ignore[call-arg]
    return lambda sql, params, _namespace: execute(sql, params)


def _batch_executor(conn: StoreConnection) -> Callable[[str, Sequence[Sequence[Any]], str], int]:
    """``conn.execute_many``, with the namespace where the store takes one."""
    many = conn.execute_many
    if _takes_namespace(many):
        return lambda sql, rows, namespace: many(sql, rows, namespace=namespace)  # type: ignore[call-arg]
    return lambda sql, rows, _namespace: many(sql, rows)


def _declared_types(result: Result) -> list[str | None]:
    """The Polypheny type of each result column, where the store reports it."""
    types = getattr(result, "types", None)
    if types and len(types) == len(result.columns):
        return list(types)
    return [None] * len(result.columns)
