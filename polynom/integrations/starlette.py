"""Starlette: its own errors (``HTTPException``, unknown routes) as problem details too.

::

    from starlette.applications import Starlette
    from polynom.integrations.asgi import DalASGIMiddleware
    from polynom.integrations.starlette import exception_handlers

    app = Starlette(routes=routes, exception_handlers=exception_handlers(),
                    middleware=[Middleware(DalASGIMiddleware, data_manager=dm)])

:class:`~polynom.integrations.asgi.DalASGIMiddleware` answers polynom's errors; the
handlers here answer what Starlette itself raises -- an unknown route ``404``, a method
not allowed ``405``, any ``HTTPException`` -- in the same ``application/problem+json``
shape, and anything else that escapes a route with a ``500`` problem.
FastAPI apps get all of this from :func:`polynom.integrations.fastapi.install_error_handlers`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from polynom.integrations.problems import (
    ERROR_MAPPINGS,
    PROBLEM_JSON,
    ErrorMapping,
    Problem,
    error_classes,
    http_problem,
    problem_for,
)

__all__ = ["error_handler", "exception_handlers", "http_exception_handler", "problem_response"]

Handler = Callable[[Request, Exception], Awaitable[Response]]


def problem_response(problem: Problem, headers: Mapping[str, str] | None = None) -> Response:
    """``problem`` as an ``application/problem+json`` response."""
    return Response(
        problem.to_bytes(), status_code=problem.status, media_type=PROBLEM_JSON, headers=headers
    )


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """``HTTPException`` (unknown routes, ``405``, your own) as a problem; keeps its headers."""
    assert isinstance(exc, HTTPException)
    if isinstance(exc.detail, str) or exc.detail is None:
        problem = http_problem(exc.status_code, exc.detail)
    else:  # HTTPException(detail={...}) or [...]: kept, as a member of its own
        problem = http_problem(exc.status_code, None, errors=exc.detail)
    return problem_response(problem, headers=exc.headers)


def error_handler(error_mappings: Sequence[ErrorMapping] = ERROR_MAPPINGS) -> Handler:
    """An exception handler answering with the problem ``error_mappings`` gives."""
    mappings = tuple(error_mappings)

    async def polynom_error_handler(request: Request, exc: Exception) -> Response:
        problem = problem_for(exc, mappings, request.method)
        if problem is None:  # registered for the mapped classes only
            raise exc
        return problem_response(problem)

    return polynom_error_handler


def exception_handlers(
    error_mappings: Sequence[ErrorMapping] = ERROR_MAPPINGS,
) -> dict[Any, Handler]:
    """Handlers for ``Starlette(exception_handlers=...)``: ``HTTPException`` and the
    exceptions ``error_mappings`` names (down to the ``500`` for anything else)."""
    handler = error_handler(error_mappings)
    handlers: dict[Any, Handler] = dict.fromkeys(error_classes(error_mappings), handler)
    handlers[HTTPException] = http_exception_handler
    return handlers
