"""Problem details (RFC 9457): the one shape every web integration answers errors with.

Every error answer of :mod:`polynom.integrations` -- a polynom error raised by a service,
a body that is not JSON, an unknown route, a failed commit -- is an
``application/problem+json`` body::

    {"type": "tag:polynom-dal,2025:validation", "title": "Invalid request", "status": 422,
     "detail": "Bike.price: invalid value ...",
     "errors": [{"in": "body", "name": "price", "pointer": "#/price", "detail": "..."}]}

``type`` says what kind of problem it is (a ``tag:`` URI, never fetched; ``about:blank``
when the HTTP status says it all, with the status phrase as ``title``), ``detail`` what
went wrong this time. A validation problem lists each refused value in ``errors``, named
as the client sent it: ``in`` (``body``, ``query``, ``path``, ``header``, ``cookie``) and
``name`` (a JSON ``pointer`` too, for body members).

:data:`ERROR_MAPPINGS` is the table every integration answers polynom's errors from; pass
your own sequence as ``error_mappings=`` to change it (the first entry that matches wins).
This module imports no web framework.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from polydatum.errors import NotFound as _PolydatumNotFound

from polynom.errors import (
    ConflictError,
    DumpError,
    IntegrityError,
    NotFound,
    QueryError,
    StoreConnectionError,
    ValidationError,
)

__all__ = [
    "CONFLICT",
    "DUMP",
    "ERROR_MAPPINGS",
    "INTEGRITY",
    "MALFORMED",
    "NOT_FOUND",
    "NOT_FOUND_ERRORS",
    "PROBLEM_JSON",
    "QUERY",
    "SERVER_ERROR",
    "UNAVAILABLE",
    "VALIDATION",
    "ErrorMapping",
    "InvalidParameter",
    "Problem",
    "check_parameter",
    "error_classes",
    "http_problem",
    "parameter",
    "problem_for",
    "validation_problem",
]

#: The media type of every error answer.
PROBLEM_JSON = "application/problem+json"

#: Where the problem types of polynom live; each type is this plus a word.
TYPE_BASE = "tag:polynom-dal,2025:"

#: The exceptions answered ``404``: polynom's ``NotFound`` and polydatum's (which services
#: written for plain polydatum raise).
NOT_FOUND_ERRORS: tuple[type[Exception], ...] = (NotFound, _PolydatumNotFound)

#: Request methods whose values usually come in the body (the others: the query string).
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class Problem:
    """One problem-details answer: ``status``, ``title``, ``type``, ``detail``, extensions."""

    status: int
    title: str
    detail: str | None = None
    type: str = "about:blank"
    extensions: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object; extension members never replace the standard ones."""
        body: dict[str, Any] = dict(self.extensions)
        body.update(type=self.type, title=self.title, status=self.status)
        if self.detail:
            body["detail"] = self.detail
        return body

    def to_bytes(self) -> bytes:
        """The UTF-8 JSON body."""
        return json.dumps(self.to_dict(), default=str, ensure_ascii=False).encode("utf-8")


def http_problem(status: int, detail: str | None = None, **extensions: Any) -> Problem:
    """A problem the HTTP status says all about (``about:blank``, the status phrase as title)."""
    return Problem(status, _phrase(status), detail, extensions=extensions)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# -- naming the parameter a bad value came from --------------------------------------------


class InvalidParameter(ValidationError):
    """A request parameter is refused; ``name`` and ``location`` say it as the client sent it.

    ``location`` is where the value came from: ``query``, ``path``, ``header``, ``cookie`` or
    ``body``. ``model`` and ``field`` are those of the check that refused it, if any.
    """

    def __init__(
        self,
        reason: str,
        *,
        name: str,
        location: str = "query",
        model: str | None = None,
        field: str | None = None,
        value: Any = None,
    ) -> None:
        super().__init__(
            f"{location} parameter {name!r}: {reason}", model=model, field=field, value=value
        )
        #: What is wrong with the value, without saying where it came from.
        self.reason = reason
        self.name = name
        self.location = location


@contextmanager
def parameter(name: str, location: str = "query") -> Iterator[None]:
    """Name the request parameter a ``ValidationError`` raised inside came from.

    ``with parameter("max_price"): dal.bikes.search(max_price=value)`` answers a refused
    value with ``{"in": "query", "name": "max_price"}`` rather than the model's field name.
    """
    try:
        yield
    except InvalidParameter:
        raise
    except ValidationError as exc:
        raise InvalidParameter(
            str(exc),
            name=name,
            location=location,
            model=exc.model,
            field=exc.field,
            value=exc.value,
        ) from exc


def check_parameter(column: Any, value: Any, *, name: str, location: str = "query") -> Any:
    """``value`` unchanged once it is known to be comparable with ``column`` (``Bike.price``).

    This is the check a filter runs on its operand, made before the query: a refused value
    raises :class:`InvalidParameter` naming ``name``.
    """
    if value is None:
        return value
    with parameter(name, location):
        column.bind(value)  # a refused value is a ValidationError naming the field
    return value


