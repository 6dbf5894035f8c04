"""WSGI: run every request of any WSGI application in its own DAL context.

::

    from polynom.integrations.wsgi import DalWSGIMiddleware

    app.wsgi_app = DalWSGIMiddleware(app.wsgi_app, dm, user_from=lambda environ:
                                     environ.get("REMOTE_USER"))

Inside the request the context is the data manager's active one
(``dm.get_active_context()``, so services just work) and ``environ["polynom.context"]``.
For Flask, prefer :mod:`polynom.integrations.flask`, which knows Flask's error handling.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from http import HTTPStatus
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
    from types import TracebackType

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from polydatum import DataManager

__all__ = ["ENVIRON_KEY", "DalWSGIMiddleware", "problem_response"]

_log = logging.getLogger("polynom.integrations")

#: Where the request's context is in the WSGI environ.
ENVIRON_KEY = "polynom.context"

_ExcInfo = tuple[type[BaseException], BaseException, "TracebackType"] | tuple[None, None, None]


class DalWSGIMiddleware:
    """Wrap a WSGI application so that each request runs in one DAL context.

    ``user_from(environ)`` names the request's user (``meta.user``); ``meta_from(environ)``
    adds more meta; ``meta.environ`` is the environ. The context commits when the
    application has produced its whole response with a status ``commit_veto`` accepts, and
    rolls back on an exception or a vetoed status (``>= 400`` by default).

    The response is buffered until the commit, so that its status line leaves only after
    the commit succeeded: a failed commit never reaches the client as a success. An
    exception from the application rolls back and is answered with the problem
    ``error_mappings`` gives it (:data:`~polynom.integrations.problems.ERROR_MAPPINGS`:
    ``NotFound`` ``404``, ``ValidationError`` ``422``..., anything else a ``500``, logged)
    -- as is a commit that fails. With ``error_mappings=()`` nothing is answered: the
    exception propagates after the rollback.
    """

    def __init__(
        self,
        app: WSGIApplication,
        data_manager: DataManager,
        *,
        user_from: Callable[[WSGIEnvironment], object] | None = None,
        meta_from: Callable[[WSGIEnvironment], Mapping[str, Any]] | None = None,
        commit_veto: CommitVeto = default_commit_veto,
        error_mappings: Sequence[ErrorMapping] = ERROR_MAPPINGS,
    ) -> None:
        self.app = app
        self.data_manager = data_manager
        self.user_from = user_from
        self.meta_from = meta_from
        self.commit_veto = commit_veto
        self.error_mappings = tuple(error_mappings)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        user = self.user_from(environ) if self.user_from else None
        extra = self.meta_from(environ) if self.meta_from else None
        dm = self.data_manager
        ctx = dm.context(meta=context_meta(user, extra, environ=environ))
        ctx.__enter__()
        environ[ENVIRON_KEY] = ctx
        response = _BufferedResponse()
        try:
            try:
                result = self.app(environ, response.start_response)
                try:
                    response.consume(result)
                finally:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
                if response.status is None:
                    raise RuntimeError("the WSGI application returned without a response")
            except BaseException as exc:
                exit_context(dm, ctx, exc)
                return self._answer(exc, environ, start_response)
            code = _status_code(response.status)
            try:
                exit_context(dm, ctx, RequestFailed(code) if self.commit_veto(code) else None)
            except Exception as exc:  # the commit failed: nothing of the response leaves
                return self._answer(exc, environ, start_response)
        finally:
            environ.pop(ENVIRON_KEY, None)
            pop_if_top(dm, ctx)
        start_response(response.status, response.headers)
        return response.body

    def _answer(
        self, exc: BaseException, environ: WSGIEnvironment, start_response: StartResponse
    ) -> list[bytes]:
        """The problem answering ``exc``; re-raises what the table does not answer."""
        method = str(environ.get("REQUEST_METHOD", "GET"))
        problem = (
            problem_for(exc, self.error_mappings, method) if isinstance(exc, Exception) else None
        )
        if problem is None:
            raise exc
        if problem.status >= 500:
            _log.error("polynom: the request failed", exc_info=exc)
        return problem_response(start_response, problem)


class _BufferedResponse:
    """What the application answered, held back until the context has ended."""

    def __init__(self) -> None:
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.body: list[bytes] = []

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: _ExcInfo | None = None,
    ) -> Callable[[bytes], object]:
        # Nothing has been sent yet, so a second call (an error page replacing a
        # response, PEP 3333) simply replaces the first.
        self.status, self.headers = status, list(headers)
        return self.body.append

    def consume(self, result: Iterable[bytes]) -> None:
        for chunk in result:
            if chunk:
                self.body.append(chunk)


def _status_code(status: str) -> int:
    return int(status.split(None, 1)[0])


def problem_response(start_response: StartResponse, problem: Problem) -> list[bytes]:
    """Start an ``application/problem+json`` response for ``problem``; returns its body."""
    data = problem.to_bytes()
    start_response(
        _status_line(problem.status),
        [("Content-Type", PROBLEM_JSON), ("Content-Length", str(len(data)))],
    )
    return [data]


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"
