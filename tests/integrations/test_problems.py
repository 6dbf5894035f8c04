"""One error shape: every integration answers bad input with the same problem details.

The same small API -- create a bike from a JSON body, list bikes in an order the client
names, get one, a route that breaks -- is served by Flask, FastAPI, Starlette (the ASGI
middleware) and a framework-free WSGI app, over real HTTP; each bad request must get the
same ``application/problem+json`` answer from all four.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integrations._servers import asgi_server, wsgi_server
from tests.integrations.conftest import check_problem, checked_out, stored_names

KINDS = ["flask", "fastapi", "starlette", "wsgi"]


class Boom(Exception):
    pass


def flask_app(dm: Any) -> Any:
    from flask import Flask, request

    from polynom.integrations.flask import PolynomFlask, dal

    app = Flask("problems")
    PolynomFlask(app, dm)

    @app.post("/bikes")
    def create() -> Any:
        return {"id": dal.bikes.create(**request.get_json())._entry_id}, 201

    @app.get("/bikes")
    def listing() -> Any:
        return [b.name for b in dal.bikes.list(order_by=request.args.get("order", "name"))]

    @app.get("/bikes/<entry_id>")
    def show(entry_id: str) -> Any:
        return dal.bikes.get_or_raise(entry_id).to_dict()

    @app.get("/boom")
    def boom() -> Any:
        dal.bikes.create(name="doomed")
        raise Boom("secret internals")

    return app


def fastapi_app(dm: Any) -> Any:
    from fastapi import FastAPI

    from polynom.integrations.fastapi import PolynomFastAPI

    api = FastAPI()
    polynom = PolynomFastAPI(dm)
    polynom.init_app(api)

    @api.post("/bikes", status_code=201)
    def create(body: dict[str, Any], dal: Any = polynom.dal) -> Any:
        return {"id": dal.bikes.create(**body)._entry_id}

    @api.get("/bikes")
    def listing(order: str = "name", dal: Any = polynom.dal) -> Any:
        return [b.name for b in dal.bikes.list(order_by=order)]

    @api.get("/bikes/{entry_id}")
    def show(entry_id: str, dal: Any = polynom.dal) -> Any:
        return dal.bikes.get_or_raise(entry_id).to_dict()

    @api.get("/boom")
    def boom(dal: Any = polynom.dal) -> Any:
        dal.bikes.create(name="doomed")
        raise Boom("secret internals")

    return api


def starlette_app(dm: Any) -> Any:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from polynom.integrations.asgi import DalASGIMiddleware
    from polynom.integrations.starlette import exception_handlers

    def dal() -> Any:
        return dm.get_active_context().dal

    async def create(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse({"id": dal().bikes.create(**body)._entry_id}, status_code=201)

    def listing(request: Request) -> JSONResponse:
        order = request.query_params.get("order", "name")
        return JSONResponse([b.name for b in dal().bikes.list(order_by=order)])

    def show(request: Request) -> JSONResponse:
        return JSONResponse(dal().bikes.get_or_raise(request.path_params["entry_id"]).to_dict())

    def boom(request: Request) -> JSONResponse:
        dal().bikes.create(name="doomed")
        raise Boom("secret internals")

    return Starlette(
        routes=[
            Route("/bikes", create, methods=["POST"]),
            Route("/bikes", listing, methods=["GET"]),
            Route("/bikes/{entry_id}", show),
            Route("/boom", boom),
        ],
        middleware=[Middleware(DalASGIMiddleware, data_manager=dm)],
        exception_handlers=exception_handlers(),
    )


def wsgi_app(dm: Any) -> Any:
    from urllib.parse import parse_qs

    from polynom.integrations.wsgi import DalWSGIMiddleware

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        dal = dm.get_active_context().dal
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}

        def reply(status: str, body: Any) -> list[bytes]:
            start_response(status, [("Content-Type", "application/json")])
            return [json.dumps(body).encode()]

        if path == "/bikes" and method == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(size))
            return reply("201 Created", {"id": dal.bikes.create(**body)._entry_id})
        if path == "/bikes":
            return reply("200 OK", [b.name for b in dal.bikes.list(order_by=query["order"])])
        if path.startswith("/bikes/"):
            return reply("200 OK", dal.bikes.get_or_raise(path.rsplit("/", 1)[1]).to_dict())
        if path == "/boom":
            dal.bikes.create(name="doomed")
            raise Boom("secret internals")
        return reply("404 Not Found", {"no": "such route"})  # the app's own answer

    return DalWSGIMiddleware(app, dm)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(kind: str, polynom_data_manager: Any) -> Iterator[httpx.Client]:
    makers = {"flask": flask_app, "fastapi": fastapi_app, "starlette": starlette_app}
    app = makers.get(kind, wsgi_app)(polynom_data_manager)
    serve = wsgi_server if kind in ("flask", "wsgi") else asgi_server
    with serve(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        yield http
    assert checked_out(polynom_data_manager) == 0


JSON = {"Content-Type": "application/json"}


def test_a_body_that_is_not_json_is_a_400(client: httpx.Client, polynom_data_manager: Any):
    body = check_problem(client.post("/bikes", content=b'{"name": ', headers=JSON), 400)
    assert (body["type"], body["title"]) == ("about:blank", "Bad Request")
    assert "JSON" in body["detail"] or "json" in body["detail"]
    assert stored_names(polynom_data_manager) == []


def test_a_refused_value_is_a_422_naming_the_member_sent(
    client: httpx.Client, polynom_data_manager
):
    body = check_problem(client.post("/bikes", json={"name": "n" * 41}), 422)
    assert body["type"] == "tag:polynom-dal,2025:validation"
    [error] = body["errors"]
    assert (error["in"], error["name"], error["pointer"]) == ("body", "name", "#/name")
    assert "VarChar(40)" in error["detail"]
    unknown = check_problem(client.post("/bikes", json={"name": "ok", "colour": "red"}), 422)
    assert unknown["errors"][0]["name"] == "colour"
    assert stored_names(polynom_data_manager) == []


def test_an_unknown_order_is_a_422_not_a_500(client: httpx.Client):
    body = check_problem(client.get("/bikes", params={"order": "colour"}), 422)
    assert body["type"] == "tag:polynom-dal,2025:query"
    assert "colour" in body["detail"]


def test_a_missing_entry_is_a_404(client: httpx.Client):
    body = check_problem(client.get("/bikes/no-such-id"), 404)
    assert body["type"] == "tag:polynom-dal,2025:not-found" and "no-such-id" in body["detail"]


def test_a_broken_route_is_a_500_that_tells_nothing(client: httpx.Client, polynom_data_manager):
    body = check_problem(client.get("/boom"), 500)
    assert (body["type"], body["title"]) == ("about:blank", "Internal Server Error")
    assert "secret" not in json.dumps(body)
    assert stored_names(polynom_data_manager) == []


def test_an_unknown_route_is_a_404_problem(client: httpx.Client, kind: str):
    if kind == "wsgi":
        pytest.skip("a framework-free WSGI app answers its own unknown routes")
    body = check_problem(client.get("/no/such/route"), 404)
    assert (body["type"], body["title"]) == ("about:blank", "Not Found")


def test_every_integration_gives_the_same_body(polynom_data_manager: Any):
    """Not just the same status: the same JSON, member for member."""
    bodies: dict[str, list[Any]] = {}
    makers = {"flask": flask_app, "fastapi": fastapi_app, "starlette": starlette_app}
    for kind in KINDS:
        serve = wsgi_server if kind in ("flask", "wsgi") else asgi_server
        app = makers.get(kind, wsgi_app)(polynom_data_manager)
        with serve(app) as url, httpx.Client(base_url=url) as http:
            bodies[kind] = [
                http.post("/bikes", json={"name": "n" * 41}).json(),
                http.get("/bikes", params={"order": "colour"}).json(),
                http.get("/bikes/nope").json(),
                http.get("/boom").json(),
            ]
    assert bodies["flask"] == bodies["fastapi"] == bodies["starlette"] == bodies["wsgi"]
