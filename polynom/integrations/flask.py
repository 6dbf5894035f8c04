"""Flask: a DAL context per request, reachable as ``dal`` (like ``g``) in views.

::

    from polynom.integrations.flask import PolynomFlask, dal

    PolynomFlask(app, dm, user_loader=lambda request: request.headers.get("X-User"))

    @app.get("/bikes/<entry_id>")
    def bike(entry_id):
        return dal.bikes.get_or_raise(entry_id).to_dict()   # NotFound -> 404 JSON

The context opens before the view (in a ``before_request`` hook) and ends in an
``after_request`` hook, once the response -- and its status -- exists but before it is
sent: it commits, or rolls back when the request raised or the status is an error
(``>= 400`` by default). polynom's errors become JSON answers (``NotFound`` ``404``,
``ValidationError`` ``422``, ``IntegrityError`` and ``ConflictError`` ``409``); any other
failed commit becomes Flask's ``500``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, got_request_exception, jsonify, request
from werkzeug.local import LocalProxy

from polynom.integrations import (
    ERROR_MAPPINGS,
    NOT_FOUND,
    CommitVeto,
    ErrorMapping,
    RequestFailed,
    _error_classes,
    _exit_context,
    _meta,
    _pop_if_top,
    default_commit_veto,
    error_response,
)

if TYPE_CHECKING:
    from flask import Request, Response
    from flask.typing import ResponseReturnValue
    from polydatum import DataManager

__all__ = ["PolynomFlask", "current_context", "dal"]

_log = logging.getLogger("polynom.integrations")

_EXTENSION = "polynom"
_CONTEXT_KEY = "polynom.context"
_ERROR_KEY = "polynom.error"
_ANSWERED_KEY = "polynom.answered_error"


class PolynomFlask:
    """The Flask extension: one DAL context per request of the app.

    ``user_loader(request)`` names the request's user (``meta.user``; the changelog records
    changes under it); ``meta_from(request)`` adds meta; ``meta.request`` is the request.
    ``commit_veto(status)`` says which responses roll back (``status >= 400``).

    The exceptions ``error_mappings`` names (:data:`~polynom.integrations.ERROR_MAPPINGS`)
    are answered with JSON: ``NotFound`` ``404 {"error": "not_found", "detail"}``,
    ``ValidationError`` ``422``, ``IntegrityError`` and ``ConflictError`` ``409``; the
    request's work is rolled back whatever ``commit_veto`` says, and the context ends with
    the exception itself. A commit that fails with one of them is answered the same way.
    ``error_mappings=()`` answers none; ``handle_not_found=False`` leaves out ``NotFound``.
    Error handlers you register on the app for the same classes replace these. Supports the
    application-factory pattern (``init_app``).
    """

    def __init__(
        self,
        app: Flask | None = None,
        data_manager: DataManager | None = None,
        *,
        user_loader: Callable[[Request], object] | None = None,
        meta_from: Callable[[Request], Mapping[str, Any]] | None = None,
        commit_veto: CommitVeto = default_commit_veto,
        handle_not_found: bool = True,
        error_mappings: Sequence[ErrorMapping] = ERROR_MAPPINGS,
    ) -> None:
        self.data_manager = data_manager
        self.user_loader = user_loader
        self.meta_from = meta_from
        self.commit_veto = commit_veto
        self.handle_not_found = handle_not_found
        self.error_mappings = tuple(
            m for m in error_mappings if handle_not_found or m is not NOT_FOUND
        )
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, data_manager: DataManager | None = None) -> None:
        """Install the request hooks and the error handlers on ``app``."""
        if data_manager is not None:
            self.data_manager = data_manager
        if self.data_manager is None:
            raise TypeError("PolynomFlask needs a data manager: PolynomFlask(app, dm)")
        if _EXTENSION in app.extensions:
            raise RuntimeError(f"polynom is already set up on the Flask app {app.name!r}")
        app.extensions[_EXTENSION] = self
        app.before_request(self._open)
        app.after_request(self._close)
        app.teardown_request(self._teardown)
        got_request_exception.connect(_remember_error, app, weak=False)
        for exc_class in _error_classes(self.error_mappings):
            app.register_error_handler(exc_class, self._answer_error)

    @property
    def context(self) -> Any:
        """The active context of the data manager (the request's, inside a request)."""
        ctx = self._data_manager().get_active_context()
        if ctx is None:
            raise RuntimeError(
                "no polynom context is active: use the DAL inside a request of an app "
                "set up with PolynomFlask, or open one with data_manager.context()"
            )
        return ctx

    @property
    def dal(self) -> Any:
        """The DAL of the active context: ``ext.dal.bikes.get(entry_id)``."""
        return self.context.dal

    # -- hooks -------------------------------------------------------------------------------

    def _data_manager(self) -> DataManager:
        if self.data_manager is None:
            raise RuntimeError("PolynomFlask has no data manager yet: call init_app(app, dm)")
        return self.data_manager

    def _open(self) -> None:
        req = request._get_current_object()  # type: ignore[attr-defined]
        user = self.user_loader(req) if self.user_loader else None
        extra = self.meta_from(req) if self.meta_from else None
        ctx = self._data_manager().context(meta=_meta(user, extra, request=req))
        ctx.__enter__()
        req.environ[_CONTEXT_KEY] = ctx

    def _close(self, response: Response) -> Response:
        ctx = request.environ.pop(_CONTEXT_KEY, None)
        if ctx is not None:
            status = response.status_code
            failed: BaseException | None = request.environ.get(_ANSWERED_KEY)
            if failed is None and self.commit_veto(status):
                failed = RequestFailed(status, request.environ.get(_ERROR_KEY))
            try:
                _exit_context(ctx, failed)
            except Exception as exc:
                answer = error_response(exc, self.error_mappings)
                if answer is None:
                    raise  # a failed commit: Flask answers it with its 500 response
                return _json_response(*answer)
            finally:
                _pop_if_top(self.data_manager, ctx)
        return response

    def _answer_error(self, exc: Exception) -> ResponseReturnValue:
        """The error handler of the exceptions ``error_mappings`` names."""
        answer = error_response(exc, self.error_mappings)
        if answer is None:  # pragma: no cover - registered for these classes only
            raise exc
        # The context ends with the exception itself, however commit_veto judges the status.
        request.environ.setdefault(_ANSWERED_KEY, exc)
        return _json_response(*answer)

    def _teardown(self, exc: BaseException | None) -> None:
        # Only reached with an open context when no after_request ran: an exception Flask
        # propagated (testing, debug, PROPAGATE_EXCEPTIONS) or a failing earlier hook.
        ctx = request.environ.pop(_CONTEXT_KEY, None)
        if ctx is None:
            return
        try:
            _exit_context(ctx, RequestFailed(500, exc))
        except Exception:
            _log.exception("polynom: ending the request's context failed")
        finally:
            _pop_if_top(self.data_manager, ctx)


def _remember_error(sender: Flask, exception: BaseException, **extra: Any) -> None:
    """Keep an unhandled exception for the rollback (``RequestFailed.error``)."""
    request.environ.setdefault(_ERROR_KEY, exception)


def _json_response(status: int, body: Mapping[str, Any]) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def _extension() -> PolynomFlask:
    ext = current_app.extensions.get(_EXTENSION)
    if not isinstance(ext, PolynomFlask):
        raise RuntimeError(f"polynom is not set up on the Flask app {current_app.name!r}")
    return ext


#: The active context of the current app's data manager (``current_context.session``).
current_context: Any = LocalProxy(lambda: _extension().context)

#: The DAL of the current request's context, like ``flask.g``: ``dal.bikes.get(entry_id)``.
dal: Any = LocalProxy(lambda: _extension().dal)
