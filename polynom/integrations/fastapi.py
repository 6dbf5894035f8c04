"""FastAPI: the application opened by the app's lifespan, a DAL context per request.

::

    from fastapi import Depends, FastAPI, Header
    from polynom.integrations.fastapi import PolynomFastAPI

    def current_user(x_user: str | None = Header(None)) -> str | None:
        return x_user

    polynom = PolynomFastAPI(Application(APP_UUID, "sqlite:///shop.db"),
                             services=make_services(), user_from=current_user)
    api = FastAPI()
    polynom.init_app(api)            # lifespan opens/closes the application; problem answers

    @api.get("/bikes/{entry_id}")
    def bike(entry_id: str, dal=polynom.dal):      # sync or async endpoints
        return dal.bikes.get_or_raise(entry_id).to_dict()

How it is entered and left matters, and is handled here:

* The context is entered by an ``async`` generator dependency, i.e. in the request's own
  task, so the endpoint sees it as the data manager's active context whether it is
  ``async`` or a sync function FastAPI runs in its thread pool (which gets a copy of the
  task's ``contextvars``). A *sync* generator dependency would not work: FastAPI enters
  and leaves it in pool threads, whose context-local changes are thrown away.
* That generator is a sub-dependency with ``scope="function"``: the context ends right
  after the endpoint returns and **before** the response is sent, so a failed commit is
  answered as such, not a success the client cannot trust. The public dependencies are
  plain ``async`` functions on top of it, so ``Depends(p.dal_dependency)`` needs no
  ``scope`` argument.
* The commit runs on the event loop right after the endpoint, with no suspension in
  between. ``exit_in_thread=True`` moves it to a worker thread instead (the loop keeps
  serving during a slow commit), but lets another request's ``async`` endpoint run between
  this one's writes and its commit -- which the SQLite store refuses as a conflict when
  both run on the loop thread. Keep the default on SQLite.

Prefer ``def`` endpoints for data work: the DAL is synchronous, so in an ``async def``
endpoint every query blocks the event loop.

An exception from the endpoint (``HTTPException`` included) rolls the request's work back.
A response *returned* with an error status is not seen by a dependency: raise instead.
:func:`install_error_handlers` answers every error with problem details
(:mod:`polynom.integrations.problems`): polynom's errors (whether the endpoint or the
commit raised them), FastAPI's own (``HTTPException``, unknown routes, malformed JSON
``400``, request validation ``422`` naming each parameter as the client sent it) and a
``500`` for anything else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response

from polynom.integrations._context import context_meta
from polynom.integrations.asgi import exit_context_async
from polynom.integrations.problems import (
    ERROR_MAPPINGS,
    ErrorMapping,
    http_problem,
    validation_problem,
)
from polynom.integrations.starlette import error_handler, exception_handlers, problem_response

if TYPE_CHECKING:
    from polydatum import DataManager

    from polynom.application import Application

__all__ = [
    "PolynomFastAPI",
    "context_dependency",
    "dal_dependency",
    "error_handler",
    "install_error_handlers",
    "problem_response",
]


class PolynomFastAPI:
    """The application, data manager and dependencies of one FastAPI app (or several).

    ``source`` is an ``Application`` (the data manager is made with ``services``) or a ready
    ``DataManager``. :meth:`init_app` makes the app's lifespan open the application -- unless
    it is open already -- and close what it opened, and installs the problem answers.

    ``user_from`` is itself a FastAPI dependency (it may take ``Request``, headers, or your
    authentication dependency) whose result becomes ``meta.user``; ``meta_from(request)``
    adds meta; ``meta.request`` is the request. ``dal_dependency`` yields the DAL and
    ``context_dependency`` the context (``ctx.session``, ``ctx.meta``); an endpoint using
    both gets one context, as FastAPI caches a dependency within a request.
    """

    def __init__(
        self,
        source: Application | DataManager,
        *,
        services: Mapping[str, Any] | None = None,
        user_from: Callable[..., Any] | None = None,
        meta_from: Callable[[Request], Mapping[str, Any]] | None = None,
        exit_in_thread: bool = False,
        error_mappings: Sequence[ErrorMapping] = ERROR_MAPPINGS,
    ) -> None:
        from polynom.application import Application

        if isinstance(source, Application):
            from polynom.dal import create_data_manager

            self.application: Application | None = source
            self.data_manager = create_data_manager(source, services=services)
        else:
            if services:
                raise TypeError(
                    "services= is for an Application; register them on your DataManager"
                )
            self.data_manager = source
            self.application = _application_of(source)
        self.user_from = user_from
        self.meta_from = meta_from
        self.exit_in_thread = exit_in_thread
        self.error_mappings = tuple(error_mappings)
        self._opened: Application | None = None
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
        """Open and close the application with ``app``'s lifespan; answer errors as problems."""
        install_error_handlers(app, self.error_mappings)
        inner = app.router.lifespan_context

        @asynccontextmanager
        async def polynom_lifespan(started: Any) -> AsyncIterator[Any]:
            self.open()
            try:
                async with inner(started) as state:
                    yield state
            finally:
                self.close()

        app.router.lifespan_context = polynom_lifespan

    # -- the application's lifecycle ----------------------------------------------------------

    def open(self) -> None:
        """Open the application unless it is open already (the lifespan does this)."""
        application = self.application
        if application is not None and not application.is_active:
            application.__enter__()
            self._opened = application

    def close(self) -> None:
        """Close the application if :meth:`open` opened it."""
        opened, self._opened = self._opened, None
        if opened is not None and opened.is_active:
            opened.__exit__(None, None, None)

    # -- the request's context ----------------------------------------------------------------

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
        if self._opened is None:
            self.open()  # served without the lifespan (a TestClient used without `with`)
        extra = self.meta_from(request) if self.meta_from else None
        ctx = dm.context(meta=context_meta(user, extra, request=request))
        ctx.__enter__()
        try:
            yield ctx
        except BaseException as exc:
            await exit_context_async(dm, ctx, exc, in_thread=in_thread)
            raise
        await exit_context_async(dm, ctx, None, in_thread=in_thread)


