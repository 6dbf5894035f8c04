"""The connection resource: one pooled store connection per context, checked out lazily."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from polydatum.resources import Resource

from polynom.resources.context_state import LENT_KEY, run_before_release

if TYPE_CHECKING:
    from polynom.application import Application
    from polynom.stores.base import StoreConnection


class ConnectionResource(Resource):
    """Check a connection out of ``application``'s pool for one context; always give it back.

    Register it on a ``DataManager`` (``dm.register_resources(connection=...)``). Polydatum
    calls it the first time a context touches ``ctx.connection`` -- a context that never
    touches data checks nothing out -- and resumes it when the context ends, on every path:
    normal exit, an exception in the context, in middleware or in another resource.
    Before the connection goes back, whatever was built on it (the context's session) is
    ended first, so a pooled connection never carries a half-finished transaction.

    A :class:`~polynom.resources.SessionResource` opened first checks the connection out
    of this resource's pool itself (it saves polydatum a second resource per context);
    ``ctx.connection`` is then that same connection, which the session resource gives back.
    """

    def __init__(self, application: Application) -> None:
        super().__init__()
        #: The application whose store lends the connections; the session resource reads it.
        self.application = application

    def __call__(self, context: Any) -> Iterator[StoreConnection]:
        lent: dict[Any, StoreConnection] | None = context.__dict__.get(LENT_KEY)
        if lent is not None and self in lent:
            # The context's session checked this connection out for us and gives it back.
            yield lent[self]
            return
        store = self.application.store
        conn = store.acquire()
        try:
            yield conn
        finally:
            try:
                run_before_release(context)
            finally:
                store.release(conn)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.application!r}>"
