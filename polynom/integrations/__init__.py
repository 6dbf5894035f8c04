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
* polynom's errors become JSON answers (:data:`ERROR_MAPPINGS`, one table every web
  integration uses): ``NotFound`` (polynom's or polydatum's) a ``404``, ``ValidationError``
  a ``422``, ``IntegrityError`` (``UniqueViolation``, ``ForeignKeyViolation``,
  ``NotNullViolation``) and ``ConflictError`` a ``409``. The request's work is rolled back
  first: the context ends with the exception itself.

This module holds what the integrations share; it imports no web framework.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from polydatum.errors import NotFound as _PolydatumNotFound

from polynom.errors import ConflictError, IntegrityError, NotFound, ValidationError

__all__ = [
    "CONFLICT",
    "ERROR_MAPPINGS",
    "INTEGRITY",
    "NOT_FOUND",
    "NOT_FOUND_ERRORS",
    "VALIDATION",
    "CommitVeto",
    "ErrorMapping",
    "RequestFailed",
    "conflict_body",
    "default_commit_veto",
    "error_response",
    "integrity_body",
    "not_found_body",
    "validation_body",
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


def validation_body(exc: BaseException) -> dict[str, Any]:
    """The ``422`` body of a ``ValidationError``: ``{"error", "detail", "model", "field"}``.

    The refused value itself is left out: it may be large, secret, or not JSON at all.
    """
    return {
        "error": "validation",
        "detail": _public_message(exc) or "invalid value",
        "model": getattr(exc, "model", None),
        "field": getattr(exc, "field", None),
    }


def integrity_body(exc: BaseException) -> dict[str, str]:
    """The ``409`` body of an ``IntegrityError`` (a unique value taken, a dangling reference,
    a missing value): ``{"error": "integrity", "detail"}``."""
    return {"error": "integrity", "detail": _public_message(exc) or "constraint violated"}


def conflict_body(exc: BaseException) -> dict[str, Any]:
    """The ``409`` body of a ``ConflictError``: ``{"error": "conflict", "detail", "retry"}``.

    Another request changed the same data first; nothing of this one was kept, so the client
    may send it again (``"retry": true``).
    """
    detail = _public_message(exc) or "another request changed the same data first"
    return {"error": "conflict", "detail": detail, "retry": True}


def _public_message(exc: BaseException) -> str:
    """The exception's message without the SQL statement the stores append to it."""
    return str(exc).split("; statement: ", 1)[0].strip()


@dataclass(frozen=True)
class ErrorMapping:
    """How the web integrations answer one kind of exception: its status and JSON body.

    ``errors`` are exception classes (subclasses match too); ``body(exc)`` makes the JSON
    body. Pass your own sequence as ``error_mappings=`` to an integration to change or extend
    :data:`ERROR_MAPPINGS` (the first entry that matches wins), or ``()`` to answer none.
    """

    errors: tuple[type[Exception], ...]
    status: int
    body: Callable[[BaseException], Mapping[str, Any]]

    def matches(self, exc: BaseException) -> bool:
        return isinstance(exc, self.errors)


NOT_FOUND = ErrorMapping(NOT_FOUND_ERRORS, 404, not_found_body)
VALIDATION = ErrorMapping((ValidationError,), 422, validation_body)
INTEGRITY = ErrorMapping((IntegrityError,), 409, integrity_body)
CONFLICT = ErrorMapping((ConflictError,), 409, conflict_body)

#: What every web integration answers by default, in order: ``NotFound`` ``404``,
#: ``ValidationError`` ``422``, ``IntegrityError`` ``409``, ``ConflictError`` ``409``.
ERROR_MAPPINGS: tuple[ErrorMapping, ...] = (NOT_FOUND, VALIDATION, INTEGRITY, CONFLICT)


def error_response(
    exc: BaseException, mappings: Sequence[ErrorMapping] = ERROR_MAPPINGS
) -> tuple[int, dict[str, Any]] | None:
    """The status and JSON body ``mappings`` give ``exc`` (the first match), else ``None``."""
    for mapping in mappings:
        if mapping.matches(exc):
            return mapping.status, dict(mapping.body(exc))
    return None


def _error_classes(mappings: Sequence[ErrorMapping]) -> list[type[Exception]]:
    """Every exception class ``mappings`` name, once each, in order (to register handlers)."""
    classes: list[type[Exception]] = []
    for mapping in mappings:
        classes += [cls for cls in mapping.errors if cls not in classes]
    return classes


def _json_bytes(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, default=str).encode("utf-8")


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
