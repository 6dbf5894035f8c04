"""The generic WSGI and ASGI middlewares over real HTTP (werkzeug, uvicorn)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from polynom.errors import (
    ConflictError,
    ForeignKeyViolation,
    NotFound,
    NotNullViolation,
    QueryError,
    StoreConnectionError,
    StoreError,
    UniqueViolation,
    ValidationError,
)
from polynom.integrations import (
    ERROR_MAPPINGS,
    NOT_FOUND,
    ErrorMapping,
    InvalidParameter,
    check_parameter,
    parameter,
    problem_for,
)
from polynom.integrations.asgi import SCOPE_KEY, DalASGIMiddleware
from polynom.integrations.problems import validation_problem
from polynom.integrations.wsgi import ENVIRON_KEY, DalWSGIMiddleware
from tests.integrations._servers import asgi_server, wsgi_server
from tests.integrations.conftest import (
    FAILURES,
    check_failure_answer,
    check_rolled_back,
    checked_out,
    stored_names,
    write_then_fail,
)
from tests.integrations.models import WebBike

ERRORS = {"validation": ValidationError, "integrity": UniqueViolation, "conflict": ConflictError}


class Boom(Exception):
    pass


# -- the table every web integration answers from ----------------------------------------------

TAG = "tag:polynom-dal,2025:"


@pytest.mark.parametrize(
    ("exc", "method", "body"),
    [
        (
            NotFound("Bike 'x' not found"),
            "GET",
            {
                "type": TAG + "not-found",
                "title": "Not found",
                "status": 404,
                "detail": "Bike 'x' not found",
            },
        ),
        (
            ValidationError("Bike.name: too long", model="Bike", field="name", value="secret"),
            "POST",
            {
                "type": TAG + "validation",
                "title": "Invalid request",
                "status": 422,
                "detail": "Bike.name: too long",
                "errors": [
                    {
                        "in": "body",
                        "name": "name",
                        "pointer": "#/name",
                        "detail": "Bike.name: too long",
                    }
                ],
            },
        ),
        (
            ValidationError("Bike.name: too long", model="Bike", field="name"),
            "GET",
            {
                "type": TAG + "validation",
                "title": "Invalid request",
                "status": 422,
                "detail": "Bike.name: too long",
                "errors": [{"in": "query", "name": "name", "detail": "Bike.name: too long"}],
            },
        ),
        (
            InvalidParameter("too big", name="max_price", model="Bike", field="price"),
            "GET",
            {
                "type": TAG + "validation",
                "title": "Invalid request",
                "status": 422,
                "detail": "query parameter 'max_price': too big",
                "errors": [{"in": "query", "name": "max_price", "detail": "too big"}],
            },
        ),
        (
            QueryError("offset must be a non-negative int, got -1"),
            "GET",
            {
                "type": TAG + "query",
                "title": "Invalid query",
                "status": 422,
                "detail": "offset must be a non-negative int, got -1",
            },
        ),
        (
            UniqueViolation("name taken; statement: INSERT"),
            "POST",
            {
                "type": TAG + "integrity",
                "title": "Constraint violated",
                "status": 409,
                "detail": "name taken",
            },
        ),
        (
            ForeignKeyViolation("dangling; statement: X"),
            "POST",
            {
                "type": TAG + "integrity",
                "title": "Constraint violated",
                "status": 409,
                "detail": "dangling",
            },
        ),
        (
            NotNullViolation("name may not be NULL"),
            "POST",
            {
                "type": TAG + "integrity",
                "title": "Constraint violated",
                "status": 409,
                "detail": "name may not be NULL",
            },
        ),
        (
            ConflictError("changed first"),
            "PATCH",
            {
                "type": TAG + "conflict",
                "title": "Conflicting change",
                "status": 409,
                "detail": "changed first",
                "retry": True,
            },
        ),
        (
            StoreConnectionError("cannot reach 10.1.2.3:20590: refused"),
            "GET",
            {
                "type": TAG + "unavailable",
                "title": "Store unavailable",
                "status": 503,
                "detail": "the data store cannot be reached; try again later",
            },
        ),
        (
            StoreError("disk full at /var/lib/secret"),
            "GET",
            {
                "type": "about:blank",
                "title": "Internal Server Error",
                "status": 500,
                "detail": "the server failed to answer the request",
            },
        ),
    ],
)
def test_the_shared_table(exc: Exception, method: str, body: dict[str, Any]):
    problem = problem_for(exc, method=method)
    assert problem is not None and problem.to_dict() == body
    assert json.loads(problem.to_bytes()) == body


def test_the_shared_table_can_answer_nothing():
    assert problem_for(UniqueViolation("taken"), mappings=()) is None
    assert problem_for(Boom(), mappings=[NOT_FOUND]) is None


def test_a_parameter_is_named_as_the_client_sent_it():
    from tests.integrations.models import WebBike

    with pytest.raises(InvalidParameter) as refused:
        check_parameter(WebBike.name, "n" * 41, name="q")
    assert (refused.value.name, refused.value.location, refused.value.field) == (
        "q",
        "query",
        "name",
    )
    assert check_parameter(WebBike.price, 5, name="min_price") == 5
    with (
        pytest.raises(InvalidParameter, match="header parameter 'X-Price'"),
        parameter("X-Price", "header"),
    ):
        WebBike(price="five")


def test_validation_problem_names_nested_body_members():
    problem = validation_problem(
        [("body", ["items", 0, "a/b"], "bad"), ("query", ["limit"], "too big")]
    )
    body = problem.to_dict()
    assert (
        body["status"] == 422 and body["detail"] == "body parameter 'items.0.a/b': bad (and 1 more)"
    )
    assert body["errors"] == [
        {"in": "body", "name": "items.0.a/b", "pointer": "#/items/0/a~1b", "detail": "bad"},
        {"in": "query", "name": "limit", "detail": "too big"},
    ]


# -- WSGI --------------------------------------------------------------------------------------


def raw_wsgi_app(dm: Any):
    """A framework-free WSGI app: finds the context in the environ and as the active one."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        ctx = environ[ENVIRON_KEY]
        assert dm.get_active_context() is ctx
        path = environ["PATH_INFO"]
        name = environ.get("QUERY_STRING", "")

        def reply(status: str, body: Any) -> list[bytes]:
            data = json.dumps(body).encode()
            start_response(status, [("Content-Type", "application/json")])
            return [data]

        if path == "/create":
            bike = ctx.dal.bikes.create(name=name)
            return reply("201 Created", {"id": bike._entry_id, "user": ctx.meta.user})
        if path == "/missing":
            ctx.dal.bikes.get_or_raise("no-such-id")
        if path == "/raise":
            ctx.dal.bikes.create(name=name)
            raise Boom("after the write")
        if path == "/error-status":
            ctx.dal.bikes.create(name=name)
            return reply("503 Service Unavailable", {"error": "busy"})
        if path == "/commit-fails":
            ctx.session.add(WebBike(name=name))
            return reply("200 OK", {"ok": True})
        if path == "/fail":
            write_then_fail(dm, ctx.dal, name)
        if path == "/lazy-body":
            # a generator body runs while the middleware consumes it -- still in the context
            def body() -> Iterator[bytes]:
                yield b"["
                bike = ctx.dal.bikes.create(name=name)
                yield json.dumps(bike.name).encode()
                yield b"]"

            start_response("200 OK", [("Content-Type", "application/json")])
            return body()
        return reply("404 Not Found", {"error": "no route"})

    return app


