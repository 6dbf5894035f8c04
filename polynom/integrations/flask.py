"""Flask: the application opened for the app, a DAL context per request, ``dal`` in views.

::

    from polynom.application import Application
    from polynom.integrations.flask import PolynomFlask, dal

    app = Flask(__name__)
    PolynomFlask(app, Application(APP_UUID, "sqlite:///shop.db"), services=make_services(),
                 user_from=lambda request: request.headers.get("X-User"))

    @app.get("/bikes/<entry_id>")
    def bike(entry_id):
        return dal.bikes.get_or_raise(entry_id).to_dict()   # NotFound -> 404 problem

The extension owns the ``Application``: it opens it when the app first needs it (the first
request) and closes it when the process ends (or at :meth:`PolynomFlask.close`); nobody
enters it by hand. ``flask polynom check|migrate|dump|load|history`` are the ``polynom``
commands, already pointed at the app's store, application and models.

Each request's context opens before the view (``before_request``) and ends in an
``after_request`` hook, once the response -- and its status -- exists but before it is
sent: it commits, or rolls back when the request raised or the status is an error
(``>= 400`` by default). Every error answer is an ``application/problem+json`` body
(:mod:`polynom.integrations.problems`): polynom's errors, Flask's own HTTP errors
(a malformed JSON body ``400``, an unknown route ``404``...) and a ``500``.
"""

from __future__ import annotations

import atexit
import json
import logging
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import click
from flask import Flask, current_app, got_request_exception, request
from flask.cli import with_appcontext
from werkzeug.exceptions import HTTPException
from werkzeug.local import LocalProxy

from polynom.errors import ConfigurationError, SessionError
from polynom.integrations._context import (
    CommitVeto,
    RequestFailed,
    context_meta,
    default_commit_veto,
    exit_context,
)
from polynom.integrations.problems import (
    ERROR_MAPPINGS,
    MALFORMED,
    NOT_FOUND,
    PROBLEM_JSON,
    SERVER_ERROR,
    ErrorMapping,
    Problem,
    error_classes,
    http_problem,
    problem_for,
)

if TYPE_CHECKING:
    from flask import Request, Response
    from polydatum import DataManager

    from polynom.application import Application

__all__ = ["PolynomFlask", "current_context", "dal"]

_log = logging.getLogger("polynom.integrations")

_EXTENSION = "polynom"
_CONTEXT_KEY = "polynom.context"
_ERROR_KEY = "polynom.error"
_ANSWERED_KEY = "polynom.answered_error"


