"""Flask over real HTTP: a context per request, user in meta, error answers, rollback, commit
first."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from flask import Flask, abort, request

from polynom.errors import ConflictError, UniqueViolation, ValidationError
from polynom.integrations import ERROR_MAPPINGS, ErrorMapping
from polynom.integrations.flask import PolynomFlask, current_context, dal
from tests.integrations._servers import wsgi_server
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


def make_app(dm: Any, **options: Any) -> Flask:
    app = Flask(__name__)
    PolynomFlask(app, dm, user_from=lambda req: req.headers.get("X-User"), **options)

    @app.post("/bikes")
    def create() -> Any:
        body = request.get_json()
        bike = dal.bikes.create(name=body["name"], price=body.get("price", 0))
        return {"id": bike._entry_id, "user": current_context.meta.user}, 201

    @app.get("/bikes/<entry_id>")
    def show(entry_id: str) -> Any:
        return dal.bikes.get_or_raise(entry_id).to_dict()

    @app.get("/bikes/<entry_id>/history")
    def history(entry_id: str) -> Any:
        return [[c.user, (c.change_type or "").lower()] for c in dal.bikes.history(entry_id)]

    @app.post("/write-then-raise")
    def write_then_raise() -> Any:
        dal.bikes.create(name="doomed")
        raise Boom("after the write")

    @app.post("/write-then-abort")
    def write_then_abort() -> Any:
        dal.bikes.create(name="aborted")
        abort(409)

    @app.post("/write-then-400")
    def write_then_400() -> Any:
        dal.bikes.create(name="refused")
        return {"error": "refused"}, 400

    @app.post("/fail/<failure>")
    def fail(failure: str) -> Any:
        write_then_fail(dm, dal, failure)

    @app.post("/commit-fails")
    def commit_fails() -> Any:
        # Not flushed: the duplicate name only fails when the context commits.
        current_context.session.add(WebBike(name=request.get_json()["name"]))
        return {"ok": True}, 200

    @app.get("/whoami")
    def whoami() -> Any:
        time.sleep(0.05)  # overlap with the other requests
        return {
            "user": current_context.meta.user,
            "ctx": id(current_context._get_current_object()),
            "thread": threading.get_ident(),
        }

    return app


@pytest.fixture
def base_url(polynom_data_manager: Any) -> Any:
    with wsgi_server(make_app(polynom_data_manager)) as url:
        yield url


def test_a_request_writes_commits_and_records_its_user(base_url: str, polynom_data_manager):
    r = httpx.post(
        f"{base_url}/bikes", json={"name": "Moots", "price": 10}, headers={"X-User": "alice"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["user"] == "alice"
    entry_id = r.json()["id"]
    # committed before the response left: another request (and context) sees it at once
    got = httpx.get(f"{base_url}/bikes/{entry_id}")
    assert got.status_code == 200 and got.json()["name"] == "Moots"
    hist = httpx.get(f"{base_url}/bikes/{entry_id}/history").json()
    assert hist == [["alice", "insert"]]
    assert checked_out(polynom_data_manager) == 0


def test_not_found_is_a_404_with_a_json_body(base_url: str):
    r = httpx.get(f"{base_url}/bikes/no-such-id")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"].endswith(":not-found") and "no-such-id" in body["detail"]


@pytest.mark.parametrize(
    ("path", "status"),
    [("/write-then-raise", 500), ("/write-then-abort", 409), ("/write-then-400", 400)],
)
def test_an_error_leaves_nothing_behind(base_url: str, polynom_data_manager, path, status):
    r = httpx.post(f"{base_url}{path}")
    assert r.status_code == status
    assert stored_names(polynom_data_manager) == []
    assert checked_out(polynom_data_manager) == 0


ERRORS = {"validation": ValidationError, "integrity": UniqueViolation, "conflict": ConflictError}


@pytest.mark.parametrize("failure", FAILURES)
def test_polynoms_errors_are_answered_and_roll_back(recording_dm, seen_errors, failure):
    with wsgi_server(make_app(recording_dm)) as url:
        r = httpx.post(f"{url}/fail/{failure}")
    check_failure_answer(r, failure)
    assert isinstance(seen_errors[-1], ERRORS[failure]), "the context saw the exception"
    check_rolled_back(recording_dm, failure)


@pytest.mark.parametrize("failure", FAILURES)
def test_an_answered_error_rolls_back_whatever_the_commit_veto_says(polynom_data_manager, failure):
    app = make_app(polynom_data_manager, commit_veto=lambda status: status >= 500)
    with wsgi_server(app) as url:
        check_failure_answer(httpx.post(f"{url}/fail/{failure}"), failure)
    check_rolled_back(polynom_data_manager, failure)


def test_the_error_answers_can_be_changed_or_turned_off(polynom_data_manager):
    dm = polynom_data_manager
    refused = ErrorMapping((ValidationError,), 400, "Refused", detail=lambda e: f"no: {e}")
    with wsgi_server(make_app(dm, error_mappings=[refused, *ERROR_MAPPINGS])) as url:
        r = httpx.post(f"{url}/fail/validation")  # the first mapping that matches wins
        assert (
            r.status_code == 400 and "name" in r.json()["detail"] and r.json()["title"] == "Refused"
        )
        assert httpx.post(f"{url}/fail/integrity").status_code == 409
    with wsgi_server(make_app(dm, error_mappings=[refused])) as url:
        assert httpx.post(f"{url}/fail/integrity").status_code == 500  # not in the table
    with wsgi_server(make_app(dm, error_mappings=())) as url:
        assert httpx.post(f"{url}/fail/validation").status_code == 500
        assert httpx.get(f"{url}/bikes/no-such-id").status_code == 500
    with wsgi_server(make_app(dm, handle_not_found=False)) as url:
        assert httpx.get(f"{url}/bikes/no-such-id").status_code == 500
        assert httpx.post(f"{url}/fail/validation").status_code == 422
    assert stored_names(polynom_data_manager) == []
    assert checked_out(polynom_data_manager) == 0


def test_a_failed_commit_is_never_a_success(base_url: str, polynom_data_manager):
    assert httpx.post(f"{base_url}/bikes", json={"name": "taken"}).status_code == 201
    r = httpx.post(f"{base_url}/commit-fails", json={"name": "taken"})
    check_failure_answer(r, "integrity")  # found at the commit: answered like in the view
    r = httpx.post(f"{base_url}/commit-fails", json={"name": "fresh"})
    assert r.status_code == 200
    assert stored_names(polynom_data_manager) == ["fresh", "taken"]
    assert checked_out(polynom_data_manager) == 0


def test_a_failed_commit_nothing_answers_is_a_500(polynom_data_manager):
    with wsgi_server(make_app(polynom_data_manager, error_mappings=())) as url:
        assert httpx.post(f"{url}/bikes", json={"name": "taken"}).status_code == 201
        assert httpx.post(f"{url}/commit-fails", json={"name": "taken"}).status_code == 500
    assert stored_names(polynom_data_manager) == ["taken"]
    assert checked_out(polynom_data_manager) == 0


def test_concurrent_requests_each_get_their_own_context(base_url: str):
    users = [f"user{i}" for i in range(8)]
    with ThreadPoolExecutor(len(users)) as pool:
        replies = list(
            pool.map(lambda u: httpx.get(f"{base_url}/whoami", headers={"X-User": u}).json(), users)
        )
    assert [r["user"] for r in replies] == users
    assert len({r["thread"] for r in replies}) > 1, "the server did not run requests in parallel"


def test_the_dal_proxy_outside_a_request_says_why(polynom_data_manager):
    app = make_app(polynom_data_manager)
    with app.app_context(), pytest.raises(RuntimeError, match="no polynom context"):
        dal.bikes  # noqa: B018


def test_propagated_exceptions_roll_back_too(polynom_data_manager):
    """In testing/debug mode Flask re-raises instead of answering 500: teardown rolls back."""
    app = make_app(polynom_data_manager)
    app.config["TESTING"] = True
    with pytest.raises(Boom):
        app.test_client().post("/write-then-raise")
    assert stored_names(polynom_data_manager) == []
    assert checked_out(polynom_data_manager) == 0
    assert polynom_data_manager.get_active_context() is None


def test_an_app_factory_can_init_the_extension_later(polynom_data_manager):
    ext = PolynomFlask(user_from=lambda req: "factory-user")
    app = Flask("factory")

    @app.get("/who")
    def who() -> Any:
        return {"user": ext.context.meta.user, "same": ext.dal is dal._get_current_object()}

    ext.init_app(app, polynom_data_manager)
    assert app.test_client().get("/who").json == {"user": "factory-user", "same": True}
    with pytest.raises(RuntimeError, match="already set up"):
        ext.init_app(app)
