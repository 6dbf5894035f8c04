"""Transaction middleware: a context that exits normally commits, one that raises rolls back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from polynom.resources.context_state import opened_resource, quiet_rollback


class TransactionMiddleware:
    """Commit the context's session when the context exits normally; roll back when it raises.

    The exception that ended the context reaches the caller unchanged (same object, same
    traceback); a failure of the rollback itself is logged, never raised in its place.
    If the commit fails, the session is rolled back and the commit's error is raised.
    A context that opened no session does nothing here; one that used only the bare
    connection (``ctx.connection``) has that connection committed or rolled back instead.

    Register it first (outermost): middleware after it runs inside the transaction and
    can still write; its own teardown then decides for all of them.
    """

    def __init__(self, *, session: str = "session", connection: str = "connection") -> None:
        #: Resource names of the session and of the bare connection.
        self.session = session
        self.connection = connection

    def __call__(self, context: Any) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self._rollback(context)
            raise
        else:
            self._commit(context)

    def _commit(self, context: Any) -> None:
        session = opened_resource(context, self.session)
        if session is not None:
            if not session.is_active:  # committed in the context, or ended by a failure
                return
            try:
                session.commit()
            except BaseException:
                if session.is_active:
                    quiet_rollback(session)
                raise
            return
        conn = opened_resource(context, self.connection)
        if conn is not None:
            try:
                conn.commit()
            except BaseException:
                quiet_rollback(conn)
                raise

    def _rollback(self, context: Any) -> None:
        session = opened_resource(context, self.session)
        if session is not None:
            if session.is_active:
                quiet_rollback(session)
            return
        conn = opened_resource(context, self.connection)
        if conn is not None:
            quiet_rollback(conn)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} session={self.session!r}>"