class PolynomFlask:
    """The Flask extension: the app's polynom ``Application`` and one DAL context per request.

    ``source`` is an ``Application`` (the extension makes the data manager, with
    ``services``) or a ready ``DataManager``; omitted, ``init_app`` builds the application
    from the app's config: ``POLYNOM_APP`` (uuid, required), ``POLYNOM_URL`` (address) and
    ``POLYNOM_MIGRATE``. Either way the extension opens the application when the app first
    needs it, unless it is open already, and closes what it opened when the process exits.

    ``user_from(request)`` names the request's user (``meta.user``; the changelog records
    changes under it); ``meta_from(request)`` adds meta; ``meta.request`` is the request.
    ``commit_veto(status)`` says which responses roll back (``status >= 400``).

    Errors are answered with problem details: the exceptions ``error_mappings`` names
    (:data:`~polynom.integrations.problems.ERROR_MAPPINGS`; ``()`` answers none,
    ``handle_not_found=False`` leaves out ``NotFound``), rolling the request's work back
    whatever ``commit_veto`` says, and -- with ``http_errors`` -- Flask's HTTP errors
    (``abort(403)``, unknown routes, malformed JSON bodies). Error handlers you register on
    the app for the same classes replace these. Supports application factories
    (``init_app``); ``cli=False`` leaves out the ``flask polynom`` commands.
    """

    def __init__(
        self,
        app: Flask | None = None,
        source: Application | DataManager | None = None,
        *,
        services: Mapping[str, Any] | None = None,
        user_from: Callable[[Request], object] | None = None,
        meta_from: Callable[[Request], Mapping[str, Any]] | None = None,
        commit_veto: CommitVeto = default_commit_veto,
        handle_not_found: bool = True,
        error_mappings: Sequence[ErrorMapping] = ERROR_MAPPINGS,
        http_errors: bool = True,
        cli: bool = True,
        user_loader: Callable[[Request], object] | None = None,
    ) -> None:
        if user_loader is not None:
            warnings.warn(
                "PolynomFlask(user_loader=...) is deprecated: pass user_from=... (the name "
                "every polynom integration uses)",
                DeprecationWarning,
                stacklevel=2,
            )
            user_from = user_from or user_loader
        self.user_from = user_from
        self.meta_from = meta_from
        self.commit_veto = commit_veto
        self.handle_not_found = handle_not_found
        self.error_mappings = tuple(
            m for m in error_mappings if handle_not_found or m is not NOT_FOUND
        )
        self.http_errors = http_errors
        self.cli = cli
        self.services = services
        self.data_manager: DataManager | None = None
        self.application: Application | None = None
        self._opened: Application | None = None
        self._lock = threading.Lock()
        if source is not None:
            self._use(source)
        if app is not None:
            self.init_app(app)

    @property
    def user_loader(self) -> Callable[[Request], object] | None:
        """Deprecated name of :attr:`user_from`."""
        warnings.warn("PolynomFlask.user_loader is now user_from", DeprecationWarning, 2)
        return self.user_from

    # -- setup -------------------------------------------------------------------------------

    def init_app(self, app: Flask, source: Application | DataManager | None = None) -> None:
        """Install the request hooks, the error answers and the CLI commands on ``app``."""
        if source is not None:
            self._use(source)
        if self.data_manager is None:
            self._use(_application_from_config(app))
        if _EXTENSION in app.extensions:
            raise ConfigurationError(f"polynom is already set up on the Flask app {app.name!r}")
        app.extensions[_EXTENSION] = self
        app.before_request(self._open)
        app.after_request(self._close)
        app.teardown_request(self._teardown)
        got_request_exception.connect(_remember_error, app, weak=False)
        for exc_class in error_classes(self.error_mappings):
            if exc_class is not Exception:  # Flask's own 500 handling answers the rest
                app.register_error_handler(exc_class, self._answer_error)
        if self.http_errors:
            app.register_error_handler(HTTPException, self._answer_http_error)
        elif SERVER_ERROR in self.error_mappings:
            app.register_error_handler(500, self._answer_http_error)
        if self.cli:
            app.cli.add_command(_cli_group())

    def _use(self, source: Application | DataManager) -> None:
        from polynom.application import Application

        if isinstance(source, Application):
            from polynom.dal import create_data_manager

            self.application = source
            self.data_manager = create_data_manager(source, services=self.services)
            return
        if self.services:
            raise TypeError("services= is for an Application; register them on your DataManager")
        self.data_manager = source
        self.application = getattr(_connection_resource(source), "application", None)

    # -- the application's lifecycle ----------------------------------------------------------

    def open(self) -> None:
        """Open the application now, unless it is open already (the first request does)."""
        application = self.application
        if application is None or application.is_active:
            return
        with self._lock:
            if application.is_active:
                return
            application.__enter__()
            self._opened = application
        atexit.register(self.close)

    def close(self) -> None:
        """Close the application if the extension opened it (at exit, or in your tests)."""
        with self._lock:
            opened, self._opened = self._opened, None
        if opened is not None and opened.is_active:
            opened.__exit__(None, None, None)

    # -- the request's context ----------------------------------------------------------------

    @property
    def context(self) -> Any:
        """The active context of the data manager (the request's, inside a request)."""
        ctx = self._data_manager().get_active_context()
        if ctx is None:
            raise SessionError(
                "no polynom context is active: use the DAL inside a request of an app "
                "set up with PolynomFlask, or open one with data_manager.context()"
            )
        return ctx

    @property
    def dal(self) -> Any:
        """The DAL of the active context: ``ext.dal.bikes.get(entry_id)``."""
        return self.context.dal

    def _data_manager(self) -> DataManager:
        if self.data_manager is None:
            raise ConfigurationError(
                "PolynomFlask has no data manager yet: call init_app(app, ...)"
            )
        return self.data_manager

    def _open(self) -> None:
        self.open()
        req = request._get_current_object()  # type: ignore[attr-defined]
        user = self.user_from(req) if self.user_from else None
        extra = self.meta_from(req) if self.meta_from else None
        ctx = self._data_manager().context(meta=context_meta(user, extra, request=req))
        ctx.__enter__()
        req.environ[_CONTEXT_KEY] = ctx

    def _close(self, response: Response) -> Response:
        ctx = request.environ.pop(_CONTEXT_KEY, None)
        if ctx is not None:
            dm = self._data_manager()
            status = response.status_code
            failed: BaseException | None = request.environ.get(_ANSWERED_KEY)
            if failed is None and self.commit_veto(status):
                failed = RequestFailed(status, request.environ.get(_ERROR_KEY))
            try:
                exit_context(dm, ctx, failed)
            except Exception as exc:  # the commit failed: answer that instead
                problem = problem_for(exc, self.error_mappings, request.method)
                if problem is None:
                    raise
                if problem.status >= 500:
                    _log.error("polynom: committing the request failed", exc_info=exc)
                return _problem_response(problem)
        return response

    def _teardown(self, exc: BaseException | None) -> None:
        # Only reached with an open context when no after_request ran: an exception Flask
        # propagated (testing, debug, PROPAGATE_EXCEPTIONS) or a failing earlier hook.
        ctx = request.environ.pop(_CONTEXT_KEY, None)
        if ctx is None:
            return
        try:
            exit_context(self._data_manager(), ctx, RequestFailed(500, exc))
        except Exception:
            _log.exception("polynom: ending the request's context failed")

    # -- error answers ------------------------------------------------------------------------

    def _answer_error(self, exc: Exception) -> Response:
        """The error handler of the exceptions ``error_mappings`` names."""
        problem = problem_for(exc, self.error_mappings, request.method)
        if problem is None:  # pragma: no cover - registered for these classes only
            raise exc
        # The context ends with the exception itself, however commit_veto judges the status.
        request.environ.setdefault(_ANSWERED_KEY, exc)
        return _problem_response(problem)

    def _answer_http_error(self, exc: HTTPException) -> Response:
        """Flask's HTTP errors (and its ``500`` for anything unhandled) as problems."""
        if exc.code == 500 or exc.code is None:
            original = getattr(exc, "original_exception", None) or exc
            problem = problem_for(original, (SERVER_ERROR,)) or http_problem(500)
        elif (malformed := _json_error(exc)) is not None:
            problem = MALFORMED.problem(malformed)  # Flask hides why, outside debug mode
        else:
            problem = http_problem(exc.code, exc.description)
        response = _problem_response(problem)
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response