def wsgi_app(dm: Any, **options: Any) -> DalWSGIMiddleware:
    return DalWSGIMiddleware(
        raw_wsgi_app(dm), dm, user_from=lambda environ: environ.get("HTTP_X_USER"), **options
    )


@pytest.fixture
def wsgi_url(polynom_data_manager: Any) -> Iterator[str]:
    with wsgi_server(wsgi_app(polynom_data_manager)) as url:
        yield url


def test_wsgi_commits_with_the_user_in_meta(wsgi_url: str, polynom_data_manager: Any):
    r = httpx.get(f"{wsgi_url}/create?a", headers={"X-User": "carol"})
    assert r.status_code == 201 and r.json()["user"] == "carol"
    r = httpx.get(f"{wsgi_url}/lazy-body?b")
    assert r.status_code == 200 and r.json() == ["b"]
    assert stored_names(polynom_data_manager) == ["a", "b"]
    assert checked_out(polynom_data_manager) == 0
    assert polynom_data_manager.get_active_context() is None


def test_wsgi_not_found_is_a_json_404(wsgi_url: str):
    r = httpx.get(f"{wsgi_url}/missing")
    assert r.status_code == 404 and r.json()["type"].endswith(":not-found")


@pytest.mark.parametrize(("path", "status"), [("/raise", 500), ("/error-status", 503)])
def test_wsgi_errors_roll_back(wsgi_url: str, polynom_data_manager: Any, path: str, status: int):
    assert httpx.get(f"{wsgi_url}{path}?doomed").status_code == status
    assert stored_names(polynom_data_manager) == []
    assert checked_out(polynom_data_manager) == 0


