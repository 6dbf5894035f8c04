"""One client's transaction, run as a default-configured Polypheny runs it.

Every statement first takes its locks (:mod:`.locks`): shared on the entities it reads,
exclusive on the one it writes; DDL takes the lock its kind needs. Then it runs on the
client's store connection. What happens to the transaction when a statement fails depends
on where it failed, as on Polypheny (Polypheny-DB's ``core/src/main/java/org/polypheny/db/
languages/LanguageManager.java``, ``anyPrepareQuery``, and ``plugins/prism-interface/.../
statementProcessing/StatementProcessor.java``):

* a parse or validation error of an unparameterized statement, an error while planning
  (``Null in not nullable column``), a deadlock and any failed DDL roll it back;
* a parse or validation error of a prepared statement (Polypheny finds those when it
  prepares, outside ``anyPrepareQuery``) and an error while executing leave it open.

A successful DDL commits the transaction it ran in (``core/.../processing/Processor.java``).
A commit checks foreign keys when ``foreign_key_enforcement`` is on
(``dbms/.../transaction/TransactionImpl.java``), and a write checks unique keys when
``unique_constraint_enforcement`` is on (:mod:`.enforcement`). After a rollback the next
statement silently starts a new transaction, and a commit without one does nothing
(``PIClient.java``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from polynom.errors import (
    ConflictError,
    ForeignKeyViolation,
    NotNullViolation,
    StoreConnectionError,
    StoreError,
    UniqueViolation,
)
from polynom.stores.sqlite.refusals import EXECUTION, PARSE, VALIDATION, PolyphenyRefusal
from polynom.stores.sqlite.translate.ddl import (
    AlterTable,
    CreateNamespace,
    CreateTable,
    DropNamespace,
    DropTable,
    parse_ddl,
)
from polynom.stores.sqlite.translate.translation import DDL, Translation, translate
from polynom.testing.prism.enforcement import check_foreign_keys, check_unique
from polynom.testing.prism.locks import (
    EXCLUSIVE,
    GLOBAL,
    SHARED,
    STORE_WRITER,
    Deadlock,
    Lockable,
    LockWaitTimeout,
    Transaction,
    entity_lockable,
    namespace_lockable,
)
from polynom.testing.prism.sqltext import first_keyword

if TYPE_CHECKING:
    from polynom.stores.base import StoreConnection
    from polynom.testing.prism.state import ServerState

__all__ = ["ClientTransaction", "RequestError"]

#: What Polypheny answers when a DDL statement's locks deadlock, whatever the lock
#: (``core/.../processing/Processor.java``, ``prepareDdl``; the leading space is its own).
DDL_DEADLOCK = " Exception while acquiring global schema lock"


class RequestError(Exception):
    """A request failed; answered with an ``error_response`` carrying this message."""


class ClientTransaction:
    """The transaction of one client on its store connection (see the module docstring)."""

    def __init__(self, conn: StoreConnection, state: ServerState) -> None:
        self.conn = conn
        self._state = state
        self._txn: Transaction | None = None
        translate_on = getattr(conn, "translate", None)
        self._translate: Callable[[str, str], Translation] = (
            translate_on if callable(translate_on) else lambda sql, ns: translate(sql, ns)
        )
        self._polypheny = bool(getattr(conn, "polypheny", False))

    @property
    def txn(self) -> Transaction:
        if self._txn is None:
            self._txn = Transaction()
        return self._txn

    # -- statements -------------------------------------------------------------------------

    def kind(self, sql: str, namespace: str) -> Translation:
        """What the statement is (refusals of the parser answered as Polypheny would)."""
        return self._guard(lambda: self._translate(sql, namespace), prepared=False, sql=sql)

    def run(
        self,
        sql: str,
        namespace: str,
        execute: Callable[[], Any],
        *,
        prepared: bool,
    ) -> Any:
        """Lock for ``sql``, then run ``execute()`` (a DML statement or a batch of it)."""
        tr = self._guard(lambda: self._translate(sql, namespace), prepared=prepared, sql=sql)
        if tr.kind == DDL:
            return self._ddl(sql, namespace, execute)

        def locked() -> Any:
            self._lock(tr)
            result = execute()
            if tr.target is not None:
                self.txn.written.add(tr.target)
                if self._state.unique_constraint_enforcement and self._polypheny:
                    check_unique(self.conn, tr, sql)
            return result

        return self._guard(locked, prepared=prepared, sql=sql)

    def _lock(self, tr: Translation) -> None:
        locks = self._state.locks
        txn = self.txn
        for ns, entity in tr.entities:
            if (ns, entity) != tr.target:
                locks.acquire(txn, entity_lockable(ns, entity), SHARED)
        if tr.target is not None:
            locks.acquire(txn, entity_lockable(*tr.target), EXCLUSIVE)
            locks.acquire(txn, STORE_WRITER, EXCLUSIVE)

    def _ddl(self, sql: str, namespace: str, execute: Callable[[], Any]) -> Any:
        txn = self.txn
        try:
            for lockable in _ddl_lockables(sql, namespace):
                self._state.locks.acquire(txn, lockable, EXCLUSIVE)
            self._state.locks.acquire(txn, STORE_WRITER, EXCLUSIVE)
        except (Deadlock, LockWaitTimeout) as exc:
            self._end(rollback=True)
            raise RequestError(DDL_DEADLOCK if isinstance(exc, Deadlock) else str(exc)) from exc
        try:
            if not self._polypheny:
                self.conn.commit()  # a store that runs DDL apart from the transaction
            return execute()  # Polypheny's semantics: runs in the transaction, commits it
        except StoreConnectionError:
            raise
        except StoreError as exc:
            raise RequestError(str(exc)) from exc
        finally:
            self._end(rollback=True)  # committed or rolled back by the store: locks go

    def _guard(self, action: Callable[[], Any], *, prepared: bool, sql: str = "") -> Any:
        """Run ``action``; on failure roll back where Polypheny would, and answer its words."""
        try:
            return action()
        except (Deadlock, LockWaitTimeout) as exc:
            self._end(rollback=True)
            raise RequestError(str(exc)) from exc
        except StoreConnectionError:
            raise
        except PolyphenyRefusal as exc:
            keeps = exc.phase == EXECUTION or (prepared and exc.phase in (PARSE, VALIDATION))
            if not keeps:
                self._end(rollback=True)
            raise RequestError(str(exc)) from exc
        except StoreError as exc:  # a store without Polypheny's semantics: as it says
            self._end(rollback=True)
            raise RequestError(_words(exc, sql)) from exc

    # -- ending -----------------------------------------------------------------------------

    def commit(self) -> None:
        """Commit (a no-op without a transaction); with foreign key enforcement on, a
        violation rolls it all back and is refused in Polypheny's words."""
        if self._txn is None:
            with contextlib.suppress(StoreError):
                self.conn.commit()
            return
        try:
            if self._state.foreign_key_enforcement and self._polypheny:
                check_foreign_keys(self.conn, self._txn.written)
            self.conn.commit()
        except StoreConnectionError:
            raise
        except StoreError as exc:
            self._end(rollback=True)
            # plugins/prism-interface/.../PIClient.java, commitCurrentTransaction
            raise RequestError(f"Committing current transaction failed: {exc}") from exc
        self._end(rollback=False)

    def rollback(self) -> None:
        self._end(rollback=True)

    def _end(self, *, rollback: bool) -> None:
        txn, self._txn = self._txn, None
        try:
            if rollback:
                with contextlib.suppress(StoreError):
                    self.conn.rollback()
        finally:
            if txn is not None:
                self._state.locks.release_all(txn)