def _json_error(exc: BaseException) -> json.JSONDecodeError | None:
    """The JSON decoding error behind a ``400`` from ``request.get_json()``, if it is one."""
    seen: BaseException | None = exc
    for _ in range(4):
        seen = seen.__cause__ or seen.__context__ if seen is not None else None
        if isinstance(seen, json.JSONDecodeError):
            return seen
    return None


def _problem_response(problem: Problem) -> Response:
    response = current_app.response_class(
        problem.to_bytes(), status=problem.status, mimetype=PROBLEM_JSON
    )
    return response


def _remember_error(sender: Flask, exception: BaseException, **extra: Any) -> None:
    """Keep an unhandled exception for the rollback (``RequestFailed.error``)."""
    request.environ.setdefault(_ERROR_KEY, exception)


def _connection_resource(dm: Any) -> Any:
    try:
        return dm.get_resource("connection")
    except Exception:  # a data manager without polynom's connection resource
        return None


def _application_from_config(app: Flask) -> Application:
    from polynom.application import Application

    uuid = app.config.get("POLYNOM_APP")
    if not uuid:
        raise ConfigurationError(
            "PolynomFlask needs an Application, a DataManager, or POLYNOM_APP (the "
            "application's uuid) in app.config"
        )
    return Application(
        uuid, app.config.get("POLYNOM_URL"), migrate=bool(app.config.get("POLYNOM_MIGRATE"))
    )


def _extension() -> PolynomFlask:
    ext = current_app.extensions.get(_EXTENSION)
    if not isinstance(ext, PolynomFlask):
        raise ConfigurationError(f"polynom is not set up on the Flask app {current_app.name!r}")
    return ext


# -- flask polynom ... ------------------------------------------------------------------------


def _cli_group() -> click.Group:
    """``flask polynom``: the ``polynom`` commands with the app's store, uuid and models."""
    from polynom.cli import main as polynom_command

    @click.group(
        "polynom",
        help="Manage the app's polynom store: schemas, data and changelog "
        "(the 'polynom' commands, pointed at this app).",
    )
    @with_appcontext
    def group() -> None:
        defaults = _cli_defaults(_extension())
        click.get_current_context().default_map = dict.fromkeys(polynom_command.commands, defaults)

    for name, command in polynom_command.commands.items():
        group.add_command(command, name)
    return group


def _cli_defaults(ext: PolynomFlask) -> dict[str, Any]:
    """What the commands' ``--url``, ``--app`` and ``--models`` default to for this app."""
    application = ext.application
    if application is None:
        raise click.UsageError("the app's PolynomFlask has no Application to manage")
    schemas = application.schemas
    defaults: dict[str, Any] = {
        "app_uuid": application.app_uuid,
        "models": sorted({schema.__module__ for schema in schemas}),
        # the entities the Application manages (its schemas=[...]), not every registered one
        "entities": [schema.qualified_name() for schema in schemas],
    }
    url = _address_url(application)
    if url is not None:
        defaults["url"] = url
    return defaults


def _address_url(application: Application) -> str | None:
    """The application's address as a URL the ``polynom`` commands take."""
    address = application.address
    if address is None or isinstance(address, str):
        return address
    host, port = address  # PolyNOM's ("localhost", 20590)
    user, password = quote(application.user or "", safe=""), quote(application.password or "")
    return f"polypheny://{user}:{password}@{host}:{port}"


#: The active context of the current app's data manager (``current_context.session``).
current_context: Any = LocalProxy(lambda: _extension().context)

#: The DAL of the current request's context, like ``flask.g``: ``dal.bikes.get(entry_id)``.
dal: Any = LocalProxy(lambda: _extension().dal)
