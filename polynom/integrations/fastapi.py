"""FastAPI: a DAL context per request, as a dependency.

::

    from fastapi import Depends, FastAPI, Header
    from polynom.integrations.fastapi import dal_dependency, install_error_handlers

    def current_user(x_user: str | None = Header(None)) -> str | None:
        return x_user

    app = FastAPI()
    install_error_handlers(app)                        # NotFound -> 404, ... (JSON)
    get_dal = dal_dependency(dm, user_from=current_user)

    @app.get("/bikes/{entry_id}")
    def bike(entry_id: str, dal=Depends(get_dal)):      # sync or async endpoints
        return dal.bikes.get_or_raise(entry_id).to_dict()

How it is entered and left matters, and is handled here:

* The context is entered by an ``async`` generator dependency, i.e. in the request's own
  task, so the endpoint sees it as the data manager's active context whether it is
  ``async`` or a sync function FastAPI runs in its thread pool (which gets a copy of the
  task's ``contextvars``). A *sync* generator dependency would not work: FastAPI enters
  and leaves it in pool threads, whose context-local changes are thrown away.
* That generator is a sub-dependency with ``scope="function"``: the context ends right
  after the endpoint returns and **before** the response is sent, so a failed commit is a
  ``500``, not a success the client cannot trust. The public dependencies are plain
  ``async`` functions on top of it, so ``Depends(get_dal)`` needs no ``scope`` argument.
* The commit runs on the event loop right after the endpoint, with no suspension in
  between. ``exit_in_thread=True`` moves it to a worker thread instead (the loop keeps
  serving during a slow commit), but lets another request's ``async`` endpoint run between
  this one's writes and its commit -- which the SQLite store refuses as a conflict when
  both run on the loop thread. Keep the default on SQLite.

Prefer ``def`` endpoints for data work: the DAL is synchronous, so in an ``async def``
endpoint every query blocks the event loop.

An exception from the endpoint (``HTTPException`` included) rolls the request's work back.
A response *returned* with an error status is not seen by a dependency: raise instead.
:func:`install_error_handlers` answers polynom's errors with JSON (``NotFound`` ``404``,
``ValidationError`` ``422``, ``IntegrityError`` and ``ConflictError`` ``409``; the table is
:data:`polynom.integrations.ERROR_MAPPINGS`), whether the endpoint or the commit raised them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from polynom.integrations import (
    ERROR_MAPPINGS,
    NOT_FOUND,
    ErrorMapping,
    _error_classes,
    _meta,
    error_response,
)
from polynom.integrations.asgi import exit_context_async

if TYPE_CHECKING:
    from polydatum import DataManager

__all__ = [
    "PolynomFastAPI",
    "context_dependency",
    "dal_dependency",
    "error_handler",
    "install_error_handlers",
    "not_found_handler",
]


class PolynomFastAPI:
    """The dependencies of one data manager; use one instance per data manager.

    ``user_from`` is itself a FastAPI dependency (it may take ``Request``, headers, or your
    authentication dependency) whose result becomes ``meta.user``; ``meta_from(request)``
    adds meta; ``meta.request`` is the request. ``dal_dependency`` yields the DAL and
    ``context_dependency`` the context (``ctx.session``, ``ctx.meta``); an endpoint using
    both gets one context, as FastAPI caches a dependency within a request.
    ``init_app(app)`` answers the exceptions ``error_mappings`` names with JSON.
    """

    def __init__(
        self,
        data_manager: DataManager,
        *,
        user_from: Callable[..., Any] | None = None,
        meta_from: Callable[[Request], Mapping[str, Any]] | None = None,
        exit_in_thread: bool = False,
        error_mappings: Sequence[ErrorMapping] = ERROR_MAPPINGS,
    ) -> None:
        self.data_manager = data_manager
        self.user_from = user_from
        self.meta_from = meta_from
        self.exit_in_thread = exit_in_thread
        self.error_mappings = tuple(error_mappings)
        # Function scope: the context ends after the endpoint, before the response is sent.
        scoped = Depends(self._make_context_scope(), scope="function")

        async def polynom_context(ctx: Any = scoped) -> Any:
            """The request's DAL context (ends after the endpoint, before the response)."""
            return ctx

        async def polynom_dal(ctx: Any = scoped) -> Any:
            """The DAL of the request's context."""
            return ctx.dal

        #: Dependency giving the request's context: ``ctx=Depends(p.context_dependency)``.
        self.context_dependency: Callable[..., Awaitable[Any]] = polynom_context
        #: Dependency giving the request's DAL: ``dal=Depends(p.dal_dependency)``.
        self.dal_dependency: Callable[..., Awaitable[Any]] = polynom_dal

    @property
    def dal(self) -> Any:
        """``Depends(self.dal_dependency)``, to use as a parameter default."""
        return Depends(self.dal_dependency)

    @property
    def context(self) -> Any:
        """``Depends(self.context_dependency)``, to use as a parameter default."""
        return Depends(self.context_dependency)

    def init_app(self, app: FastAPI) -> None:
        """Answer polynom's errors on ``app``: :func:`install_error_handlers`."""
        install_error_handlers(app, self.error_mappings)

    def _make_context_scope(self) -> Callable[..., AsyncIterator[Any]]:
        """The async generator dependency that enters and leaves the context."""
        request_context = self._request_context

        if self.user_from is None:

            async def polynom_context_scope(request: Request) -> AsyncIterator[Any]:
                async with request_context(request, None) as ctx:
                    yield ctx

            return polynom_context_scope

        user_dependency = Depends(self.user_from)

        async def polynom_user_context_scope(
            request: Request, user: Any = user_dependency
        ) -> AsyncIterator[Any]:
            async with request_context(request, user) as ctx:
                yield ctx

        return polynom_user_context_scope

    @asynccontextmanager
    async def _request_context(self, request: Request, user: object) -> AsyncIterator[Any]:
        dm, in_thread = self.data_manager, self.exit_in_thread
        extra = self.meta_from(request) if self.meta_from else None
        ctx = dm.context(meta=_meta(user, extra, request=request))
        ctx.__enter__()
        try:
            yield ctx
        except BaseException as exc:
            await exit_context_async(dm, ctx, exc, in_thread=in_thread)
            raise
        await exit_context_async(dm, ctx, None, in_thread=in_thread)