@pytest.mark.parametrize("failure", FAILURES)
def test_wsgi_answers_polynoms_errors_and_rolls_back(
    recording_dm: Any, seen_errors: list[Any], failure: str
):
    with wsgi_server(wsgi_app(recording_dm)) as url:
        r = httpx.get(f"{url}/fail?{failure}")
    check_failure_answer(r, failure)
    assert isinstance(seen_errors[-1], ERRORS[failure]), "the context saw the exception"
    check_rolled_back(recording_dm, failure)


def test_wsgi_error_answers_can_be_changed_or_turned_off(polynom_data_manager: Any):
    dm = polynom_data_manager
    refused = ErrorMapping((ValidationError,), 400, "Refused", detail=lambda e: f"no: {e}")
    with wsgi_server(wsgi_app(dm, error_mappings=[refused, *ERROR_MAPPINGS])) as url:
        r = httpx.get(f"{url}/fail?validation")  # the first mapping that matches wins
        assert r.status_code == 400 and r.reason_phrase == "Bad Request"
        assert "name" in r.json()["detail"] and r.json()["title"] == "Refused"
        assert httpx.get(f"{url}/fail?integrity").status_code == 409
    with wsgi_server(wsgi_app(dm, error_mappings=())) as url:
        assert httpx.get(f"{url}/fail?validation").status_code == 500
        assert httpx.get(f"{url}/missing").status_code == 500
        assert httpx.get(f"{url}/create?taken").status_code == 201
        assert httpx.get(f"{url}/commit-fails?taken").status_code == 500  # a failed commit
    assert stored_names(dm) == ["taken"]
    assert checked_out(dm) == 0


def test_wsgi_failed_commit_is_never_a_success(wsgi_url: str, polynom_data_manager: Any):
    assert httpx.get(f"{wsgi_url}/create?taken").status_code == 201
    check_failure_answer(httpx.get(f"{wsgi_url}/commit-fails?taken"), "integrity")
    assert stored_names(polynom_data_manager) == ["taken"]
    assert checked_out(polynom_data_manager) == 0


# -- ASGI --------------------------------------------------------------------------------------


def starlette_app(dm: Any, **options: Any) -> Starlette:
    def ctx_of(request: Request) -> Any:
        ctx = request.scope[SCOPE_KEY]
        assert dm.get_active_context() is ctx  # also in the thread pool (sync endpoints)
        return ctx

    def create(request: Request) -> JSONResponse:
        ctx = ctx_of(request)
        bike = ctx.dal.bikes.create(name=request.query_params["name"])
        return JSONResponse({"id": bike._entry_id, "user": ctx.meta.user}, status_code=201)

    async def acreate(request: Request) -> JSONResponse:
        await asyncio.sleep(0)
        return create(request)

    def missing(request: Request) -> JSONResponse:
        ctx_of(request).dal.bikes.get_or_raise("no-such-id")
        raise AssertionError("unreachable")

    def fail(request: Request) -> JSONResponse:
        ctx_of(request).dal.bikes.create(name=request.query_params["name"])
        raise Boom("after the write")

    def error_status(request: Request) -> JSONResponse:
        ctx_of(request).dal.bikes.create(name=request.query_params["name"])
        return JSONResponse({"error": "refused"}, status_code=422)

    def polynom_error(request: Request) -> JSONResponse:
        write_then_fail(dm, ctx_of(request).dal, request.query_params["failure"])
        raise AssertionError("unreachable")

    def commit_fails(request: Request) -> JSONResponse:
        ctx_of(request).session.add(WebBike(name=request.query_params["name"]))
        return JSONResponse({"ok": True})

    def stream(request: Request) -> StreamingResponse:
        names = [b.name for b in ctx_of(request).dal.bikes.list(order_by="name")]

        async def body() -> Any:
            for name in names:
                yield (name + "\n").encode()

        return StreamingResponse(body())

    routes = [
        Route("/create", create),
        Route("/acreate", acreate),
        Route("/missing", missing),
        Route("/fail", fail),
        Route("/error-status", error_status),
        Route("/commit-fails", commit_fails),
        Route("/polynom-error", polynom_error),
        Route("/stream", stream),
    ]

    async def user_from(scope: dict[str, Any]) -> str | None:
        headers = dict(scope["headers"])
        value = headers.get(b"x-user")
        return value.decode() if value else None

    middleware = [Middleware(DalASGIMiddleware, data_manager=dm, user_from=user_from, **options)]
    return Starlette(routes=routes, middleware=middleware)


