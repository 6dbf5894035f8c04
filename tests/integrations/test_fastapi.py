"""FastAPI over real HTTP (uvicorn): the dependency in sync and async endpoints."""

from __future__ import annotations

import inspect
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel as PydanticModel
from pydantic import Field as PydanticField

from polynom.errors import ConflictError, UniqueViolation, ValidationError
from polynom.integrations import ERROR_MAPPINGS, ErrorMapping
from polynom.integrations.fastapi import PolynomFastAPI, dal_dependency, install_error_handlers
from tests.integrations._servers import asgi_server
from tests.integrations.conftest import (
    FAILURES,
    check_failure_answer,
    check_rolled_back,
    checked_out,
    stored_names,
    write_then_fail,
)
from tests.integrations.models import WebBike


class Boom(Exception):
    pass


def current_user(x_user: str | None = Header(None)) -> str | None:
    return x_user


def make_app(dm: Any, **options: Any) -> FastAPI:
    app = FastAPI()
    polynom = PolynomFastAPI(dm, user_from=current_user, **options)
    polynom.init_app(app)

    # The same routes twice: as sync endpoints (run in FastAPI's thread pool) and async.
    for prefix, sync in (("/sync", True), ("/async", False)):
        _routes(app, prefix, sync, polynom, dm)
    return app


def _routes(app: FastAPI, prefix: str, sync: bool, polynom: PolynomFastAPI, dm: Any) -> None:
    def route(method: str, path: str, **kw: Any):
        def register(fn):
            if sync:
                endpoint = fn
            else:

                async def endpoint(*args: Any, **kwargs: Any) -> Any:
                    return fn(*args, **kwargs)

                endpoint.__signature__ = inspect.signature(fn)  # type: ignore[attr-defined]
            getattr(app, method)(prefix + path, **kw)(endpoint)
            return fn

        return register

    @route("post", "/bikes", status_code=201)
    def create(body: dict[str, Any], dal: Any = polynom.dal, ctx: Any = polynom.context) -> Any:
        bike = dal.bikes.create(name=body["name"], price=body.get("price", 0))
        assert ctx.dal is dal  # one context per request, however it is asked for
        return {"id": bike._entry_id, "user": ctx.meta.user, "thread": threading.get_ident()}

    @route("get", "/bikes/{entry_id}")
    def show(entry_id: str, dal: Any = polynom.dal) -> Any:
        return dal.bikes.get_or_raise(entry_id).to_dict()

    @route("get", "/bikes/{entry_id}/history")
    def history(entry_id: str, dal: Any = polynom.dal) -> Any:
        return [[c.user, (c.change_type or "").lower()] for c in dal.bikes.history(entry_id)]

    @route("post", "/write-then-raise")
    def write_then_raise(dal: Any = polynom.dal) -> Any:
        dal.bikes.create(name=f"doomed{prefix}")
        raise Boom("after the write")

    @route("post", "/write-then-http-error")
    def write_then_http_error(dal: Any = polynom.dal) -> Any:
        dal.bikes.create(name=f"refused{prefix}")
        raise HTTPException(status_code=409, detail="refused")

    @route("post", "/fail/{failure}")
    def fail(failure: str, dal: Any = polynom.dal) -> Any:
        write_then_fail(dm, dal, failure)

    @route("post", "/commit-fails")
    def commit_fails(body: dict[str, Any], ctx: Any = polynom.context) -> Any:
        ctx.session.add(WebBike(name=body["name"]))  # fails only at the commit
        return {"ok": True}

    @route("get", "/whoami")
    def whoami(ctx: Any = polynom.context) -> Any:
        return {"user": ctx.meta.user, "ctx": id(ctx), "active": ctx.dal is not None}


@pytest.fixture
def base_url(polynom_data_manager: Any) -> Any:
    with asgi_server(make_app(polynom_data_manager)) as url:
        yield url


