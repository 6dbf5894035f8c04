"""Where users call the DAL: one context per web request or per Celery task run.

=================================  ==========================================================
:mod:`polynom.integrations.wsgi`   :class:`~polynom.integrations.wsgi.DalWSGIMiddleware`
:mod:`polynom.integrations.asgi`   :class:`~polynom.integrations.asgi.DalASGIMiddleware`
:mod:`polynom.integrations.flask`  :class:`~polynom.integrations.flask.PolynomFlask`, ``dal``
:mod:`polynom.integrations.fastapi` :func:`~polynom.integrations.fastapi.dal_dependency`
:mod:`polynom.integrations.celery` :class:`~polynom.integrations.celery.DalTask`
=================================  ==========================================================

Every integration follows the same rules (``docs/web.md``, ``docs/celery.md``):

* the request's (or task's) user goes into the context's ``meta`` as ``meta.user``, so the
  changelog records who changed what;
* the context commits when the work ends normally, **before** the response (or the task
  result) leaves, so a client never sees a success for a write that failed to commit;
* an exception -- or, for web requests, an error status (``status >= 400`` by default) --
  rolls back everything the request wrote;
* ``NotFound`` (polynom's or polydatum's) becomes a ``404`` with a JSON body
  (:func:`not_found_body`).

This module holds what the integrations share; it imports no web framework.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from polydatum.errors import NotFound as _PolydatumNotFound

from polynom.errors import NotFound

__all__ = [
    "NOT_FOUND_ERRORS",
    "CommitVeto",
    "RequestFailed",
    "default_commit_veto",
    "not_found_body",
]

_log = logging.getLogger("polynom.integrations")

#: The exceptions the web integrations answer with ``404``: polynom's ``NotFound`` and
#: polydatum's (which services written for plain polydatum raise).
NOT_FOUND_ERRORS: tuple[type[Exception], ...] = (NotFound, _PolydatumNotFound)

#: Decides from a response's status code whether the request's work must be rolled back.
CommitVeto = Callable[[int], bool]


class RequestFailed(Exception):
    """Thrown into a request's context when its response has an error status.

    A handler that *returns* an error response (``abort(400)``, a ``500`` page) raised
    nothing the context could see, yet its writes must not be committed: the integration
    ends the context with this exception, so the transaction middleware rolls back. Your own
    middleware sees it too; ``error`` is the exception behind the response, when known.
    """

    def __init__(self, status: int, error: BaseException | None = None) -> None:
        super().__init__(f"the response has the error status {status}")
        self.status = status
        self.error = error


def default_commit_veto(status: int) -> bool:
    """Roll back a request whose response is a client or server error (``status >= 400``)."""
    return status >= 400


def not_found_body(exc: BaseException) -> dict[str, str]:
    """The JSON body of a ``404`` made from a ``NotFound``: ``{"error", "detail"}``."""
    return {"error": "not_found", "detail": str(exc) or "not found"}


def _not_found_json(exc: BaseException) -> bytes:
    return json.dumps(not_found_body(exc)).encode("utf-8")


def _meta(
    user: object,
    extra: Mapping[str, Any] | None,
    **framework: Any,
) -> dict[str, Any]:
    """A context's meta: the framework's request objects, ``extra``, then ``user``."""
    meta: dict[str, Any] = dict(framework)
    if extra:
        meta.update(extra)
    meta["user"] = user
    return meta


def _exit_context(ctx: Any, error: BaseException | None) -> None:
    """End a polydatum context that was entered by hand: commit, or roll back for ``error``.

    Polydatum's ``__exit__`` re-raises the exception it was given; that one is swallowed
    here (the caller already handles it). Anything *else* -- a failed commit, middleware
    that raised -- propagates.
    """
    if error is None:
        ctx.__exit__(None, None, None)
        return
    try:
        ctx.__exit__(type(error), error, error.__traceback__)
    except BaseException as raised:
        if raised is not error:
            raise


def _pop_if_top(data_manager: Any, ctx: Any) -> None:
    """Take ``ctx`` off the current execution context's stack if it is still there.

    A context exited in a worker thread pops itself off that thread's *copy* of the
    context-local stack; the request's own copy still holds it until this runs.
    """
    stack = data_manager.ctx_stack
    if stack.top is ctx:
        stack.pop()