@pytest.fixture(params=[False, True], ids=["exit-on-loop", "exit-in-thread"])
def asgi_url(request: pytest.FixtureRequest, polynom_data_manager: Any) -> Iterator[str]:
    with asgi_server(starlette_app(polynom_data_manager, exit_in_thread=request.param)) as url:
        yield url


def test_asgi_commits_with_the_user_in_meta(asgi_url: str, polynom_data_manager: Any):
    r = httpx.get(f"{asgi_url}/create?name=a", headers={"X-User": "dave"})
    assert r.status_code == 201 and r.json()["user"] == "dave"
    r = httpx.get(f"{asgi_url}/acreate?name=b", headers={"X-User": "erin"})
    assert r.status_code == 201 and r.json()["user"] == "erin"
    assert httpx.get(f"{asgi_url}/stream").text == "a\nb\n"
    assert stored_names(polynom_data_manager) == ["a", "b"]
    assert checked_out(polynom_data_manager) == 0


def test_asgi_not_found_is_a_json_404(asgi_url: str):
    r = httpx.get(f"{asgi_url}/missing")
    assert r.status_code == 404 and r.json()["type"].endswith(":not-found")


@pytest.mark.parametrize(("path", "status"), [("/fail", 500), ("/error-status", 422)])
def test_asgi_errors_roll_back(asgi_url: str, polynom_data_manager: Any, path: str, status: int):
    assert httpx.get(f"{asgi_url}{path}?name=doomed").status_code == status
    assert stored_names(polynom_data_manager) == []
    assert checked_out(polynom_data_manager) == 0


@pytest.mark.parametrize("exit_in_thread", [False, True], ids=["exit-on-loop", "exit-in-thread"])
@pytest.mark.parametrize("failure", FAILURES)
def test_asgi_answers_polynoms_errors_and_rolls_back(
    recording_dm: Any, seen_errors: list[Any], failure: str, exit_in_thread: bool
):
    app = starlette_app(recording_dm, exit_in_thread=exit_in_thread)
    with asgi_server(app) as url:
        r = httpx.get(f"{url}/polynom-error?failure={failure}")
    check_failure_answer(r, failure)
    assert isinstance(seen_errors[-1], ERRORS[failure]), "the context saw the exception"
    check_rolled_back(recording_dm, failure)


def test_asgi_error_answers_can_be_changed_or_turned_off(polynom_data_manager: Any):
    dm = polynom_data_manager
    refused = ErrorMapping((ValidationError,), 400, "Refused", detail=lambda e: f"no: {e}")
    with asgi_server(starlette_app(dm, error_mappings=[refused, *ERROR_MAPPINGS])) as url:
        r = httpx.get(f"{url}/polynom-error?failure=validation")  # the first match wins
        assert (
            r.status_code == 400 and "name" in r.json()["detail"] and r.json()["title"] == "Refused"
        )
        assert httpx.get(f"{url}/polynom-error?failure=integrity").status_code == 409
    with asgi_server(starlette_app(dm, error_mappings=())) as url:
        assert httpx.get(f"{url}/polynom-error?failure=validation").status_code == 500
        assert httpx.get(f"{url}/missing").status_code == 500
        assert httpx.get(f"{url}/create?name=taken").status_code == 201
        assert httpx.get(f"{url}/commit-fails?name=taken").status_code == 500  # failed commit
    assert stored_names(dm) == ["taken"]
    assert checked_out(dm) == 0


def test_asgi_failed_commit_is_never_a_success(asgi_url: str, polynom_data_manager: Any):
    assert httpx.get(f"{asgi_url}/create?name=taken").status_code == 201
    check_failure_answer(httpx.get(f"{asgi_url}/commit-fails?name=taken"), "integrity")
    assert httpx.get(f"{asgi_url}/commit-fails?name=fresh").status_code == 200
    assert stored_names(polynom_data_manager) == ["fresh", "taken"]
    assert checked_out(polynom_data_manager) == 0


def test_asgi_passes_other_scopes_through(polynom_data_manager: Any):
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope["type"], polynom_data_manager.get_active_context()))

    mw = DalASGIMiddleware(app, polynom_data_manager)
    asyncio.run(mw({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert seen == [("lifespan", None)]