KINDS = ["/sync", "/async"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_request_writes_commits_and_records_its_user(base_url, polynom_data_manager, kind):
    r = httpx.post(f"{base_url}{kind}/bikes", json={"name": "Moots"}, headers={"X-User": "bob"})
    assert r.status_code == 201, r.text
    assert r.json()["user"] == "bob"
    entry_id = r.json()["id"]
    got = httpx.get(f"{base_url}{kind}/bikes/{entry_id}")
    assert got.status_code == 200 and got.json()["name"] == "Moots"
    assert httpx.get(f"{base_url}{kind}/bikes/{entry_id}/history").json() == [["bob", "insert"]]
    assert checked_out(polynom_data_manager) == 0


@pytest.mark.parametrize("kind", KINDS)
def test_not_found_is_a_404_with_a_json_body(base_url, kind):
    r = httpx.get(f"{base_url}{kind}/bikes/no-such-id")
    assert r.status_code == 404
    assert r.json()["type"].endswith(":not-found") and "no-such-id" in r.json()["detail"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("path", "status"), [("/write-then-raise", 500), ("/write-then-http-error", 409)]
)
def test_an_error_leaves_nothing_behind(base_url, polynom_data_manager, kind, path, status):
    r = httpx.post(f"{base_url}{kind}{path}")
    assert r.status_code == status
    assert stored_names(polynom_data_manager) == []
    assert checked_out(polynom_data_manager) == 0


ERRORS = {"validation": ValidationError, "integrity": UniqueViolation, "conflict": ConflictError}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("failure", FAILURES)
def test_polynoms_errors_are_answered_and_roll_back(recording_dm, seen_errors, kind, failure):
    with asgi_server(make_app(recording_dm)) as url:
        r = httpx.post(f"{url}{kind}/fail/{failure}")
    check_failure_answer(r, failure)
    assert isinstance(seen_errors[-1], ERRORS[failure]), "the context saw the exception"
    check_rolled_back(recording_dm, failure)


def test_the_error_answers_can_be_changed_or_turned_off(polynom_data_manager):
    dm = polynom_data_manager
    refused = ErrorMapping((ValidationError,), 400, "Refused", detail=lambda e: f"no: {e}")
    with asgi_server(make_app(dm, error_mappings=[refused, *ERROR_MAPPINGS])) as url:
        r = httpx.post(f"{url}/sync/fail/validation")  # the first mapping that matches wins
        assert (
            r.status_code == 400 and "name" in r.json()["detail"] and r.json()["title"] == "Refused"
        )
        assert httpx.post(f"{url}/sync/fail/integrity").status_code == 409
    with asgi_server(make_app(dm, error_mappings=())) as url:
        assert httpx.post(f"{url}/sync/fail/validation").status_code == 500
        assert httpx.get(f"{url}/sync/bikes/no-such-id").status_code == 500
    assert stored_names(dm) == []
    assert checked_out(dm) == 0


@pytest.mark.parametrize("kind", KINDS)
def test_a_failed_commit_is_never_a_success(base_url, polynom_data_manager, kind):
    assert httpx.post(f"{base_url}{kind}/bikes", json={"name": "taken"}).status_code == 201
    r = httpx.post(f"{base_url}{kind}/commit-fails", json={"name": "taken"})
    check_failure_answer(r, "integrity")  # found at the commit: answered like in the endpoint
    assert httpx.post(f"{base_url}{kind}/commit-fails", json={"name": "fresh"}).status_code == 200
    assert stored_names(polynom_data_manager) == ["fresh", "taken"]
    assert checked_out(polynom_data_manager) == 0


def test_a_failed_commit_nothing_answers_is_a_500(polynom_data_manager):
    with asgi_server(make_app(polynom_data_manager, error_mappings=())) as url:
        for kind in KINDS:
            assert httpx.post(f"{url}{kind}/bikes", json={"name": f"t{kind}"}).status_code == 201
            r = httpx.post(f"{url}{kind}/commit-fails", json={"name": f"t{kind}"})
            assert r.status_code == 500
    assert stored_names(polynom_data_manager) == ["t/async", "t/sync"]
    assert checked_out(polynom_data_manager) == 0


@pytest.mark.parametrize("kind", KINDS)
def test_concurrent_requests_each_get_their_own_context(base_url, kind):
    users = [f"user{i}" for i in range(8)]
    with ThreadPoolExecutor(len(users)) as pool:
        replies = list(
            pool.map(
                lambda u: httpx.get(f"{base_url}{kind}/whoami", headers={"X-User": u}).json(), users
            )
        )
    assert [r["user"] for r in replies] == users


@pytest.mark.parametrize(
    "kind",
    [
        "/sync",
        "/async",
    ],
)
def test_concurrent_writers_all_commit(base_url, polynom_data_manager, kind):
    names = [f"bike{i}" for i in range(12)]
    with ThreadPoolExecutor(6) as pool:
        statuses = list(
            pool.map(
                lambda n: httpx.post(f"{base_url}{kind}/bikes", json={"name": n}).status_code, names
            )
        )
    assert statuses == [201] * len(names)
    assert stored_names(polynom_data_manager) == sorted(names)


def test_the_commit_can_run_in_a_worker_thread(polynom_data_manager):
    with asgi_server(make_app(polynom_data_manager, exit_in_thread=True)) as url:
        for kind in KINDS:
            r = httpx.post(f"{url}{kind}/bikes", json={"name": f"bike{kind}"})
            assert r.status_code == 201
            assert httpx.post(f"{url}{kind}/write-then-raise").status_code == 500
            r = httpx.post(f"{url}{kind}/commit-fails", json={"name": f"bike{kind}"})
            check_failure_answer(r, "integrity")
    assert stored_names(polynom_data_manager) == ["bike/async", "bike/sync"]
    assert checked_out(polynom_data_manager) == 0
    assert polynom_data_manager.get_active_context() is None


def test_dal_dependency_works_without_a_scope_argument(polynom_data_manager):
    """``Depends(dal_dependency(dm))``: the context still ends before the response."""
    app = FastAPI()
    install_error_handlers(app)
    dal_param = Depends(dal_dependency(polynom_data_manager))  # no scope argument

    @app.post("/bikes")
    def create(body: dict[str, Any], dal: Any = dal_param) -> Any:
        dal.bikes.session.add(WebBike(name=body["name"]))  # not flushed: fails at the commit
        return {"ok": True}

    with asgi_server(app) as url, httpx.Client(base_url=url) as client:
        assert client.post("/bikes", json={"name": "once"}).status_code == 200
        # a commit after the response would have answered 200 here
        assert client.post("/bikes", json={"name": "once"}).status_code == 409
    assert stored_names(polynom_data_manager) == ["once"]


# -- the application's lifecycle and the problem answers -----------------------------------


def test_the_lifespan_opens_and_closes_the_application(tmp_path):
    from contextlib import asynccontextmanager

    from fastapi.testclient import TestClient

    from polynom.application import Application
    from tests.integrations.models import WebBikeSchema, services

    events: list[str] = []

    @asynccontextmanager
    async def own_lifespan(app: FastAPI):
        events.append(f"start, active={application.is_active}")
        yield
        events.append("stop")

    application = Application("3c2d", f"sqlite:///{tmp_path / 'a.db'}", schemas=[WebBikeSchema])
    polynom = PolynomFastAPI(application, services=services())
    api = FastAPI(lifespan=own_lifespan)
    polynom.init_app(api)

    @api.post("/bikes", status_code=201)
    def create(body: dict[str, Any], dal: Any = polynom.dal) -> Any:
        return {"id": dal.bikes.create(**body)._entry_id}

    assert not application.is_active
    with TestClient(api) as client:
        assert application.is_active
        assert client.post("/bikes", json={"name": "Moots"}).status_code == 201
    assert not application.is_active
    assert events == ["start, active=True", "stop"]  # the app's own lifespan still runs


class BikeIn(PydanticModel):
    name: str = PydanticField(max_length=40)
    price: int = PydanticField(ge=0)


def test_request_validation_names_each_parameter_as_sent(polynom_data_manager):
    from fastapi import Query

    from polynom.integrations import parameter
    from tests.integrations.conftest import check_problem

    api = FastAPI()
    polynom = PolynomFastAPI(polynom_data_manager)
    polynom.init_app(api)

    @api.get("/bikes")
    def search(
        max_price: int | None = Query(None, alias="maxPrice", ge=0),
        x_limit: int = Header(10, le=100),
        name: str | None = None,
        dal: Any = polynom.dal,
    ) -> Any:
        with parameter("name"):
            return dal.bikes.count(**({"name": name} if name else {}))

    @api.post("/bikes", status_code=201)
    def create(body: BikeIn, dal: Any = polynom.dal) -> Any:
        return {"id": dal.bikes.create(**body.model_dump())._entry_id}

    with asgi_server(api) as url, httpx.Client(base_url=url) as client:
        r = client.get("/bikes", params={"maxPrice": "-1"}, headers={"X-Limit": "500"})
        errors = check_problem(r, 422)["errors"]
        assert [(e["in"], e["name"]) for e in errors] == [
            ("query", "maxPrice"),
            ("header", "x-limit"),
        ]
        assert "greater than or equal to 0" in errors[0]["detail"]

        r = client.get("/bikes", params={"name": "n" * 41})  # refused by polynom, in a filter
        [error] = check_problem(r, 422)["errors"]
        assert (error["in"], error["name"]) == ("query", "name") and "VarChar(40)" in error[
            "detail"
        ]

        r = client.post("/bikes", json={"name": "x", "price": "cheap"})
        [error] = check_problem(r, 422)["errors"]
        assert (error["in"], error["name"], error.get("pointer")) == ("body", "price", "#/price"), (
            r.text
        )

        r = client.post("/bikes", content=b"{", headers={"Content-Type": "application/json"})
        assert "not valid JSON" in check_problem(r, 400)["detail"]

        r = client.delete("/bikes")
        assert check_problem(r, 405)["title"] == "Method Not Allowed"
        assert "GET" in r.headers["allow"]
    assert checked_out(polynom_data_manager) == 0