def _application_of(dm: Any) -> Application | None:
    try:
        resource = dm.get_resource("connection")
    except Exception:  # a data manager without polynom's connection resource
        return None
    application: Application | None = getattr(resource, "application", None)
    return application


def dal_dependency(
    source: Application | DataManager,
    *,
    services: Mapping[str, Any] | None = None,
    user_from: Callable[..., Any] | None = None,
    meta_from: Callable[[Request], Mapping[str, Any]] | None = None,
    exit_in_thread: bool = False,
) -> Callable[..., Awaitable[Any]]:
    """A dependency giving each request's DAL: ``dal=Depends(dal_dependency(dm))``.

    Create it once (at module level) and reuse it; see :class:`PolynomFastAPI`.
    """
    return PolynomFastAPI(
        source,
        services=services,
        user_from=user_from,
        meta_from=meta_from,
        exit_in_thread=exit_in_thread,
    ).dal_dependency


def context_dependency(
    source: Application | DataManager,
    *,
    services: Mapping[str, Any] | None = None,
    user_from: Callable[..., Any] | None = None,
    meta_from: Callable[[Request], Mapping[str, Any]] | None = None,
    exit_in_thread: bool = False,
) -> Callable[..., Awaitable[Any]]:
    """A dependency giving each request's context: ``ctx=Depends(context_dependency(dm))``."""
    return PolynomFastAPI(
        source,
        services=services,
        user_from=user_from,
        meta_from=meta_from,
        exit_in_thread=exit_in_thread,
    ).context_dependency


# -- problem answers ------------------------------------------------------------------------


async def _request_validation_error(request: Request, exc: Exception) -> Response:
    """FastAPI's request validation: ``400`` for a body that is not JSON, else a ``422``
    naming every refused value as the client sent it (``in`` and ``name``)."""
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    malformed = [e for e in errors if e.get("type") == "json_invalid"]
    if malformed:
        reason = malformed[0].get("ctx", {}).get("error") or malformed[0].get("msg")
        return problem_response(http_problem(400, f"the body is not valid JSON: {reason}"))
    refused = []
    for error in errors:
        location, *path = error["loc"]
        refused.append((str(location), path, str(error.get("msg", "invalid value"))))
    return problem_response(validation_problem(refused))


def install_error_handlers(
    app: FastAPI, error_mappings: Sequence[ErrorMapping] = ERROR_MAPPINGS
) -> None:
    """Answer every error of ``app`` with problem details.

    The exceptions ``error_mappings`` names (by default
    :data:`~polynom.integrations.problems.ERROR_MAPPINGS`, down to a ``500`` for anything
    else), ``HTTPException`` (unknown routes too) and request validation. The dependency
    has rolled the request back by then (it saw the exception). Handlers you add for the
    same classes afterwards replace these.
    """
    for exc_class, handler in exception_handlers(error_mappings).items():
        app.add_exception_handler(exc_class, handler)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