def _ddl_lockables(sql: str, namespace: str) -> list[Lockable]:
    """The lock each DDL statement takes exclusively (plugins/sql-language/.../ddl/:
    ``SqlCreateNamespace.java`` the global lock, even with IF NOT EXISTS on an existing one;
    ``SqlDropNamespace.java`` its namespace; ``SqlCreateTable.java`` the namespace;
    ``SqlDropTable.java`` and every ``altertable/`` statement their table)."""
    try:
        cmd = parse_ddl(sql, namespace)
    except StoreError:
        return []  # the store refuses it in a moment
    if isinstance(cmd, CreateNamespace):
        return [GLOBAL]
    if isinstance(cmd, DropNamespace):
        return [namespace_lockable(cmd.name)]
    if isinstance(cmd, CreateTable):
        return [namespace_lockable(cmd.namespace)]
    if isinstance(cmd, (DropTable, AlterTable)):
        return [entity_lockable(cmd.namespace, cmd.entity)]
    return []


# -- a store's own errors, worded like Polypheny's ------------------------------------------

_VERBS = {"INSERT": "Insert", "UPDATE": "Update", "DELETE": "Delete", "MERGE": "Merge"}


def _words(exc: StoreError, sql: str) -> str:
    """A store's error in Polypheny's words where it is a constraint violation (a store the
    stand-in runs on may enforce keys itself; the texts are ``core/.../algebra/logical/
    common/LogicalConstraintEnforcer.java``'s)."""
    detail = str(exc) or type(exc).__name__
    verb = _VERBS.get(first_keyword(sql), "Statement")
    if isinstance(exc, UniqueViolation):
        return f"{verb} violates unique constraint: {detail}"
    if isinstance(exc, ForeignKeyViolation):
        return f"{verb} violates foreign key constraint: {detail}"
    if isinstance(exc, NotNullViolation):
        return f"{verb} violates not null constraint: {detail}"
    if isinstance(exc, ConflictError):
        return f"Transaction conflict, the transaction was rolled back: {detail}"
    return detail