# -- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorMapping:
    """How the web integrations answer one kind of exception: a :class:`Problem`.

    ``errors`` are exception classes (subclasses match too), answered with ``status``,
    ``title`` and ``type``. ``detail(exc)`` is the problem's ``detail`` (by default the
    exception's message, without the SQL statement a store appends); ``extensions(exc,
    method)`` adds members (``method`` is the request's, to tell body from query values).
    """

    errors: tuple[type[Exception], ...]
    status: int
    title: str | None = None
    type: str = "about:blank"
    detail: Callable[[BaseException], str | None] | None = None
    extensions: Callable[[BaseException, str], Mapping[str, Any]] | None = None

    def matches(self, exc: BaseException) -> bool:
        return isinstance(exc, self.errors)

    def problem(self, exc: BaseException, method: str = "GET") -> Problem:
        """The problem answering ``exc`` (raised by a request with ``method``)."""
        detail = self.detail(exc) if self.detail is not None else _public_message(exc)
        extensions = self.extensions(exc, method.upper()) if self.extensions else {}
        return Problem(self.status, self._title, detail or None, self.type, dict(extensions))

    def with_errors(self, errors: Sequence[Mapping[str, Any]], detail: str | None) -> Problem:
        """This mapping's problem with ``errors`` listed (validation problems)."""
        return Problem(self.status, self._title, detail, self.type, {"errors": list(errors)})

    @property
    def _title(self) -> str:
        return self.title or _phrase(self.status)


def _public_message(exc: BaseException) -> str:
    """The exception's message without the SQL statement the stores append to it."""
    return str(exc).split("; statement: ", 1)[0].strip()


def _validation_errors(exc: BaseException, method: str) -> dict[str, Any]:
    if isinstance(exc, InvalidParameter):
        name, location, reason = exc.name, exc.location, exc.reason
    else:
        name = getattr(exc, "field", None) or ""
        location = "body" if method in _BODY_METHODS else "query"
        reason = _public_message(exc)
    return {"errors": [_error_item(location, [name] if name else [], reason)]}


def _error_item(location: str, path: Sequence[str | int], detail: str) -> dict[str, Any]:
    """One entry of a validation problem's ``errors``."""
    item: dict[str, Any] = {"in": location}
    if path:
        item["name"] = ".".join(str(part) for part in path)
    if location == "body":
        escaped = [str(part).replace("~", "~0").replace("/", "~1") for part in path]
        item["pointer"] = "#/" + "/".join(escaped) if escaped else "#"
    item["detail"] = detail
    return item


def validation_problem(
    errors: Sequence[tuple[str, Sequence[str | int], str]], detail: str | None = None
) -> Problem:
    """The ``422`` of several refused values: ``(location, path, message)`` each.

    ``path`` is the name as the client sent it, in parts (``("items", 0, "price")`` for a
    body member, ``("max_price",)`` for a query parameter); ``detail`` defaults to a
    summary of the first.
    """
    items = [_error_item(location, path, message) for location, path, message in errors]
    if detail is None and items:
        first = items[0]
        where = f"{first['in']} parameter {first['name']!r}" if "name" in first else first["in"]
        more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
        detail = f"{where}: {first['detail']}{more}"
    return VALIDATION.with_errors(items, detail)


NOT_FOUND = ErrorMapping(NOT_FOUND_ERRORS, 404, "Not found", TYPE_BASE + "not-found")
VALIDATION = ErrorMapping(
    (ValidationError,),
    422,
    "Invalid request",
    TYPE_BASE + "validation",
    extensions=_validation_errors,
)
QUERY = ErrorMapping((QueryError,), 422, "Invalid query", TYPE_BASE + "query")
DUMP = ErrorMapping((DumpError,), 422, "Invalid dump", TYPE_BASE + "dump")
INTEGRITY = ErrorMapping((IntegrityError,), 409, "Constraint violated", TYPE_BASE + "integrity")
CONFLICT = ErrorMapping(
    (ConflictError,),
    409,
    "Conflicting change",
    TYPE_BASE + "conflict",
    extensions=lambda exc, method: {"retry": True},
)
UNAVAILABLE = ErrorMapping(
    (StoreConnectionError,),
    503,
    "Store unavailable",
    TYPE_BASE + "unavailable",
    detail=lambda exc: "the data store cannot be reached; try again later",
)
#: A request body that is not JSON, found by ``json.loads`` in your handler: a ``400``.
MALFORMED = ErrorMapping(
    (json.JSONDecodeError,), 400, detail=lambda exc: f"the body is not valid JSON: {exc}"
)
#: Anything else: a ``500`` that tells the client nothing of the server's insides.
SERVER_ERROR = ErrorMapping(
    (Exception,), 500, detail=lambda exc: "the server failed to answer the request"
)

#: What every web integration answers, in order (the first entry that matches wins):
#: ``NotFound`` ``404``; ``ValidationError`` ``422``; ``QueryError`` (a bad filter, order or
#: page) ``422``; ``DumpError`` ``422``; ``IntegrityError`` ``409``; ``ConflictError`` ``409``
#: with ``"retry": true``; ``StoreConnectionError`` ``503``; a ``json.JSONDecodeError`` (a body
#: that is not JSON) ``400``; any other exception ``500``.
ERROR_MAPPINGS: tuple[ErrorMapping, ...] = (
    NOT_FOUND,
    VALIDATION,
    QUERY,
    DUMP,
    INTEGRITY,
    CONFLICT,
    UNAVAILABLE,
    MALFORMED,
    SERVER_ERROR,
)


def problem_for(
    exc: BaseException, mappings: Sequence[ErrorMapping] = ERROR_MAPPINGS, method: str = "GET"
) -> Problem | None:
    """The problem the first of ``mappings`` that matches gives ``exc``, else ``None``."""
    for mapping in mappings:
        if mapping.matches(exc):
            return mapping.problem(exc, method)
    return None


def error_classes(mappings: Sequence[ErrorMapping]) -> list[type[Exception]]:
    """Every exception class ``mappings`` name, once each, in order (to register handlers)."""
    classes: list[type[Exception]] = []
    for mapping in mappings:
        classes += [cls for cls in mapping.errors if cls not in classes]
    return classes
