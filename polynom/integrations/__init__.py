"""Where users call the DAL: one context per web request or per Celery task run.

=================================== ========================================================
:mod:`polynom.integrations.flask`   :class:`~polynom.integrations.flask.PolynomFlask`, ``dal``
:mod:`polynom.integrations.fastapi` :class:`~polynom.integrations.fastapi.PolynomFastAPI`
:mod:`polynom.integrations.asgi`    :class:`~polynom.integrations.asgi.DalASGIMiddleware`
:mod:`polynom.integrations.wsgi`    :class:`~polynom.integrations.wsgi.DalWSGIMiddleware`
:mod:`polynom.integrations.celery`  :class:`~polynom.integrations.celery.DalTask`
:mod:`polynom.integrations.admin`   :class:`~polynom.integrations.admin.PolynomAdmin`
=================================== ========================================================

Every integration follows the same rules (``docs/web.md``, ``docs/celery.md``):

* the request's (or task's) user goes into the context's ``meta`` as ``meta.user``, so the
  changelog records who changed what;
* the context commits when the work ends normally, **before** the response (or the task
  result) leaves, so a client never sees a success for a write that failed to commit;
* an exception -- or, for web requests, an error status (``status >= 400`` by default) --
  rolls back everything the request wrote;
* every error answer is an RFC 9457 problem (``application/problem+json``), from one table
  (:mod:`polynom.integrations.problems`): ``NotFound`` ``404``, ``ValidationError`` and
  ``QueryError`` ``422`` naming the parameter as the client sent it, ``IntegrityError`` and
  ``ConflictError`` ``409``... The request's work is rolled back first: the context ends
  with the exception itself.

This package imports no web framework; each module imports its own.
"""

from __future__ import annotations

from polynom.integrations._context import CommitVeto, RequestFailed, default_commit_veto
from polynom.integrations.problems import (
    CONFLICT,
    ERROR_MAPPINGS,
    INTEGRITY,
    NOT_FOUND,
    NOT_FOUND_ERRORS,
    PROBLEM_JSON,
    QUERY,
    SERVER_ERROR,
    VALIDATION,
    ErrorMapping,
    InvalidParameter,
    Problem,
    check_parameter,
    http_problem,
    parameter,
    problem_for,
)

__all__ = [
    "CONFLICT",
    "ERROR_MAPPINGS",
    "INTEGRITY",
    "NOT_FOUND",
    "NOT_FOUND_ERRORS",
    "PROBLEM_JSON",
    "QUERY",
    "SERVER_ERROR",
    "VALIDATION",
    "CommitVeto",
    "ErrorMapping",
    "InvalidParameter",
    "Problem",
    "RequestFailed",
    "check_parameter",
    "default_commit_veto",
    "http_problem",
    "parameter",
    "problem_for",
]
