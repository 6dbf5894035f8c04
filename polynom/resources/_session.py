"""The session resource: the context's polynom ``Session``, built on its connection."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from polydatum.resources import Resource

from polynom.errors import ConfigurationError
from polynom.resources._connection import ConnectionResource
from polynom.resources.context_state import (
    LENT_KEY,
    LOG_USER_KEY,
    before_release,
    quiet_rollback,
)
from polynom.session import Session

if TYPE_CHECKING:
    from polynom.application import Application
    from polynom.stores.base import StoreConnection


class ChangelogPolicy(Protocol):
    """What ``SessionResource(changelog=...)`` takes: a ``ChangelogMiddleware`` will do."""

    def log_user(self, context: Any) -> str | None: ...


class SessionResource(Resource):
    """The context's ``Session``: one per context, created on first use of ``ctx.session``.

    It runs on the context's connection: the one ``ctx.connection`` opened when the context
    already has it; otherwise, when that resource is a plain
    :class:`~polynom.resources.ConnectionResource`, a connection this resource checks out
    of its pool itself and gives back when the context ends (``ctx.connection`` is then
    that same connection) -- one polydatum resource per context instead of two. Any other
    connection resource is asked for its connection (``ctx.connection``).

    The session's log user is the one a
    :class:`~polynom.middleware.ChangelogMiddleware` chose for the context, else the one
    ``changelog`` (a ``ChangelogMiddleware``, not registered as middleware) chooses when the
    session opens, else none. It never commits: committing is the transaction
    middleware's decision. A session still open when the context ends is rolled back,
    before its connection goes back to the pool.

    ``application`` defaults to the one of the registered connection resource, so replacing
    that one resource (``dm.replace_resource("connection", ConnectionResource(test_app))``)
    moves the whole DAL to another store.
    """

    def __init__(
        self,
        application: Application | None = None,
        *,
        connection: str = "connection",
        session_class: Callable[..., Session] | None = None,
        changelog: ChangelogPolicy | None = None,
    ) -> None:
        super().__init__()
        self.application = application
        #: Name of the connection resource this one is built on.
        self.connection = connection
        #: What makes the session: ``polynom.session.Session`` unless a subclass is given.
        self.session_class = session_class
        #: Chooses the log user when the context has no ``ChangelogMiddleware``.
        self.changelog = changelog

    def __call__(self, context: Any) -> Iterator[Session]:
        name = self.connection
        if name in context:  # ctx.connection came first: build on it
            yield from self._on_resource(context, getattr(context, name))
            return
        resource = context.data_manager.get_resource(name)
        if type(resource).__call__ is not _LENDING_CALL:  # none, or a resource of its own
            yield from self._on_resource(context, getattr(context, name))
            return
        # The common case, kept lean: check the connection out of the connection resource's
        # pool here rather than through a second polydatum resource.
        d = context.__dict__
        lent: dict[Any, StoreConnection] | None = d.get(LENT_KEY)
        if lent is not None and resource in lent:
            # another session resource of this context checked it out
            yield from self._on_resource(context, lent[resource])
            return
        owner: Application = resource.application
        if LOG_USER_KEY in d:
            user = d[LOG_USER_KEY]
        else:
            changelog = self.changelog
            user = None if changelog is None else changelog.log_user(context)
        store = owner.store
        conn = store.acquire()
        if lent is None:
            lent = d[LENT_KEY] = {resource: conn}
        else:
            lent[resource] = conn
        try:
            session = (self.session_class or Session)(
                self.application or owner, log_user=user, connection=conn
            )
            session.__enter__()
        except BaseException:
            del lent[resource]
            try:
                quiet_rollback(conn)
            finally:
                store.release(conn)
            raise
        try:
            yield session
        finally:
            try:
                # Leaving a session's ``with`` without commit rolls back; after the
                # transaction middleware committed it, this only closes it.
                session.__exit__(None, None, None)
            finally:
                del lent[resource]
                store.release(conn)

    def _on_resource(self, context: Any, conn: StoreConnection) -> Iterator[Session]:
        """The session on ``conn``, the connection of the context's connection resource."""
        app = self.application or _application_of(context, self.connection)
        d = context.__dict__
        user = d[LOG_USER_KEY] if LOG_USER_KEY in d else self._log_user(context)
        yield from self._on(context, app, user, conn)

    def _on(
        self, context: Any, app: Application, user: str | None, conn: StoreConnection
    ) -> Iterator[Session]:
        """The session on a connection someone else gives back."""
        session = (self.session_class or Session)(app, log_user=user, connection=conn)
        session.__enter__()
        ended = False

        def end() -> None:
            nonlocal ended
            if not ended:
                ended = True
                session.__exit__(None, None, None)

        before_release(context, end)  # the connection's owner ends the session first
        try:
            yield session
        finally:
            end()

    def _log_user(self, context: Any) -> str | None:
        return self.changelog.log_user(context) if self.changelog is not None else None


#: A connection resource whose ``__call__`` is this one lends its connection: the session
#: resource may check it out of the resource's pool itself.
_LENDING_CALL = ConnectionResource.__call__


def _application_of(context: Any, connection: str) -> Application:
    """The application of the context's registered connection resource."""
    resource = context.data_manager.get_resource(connection)
    app: Application | None = getattr(resource, "application", None)
    if app is None:
        raise ConfigurationError(
            f"SessionResource cannot tell which Application to use: the {connection!r} "
            f"resource ({resource!r}) has no 'application'; pass SessionResource(app)"
        )
    return app
