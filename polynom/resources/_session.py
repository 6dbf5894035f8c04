"""The session resource: the context's polynom ``Session``, built on its connection."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from polydatum.resources import Resource

from polynom.errors import ConfigurationError
from polynom.resources._state import _before_release, _log_user
from polynom.session import Session

if TYPE_CHECKING:
    from polynom.application import Application


class SessionResource(Resource):
    """The context's ``Session``: one per context, created on first use of ``ctx.session``.

    It asks the context for its connection (``ctx.connection`` by default), so the
    connection resource owns checkout and checkin, and opens a session on that connection
    with the log user the changelog middleware chose for the context (none without it).
    It never commits: committing is the transaction middleware's decision. A session still
    open when the context ends is rolled back, before its connection goes back to the pool.

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
    ) -> None:
        super().__init__()
        self.application = application
        #: Name of the connection resource this one is built on.
        self.connection = connection
        #: What makes the session: ``polynom.session.Session`` unless a subclass is given.
        self.session_class = session_class

    def __call__(self, context: Any) -> Iterator[Session]:
        factory = self.session_class or Session
        conn = getattr(context, self.connection)
        app = self.application or _application_of(context, self.connection)
        session = factory(app, log_user=_log_user(context), connection=conn)
        session.__enter__()
        ended = False

        def end() -> None:
            nonlocal ended
            if not ended:
                ended = True
                # Leaving a session's ``with`` without commit rolls back; after the
                # transaction middleware committed it, this only closes it.
                session.__exit__(None, None, None)

        _before_release(context, end)
        try:
            yield session
        finally:
            end()


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
