"""Issue 10 items 1 and 7 over real HTTP, through handlers that pass the client's values on
unchecked (as a Flask handler or a FastAPI endpoint without a pydantic model does).

The polytypes refuse a bad value themselves, so no framework-side guard is needed for a
422 naming the field; a missing parent is ``NotFound``, so a 404. On main these were 500s
(``decimal.InvalidOperation``) and a 409 (``ForeignKeyViolation``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from flask import Flask, request

from polynom.integrations.fastapi import PolynomFastAPI
from polynom.integrations.flask import PolynomFlask, dal
from polynom.services import ModelService
from tests.integrations._servers import asgi_server, wsgi_server
from tests.models import Bike, BikeSchema, Owner, OwnerSchema


@pytest.fixture
def polynom_schemas() -> Sequence[Any]:
    return [OwnerSchema, BikeSchema]


@pytest.fixture
def polynom_services() -> Mapping[str, Any]:
    return {"bikes": ModelService(Bike), "owners": ModelService(Owner)}


def flask_app(dm: Any) -> Flask:
    app = Flask(__name__)
    PolynomFlask(app, dm)

    @app.post("/bikes")
    def create() -> Any:
        return {"id": dal.bikes.create(**request.get_json())._entry_id}, 201

    @app.patch("/bikes/<entry_id>")
    def update(entry_id: str) -> Any:
        return {"price": str(dal.bikes.update(entry_id, **request.get_json()).price)}

    @app.get("/bikes")
    def count() -> Any:
        return {"count": dal.bikes.count(Bike.price <= request.args["max_price"])}

    return app


def fastapi_app(dm: Any) -> FastAPI:
    app = FastAPI()
    polynom = PolynomFastAPI(dm)
    polynom.init_app(app)

    @app.post("/bikes", status_code=201)
    def create(body: dict[str, Any], dal: Any = polynom.dal) -> Any:
        return {"id": dal.bikes.create(**body)._entry_id}

    @app.patch("/bikes/{entry_id}")
    def update(entry_id: str, body: dict[str, Any], dal: Any = polynom.dal) -> Any:
        return {"price": str(dal.bikes.update(entry_id, **body).price)}

    @app.get("/bikes")
    def count(request: Request, dal: Any = polynom.dal) -> Any:
        return {"count": dal.bikes.count(Bike.price <= request.query_params["max_price"])}

    return app


SERVERS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], AbstractContextManager[str]]]] = {
    "flask": (flask_app, wsgi_server),
    "fastapi": (fastapi_app, asgi_server),
}


@pytest.fixture(params=sorted(SERVERS))
def client(request: pytest.FixtureRequest, polynom_data_manager: Any) -> Iterator[httpx.Client]:
    make, serve = SERVERS[request.param]
    with serve(make(polynom_data_manager)) as url, httpx.Client(base_url=url) as http:
        yield http


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("price", ["123456789012.00", "1e20", "1" * 100, "NaN"])
def test_a_price_out_of_range_is_422_naming_the_field(client: httpx.Client, price: str):
    body = problem(client.post("/bikes", json={"brand": "b", "price": price}), 422)
    assert body["detail"].startswith("Bike.price: invalid value ")
    assert [e["name"] for e in body["errors"]] == ["price"]
    bike = client.post("/bikes", json={"brand": "b", "price": "10"}).json()
    body = problem(client.patch(f"/bikes/{bike['id']}", json={"price": price}), 422)
    assert [e["name"] for e in body["errors"]] == ["price"]
    assert client.get("/bikes", params={"max_price": "100"}).json() == {"count": 1}


@pytest.mark.parametrize("max_price", ["1e30", "1" * 100, "abc"])
def test_a_filter_value_out_of_range_is_422(client: httpx.Client, max_price: str):
    body = problem(client.get("/bikes", params={"max_price": max_price}), 422)
    assert body["detail"].startswith("Bike.price: cannot compare with ")


def test_a_missing_parent_is_404_and_writes_nothing(client: httpx.Client):
    body = problem(client.post("/bikes", json={"brand": "b", "owner_id": "nobody"}), 404)
    assert "Owner with entry id 'nobody' does not exist" in body["detail"]
    bike = client.post("/bikes", json={"brand": "b", "price": "10"}).json()
    problem(client.patch(f"/bikes/{bike['id']}", json={"owner_id": "nobody"}), 404)
    assert client.get("/bikes", params={"max_price": "100"}).json() == {"count": 1}
