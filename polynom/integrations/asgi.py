"""ASGI: run every HTTP request of any ASGI application in its own DAL context.

::

    from polynom.integrations.asgi import DalASGIMiddleware

    app = DalASGIMiddleware(app, dm, user_from=lambda scope: scope.get("user"))
    # Starlette: app.add_middleware(DalASGIMiddleware, data_manager=dm, user_from=...)

The context is entered in the request's own task, so everything the application runs for
the request sees it as the data manager's active context: async handlers, and sync
handlers the framework runs in a thread pool (they get a copy of the task's
``contextvars``). It is also ``scope["polynom.context"]``. For FastAPI, prefer the
dependency in :mod:`polynom.integrations.fastapi`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

from polynom.integrations._context import (
    CommitVeto,
    RequestFailed,
    context_meta,
    default_commit_veto,
    exit_context,
    pop_if_top,
)
from polynom.integrations.problems import (
    ERROR_MAPPINGS,
    PROBLEM_JSON,
    ErrorMapping,
    Problem,
    problem_for,
)

if TYPE_CHECKING:
    from polydatum import DataManager

__all__ = ["SCOPE_KEY", "DalASGIMiddleware", "exit_context_async", "send_problem"]

_log = logging.getLogger("polynom.integrations")

#: Where the request's context is in the ASGI scope.
SCOPE_KEY = "polynom.context"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def exit_context_async(
    data_manager: DataManager, ctx: Any, error: BaseException | None, *, in_thread: bool = False
) -> None:
    """End ``ctx`` (commit, or roll back for ``error``) from async code.

    With ``in_thread`` the commit -- a store round trip -- runs in a worker thread, so the
    event loop keeps serving other requests; it is not abandoned when the request is
    cancelled, because the connection must go back to the pool. Either way the context
    leaves the calling task's context stack. Errors are those of ``exit_context``: the
    ``error`` given is not re-raised, a failed commit is.
    """
    try:
        if in_thread:
            import anyio.to_thread

            await anyio.to_thread.run_sync(
                exit_context, data_manager, ctx, error, abandon_on_cancel=False
            )
        else:
            exit_context(data_manager, ctx, error)
    finally:
        pop_if_top(data_manager, ctx)


class DalASGIMiddleware:
    """Wrap an ASGI application so that each HTTP request runs in one DAL context.

    ``user_from(scope)`` (a function or a coroutine function) names the request's user;
    ``meta_from(scope)`` adds meta; ``meta.scope`` is the ASGI scope. Other scope types
    (``lifespan``, ``websocket``) pass through untouched.

    The context ends when the application starts its response: it commits if
    ``commit_veto(status)`` accepts the status and rolls back otherwise (``>= 400`` by
    default), and only then is the response start sent: a failed commit raises from the
    application's ``send`` and never reaches the client as a success. An exception before
    the response rolls back and is answered with the problem ``error_mappings`` gives it
    (:data:`~polynom.integrations.problems.ERROR_MAPPINGS`: ``NotFound`` ``404``,
    ``ValidationError`` ``422``..., anything else a ``500`` problem, after which the
    exception propagates to the server, which logs it) -- as is a commit that fails.
    ``error_mappings=()`` answers none. A streaming response's body is produced after the
    commit: load what it streams before starting it.

    The commit runs on the event loop unless ``exit_in_thread`` (needs ``anyio``, which
    Starlette and FastAPI bring); see :mod:`polynom.integrations.fastapi` for the trade-off.
    """

    def __init__(
        self,
        app: ASGIApp,
        data_manager: DataManager,
        *,
        user_from: Callable[[Scope], object] | None = None,
        meta_from: Callable[[Scope], Mapping[str, Any]] | None = None,
        commit_veto: CommitVeto = default_commit_veto,
        exit_in_thread: bool = False,
        error_mappings: Sequence[ErrorMapping] = ERROR_MAPPINGS,
    ) -> None:
        self.app = app
        self.data_manager = data_manager
        self.user_from = user_from
        self.meta_from = meta_from
        self.commit_veto = commit_veto
        self.exit_in_thread = exit_in_thread
        self.error_mappings = tuple(error_mappings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        user: object = None
        if self.user_from is not None:
            user = self.user_from(scope)
            if inspect.isawaitable(user):
                user = await user
        extra = self.meta_from(scope) if self.meta_from else None
        ctx = self.data_manager.context(meta=context_meta(user, extra, scope=scope))
        ctx.__enter__()
        scope[SCOPE_KEY] = ctx
        request = _Request(self, ctx, send)
        try:
            await self.app(scope, receive, request.send)
        except BaseException as exc:
            if not request.ended:
                await request.end(exc)
            # Also a commit that failed at the response start: that start never left.
            method = str(scope.get("method", "GET"))
            problem = None if request.started else problem_for(exc, self.error_mappings, method)
            if problem is None:
                raise
            await send_problem(send, problem)
            if problem.status >= 500:
                raise  # the server logs what broke; the client has its answer
        else:
            if not request.ended:  # the application sent no response at all
                await request.end(None)
        finally:
            pop_if_top(self.data_manager, ctx)


class _Request:
    """One request's ``send``: ends the context when the response starts."""

    def __init__(self, middleware: DalASGIMiddleware, ctx: Any, send: Send) -> None:
        self.middleware = middleware
        self.ctx = ctx
        self._send = send
        self.ended = False
        self.started = False

    async def end(self, error: BaseException | None) -> None:
        self.ended = True
        mw = self.middleware
        await exit_context_async(mw.data_manager, self.ctx, error, in_thread=mw.exit_in_thread)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            if not self.ended:
                # Commit (or roll back) before the status leaves. A failed commit raises
                # here, so the start is never sent and the server answers 500.
                status = int(message["status"])
                veto = self.middleware.commit_veto(status)
                await self.end(RequestFailed(status) if veto else None)
            self.started = True
        await self._send(message)


async def send_problem(send: Send, problem: Problem) -> None:
    """Send ``problem`` as the whole ``application/problem+json`` response."""
    body = problem.to_bytes()
    await send(
        {
            "type": "http.response.start",
            "status": problem.status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode("ascii")),
                (b"content-length", str(len(body)).encode("ascii")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
