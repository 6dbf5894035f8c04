"""The integration tests run on the plugin's fixtures, narrowed to their own model."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest

from tests.integrations.models import WebBikeSchema, services


@pytest.fixture
def polynom_schemas() -> Sequence[Any]:
    return [WebBikeSchema]


@pytest.fixture
def polynom_services() -> Mapping[str, Any]:
    return services()


def stored_names(data_manager: Any) -> list[str]:
    """The bike names committed in the store, read in a fresh context."""
    with data_manager.context(meta={"user": "checker"}) as ctx:
        return sorted(b.name for b in ctx.dal.bikes.list())


def checked_out(data_manager: Any) -> int:
    """How many connections of the application's pool are lent out right now."""
    app = data_manager.get_resource("connection").application
    pool = app.store.pool
    return int(pool.size - pool.idle)


# -- polynom's errors over HTTP: what each integration must answer ------------------------------

#: The failures a request can run into, with the status every integration answers.
FAILURES = {"validation": 422, "integrity": 409, "conflict": 409}


def write_then_fail(data_manager: Any, dal: Any, failure: str) -> None:
    """Write a bike named ``doomed``, then run into ``failure`` in a service call.

    ``validation``: a name longer than the field allows (``ValidationError``); ``integrity``:
    the same name twice (``UniqueViolation``); ``conflict``: an update of a bike another
    request changed since this one read it (``ConflictError``). ``doomed`` must not stay.
    """
    if failure == "conflict":
        bike_id = in_another_request(data_manager, lambda d: d.bikes.create(name="contested"))
        dal.bikes.get(bike_id)  # this request reads it (price 0)...
        in_another_request(data_manager, lambda d: d.bikes.update(bike_id, price=1))
        dal.bikes.create(name="doomed")
        dal.bikes.update(bike_id, price=2)  # ...and writes over a change it never saw
    elif failure == "validation":
        dal.bikes.create(name="doomed")
        dal.bikes.create(name="n" * 41)
    else:
        dal.bikes.create(name="doomed")
        dal.bikes.create(name="doomed")
    raise AssertionError(f"{failure!r} did not fail")


def in_another_request(data_manager: Any, work: Callable[[Any], Any]) -> Any:
    """Run ``work(dal)`` in a context of its own, in another thread, committed at once."""
    result: list[Any] = []

    def run() -> None:
        with data_manager.context(meta={"user": "other"}) as ctx:
            done = work(ctx.dal)
            result.append(getattr(done, "_entry_id", done))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert result, "the other request failed"
    return result[0]


def check_failure_answer(response: Any, failure: str) -> None:
    """The problem (RFC 9457) ``failure`` must get from every integration."""
    body = check_problem(response, FAILURES[failure])
    assert body["type"].endswith(f":{failure}"), body
    assert "statement" not in body["detail"], "the SQL stays on the server"
    if failure == "validation":
        # a service refused a value: named by its field, from the body of a POST
        where = "body" if response.request.method == "POST" else "query"
        [error] = body["errors"]
        assert (error["in"], error["name"]) == (where, "name"), body
        assert error.get("pointer") == ("#/name" if where == "body" else None)
        assert "WebBike.name" in error["detail"] and "VarChar(40)" in error["detail"]
    elif failure == "integrity":
        assert "unique" in body["detail"] and "name" in body["detail"]
    else:
        assert body["retry"] is True


def check_problem(response: Any, status: int) -> dict[str, Any]:
    """``response`` is an ``application/problem+json`` answer with ``status``; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"], body
    assert body["type"] == "about:blank" or body["type"].startswith("tag:polynom-dal,2025:")
    return body


def check_rolled_back(data_manager: Any, failure: str) -> None:
    """Nothing the failed request wrote stayed; the other request's change did."""
    with data_manager.context(meta={"user": "checker"}) as ctx:
        bikes = {b.name: b.price for b in ctx.dal.bikes.list()}
    assert bikes == ({"contested": 1} if failure == "conflict" else {})
    assert checked_out(data_manager) == 0


@pytest.fixture
def seen_errors() -> list[BaseException | None]:
    """What the recording data manager's contexts ended with (``None``: a commit)."""
    return []


@pytest.fixture
def recording_dm(polynom_app: Any, seen_errors: list[BaseException | None]) -> Any:
    """A data manager whose middleware records the exception each context ends with."""
    from polynom.dal import create_data_manager

    def record(ctx: Any) -> Iterator[None]:
        try:
            yield
        except BaseException as exc:
            seen_errors.append(exc)
            raise
        seen_errors.append(None)

    return create_data_manager(polynom_app, services=services(), middleware=(record,))