def dal_dependency(
    data_manager: DataManager,
    *,
    user_from: Callable[..., Any] | None = None,
    meta_from: Callable[[Request], Mapping[str, Any]] | None = None,
    exit_in_thread: bool = False,
) -> Callable[..., Awaitable[Any]]:
    """A dependency giving each request's DAL: ``dal=Depends(dal_dependency(dm))``.

    Create it once (at module level) and reuse it; see :class:`PolynomFastAPI`.
    """
    return PolynomFastAPI(
        data_manager, user_from=user_from, meta_from=meta_from, exit_in_thread=exit_in_thread
    ).dal_dependency


def context_dependency(
    data_manager: DataManager,
    *,
    user_from: Callable[..., Any] | None = None,
    meta_from: Callable[[Request], Mapping[str, Any]] | None = None,
    exit_in_thread: bool = False,
) -> Callable[..., Awaitable[Any]]:
    """A dependency giving each request's context: ``ctx=Depends(context_dependency(dm))``."""
    return PolynomFastAPI(
        data_manager, user_from=user_from, meta_from=meta_from, exit_in_thread=exit_in_thread
    ).context_dependency


def error_handler(
    error_mappings: Sequence[ErrorMapping] = ERROR_MAPPINGS,
) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    """An exception handler answering with the status and JSON body of ``error_mappings``."""
    mappings = tuple(error_mappings)

    async def polynom_error_handler(request: Request, exc: Exception) -> JSONResponse:
        answer = error_response(exc, mappings)
        if answer is None:  # registered for the mapped classes only
            raise exc
        status, body = answer
        return JSONResponse(body, status_code=status)

    return polynom_error_handler


#: Answers ``NotFound`` with ``404 {"error": "not_found", "detail": ...}``.
not_found_handler = error_handler((NOT_FOUND,))


def install_error_handlers(
    app: FastAPI, error_mappings: Sequence[ErrorMapping] = ERROR_MAPPINGS
) -> None:
    """Answer the exceptions ``error_mappings`` names with their status and a JSON body.

    By default (:data:`~polynom.integrations.ERROR_MAPPINGS`): ``NotFound`` (polynom's or
    polydatum's) ``404``, ``ValidationError`` ``422``, ``IntegrityError`` and ``ConflictError``
    ``409``. The dependency has rolled the request back by then (it saw the exception).
    Handlers you add for the same classes afterwards replace these.
    """
    handler = error_handler(error_mappings)
    for exc_class in _error_classes(error_mappings):
        app.add_exception_handler(exc_class, handler)
